/**
 * The producer of a distributed sweep: puts each cell not yet done on the shared BullMQ queue (job id
 * `<sweepId>.<cellId>`, bounded attempts), collects the results workers send back and writes each as a
 * normal run folder, idempotently ({@link writeCellResult}), until every cell is done or has failed for good.
 *
 * The producer's folder is the truth: a cell is done when its run folder exists. Redis may lose its data
 * (a restart without persistence); whenever the producer reconnects, or sees another Redis server run id,
 * it adds every cell that is not done again — a job that still exists is left as it is, so nothing is
 * lost and nothing runs twice on purpose. While Redis is unreachable the producer says so once, with the
 * URL (credentials redacted), waits, and continues when it returns.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../shared/config/schema';
import { connectionOptions, redactSecrets, type RedisTarget } from './redisUrl';
import { cellProgressSchema, cellResultSchema, jobIdOf, QUEUE_NAME, type CellJob, type WorkerPresence } from './protocol';
import { removeIncoming, writeCellResult } from './resultStore';
import { listWorkers } from './presence';
import { ownVersions, versionMismatch, type Versions } from './version';

/** One cell to compute. */
export interface DistributedCell {
  cellId: string;
  index: number;
  config: Config;
  point: Record<string, unknown>;
}

/** What the producer reports while it runs (the CLI prints these on stderr, the UI shows them). */
export type DistributedEvent =
  | { type: 'queued'; sweepId: string; total: number; pending: number; alreadyDone: number }
  | { type: 'paused'; message: string }
  | { type: 'resumed'; message: string }
  | { type: 'cell-progress'; cellId: string; index: number; step: number; steps: number; loss: number | null; worker: string }
  | { type: 'cell-done'; cellId: string; index: number; status: string; worker: string; runDir: string; done: number; total: number }
  | { type: 'duplicate'; cellId: string; worker: string }
  | { type: 'cell-failed'; cellId: string; index: number; error: string; attempts: number }
  | { type: 'workers'; workers: WorkerPresence[] }
  | { type: 'refused'; worker: string; message: string };

export interface DistributedSweepOptions {
  redis: RedisTarget;
  cells: DistributedCell[];
  /** the folder the cells' run folders go to (created) */
  outDir: string;
  /** a cell's run folder (default `outDir/<cellId>`) */
  cellDir?: (cell: DistributedCell) => string;
  /** default: a hash of this host and outDir, so a restarted producer finds its own jobs again */
  sweepId?: string;
  /** tries per cell before it is reported failed (default 3) */
  attempts?: number;
  /** pause between tries (default 1000 ms) */
  backoffMs?: number;
  /** also bring the checkpoints back (default false) */
  withCheckpoints?: boolean;
  /** how often finished jobs are collected (default 300 ms) */
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: DistributedEvent) => void;
  /** the versions stamped on the jobs (tests of the handshake; default this build's) */
  versions?: Versions;
}

export interface DistributedSweepResult {
  sweepId: string;
  total: number;
  /** cells whose run folder exists now (including those done before this call) */
  done: number;
  alreadyDone: number;
  failed: { cellId: string; index: number; error: string }[];
  /** results that arrived for a cell already written, and were discarded */
  duplicatesDiscarded: number;
  cancelled: boolean;
}

