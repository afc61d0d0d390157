/**
 * The engine worker's thread aside (issue 13): a run's tracked steps hand it their traced NTK (in shared memory)
 * and go on meanwhile (training/trackedEigen.ts), and the run's theory (training/theoryJob.ts) is computed here
 * too, between them, beside the GD steps. Started by the engine worker for its first run that uses it, with
 * {@link EigenThreadData}, and kept for its later runs; it says 'ready' once loaded, then answers each job with
 * its reply, in order, until the engine worker ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trackedEigenReply, type TrackedEigenJob, type WarmState } from './training/trackedEigen';
import type { TheoryThreadReply } from './training/theoryJob';
import { lowerThreadPriority, THEORY_NICE } from './backends/threads';
import { installFloat64Gemm, warmUpEigensolvers } from './linalg';
import { loadSyncFloat64Gemm } from './backends/float64Matmul';
import { installNativeGuard } from './nativeGuard';
import { isTheoryAsideJob, type EigenThreadData, type TheoryAsideJob } from './threadScripts';

const port = parentPort;
if (!port) throw new Error('engine/eigenThread.ts must run in a worker thread');
// The Cholesky factor of the smallest eigenvalues' shift-invert solve multiplies in onnxruntime (as the engine
// worker's and the theory thread's do), on this thread alone: its calls count in the engine worker's guard, so
// that the host terminates the worker (and this thread with it) only while no thread of it is inside one.
const { guard } = (workerData ?? {}) as Partial<EigenThreadData>;
installNativeGuard(guard ?? null);
installFloat64Gemm(() => loadSyncFloat64Gemm(1));
/** The warm state the last tracked step's job left (a job with `fromPrevious` starts from it). */
const chain: { state: WarmState } = { state: {} };
/**
 * A theory job: its modules are loaded at the first one (after step 0's record), not while the run is set up beside
 * this thread's start (they delayed step 0's record by ~60 ms there).
 */
async function answerTheory(job: TheoryAsideJob): Promise<void> {
  // A theory takes what the GD steps leave (the run's records wait for it, not its steps): from the first one on,
  // this thread runs at the theory's priority (a thread cannot take a higher one back; later calls change nothing).
  lowerThreadPriority(THEORY_NICE);
  let answer: { reply: TheoryThreadReply; transfer: ArrayBuffer[] };
  try {
    const { flagSignal, theoryReply } = await import('./training/theoryJob');
    answer = theoryReply(job.theory, flagSignal(job.abort));
  } catch (e) {
    answer = { reply: { ok: false, message: e instanceof Error ? e.message : String(e) }, transfer: [] };
  }
  port!.postMessage(answer.reply, answer.transfer);
}
/** Every job is answered in order, a theory's after its modules are in. */
let answered: Promise<void> = Promise.resolve();
port.on('message', (job: TrackedEigenJob | TheoryAsideJob) => {
  answered = answered.then(() => (isTheoryAsideJob(job) ? answerTheory(job) : void port.postMessage(trackedEigenReply(job, chain))));
});
// Small solves through every path first (~0.1 s, while the run is set up): the kernels compiled and the code
// optimized, step 0's eigenvalues came ~100 ms sooner (their wait after the step's other diagnostics 220–270 →
// 130–160 ms at n = 1000).
warmUpEigensolvers();
port.postMessage('ready');
