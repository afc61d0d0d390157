/**
 * The tracked steps' eigenvalues on a thread of their own (issue 13): the thread answers a job exactly as the
 * engine thread computes it, a run whose tracked eigenvalues went to the thread records exactly what the same
 * run computing them in place does, and a thread that fails leaves the run to go on in place.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  runTraining,
  installEigenThread,
  EIGEN_THREAD_MIN_N,
  type EigenThread,
  type TrackedEigenJob,
  type TrackedEigenReply,
} from '../../../../../src/main/engine/training';
import { trackedEigen, trackedEigenReply } from '../../../../../src/main/engine/training/trackedEigen';
import { serveOnThread } from '../../../../../src/main/engine/backends/threads';
import { eigenThreadScript, type EigenThreadData } from '../../../../../src/main/engine/threadScripts';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { freeRunning, type RunOutcome } from '../../../../../src/main/engine/protocol';
import { EngineHost } from '../../../../../src/main/services/engineHost';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';
import type { MetricRecord } from '../../../../../src/shared/run/format';
import { multiplyAsTheWorkerDoes } from './workerProduct';

afterEach(() => installEigenThread(null));

// The engine worker starts the thread for runs on two threads or more.
const host = new EngineHost({ threads: 2 });
// Runs in place multiply (their theory's eigenvectors) exactly as runs in the engine worker do.
const undoProduct = multiplyAsTheWorkerDoes();
afterAll(() => {
  undoProduct();
  return host.dispose();
});

/** A symmetric positive definite n×n matrix in shared memory: GᵀG/n plus a small ridge, G pseudo-random. */
function sharedSpd(n: number, seed: number): Float64Array {
  let s = seed;
  const u = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const g = Float64Array.from({ length: n * 24 }, u);
  const a = new Float64Array(new SharedArrayBuffer(8 * n * n));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let t = 0;
      for (let p = 0; p < 24; p++) t += g[p * n + i]! * g[p * n + j]!;
      a[i * n + j] = a[j * n + i] = t / n + (i === j ? 1e-3 * (1 + i / n) : 0);
    }
  }
  return a;
}

function startThread(): ReturnType<typeof serveOnThread<TrackedEigenJob, TrackedEigenReply>> {
  return serveOnThread<TrackedEigenJob, TrackedEigenReply>(eigenThreadScript(), { eigenThread: true } satisfies EigenThreadData);
}

async function untilReady(t: { ready: boolean; failed: boolean }): Promise<void> {
  for (let i = 0; i < 600 && !t.ready && !t.failed; i++) await new Promise((r) => setTimeout(r, 50));
  expect(t.ready).toBe(true);
}

const config = (over: Partial<Config> = {}): Config => ({
  ...defaultConfig(),
  samples: 320,
  testSamples: 3,
  inputDim: 5,
  hiddenWidth: 16,
  steps: 6,
  trackEvery: 2,
  trackEigenvalues: 2,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  seed: 5,
  ...over,
});

async function records(cfg: Config): Promise<MetricRecord[]> {
  const recs: MetricRecord[] = [];
  const out = await runTraining(cfg, createJsBackend(), freeRunning, { onMeta: () => {}, onRecord: (r) => recs.push(r), now: () => performance.now() });
  expect(out.status).toBe('finished');
  return recs.map(({ wallMs: _w, ...r }) => r as MetricRecord);
}

