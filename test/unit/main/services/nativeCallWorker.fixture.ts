/**
 * An engine worker stand-in for hardening.test.ts: it takes its native-call guard as the engine worker does
 * (engine/nativeGuard.ts) and answers a task by making "native calls" back to back (200 ms of busy JS each,
 * counted in the guard), logging `enter` and `leave` around each to the file named by NTK_NATIVE_FIXTURE_LOG.
 * A termination between the two would leave `enter` last in the log.
 */
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { installNativeGuard, nativeCall } from '../../../../src/main/engine/nativeGuard';
import type { HostToWorker } from '../../../../src/main/engine/protocol';

const log = process.env.NTK_NATIVE_FIXTURE_LOG!;
parentPort!.on('message', (msg: HostToWorker) => {
  if (msg.type === 'guard') installNativeGuard(msg.buffer);
  else if (msg.type === 'task') {
    try {
      for (;;) {
        nativeCall(() => {
          fs.appendFileSync(log, 'enter\n');
          const until = Date.now() + 200;
          while (Date.now() < until);
          fs.appendFileSync(log, 'leave\n');
        });
      }
    } catch (e) {
      fs.appendFileSync(log, `refused: ${(e as Error).message}\n`);
      parentPort!.postMessage({ type: 'task-result', id: msg.id, ok: false, error: { code: 'cancelled', message: (e as Error).message } });
    }
  }
});
