/**
 * The theory thread (issue 13): a run's theory (training/theoryJob.ts: several n×n eigendecompositions,
 * seconds at n = 1000) computed beside the GD steps instead of between them. Started per run by the engine
 * worker with {@link TheoryThreadData}; it takes one job message, answers with the result (its large arrays
 * transferred, not copied) or the error, and is then ended by the engine worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installFloat64Gemm, installSymvThreads } from './linalg';
import { loadSyncFloat64Gemm } from './backends/float64Matmul';
import { lowerThreadPriority, spawnHelperThread } from './backends/threads';
import { computeTheory, type TheoryJobInput, type TheoryJobOutput, type TheoryThreadReply } from './training/theoryJob';
import type { TheoryThreadData } from './threadScripts';
import { installNativeGuard } from './nativeGuard';

/**
 * The theory thread's nice value (Linux; 0 is the default, 19 the lowest priority). At 10 the n = 1000 run of
 * `npm run bench` was no faster than at 5, but its theory (and the tracked records held for it) came up to 2 s
 * later; at 5 the whole run took 0.2–0.5 s less than at 0 in 6 of 6 alternating pairs, the theory as early.
 */
const THEORY_NICE = 5;

const port = parentPort;
if (!port) throw new Error('engine/theoryThread.ts must run in a worker thread');
const { threads, abort, guard } = workerData as TheoryThreadData;
// Its onnxruntime calls count in the engine worker's guard: the host terminates the worker (and this thread
// with it) only while no thread of it is inside one (engine/nativeGuard.ts).
installNativeGuard(guard ?? null);
const abortFlag = abort !== undefined ? new Int32Array(abort) : null;
/** Set by the engine worker when the run ends first: the theory stops at its eigensolvers' next check. */
const signal = {
  get aborted(): boolean {
    return abortFlag !== null && Atomics.load(abortFlag, 0) !== 0;
  },
};
// The GD steps beside it are the run's critical path (its records are held until the theory comes, not the
// steps): where the cores are shared, the theory takes what the steps leave (its helper threads inherit this).
lowerThreadPriority(THEORY_NICE);
installSymvThreads(spawnHelperThread, threads);
// The eigenvectors' divide-and-conquer merges multiply in onnxruntime, on this thread alone (loaded at the first
// decomposition that wants them; without onnxruntime the eigensolver keeps implicit QL). A thread terminated
// inside an onnxruntime call takes the process down, so the engine worker calls a job off through `abort` and
// waits for its answer before it reports its run's end (after which the host may terminate it, and this thread
// with it).
installFloat64Gemm(() => loadSyncFloat64Gemm(1));

/** The buffers of the result that can move instead of being copied. */
function transferables(out: TheoryJobOutput): ArrayBuffer[] {
  if (out.linear === null) return [];
  const bufs = [out.linear.values.buffer, out.linear.vectors.buffer, out.linear.coefficients.buffer, out.linear.E0.buffer];
  return [...new Set(bufs)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

port.once('message', (job: TheoryJobInput) => {
  let reply: TheoryThreadReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = computeTheory(job, signal);
    reply = { ok: true, out };
    transfer = transferables(out);
  } catch (e) {
    reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});
