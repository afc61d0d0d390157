import { describe, expect, it } from 'vitest';
import { configDiff, filterRows, formatCell, parseRunFilter, parseTags, rowCells, sortRows, type RunRow } from '../../../../src/shared/runs/table';
import { FilterSyntaxError } from '../../../../src/shared/runs/filter';

function row(runId: string, config: Record<string, string | number | boolean | null>, extra: Partial<RunRow> = {}): RunRow {
  return {
    runId,
    sessionId: 's',
    sessionName: 'S',
    status: 'finished',
    reason: null,
    config,
    learningRates: null,
    lastStep: 10,
    finalLoss: null,
    lossRatio: null,
    testLoss: null,
    lambdaMin: null,
    lambdaMax: null,
    stepsPerSecond: null,
    backend: 'js',
    dtype: 'float64',
    appVersion: '0.1.0',
    machine: '',
    startedAt: `2024-01-01T00:00:0${runId.slice(-1)}Z`,
    finishedAt: null,
    durationMs: null,
    tags: [],
    note: '',
    ...extra,
  };
}

describe('rowCells()', () => {
  it('shows the η the run used, and the backend it ran on rather than the config choice', () => {
    const r = row('r1', { learningRate: null, backend: 'auto' }, { learningRates: { encoder: 0.25, decoder: 0.5 }, backend: 'onnx' });
    expect(rowCells(r)).toMatchObject({ eta: 0.25, backend: 'onnx', learningRate: null });
  });
});

describe('sortRows()', () => {
  it('sorts numbers numerically in both directions with empty cells last', () => {
    const rows = [row('r1', { hiddenWidth: 100 }), row('r2', { hiddenWidth: 8 }), row('r3', { hiddenWidth: null }), row('r4', { hiddenWidth: 32 })];
    expect(sortRows(rows, 'hiddenWidth', 'asc').map((r) => r.runId)).toEqual(['r2', 'r4', 'r1', 'r3']);
    expect(sortRows(rows, 'hiddenWidth', 'desc').map((r) => r.runId)).toEqual(['r1', 'r4', 'r2', 'r3']);
  });
});

describe('filterRows()', () => {
  it('filters on config, result and tag columns', () => {
    const rows = [
      row('r1', { regime: 'joint', hiddenWidth: 64 }, { tags: ['baseline'] }),
      row('r2', { regime: 'weak', hiddenWidth: 64 }),
      row('r3', { regime: 'joint', hiddenWidth: 8 }),
    ];
    expect(filterRows(rows, parseRunFilter('regime = joint and hiddenWidth >= 64')).map((r) => r.runId)).toEqual(['r1']);
    expect(filterRows(rows, parseRunFilter('tag:baseline or hiddenWidth < 10')).map((r) => r.runId)).toEqual(['r1', 'r3']);
    expect(() => parseRunFilter('regime == joint')).toThrow(FilterSyntaxError);
  });
});

describe('configDiff()', () => {
  it('lists every key with a value per run and marks the differing ones; diffOnly keeps those', () => {
    const rows = [row('r1', { regime: 'joint', seed: 1, hiddenWidth: 64 }), row('r2', { regime: 'joint', seed: 2, hiddenWidth: 64 })];
    const all = configDiff(rows);
    expect(all.map((l) => l.key)).toEqual(['regime', 'hiddenWidth', 'seed']);
    expect(all.find((l) => l.key === 'seed')).toMatchObject({ values: [1, 2], differs: true });
    expect(configDiff(rows, true).map((l) => l.key)).toEqual(['seed']);
  });
});

describe('formatCell() and parseTags()', () => {
  it('formats numbers compactly and empty cells as a dash', () => {
    expect(formatCell('finalLoss', 0.000123456)).toBe('1.235e-4');
    expect(formatCell('lossRatio', 0.123456)).toBe('0.1235');
    expect(formatCell('hiddenWidth', 256)).toBe('256');
    expect(formatCell('finalLoss', null)).toBe('—');
    expect(formatCell('started', '2024-01-02T03:04:05.000Z')).toBe('2024-01-02 03:04:05');
  });

  it('splits tags on commas and spaces and names a bad one', () => {
    expect(parseTags('baseline, v2  baseline')).toEqual(['baseline', 'v2']);
    expect(() => parseTags('ok bad:tag')).toThrow(/tag "bad:tag"/);
  });
});
