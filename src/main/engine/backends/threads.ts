/**
 * The engine's threads on the CPU: how many a native backend uses by default, and how the linalg kernels
 * start helper threads (the pure numerics may not import worker_threads themselves; see symvThreads.ts).
 */
import { readlinkSync } from 'node:fs';
import { availableParallelism, getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HelperSpawner } from '../linalg';

/** Default intra-op threads: every core but one, at least one (so that a window keeps a core). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

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

/**
 * Starts a helper thread of the linalg kernels running the module at `script` with `data` as its workerData.
 * It never keeps the process alive; an uncaught error in it, or a failure to load it, goes to `onError`.
 */
export const spawnHelperThread: HelperSpawner = (script, data, onError) => {
  const worker = new Worker(script, { workerData: data, stdout: false, stderr: false });
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
    const worker = new Worker(script, { workerData: data, stdout: false, stderr: false });
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
