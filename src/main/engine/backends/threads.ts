/**
 * The engine's threads on the CPU: how many a native backend uses by default, and how the linalg kernels
 * start helper threads (the pure numerics may not import worker_threads themselves; see symvThreads.ts).
 */
import { readlinkSync } from 'node:fs';
import { availableParallelism, getPriority, setPriority } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { HelperSpawner } from '../linalg';
import { ENGINE_THREAD_LIMITS } from '../protocol';

/** Default intra-op threads: every core but one, at least one (so that a window keeps a core). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Threads for a run's theory beside GD steps on `steps` threads: its symmetric products' helper threads only on
 * cores the steps leave free, none (one thread) where they take every core. Measured apart from a run at
 * n = 1000: a helper thread adds 30–60 MiB to the theory's high-water mark, and beside two step threads on two
 * cores it gained no time (issue 13).
 */
export function theoryThreadCount(steps: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(steps, cores - steps));
}

/**
 * The nice value of a run's theory where it runs beside the GD steps (Linux; 0 is the default, 19 the lowest
 * priority): the theory thread's, and the engine's thread aside from its first theory on. At 10 the n = 1000 run of
 * `npm run bench` was no faster than at 5, but its theory (and the tracked records held for it) came up to 2 s
 * later; at 5 the whole run took 0.2–0.5 s less than at 0 in 6 of 6 alternating pairs, the theory as early.
 */
export const THEORY_NICE = 5;

/**
 * Gives the calling thread (not the process) the nice value `nice` when that lowers its priority: on Linux,
 * where a thread's id names it to setpriority (found through /proc/thread-self), and the threads it starts
 * afterwards inherit the value. Returns whether it took effect; elsewhere, or where refused, nothing happens.
 */
export function lowerThreadPriority(nice: number): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/')[2]);
    if (!Number.isInteger(tid) || tid <= 0 || getPriority(tid) >= nice) return false;
    setPriority(tid, nice);
    return getPriority(tid) === nice;
  } catch {
    return false;
  }
}

/** How the engine starts a thread of its own: `data` as its workerData, output discarded, the engine's V8 limits. */
function threadOptions(data: unknown): WorkerOptions {
  return { workerData: data, stdout: false, stderr: false, resourceLimits: { ...ENGINE_THREAD_LIMITS } };
}

/**
 * Starts a helper thread of the linalg kernels running the module at `script` with `data` as its workerData.
 * It never keeps the process alive; an uncaught error in it, or a failure to load it, goes to `onError`.
 */
export const spawnHelperThread: HelperSpawner = (script, data, onError) => {
  const worker = new Worker(script, threadOptions(data));
  worker.unref();
  worker.on('error', onError);
  return {
    post: (message) => worker.postMessage(message),
    stop: () => {
      void worker.terminate();
    },
  };
};

/**
 * Runs one job on a thread of its own: starts the module at `script` with `data` as its workerData, posts it
 * `job` and resolves with its one reply, then ends the thread. A thread that fails to load, throws, or exits
 * without replying rejects.
 */
export function runOnThread<Job, Reply>(script: URL | string, data: unknown, job: Job): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const worker = new Worker(script, threadOptions(data));
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (reply: Reply) => settle(() => resolve(reply)));
    worker.once('error', (e) => settle(() => reject(e instanceof Error ? e : new Error(String(e)))));
    worker.once('exit', (code) => settle(() => reject(new Error(`the thread exited (code ${code}) without an answer`))));
    worker.postMessage(job);
  });
}

/** A long-lived thread that answers jobs in order (see {@link serveOnThread}). */
export interface ServingThread<Job, Reply> {
  /** whether it said it is up */
  readonly ready: boolean;
  /** whether it failed to load, threw or exited (every pending and later job then rejects) */
  readonly failed: boolean;
  /** its reply to `job`, posted after those asked for before */
  solve(job: Job): Promise<Reply>;
  /** ends it; pending jobs reject */
  close(): void;
}

/**
 * Starts the module at `script` with `data` as its workerData as a thread that first posts 'ready' and then
 * answers every job posted to it with one reply, in order. It never keeps the process alive. `onFailure` hears
 * once of a thread that fails to load, throws or exits before close().
 */
export function serveOnThread<Job, Reply>(script: URL | string, data: unknown, onFailure?: (e: Error) => void): ServingThread<Job, Reply> {
  const worker = new Worker(script, threadOptions(data));
  worker.unref();
  const waiting: Array<{ resolve(r: Reply): void; reject(e: Error): void }> = [];
  let ready = false;
  let failure: Error | null = null;
  /** The thread is done: every pending job rejects with `e`, which onFailure hears unless it was close(). */
  const fail = (e: Error, closing = false): void => {
    if (failure !== null) return;
    failure = e;
    if (!closing) onFailure?.(e);
    for (const w of waiting.splice(0)) w.reject(e);
  };
  worker.on('message', (msg: Reply | 'ready') => {
    if (msg === 'ready') ready = true;
    else waiting.shift()?.resolve(msg);
  });
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => fail(new Error(`the thread exited (code ${code})`)));
  return {
    get ready() {
      return ready && failure === null;
    },
    get failed() {
      return failure !== null;
    },
    solve(job) {
      if (failure !== null) return Promise.reject(failure);
      return new Promise<Reply>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(job);
      });
    },
    close() {
      fail(new Error('the thread was closed'), true);
      void worker.terminate();
    },
  };
}

/**
 * One serving thread shared by the runs of an engine worker, one run after another: `lease()` gives the
 * current thread (started by `start` the first time, and again after one failed) behind a handle whose close()
 * leaves it running for the next run. Its jobs stay in order across runs (a reply always goes to the job that
 * asked first), so a job left behind by a run that ended early only delays the next run's first one.
 */
export function reusedServingThread<Job, Reply>(start: () => ServingThread<Job, Reply>): { lease(): ServingThread<Job, Reply> } {
  let thread: ServingThread<Job, Reply> | null = null;
  return {
    lease() {
      if (thread === null || thread.failed) thread = start();
      const t = thread;
      return {
        get ready() {
          return t.ready;
        },
        get failed() {
          return t.failed;
        },
        solve: (job) => t.solve(job),
        close() {},
      };
    },
  };
}