/** The default sweep id: stable for one output folder on one host. */
export function defaultSweepId(outDir: string): string {
  return 's-' + createHash('sha256').update(`${os.hostname()}\0${path.resolve(outDir)}`).digest('hex').slice(0, 12);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the cells on whatever workers serve the queue; resolves when each is done or failed for good. */
export async function runDistributedSweep(opts: DistributedSweepOptions): Promise<DistributedSweepResult> {
  const outDir = path.resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  removeIncoming(outDir);
  const sweepId = opts.sweepId ?? defaultSweepId(outDir);
  const versions = opts.versions ?? ownVersions();
  const emit = opts.onEvent ?? (() => undefined);
  const dirOf = opts.cellDir ?? ((c: DistributedCell) => path.join(outDir, c.cellId));
  const attempts = opts.attempts ?? 3;
  const byId = new Map(opts.cells.map((c) => [c.cellId, c]));
  const pending = new Map<string, DistributedCell>();
  for (const c of opts.cells) if (!existsSync(dirOf(c))) pending.set(c.cellId, c);
  for (const c of pending.values()) mkdirSync(path.dirname(dirOf(c)), { recursive: true });
  const alreadyDone = opts.cells.length - pending.size;
  const failed: DistributedSweepResult['failed'] = [];
  let duplicates = 0;
  emit({ type: 'queued', sweepId, total: opts.cells.length, pending: pending.size, alreadyDone });

  const conn = connectionOptions(opts.redis);
  const queue = new Queue(QUEUE_NAME, { connection: conn });
  const events = new QueueEvents(QUEUE_NAME, { connection: conn });
  // Our own client for the outage watch, the server id and presence: commands fail fast while disconnected.
  const redis = new Redis({ ...(conn as object), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const swallow = (): void => undefined;
  queue.on('error', swallow);
  events.on('error', swallow);

  let paused = false;
  let everReady = false;
  let lastError = '';
  let needReconcile = true;
  const pauseMessage = (): string => {
    const done = opts.cells.length - pending.size - failed.length;
    return `Redis at ${opts.redis.display} is unreachable${lastError ? ` (${lastError})` : ''}: the sweep is paused with ${done} of ${opts.cells.length} cells done and continues when Redis is back`;
  };
  redis.on('error', (e: Error) => {
    lastError = redactSecrets(e.message, opts.redis);
  });
  const onDown = (): void => {
    if (paused || pending.size === 0) return;
    paused = true;
    emit({ type: 'paused', message: pauseMessage() });
  };
  redis.on('close', onDown);
  redis.on('reconnecting', onDown);
  redis.on('ready', () => {
    needReconcile = true;
    if (paused) {
      paused = false;
      emit({ type: 'resumed', message: `Redis at ${opts.redis.display} is reachable again: the sweep continues` });
    }
    everReady = true;
  });
  events.on('progress', ({ jobId, data }) => {
    if (!jobId.startsWith(`${sweepId}.`)) return;
    const cell = byId.get(jobId.slice(sweepId.length + 1).split('.')[0]!);
    const p = cellProgressSchema.safeParse(data);
    if (!cell || !p.success || !pending.has(cell.cellId)) return;
    emit({ type: 'cell-progress', cellId: cell.cellId, index: cell.index, step: p.data.step, steps: p.data.steps, loss: p.data.loss, worker: p.data.worker.id });
  });

  const jobData = (c: DistributedCell): CellJob => ({
    schemaVersion: 1,
    sweepId,
    cellId: c.cellId,
    index: c.index,
    point: c.point,
    config: c.config as unknown as Record<string, unknown>,
    appVersion: versions.appVersion,
    engineVersion: versions.engineVersion,
    withCheckpoints: opts.withCheckpoints ?? false,
  });

  /** Adds every cell not done again; BullMQ leaves a job whose id exists as it is. */
  const reconcile = async (): Promise<void> => {
    const cells = [...pending.values()];
    for (let i = 0; i < cells.length; i += 500) {
      await queue.addBulk(
        cells.slice(i, i + 500).map((c) => ({
          name: 'cell',
          data: jobData(c),
          opts: { jobId: jobIdOf(sweepId, c.cellId), attempts, backoff: { type: 'fixed', delay: opts.backoffMs ?? 1000 }, removeOnComplete: false, removeOnFail: false },
        })),
      );
    }
  };

  const ours = (job: Job | undefined): job is Job => !!job && (job.data as { sweepId?: unknown } | null)?.sweepId === sweepId;

  /** Takes the finished and failed jobs of this sweep off the queue, writing results. */
  const collect = async (): Promise<void> => {
    for (let start = 0; ; start += 50) {
      const jobs = (await queue.getJobs(['completed'], start, start + 49, true)).filter(ours);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        const r = cellResultSchema.safeParse(job.returnvalue);
        const cell = r.success ? byId.get(r.data.cellId) : undefined;
        if (!r.success || !cell) {
          const c = byId.get(String((job.data as { cellId?: unknown }).cellId));
          if (c && pending.has(c.cellId)) {
            pending.delete(c.cellId);
            const error = `the result is malformed (${r.success ? 'unknown cell' : r.error.issues[0]?.message})`;
            failed.push({ cellId: c.cellId, index: c.index, error });
            emit({ type: 'cell-failed', cellId: c.cellId, index: c.index, error, attempts: job.attemptsMade });
          }
        } else {
          const runDir = dirOf(cell);
          const what = writeCellResult(runDir, r.data.files);
          if (what === 'written' && pending.delete(cell.cellId)) {
            emit({ type: 'cell-done', cellId: cell.cellId, index: cell.index, status: r.data.status, worker: r.data.worker.id, runDir, done: opts.cells.length - pending.size - failed.length, total: opts.cells.length });
          } else {
            pending.delete(cell.cellId);
            duplicates++;
            emit({ type: 'duplicate', cellId: cell.cellId, worker: r.data.worker.id });
          }
        }
        await job.remove().catch(() => undefined);
      }
      start -= jobs.length; // removed jobs shift the range
    }
    for (let start = 0; ; start += 50) {
      const jobs = (await queue.getJobs(['failed'], start, start + 49, true)).filter(ours);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        const c = byId.get(String((job.data as { cellId?: unknown }).cellId));
        if (c && pending.has(c.cellId)) {
          pending.delete(c.cellId);
          const error = redactSecrets(job.failedReason || 'failed', opts.redis);
          failed.push({ cellId: c.cellId, index: c.index, error });
          emit({ type: 'cell-failed', cellId: c.cellId, index: c.index, error, attempts: job.attemptsMade });
        }
        await job.remove().catch(() => undefined);
      }
      start -= jobs.length;
    }
  };

  let lastRunId = '';
  let lastWorkers = '';
  const refusedSeen = new Set<string>();
  let lastPresence = 0;
  const watchWorkers = async (): Promise<void> => {
    const workers = await listWorkers(redis);
    const key = JSON.stringify(workers.map((w) => ({ ...w, updatedAt: '' })));
    if (key !== lastWorkers) {
      lastWorkers = key;
      emit({ type: 'workers', workers });
    }
    for (const w of workers) {
      const mismatch = w.refused ?? versionMismatch(w, versions);
      if (mismatch && !refusedSeen.has(w.id)) {
        refusedSeen.add(w.id);
        emit({ type: 'refused', worker: `${w.host} (pid ${w.pid})`, message: mismatch });
      }
    }
  };

  let cancelled = false;
  const startedAt = Date.now();
  try {
    while (pending.size > 0) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      if (redis.status !== 'ready') {
        if (!everReady && Date.now() - startedAt > 1500) onDown();
        await sleep(opts.pollMs ?? 300);
        continue;
      }
      try {
        const info = await redis.info('server');
        const runId = /run_id:(\w+)/.exec(info)?.[1] ?? '';
        if (runId !== lastRunId) {
          lastRunId = runId;
          needReconcile = true;
        }
        if (needReconcile) {
          needReconcile = false;
          await reconcile();
        }
        await collect();
        if (Date.now() - lastPresence > 1000) {
          lastPresence = Date.now();
          await watchWorkers();
        }
      } catch (e) {
        // An outage mid-tick: the connection watch reports it; reconcile once Redis is back.
        lastError = redactSecrets(e instanceof Error ? e.message : String(e), opts.redis);
        needReconcile = true;
        if (redis.status === 'ready' && !/connection|closed|ECONN|EPIPE|ETIMEDOUT|Stream isn't writeable/i.test(lastError)) throw new Error(lastError);
      }
      if (pending.size > 0) await sleep(opts.pollMs ?? 300);
    }
    if (cancelled) {
      for (const c of pending.values()) await queue.remove(jobIdOf(sweepId, c.cellId)).catch(() => undefined);
    }
  } finally {
    await events.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
  return {
    sweepId,
    total: opts.cells.length,
    done: opts.cells.length - pending.size - failed.length,
    alreadyDone,
    failed,
    duplicatesDiscarded: duplicates,
    cancelled,
  };
}
