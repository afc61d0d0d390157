/**
 * The tracked steps' eigenvalues on a thread of their own (issue 13): the thread answers a job exactly as the
 * engine thread computes it, a run whose tracked eigenvalues went to the thread records exactly what the same
 * run computing them in place does, and a thread that fails leaves the run to go on in place.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  runTraining,
  installEigenThread,
  installTheoryRunner,
  THEORY_THREAD_MIN_N,
  EIGEN_THREAD_MIN_N,
  type EigenThread,
  type TrackedEigenJob,
  type TrackedEigenReply,
} from '../../../../../src/main/engine/training';
import { nextWarm, startingFrom, trackedEigen, trackedEigenReply } from '../../../../../src/main/engine/training/trackedEigen';
import { computeTheory, type TheoryJobOutput, type TheoryThreadReply } from '../../../../../src/main/engine/training/theoryJob';
import { serveOnThread } from '../../../../../src/main/engine/backends/threads';
import { eigenThreadScript, type EigenThreadData, type TheoryAsideJob } from '../../../../../src/main/engine/threadScripts';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { freeRunning, type RunControl, type RunOutcome } from '../../../../../src/main/engine/protocol';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import type { RunMeta } from '../../../../../src/shared/api/contract';
import { EngineHost } from '../../../../../src/main/services/engineHost';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';
import type { LossPoint, MetricRecord } from '../../../../../src/shared/run/format';
import { multiplyAsTheWorkerDoes } from './workerProduct';
import { theoryJobOf } from './theoryJobs';

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

async function records(cfg: Config, control: RunControl = freeRunning, onAhead?: (p: LossPoint) => void): Promise<MetricRecord[]> {
  const recs: MetricRecord[] = [];
  const out = await runTraining(cfg, createJsBackend(), control, {
    onMeta: () => {},
    onRecord: (r) => recs.push(r),
    ...(onAhead ? { onAhead } : {}),
    now: () => performance.now(),
  });
  expect(out.status).toBe(control === freeRunning ? 'finished' : out.status);
  return recs.map(({ wallMs: _w, ...r }) => r as MetricRecord);
}

/** A run's control that counts its gates (one per GD step) and stops at `stopAt` of them. */
function countingControl(stopAt = Infinity): { aborted: boolean; paused: boolean; gates: number; gate(): boolean } {
  const c = {
    aborted: false,
    paused: false,
    gates: 0,
    gate: () => {
      if (++c.gates >= stopAt) c.aborted = true;
      return !c.aborted;
    },
  };
  return c;
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

  it(
    'answers a theory job between tracked steps as the theory thread does, and a job from the previous starts where that one ended',
    { timeout: 60_000 },
    async () => {
      const t = serveOnThread<TrackedEigenJob | TheoryAsideJob, TrackedEigenReply | TheoryThreadReply>(eigenThreadScript(), {
        eigenThread: true,
      } satisfies EigenThreadData);
      try {
        await untilReady(t);
        const n = 320;
        const first: TrackedEigenJob = { H: sharedSpd(n, 21), n, k: 3, spectrum: false };
        const here1 = trackedEigen(first);
        const job = theoryJobOf(config({ samples: 60 }));
        const abort = new SharedArrayBuffer(4);
        // Posted one after another, answered in order: the eigenvalues, the theory, then the next step's eigenvalues
        // from what the first job left on the thread (its vectors and λ_min), the theory in between changing nothing.
        const replies = [t.solve(first), t.solve({ theory: job, abort }), t.solve({ H: sharedSpd(n, 22), n, k: 3, spectrum: false, fromPrevious: true })];
        const [r1, theory, r2] = await Promise.all(replies);
        expect(r1).toEqual({ ok: true, result: here1 });
        const inPlace = computeTheory(job);
        expect(theory!.ok).toBe(true);
        if (theory!.ok && 'out' in theory!) {
          expect(theory.out.theory).toEqual(inPlace.theory);
          expect(Array.from(theory.out.linear!.vectors)).toEqual(Array.from(inPlace.linear!.vectors));
        }
        const second = startingFrom({ H: sharedSpd(n, 22), n, k: 3, spectrum: false }, nextWarm({}, here1));
        expect(second.warmMin).toEqual(here1.warmMin);
        expect(second.previousMin).toBe(here1.eigMin![0]);
        expect(r2).toEqual({ ok: true, result: trackedEigen(second) });
        // A theory called off before it starts answers at once without one.
        Atomics.store(new Int32Array(abort), 0, 1);
        const off = await t.solve({ theory: job, abort });
        expect(off.ok && 'out' in off ? off.out.theory : 'failed').toBeNull();
      } finally {
        t.close();
      }
    },
  );

  it(
    'later tracked steps go on while their eigenvalues are on the thread: the records are held back, then the same as in place',
    { timeout: 120_000 },
    async () => {
      const cfg = config({ steps: 12, trackEvery: 3, seed: 10 });
      const inPlace = await records(cfg);
      const t = startThread();
      await untilReady(t);
      // Replies after the first come only once the run has gone 4 GD steps past their job, all of them at the last
      // tracked step (or after 20 s: a run that waited for them).
      const control = countingControl();
      const late: { at: number; release(by: string): void }[] = [];
      let releasedBy = '';
      const releaseDue = (force: boolean): void => {
        for (const e of late.splice(0)) {
          if (force || control.gates >= e.at) e.release('steps');
          else late.push(e);
        }
      };
      const delayed: EigenThread = {
        get ready() {
          return t.ready;
        },
        solve(job) {
          const reply = t.solve(job);
          if (control.gates === 0) return reply;
          const answer = new Promise<TrackedEigenReply>((resolve) => {
            const timer = setTimeout(() => entry.release('timeout'), 20_000);
            const entry = {
              at: control.gates + 4,
              release: (by: string) => {
                clearTimeout(timer);
                releasedBy ||= by;
                resolve(reply);
              },
            };
            late.push(entry);
          });
          if (control.gates >= cfg.steps) releaseDue(true);
          return answer;
        },
        close: () => t.close(),
      };
      const gate = control.gate;
      control.gate = () => {
        const open = gate();
        releaseDue(false);
        return open;
      };
      installEigenThread(() => delayed);
      const ahead: LossPoint[] = [];
      const aside = await records(cfg, control, (p) => ahead.push(p));
      expect(releasedBy).toBe('steps');
      // The tracked steps after the first were held (their losses went ahead), and came out as in place.
      expect(ahead.map((p) => p.step)).toEqual(expect.arrayContaining([3, 4, 5, 6]));
      expect(aside).toEqual(inPlace);
    },
  );

  it('a stop while eigenvalues wait behind the theory sends the held records at once, saying why they have none', { timeout: 120_000 }, async () => {
    // The theory on a thread (n ≥ THEORY_THREAD_MIN_N) that never answers: the later eigenvalues queue behind it.
    const cfg = config({ samples: THEORY_THREAD_MIN_N, steps: 40, trackEvery: 2, seed: 12 });
    installTheoryRunner(() => new Promise<TheoryJobOutput>(() => {}));
    let jobs = 0;
    // The first tracked step's eigenvalues come at once (the run waits for them), later ones never.
    const stuck: EigenThread = {
      ready: true,
      solve(job) {
        return jobs++ === 0 ? Promise.resolve(trackedEigenReply(job)) : new Promise<TrackedEigenReply>(() => {});
      },
      close() {},
    };
    installEigenThread(() => stuck);
    // Stopped (from outside, as a host does) while the run waits to track step 6: steps 2 and 4 hold the buffers.
    const control = countingControl();
    const stop = setInterval(() => {
      if (control.gates >= 6) control.aborted = true;
    }, 200);
    const recs = await records(cfg, control).finally(() => {
      clearInterval(stop);
      installTheoryRunner(null);
    });
    expect(jobs).toBe(4);
    const tracked = recs.filter((r) => r.tracked);
    expect(tracked[0]!.step).toBe(0);
    expect(tracked[0]!.tracked!.eigMin).toHaveLength(2);
    for (const r of tracked.slice(1)) {
      expect(r.tracked!.eigMin).toBeUndefined();
      expect(r.tracked!.eigNote).toMatch(/eigenvalues not computed: the run was stopped/);
    }
    // Every step up to the stop is recorded, in order, the last one tracked (the run stopped there).
    expect(recs.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(tracked.map((r) => r.step)).toEqual([0, 2, 4, 6]);
  });

  it('an eigensolve that fails on the thread fails the run with its error, as in place, after the records before it', { timeout: 120_000 }, async () => {
    const cfg = config({ steps: 12, trackEvery: 3, seed: 13 });
    let jobs = 0;
    const failing: EigenThread = {
      ready: true,
      solve(job) {
        return Promise.resolve(
          jobs++ < 2 ? trackedEigenReply(job) : { ok: false as const, message: 'extremeEigen: op.matrix has non-finite entries', code: 'invalid-data' },
        );
      },
      close() {},
    };
    installEigenThread(() => failing);
    const recs: MetricRecord[] = [];
    const run = runTraining(cfg, createJsBackend(), freeRunning, { onMeta: () => {}, onRecord: (r) => recs.push(r), now: () => performance.now() });
    await expect(run).rejects.toThrow(WorkbenchException);
    await expect(run).rejects.toMatchObject({ code: 'invalid-data', message: 'extremeEigen: op.matrix has non-finite entries' });
    // The records up to the failed step's went out (steps 0…5 at least: the second tracked step's eigenvalues were in).
    expect(recs.map((r) => r.step).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it(
    'a run through the engine worker on two threads computes its theory on the thread aside: the same records and theory as in place',
    { timeout: 180_000 },
    async () => {
      const cfg = config({ samples: 400, steps: 8, trackEvery: 4, seed: 14 });
      const metas: RunMeta[] = [];
      const there: MetricRecord[] = [];
      const out = await new Promise<RunOutcome>((resolve) => {
        host.startRun('theory-aside', cfg, { onMeta: (m) => metas.push(m), onRecords: (rs) => there.push(...rs), onDone: (o) => resolve(o) });
      });
      expect(out.status).toBe('finished');
      const metasHere: RunMeta[] = [];
      const recsHere: MetricRecord[] = [];
      await runTraining(cfg, createJsBackend(), freeRunning, {
        onMeta: (m) => metasHere.push(m),
        onRecord: (r) => recsHere.push(r),
        now: () => performance.now(),
      });
      const theory = metas.at(-1)!.theory;
      expect(theory?.lambdaJoint).toBeGreaterThan(0);
      expect(theory).toEqual(metasHere.at(-1)!.theory);
      const strip = (rs: MetricRecord[]) => rs.map(({ wallMs: _w, ...r }) => r);
      expect(strip(there)).toEqual(strip(recsHere));
    },
  );
});