describe('the tracked-eigenvalue thread', () => {
  it('answers each job with exactly what the engine thread computes, warm starts and errors included', { timeout: 60_000 }, async () => {
    const t = startThread();
    try {
      await untilReady(t);
      // n > FULL_EIG_MAX_N: the extreme eigensolvers, cold and then warm from the first answer's vectors.
      const n = 320;
      const H = sharedSpd(n, 11);
      const cold: TrackedEigenJob = { H, n, k: 3, spectrum: false };
      const here = trackedEigen(cold);
      const there = await t.solve(cold);
      expect(there).toEqual({ ok: true, result: here });
      expect(here.eigMin).toHaveLength(3);
      expect(here.warmMin).toHaveLength(3);
      const warm: TrackedEigenJob = { ...cold, H: sharedSpd(n, 12), warmMin: here.warmMin, warmMax: here.warmMax };
      const warmHere = trackedEigen(warm);
      expect(await t.solve(warm)).toEqual({ ok: true, result: warmHere });
      // The smallest shifted to SHIFT_FRACTION of the previous step's λ_min: the same values; a previous λ_min above
      // this kernel's (no factor at the shift) leaves the solve unshifted.
      for (const previousMin of [here.eigMin![0]!, 10 * warmHere.eigMax![0]!]) {
        const shifted: TrackedEigenJob = { ...warm, previousMin };
        const got = trackedEigen(shifted);
        expect(await t.solve(shifted)).toEqual({ ok: true, result: got });
        expect(got.eigMax).toEqual(warmHere.eigMax);
        for (let j = 0; j < 3; j++) expect(Math.abs(got.eigMin![j]! / warmHere.eigMin![j]! - 1)).toBeLessThan(1e-9);
      }
      // The full spectrum (every 10th tracked step up to SPECTRUM_MAX_N), without warm starts to carry.
      const full: TrackedEigenJob = { H: sharedSpd(260, 13), n: 260, k: 2, spectrum: true };
      const fullHere = trackedEigen(full);
      expect(fullHere.spectrum).toHaveLength(260);
      expect(fullHere.warmMin).toBeUndefined();
      expect(await t.solve(full)).toEqual({ ok: true, result: fullHere });
      // A job that throws in place comes back as the same error.
      const bad: TrackedEigenJob = { H: new Float64Array(10), n, k: 3, spectrum: false };
      expect(() => trackedEigen(bad)).toThrow(/op.matrix has 10 entries/);
      const reply = await t.solve(bad);
      expect(reply).toEqual(trackedEigenReply(bad));
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.message).toMatch(/op.matrix has 10 entries/);
    } finally {
      t.close();
    }
  });

  it(
    'a thread that fails to load is marked failed, says so once and rejects its jobs; close() rejects the pending ones quietly',
    { timeout: 60_000 },
    async () => {
      const heard: Error[] = [];
      const gone = serveOnThread<TrackedEigenJob, TrackedEigenReply>(new URL('./no-such-thread.mjs', import.meta.url), {}, (e) => heard.push(e));
      const job: TrackedEigenJob = { H: sharedSpd(8, 1), n: 8, k: 1, spectrum: false };
      await expect(gone.solve(job)).rejects.toThrow();
      expect(gone.failed).toBe(true);
      expect(gone.ready).toBe(false);
      await expect(gone.solve(job)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toHaveLength(1);
      const quiet: Error[] = [];
      const t = serveOnThread<TrackedEigenJob, TrackedEigenReply>(eigenThreadScript(), { eigenThread: true }, (e) => quiet.push(e));
      await untilReady(t);
      const pending = t.solve({ H: sharedSpd(400, 2), n: 400, k: 3, spectrum: false });
      t.close();
      await expect(pending).rejects.toThrow(/closed/);
      expect(t.ready).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
      expect(quiet).toEqual([]);
    },
  );

  it('a run with its tracked eigenvalues on the thread records exactly what the same run in place does', { timeout: 120_000 }, async () => {
    const cfg = config();
    expect(cfg.samples).toBeGreaterThanOrEqual(EIGEN_THREAD_MIN_N);
    const inPlace = await records(cfg);
    // The thread is up before the run starts, so that every tracked step uses it.
    const t = startThread();
    await untilReady(t);
    let jobs = 0;
    let closed = 0;
    const counted: EigenThread = {
      get ready() {
        return t.ready;
      },
      solve(job) {
        jobs++;
        return t.solve(job);
      },
      close() {
        closed++;
        t.close();
      },
    };
    installEigenThread(() => counted);
    const aside = await records(cfg);
    const tracked = inPlace.filter((r) => r.tracked);
    expect(jobs).toBe(tracked.length);
    expect(closed).toBe(1);
    expect(tracked.every((r) => r.tracked!.eigMin?.length === 2 && r.tracked!.eigMax?.length === 2)).toBe(true);
    expect(aside).toEqual(inPlace);
    // Below EIGEN_THREAD_MIN_N no thread is started.
    let started = 0;
    installEigenThread(() => {
      started++;
      return counted;
    });
    await records(config({ samples: EIGEN_THREAD_MIN_N - 1 }));
    expect(started).toBe(0);
  });

  it(
    'runs through the engine worker on two threads record what the same runs in place do, one after another in one worker too',
    { timeout: 120_000 },
    async () => {
      const viaWorker = async (engine: { startRun: typeof host.startRun }, cfg: Config, id: string): Promise<MetricRecord[]> => {
        const there: MetricRecord[] = [];
        const out = await new Promise<RunOutcome>((resolve) => {
          engine.startRun(id, cfg, { onMeta: () => {}, onRecords: (rs) => there.push(...rs), onDone: (o) => resolve(o) });
        });
        expect(out.status).toBe('finished');
        return there.map(({ wallMs: _w, ...r }) => r as MetricRecord);
      };
      const first = config({ steps: 40, trackEvery: 4, seed: 6 });
      const second = config({ steps: 24, trackEvery: 3, seed: 9, samples: 300 });
      expect(await viaWorker(host, first, 'eigen-thread')).toEqual(await records(first));
      // A dedicated worker (a sweep's cells) serves both runs with one thread of tracked eigenvalues.
      const worker = host.dedicatedWorker();
      try {
        expect(await viaWorker(worker, first, 'eigen-thread-a')).toEqual(await records(first));
        expect(await viaWorker(worker, second, 'eigen-thread-b')).toEqual(await records(second));
      } finally {
        await worker.dispose();
      }
    },
  );

  it('a thread that fails mid-run leaves the run to compute in place, with the same records', { timeout: 120_000 }, async () => {
    const cfg = config({ seed: 8 });
    const inPlace = await records(cfg);
    let jobs = 0;
    const failing: EigenThread = {
      ready: true,
      solve() {
        jobs++;
        return Promise.reject(new Error('the thread exited (code 1)'));
      },
      close() {},
    };
    installEigenThread(() => failing);
    expect(await records(cfg)).toEqual(inPlace);
    expect(jobs).toBeGreaterThan(0);
    // A factory that declines (a run on one thread) leaves every step in place.
    installEigenThread(() => null);
    expect(await records(cfg)).toEqual(inPlace);
  });
});
