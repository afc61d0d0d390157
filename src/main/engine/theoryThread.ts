/**
 * The theory thread (issue 13): a run's theory (training/theoryJob.ts: several n×n eigendecompositions,
 * seconds at n = 1000) computed beside the GD steps instead of between them. Started per run by the engine
 * worker with {@link TheoryThreadData}; it takes one job message, answers with the result (its large arrays
 * transferred, not copied) or the error, and is then ended by the engine worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installSymvThreads } from './linalg';
import { spawnHelperThread } from './backends/threads';
import { computeTheory, type TheoryJobInput, type TheoryJobOutput, type TheoryThreadReply } from './training/theoryJob';
import type { TheoryThreadData } from './threadScripts';

const port = parentPort;
if (!port) throw new Error('engine/theoryThread.ts must run in a worker thread');
const { threads } = workerData as TheoryThreadData;
installSymvThreads(spawnHelperThread, threads);

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
    const out = computeTheory(job);
    reply = { ok: true, out };
    transfer = transferables(out);
  } catch (e) {
    reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});
