import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { metricsCsv, spectraCsv } from '../../../../../src/main/services/export/csv';
import { readRunFolder } from '../../../../../src/main/services/export/runData';
import { chartOptionToCsv, csvNumber, runsToLongCsv, runsToWideCsv } from '../../../../../src/shared/export/csv';
import { buildLossOption } from '../../../../../src/shared/charts/loss';
import { parseMetricsText, type MetricRecord } from '../../../../../src/shared/run/format';

const fixtures = path.resolve(__dirname, '../../../../fixtures');
const joint = path.join(fixtures, 'runs/seeded-joint');
const weak = path.join(fixtures, 'runs/seeded-weak');

/** The records of a run read straight from its metrics.ndjson, independently of the exporter. */
function ndjson(dir: string): MetricRecord[] {
  const r = parseMetricsText(readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8'));
  if ('error' in r) throw new Error(r.error);
  return r.records;
}

describe('metricsCsv()', () => {
  it('gives the golden CSV of a seeded run', async () => {
    const csv = metricsCsv([await readRunFolder(joint)]);
    expect(csv).toBe(readFileSync(path.join(fixtures, 'golden/seeded-joint.csv'), 'utf8'));
  });

  it('long format of two runs: every value read back equals metrics.ndjson exactly, config columns that differ', async () => {
    const csv = metricsCsv([await readRunFolder(joint), await readRunFolder(weak)]);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['run_id', 'step', 'metric', 'value', 'hiddenWidth', 'regime', 'seed']);
    let checked = 0;
    for (const dir of [joint, weak]) {
      const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      const mine = rows.filter((r) => r.run_id === cfg.runId);
      for (const rec of ndjson(dir)) {
        const at = mine.filter((r) => Number(r.step) === rec.step);
        const get = (m: string) => at.find((r) => r.metric === m)?.value;
        expect(Number(get('loss'))).toBe(rec.loss);
        expect(Number(get('wallMs'))).toBe(rec.wallMs);
        if (rec.tracked?.eigMin) rec.tracked.eigMin.forEach((v, i) => expect(Number(get(`eigMin[${i}]`))).toBe(v));
        if (rec.tracked?.kernelDistance != null) expect(Number(get('kernelDistance'))).toBe(rec.tracked.kernelDistance);
        for (const r of at) {
          expect(r.regime).toBe(cfg.config.regime);
          expect(Number(r.hiddenWidth)).toBe(cfg.config.hiddenWidth);
        }
        checked += at.length;
      }
    }
    expect(checked).toBe(rows.length);
  });

  it('wide format: one row per run and step, the same numbers as the long format', async () => {
    const runs = [await readRunFolder(joint), await readRunFolder(weak)];
    const wide = parse(metricsCsv(runs, { wide: true }), { columns: true }) as Record<string, string>[];
    const long = parse(metricsCsv(runs), { columns: true }) as Record<string, string>[];
    expect(wide).toHaveLength(ndjson(joint).length + ndjson(weak).length);
    for (const l of long) {
      const w = wide.find((r) => r.run_id === l.run_id && r.step === l.step)!;
      expect(w[l.metric!]).toBe(l.value);
    }
  });

  it('writes non-finite values as NaN/Infinity from the nonFinite map, and numbers at full precision', () => {
    const records = [
      { step: 0, loss: 0.1 + 0.2, wallMs: 1 },
      { step: 1, loss: null, wallMs: 2, tracked: { eigMin: [null, 1e-300] }, nonFinite: { loss: 'Infinity', 'tracked.eigMin[0]': 'NaN' } },
    ] as MetricRecord[];
    const csv = runsToLongCsv([{ runId: 'r', config: {}, records }]);
    expect(csv).toContain('r,0,loss,0.30000000000000004\n');
    expect(csv).toContain('r,1,loss,Infinity\n');
    expect(csv).toContain('r,1,eigMin[0],NaN\n');
    expect(csv).toContain('r,1,eigMin[1],1e-300\n');
    expect(runsToWideCsv([{ runId: 'r', config: {}, records }]).split('\n')[0]).toBe('run_id,step,loss,wallMs,eigMin[0],eigMin[1]');
    expect(csvNumber(-Infinity)).toBe('-Infinity');
  });

  it('quotes config values holding commas or quotes', () => {
    const records = [{ step: 0, loss: 1, wallMs: 0 }] as MetricRecord[];
    const csv = runsToLongCsv([
      { runId: 'a', config: { dataset: 'x,"y"' }, records },
      { runId: 'b', config: { dataset: 'z' }, records },
    ]);
    expect((parse(csv, { columns: true }) as Record<string, string>[])[0]!.dataset).toBe('x,"y"');
  });
});

describe('spectraCsv()', () => {
  it('lists the H∞ eigenvalues and each computed spectrum', async () => {
    const rows = parse(spectraCsv([await readRunFolder(joint)]), { columns: true }) as Record<string, string>[];
    const theory = JSON.parse(readFileSync(path.join(joint, 'theory.json'), 'utf8'));
    expect(rows.filter((r) => r.kind === 'hInfinity')).toHaveLength(6);
    const first = ndjson(joint)[0]!.tracked!.spectrum!;
    expect(rows.filter((r) => r.kind === 'spectrum' && r.step === '0').map((r) => Number(r.value))).toEqual(first);
    expect(theory.schemaVersion).toBe(1);
  });
});

describe('chartOptionToCsv()', () => {
  it('gives the drawn points of every series', () => {
    const records = [
      { step: 0, loss: 2, wallMs: 0 },
      { step: 1, loss: 1, wallMs: 1 },
    ] as MetricRecord[];
    const csv = chartOptionToCsv(buildLossOption(records, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light' }));
    expect(csv).toBe('series,x,y\ntrain loss,0,2\ntrain loss,1,1\n');
  });
});
