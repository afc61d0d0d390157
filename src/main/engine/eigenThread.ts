/**
 * The tracked-eigenvalue thread (issue 13): a run's tracked steps hand it their traced NTK (in shared memory)
 * and compute their other diagnostics meanwhile (training/trackedEigen.ts). Started by the engine worker for
 * its first run that uses it, with {@link EigenThreadData}, and kept for its later runs; it says 'ready' once
 * loaded, then answers each job with its reply, in order, until the engine worker ends. At the default priority: it runs while the GD steps wait for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trackedEigenReply, type TrackedEigenJob } from './training/trackedEigen';
import { installFloat64Gemm, warmUpEigensolvers } from './linalg';
import { loadSyncFloat64Gemm } from './backends/float64Matmul';
import { installNativeGuard } from './nativeGuard';
import type { EigenThreadData } from './threadScripts';

const port = parentPort;
if (!port) throw new Error('engine/eigenThread.ts must run in a worker thread');
// The Cholesky factor of the smallest eigenvalues' shift-invert solve multiplies in onnxruntime (as the engine
// worker's and the theory thread's do), on this thread alone: its calls count in the engine worker's guard, so
// that the host terminates the worker (and this thread with it) only while no thread of it is inside one.
const { guard } = (workerData ?? {}) as Partial<EigenThreadData>;
installNativeGuard(guard ?? null);
installFloat64Gemm(() => loadSyncFloat64Gemm(1));
port.on('message', (job: TrackedEigenJob) => port.postMessage(trackedEigenReply(job)));
// Small solves through every path first (~0.1 s, while the run is set up): the kernels compiled and the code
// optimized, step 0's eigenvalues came ~100 ms sooner (their wait after the step's other diagnostics 220–270 →
// 130–160 ms at n = 1000).
warmUpEigensolvers();
port.postMessage('ready');
