/**
 * The theory thread (issue 13): a run's theory (training/theoryJob.ts: several n×n eigendecompositions,
 * seconds at n = 1000) computed beside the GD steps instead of between them. Started per run by the engine
 * worker with {@link TheoryThreadData}; it takes one job message, answers with the result (its large arrays
 * transferred, not copied) or the error, and is then ended by the engine worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installFloat64Gemm, installSymvThreads } from './linalg';
import { loadSyncFloat64Gemm } from './backends/float64Matmul';
import { lowerThreadPriority, spawnHelperThread, THEORY_NICE } from './backends/threads';
import { flagSignal, theoryReply, type TheoryJobInput } from './training/theoryJob';
import type { TheoryThreadData } from './threadScripts';
import { installNativeGuard } from './nativeGuard';

const port = parentPort;
if (!port) throw new Error('engine/theoryThread.ts must run in a worker thread');
const { threads, abort, guard } = workerData as TheoryThreadData;
// Its onnxruntime calls count in the engine worker's guard: the host terminates the worker (and this thread
// with it) only while no thread of it is inside one (engine/nativeGuard.ts).
installNativeGuard(guard ?? null);
/** Set by the engine worker when the run ends first: the theory stops at its eigensolvers' next check. */
const signal = flagSignal(abort);
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

port.once('message', (job: TheoryJobInput) => {
  const { reply, transfer } = theoryReply(job, signal);
  port.postMessage(reply, transfer);
});
