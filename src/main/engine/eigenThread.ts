/**
 * The tracked-eigenvalue thread (issue 13): a run's tracked steps hand it their traced NTK (in shared memory)
 * and compute their other diagnostics meanwhile (training/trackedEigen.ts). Started per run by the engine
 * worker with {@link EigenThreadData}; it says 'ready' once loaded, then answers each job with its reply, in
 * order, until the engine worker ends it. At the default priority: it runs while the GD steps wait for it.
 */
import { parentPort } from 'node:worker_threads';
import { trackedEigenReply, type TrackedEigenJob } from './training/trackedEigen';

const port = parentPort;
if (!port) throw new Error('engine/eigenThread.ts must run in a worker thread');
port.on('message', (job: TrackedEigenJob) => port.postMessage(trackedEigenReply(job)));
port.postMessage('ready');
