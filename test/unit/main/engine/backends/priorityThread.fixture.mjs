// A thread that lowers its own priority with lowerThreadPriority (backends/threads.ts) and reports what it sees.
import { register } from 'tsx/esm/api';
import { parentPort } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';

register();
const { lowerThreadPriority } = await import('../../../../../src/main/engine/backends/threads.ts');
parentPort.once('message', () => {
  const tid = Number(readlinkSync('/proc/thread-self').split('/')[2]);
  const lowered = lowerThreadPriority(10);
  const raised = lowerThreadPriority(5);
  parentPort.postMessage({ lowered, raised, thread: getPriority(tid), process: getPriority(process.pid) });
});
