/**
 * `worker`: serve a distributed sweep's cells from Redis (BullMQ) on this machine until interrupted.
 * Exit codes: 0 after SIGINT/SIGTERM (running cells finish first; a second signal stops them), 2 for a bad
 * flag or URL, and 2 when it refuses a producer of another version (the message names both).
 */
import type { Command } from 'commander';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WorkbenchException } from '../../../shared/api/result';
import { resolveDataDir } from '../../services/dataDir';
import { parseRedisUrl, RedisUrlError } from '../../services/distributed/redisUrl';
import { DistributedWorker } from '../../services/distributed/worker';
import { errln, type CliState } from '../common';

function positiveInt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < 1)
    throw new WorkbenchException('invalid-request', `${flag}: expected an integer ≥ 1, got ${JSON.stringify(v)}`);
  return x;
}

/** Removes the scratch folders of workers that died (named by their process id) from an earlier start. */
function removeDeadScratch(root: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // alive: another worker's
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(path.join(root, e), { recursive: true, force: true });
  }
}

/** Registers `worker` on the program. */
export function register(p: Command, state: CliState): void {
  p.command('worker')
    .description('run sweep cells from a Redis queue (BullMQ) on this machine; results go back to the producer through Redis')
    .requiredOption('--redis <url>', 'redis://[user:password@]host[:port][/db] or rediss://… (TLS)')
    .option('--concurrency <n>', 'cells run at once (default 1)')
    .option('--data-dir <dir>', 'where the scratch run folders of running cells live (default: the data directory)')
    .option('--lock-duration <ms>', 'how long a cell of a worker that died stays locked before another worker takes it (default 30000)')
    .action(async (o: { redis: string; concurrency?: string; dataDir?: string; lockDuration?: string }) => {
      let target;
      try {
        target = parseRedisUrl(o.redis, '--redis');
      } catch (e) {
        if (e instanceof RedisUrlError) throw new WorkbenchException('invalid-request', e.message);
        throw e;
      }
      const concurrency = positiveInt('--concurrency', o.concurrency, 1);
      const lockDurationMs = positiveInt('--lock-duration', o.lockDuration, 30_000);
      const scratchRoot = path.join(resolveDataDir({ flag: o.dataDir }), 'worker-scratch');
      removeDeadScratch(scratchRoot);
      const scratchDir = path.join(scratchRoot, String(process.pid));
      let refusal: string | null = null;
      let signals = 0;
      let finish: (force: boolean) => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = (force) => void worker.close(force).then(resolve, resolve);
      });
      const worker = new DistributedWorker({
        redis: target,
        concurrency,
        lockDurationMs,
        scratchDir,
        log: errln,
        onRefused: (m) => {
          refusal = m;
          finish(false);
        },
      });
      const onSignal = (): void => {
        signals++;
        if (signals === 1) errln('worker: stopping after the running cells (send the signal again to stop them now)');
        finish(signals > 1);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await done;
      if (refusal !== null) {
        errln(`ntk-workbench worker: ${refusal}`);
        state.code = 2;
      }
    });
}
