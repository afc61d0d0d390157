/**
 * Case `checkpoint-pressure` (issue 21, item 5): how fast the service answers while a run checkpoints after
 * every step of a tiny network (checkpoints arrive far faster than a disk takes them). Measures the latency
 * of `app:info` (median, p95, max) during the run and the time from Stop to the stopped status; the row says
 * whether p95 stayed within the bound. NumPy has no counterpart: numpy_ms and ratio are null.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkbenchService } from '../../src/main/services/workbench';
import type { BenchRow } from './gd';

/** p95 of app:info under pressure above this is a regression (the freeze of issue 21 measured 12 s → 60 s). */
export const PRESSURE_BOUND_MS = 100;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Runs the case once: `samples` app:info calls spaced `spacingMs` apart while the run trains. */
export async function checkpointPressureCase(opts: { quick: boolean; log: (m: string) => void }): Promise<BenchRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-pressure-'));
  const config = {
    samples: 6,
    testSamples: 0,
    inputDim: 3,
    hiddenWidth: 16,
    steps: 10_000_000,
    trackEvery: 1_000_000,
    trackEigenvalues: 0,
    checkpointEvery: 1,
    backend: 'js',
    dtype: 'float64',
    targetLossRatio: 0,
    seed: 5,
  };
  const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
  try {
    await svc.start();
    await svc.invoke('app:info', undefined); // the backend probe runs once, before the measurement
    let step = 0;
    let stoppedAt = 0;
    svc.on('run:progress', (p) => (step = p.step));
    svc.on('run:status', (s) => {
      if (s.status === 'stopped') stoppedAt = performance.now();
    });
    const r = await svc.invoke('run:start', { config });
    if (!r.ok) throw new Error(r.error.message);
    await new Promise((res) => setTimeout(res, 500));
    const lat: number[] = [];
    const samples = opts.quick ? 20 : 100;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const info = await svc.invoke('app:info', undefined);
      lat.push(performance.now() - t0);
      if (!info.ok) throw new Error(info.error.message);
      await new Promise((res) => setTimeout(res, 20));
    }
    const stopAsked = performance.now();
    await svc.invoke('run:stop', { runId: r.value.runId });
    for (let i = 0; i < 2000 && stoppedAt === 0; i++) await new Promise((res) => setTimeout(res, 5));
    const stopMs = stoppedAt === 0 ? null : stoppedAt - stopAsked;
    const detail = await svc.invoke('run:get', { runId: r.value.runId });
    const cpDir = detail.ok ? path.join(dir, 'sessions', detail.value.summary.sessionId, 'runs', r.value.runId, 'checkpoints') : null;
    const onDisk = cpDir && fs.existsSync(cpDir) ? fs.readdirSync(cpDir).filter((n) => n.endsWith('.bin')).length : 0;
    const p95 = quantile(lat, 0.95);
    opts.log(
      `checkpoint-pressure: ${step} steps (a checkpoint each), app:info median ${quantile(lat, 0.5).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, stop ${stopMs?.toFixed(0) ?? '—'} ms`,
    );
    return {
      case: 'checkpoint-pressure',
      n: config.samples,
      d: config.inputDim,
      m: config.hiddenWidth,
      backend: 'js',
      dtype: 'float64',
      ours_ms: Math.round(quantile(lat, 0.5) * 100) / 100,
      numpy_ms: null,
      ratio: null,
      p95_ms: Math.round(p95 * 100) / 100,
      max_ms: Math.round(Math.max(...lat) * 100) / 100,
      stop_ms: stopMs === null ? null : Math.round(stopMs),
      steps: step,
      checkpoints_on_disk: onDisk,
      bound_ms: PRESSURE_BOUND_MS,
      within_bound: p95 <= PRESSURE_BOUND_MS,
      note: `app:info latency while a run checkpoints every step (ours_ms = median); target p95 ≤ ${PRESSURE_BOUND_MS} ms`,
    };
  } finally {
    await svc.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
