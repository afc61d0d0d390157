/**
 * `--redis URL` of `sweep` and `experiment`: the sweep runner's cells go to the workers on that Redis
 * (BullMQ) instead of this machine's engine, and what the producer reports is printed on stderr: connected
 * workers (host, backend, dtype, throughput), per-cell progress, pauses while Redis is away, refusals.
 */
import { WorkbenchException } from '../../shared/api/result';
import { MAX_SWEEP_CELLS } from '../../shared/sweeps/spec';
import { defaultSweepId, redisExecutor, type DistributedEvent } from '../services/distributed/producer';
import { describeWorker } from '../services/distributed/presence';
import { parseRedisUrl, RedisUrlError } from '../services/distributed/redisUrl';
import type { CellExecutor } from '../services/sweeps/executor';
import { errln, fmt } from './common';

/** Cells in flight with --redis: every cell (the workers bound the work). */
export const REDIS_JOBS = MAX_SWEEP_CELLS;

/** The executor for `--redis URL` (a bad URL is invalid-request naming the flag); events go to stderr. */
export function cliRedisExecutor(url: string, outDir: string, cells?: readonly { id: string; index: number; point: Record<string, unknown> }[]): CellExecutor {
  let redis;
  try {
    redis = parseRedisUrl(url, '--redis');
  } catch (e) {
    if (e instanceof RedisUrlError) throw new WorkbenchException('invalid-request', e.message);
    throw e;
  }
  errln(`cells go to the workers on ${redis.display} (start them with: ntk-workbench worker --redis URL)`);
  return redisExecutor({ redis, sweepId: defaultSweepId(outDir), ...(cells ? { cells } : {}), onEvent: eventPrinter() });
}

/** Prints producer events on stderr: membership changes at once, figures and progress at most every few seconds. */
export function eventPrinter(): (e: DistributedEvent) => void {
  let lastIds = '';
  let lastWorkersAt = 0;
  const lastCell = new Map<string, number>();
  return (e) => {
    const now = Date.now();
    switch (e.type) {
      case 'workers': {
        const ids = e.workers.map((w) => w.id).join(',');
        if (ids === lastIds && now - lastWorkersAt < 10_000) return;
        lastIds = ids;
        lastWorkersAt = now;
        errln(`workers: ${e.workers.length} connected`);
        for (const w of e.workers) errln(`  ${describeWorker(w)}`);
        return;
      }
      case 'cell-progress': {
        if (now - (lastCell.get(e.cellId) ?? 0) < 2000 && e.step < e.steps) return;
        lastCell.set(e.cellId, now);
        errln(`cell ${e.cellId} (#${e.index}) step ${e.step}/${e.steps} loss ${fmt(e.loss)} on ${e.worker}`);
        return;
      }
      case 'cell-done':
        lastCell.delete(e.cellId);
        errln(`cell ${e.cellId} (#${e.index}) ${e.status} on ${e.worker}`);
        return;
      case 'cell-failed':
        errln(`cell ${e.cellId} (#${e.index}) failed after ${e.attempts} attempt(s): ${e.error}`);
        return;
      case 'duplicate':
        errln(`cell ${e.cellId}: a second result (from ${e.worker}) was discarded; the cell's folder is kept as first written`);
        return;
      case 'refused':
        errln(`worker ${e.worker} refused: ${e.message}`);
        return;
      case 'paused':
      case 'resumed':
        errln(e.message);
        return;
    }
  };
}
