import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { appendRecords, mergeAhead, mergeStored, useRunStore, withAhead } from '../../../../src/renderer/src/stores/run';
import { setApi } from '../../../../src/renderer/src/api/current';
import { defaultConfig } from '../../../../src/shared/config/schema';
import type { MetricRecord } from '../../../../src/shared/run/format';
import type { RunDetail } from '../../../../src/shared/api/contract';
import { fakeApi } from '../fakeApi';
import type { FakeApi } from '../fakeApi';

const rec = (step: number, loss = 1 / (step + 1)): MetricRecord => ({ step, loss, wallMs: step * 10 });

describe('appendRecords()', () => {
  it('appends only records newer than the last one held, so overlapping batches never duplicate a step', () => {
    const target = [rec(0), rec(1)];
    const added = appendRecords(target, [rec(1), rec(2), rec(3)]);
    expect(added).toBe(2);
    expect(target.map((r) => r.step)).toEqual([0, 1, 2, 3]);
  });
});

describe('mergeStored()', () => {
  it('keeps the stored records and adds only the held ones past the last stored step', () => {
    const out = mergeStored([rec(2), rec(0), rec(1)], [rec(0, 9), rec(2, 9), rec(3), rec(4)]);
    expect(out.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    // the file wins where both hold a step
    expect(out[0]!.loss).toBe(1);
    expect(out[2]!.loss).toBeCloseTo(1 / 3);
  });
});

describe('mergeAhead() and withAhead(): the losses of records a run still holds back', () => {
  it('keeps the points after the last record, adds newer incoming ones in order, and draws them after the records', () => {
    const records = [rec(0), rec(1), rec(2)];
    const ahead = mergeAhead([rec(2), rec(3), rec(4)], records, [rec(3, 9), rec(5), rec(6)]);
    expect(ahead.map((p) => p.step)).toEqual([3, 4, 5, 6]);
    // an incoming point for a step already held ahead does not replace it
    expect(ahead[0]!.loss).toBe(1 / 4);
    expect(withAhead(records, ahead).map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // once the records come the points are gone
    expect(mergeAhead(ahead, [...records, rec(3), rec(4), rec(5), rec(6)])).toEqual([]);
    expect(withAhead(records, [])).toBe(records);
  });
});

/** A stored run as run:get returns it, with records 0..lastStep. */
function detail(runId: string, lastStep: number, status: 'running' | 'finished'): RunDetail {
  const config = defaultConfig();
  const at = '2026-12-06T00:00:00.000Z';
  return {
    summary: {
      runId,
      sessionId: 's-1',
      status,
      reason: null,
      regime: config.regime,
      hiddenWidth: config.hiddenWidth,
      samples: config.samples,
      steps: config.steps,
      lastStep,
      startedAt: at,
      backend: 'cpu',
      dtype: 'float64',
    },
    config: {
      schemaVersion: 1,
      runId,
      config,
      appVersion: '0',
      backend: 'cpu',
      dtype: 'float64',
      startedAt: at,
      machine: { platform: 'linux', arch: 'x64', cpus: 2, node: 'v20' },
    },
    status: { schemaVersion: 1, status, reason: null, lastStep, updatedAt: at },
    records: Array.from({ length: lastStep + 1 }, (_, i) => rec(i)),
    theory: null,
  };
}

describe('useRunStore()', () => {
  let api: FakeApi;
  beforeEach(() => {
    setActivePinia(createPinia());
    api = fakeApi({
      'run:start': () => ({ ok: true, value: { runId: 'run-1', sessionId: 's-1' } }),
      'run:pause': () => ({ ok: true, value: { runId: 'run-1' } }),
      'run:resume': () => ({ ok: true, value: { runId: 'run-1' } }),
      'run:stop': () => ({ ok: true, value: { runId: 'run-1' } }),
      'run:step': () => ({ ok: true, value: { runId: 'run-1' } }),
    });
    setApi(api);
  });

  it('keeps every record of every progress batch, in order, with the latest progress figures', async () => {
    const store = useRunStore();
    store.init();
    await store.start(defaultConfig());
    const total = 1000;
    for (let b = 0; b < total / 50; b++) {
      api.emit('run:progress', {
        runId: 'run-1',
        records: Array.from({ length: 50 }, (_, i) => rec(b * 50 + i)),
        step: b * 50 + 49,
        totalSteps: total,
        stepsPerSecond: 123,
        etaSeconds: (total - b * 50) / 123,
      });
    }
    const run = store.current!;
    expect(run.records).toHaveLength(total);
    expect(run.records.every((r, i) => r.step === i)).toBe(true);
    expect(run.step).toBe(999);
    expect(run.totalSteps).toBe(total);
    expect(run.stepsPerSecond).toBe(123);
    expect(run.version).toBeGreaterThanOrEqual(total / 50);
  });

  it('shows the losses of held records ahead of them until the records replace them', async () => {
    const store = useRunStore();
    store.init();
    await store.start(defaultConfig());
    const progress = (records: MetricRecord[], step: number, ahead?: MetricRecord[]) =>
      api.emit('run:progress', { runId: 'run-1', records, ...(ahead ? { ahead } : {}), step, totalSteps: 100, stepsPerSecond: null, etaSeconds: null });
    progress([rec(0), rec(1)], 1);
    progress([], 4, [rec(2), rec(3), rec(4)]);
    const run = store.current!;
    expect(run.records.map((r) => r.step)).toEqual([0, 1]);
    expect(run.ahead.map((p) => p.step)).toEqual([2, 3, 4]);
    expect(run.step).toBe(4);
    progress([rec(2), rec(3)], 5, [rec(5)]);
    expect(run.records.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(run.ahead.map((p) => p.step)).toEqual([4, 5]);
    progress([rec(4), rec(5), rec(6)], 6);
    expect(run.ahead).toEqual([]);
    expect(run.records.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('follows status transitions: starting → running → paused → running → stopped, clearing the ETA at the end', async () => {
    const store = useRunStore();
    store.init();
    await store.start(defaultConfig());
    expect(store.currentStatus).toBe('starting');
    api.emit('run:progress', { runId: 'run-1', records: [rec(0)], step: 0, totalSteps: 500, stepsPerSecond: 10, etaSeconds: 50 });
    expect(store.currentStatus).toBe('running');
    await store.pause();
    expect(store.currentStatus).toBe('paused');
    await store.step(3);
    expect(api.calls.at(-1)).toEqual({ channel: 'run:step', req: { runId: 'run-1', steps: 3 } });
    await store.resume();
    expect(store.currentStatus).toBe('running');
    await store.stop();
    api.emit('run:status', { runId: 'run-1', status: 'stopped', reason: 'stopped by the user' });
    expect(store.currentStatus).toBe('stopped');
    expect(store.current!.etaSeconds).toBeNull();
    expect(store.active).toBe(false);
  });

  it('records a run:failed event with its error and keeps the records received before it', async () => {
    const store = useRunStore();
    store.init();
    await store.start(defaultConfig());
    api.emit('run:progress', { runId: 'run-1', records: [rec(0), rec(1)], step: 1, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
    api.emit('run:failed', { runId: 'run-1', error: { code: 'run-diverged', message: 'loss became NaN at step 2' } });
    expect(store.currentStatus).toBe('failed');
    expect(store.current!.error?.code).toBe('run-diverged');
    expect(store.current!.records).toHaveLength(2);
  });

  it('keeps events of a run that arrive before run:start answers', async () => {
    const store = useRunStore();
    store.init();
    api.emit('run:progress', { runId: 'run-1', records: [rec(0)], step: 0, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
    await store.start(defaultConfig());
    expect(store.current!.records).toHaveLength(1);
    expect(store.current!.sessionId).toBe('s-1');
  });

  it('lists several runs and leaves the previous run intact when a new one starts', async () => {
    const store = useRunStore();
    store.init();
    await store.start(defaultConfig());
    api.emit('run:progress', { runId: 'run-1', records: [rec(0)], step: 0, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
    api.handlers['run:start'] = () => ({ ok: true, value: { runId: 'run-2', sessionId: 's-1' } });
    await store.start(defaultConfig());
    expect(store.currentRunId).toBe('run-2');
    expect([...store.runs.keys()]).toEqual(['run-1', 'run-2']);
    expect(store.runs.get('run-1')!.records).toHaveLength(1);
  });

  it('opening a live run whose file lags its events keeps the newer records, so later batches leave no gap', async () => {
    const store = useRunStore();
    store.init();
    // A resumed run: progress arrives while run:get is on its way, and the file read is behind it.
    api.handlers['run:get'] = () => {
      api.emit('run:progress', { runId: 'run-7', records: [rec(6), rec(7), rec(8)], step: 8, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
      return { ok: true, value: detail('run-7', 5, 'running') };
    };
    expect(await store.open('run-7')).toBe(true);
    api.emit('run:progress', { runId: 'run-7', records: [rec(9), rec(10)], step: 10, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
    const run = store.current!;
    expect(run.records.map((r) => r.step)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(run.step).toBe(10);
  });

  it('a run that finished while its file was being read stays finished when the read answers', async () => {
    const store = useRunStore();
    store.init();
    api.handlers['run:get'] = () => {
      api.emit('run:progress', { runId: 'run-8', records: [rec(6), rec(7)], step: 7, totalSteps: 7, stepsPerSecond: null, etaSeconds: null });
      api.emit('run:status', { runId: 'run-8', status: 'finished', reason: 'reached 7 steps' });
      return { ok: true, value: detail('run-8', 5, 'running') };
    };
    expect(await store.open('run-8')).toBe(true);
    expect(store.current!.status).toBe('finished');
    expect(store.current!.reason).toBe('reached 7 steps');
    expect(store.current!.records).toHaveLength(8);
  });

  it('opening a stored run that is ahead of what the page held takes the status from the file', async () => {
    const store = useRunStore();
    store.init();
    api.emit('run:progress', { runId: 'run-9', records: [rec(0), rec(1)], step: 1, totalSteps: 500, stepsPerSecond: null, etaSeconds: null });
    api.handlers['run:get'] = () => ({ ok: true, value: detail('run-9', 5, 'finished') });
    expect(await store.open('run-9')).toBe(true);
    expect(store.current!.status).toBe('finished');
    expect(store.current!.records).toHaveLength(6);
  });

  it('reports a refused start in lastError and starts nothing', async () => {
    const store = useRunStore();
    api.handlers['run:start'] = () => ({ ok: false, error: { code: 'too-large', message: 'needs 9 GiB' } });
    const id = await store.start(defaultConfig());
    expect(id).toBeNull();
    expect(store.lastError?.code).toBe('too-large');
    expect(store.current).toBeNull();
  });
});
