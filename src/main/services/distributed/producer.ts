/**
 * The producer of a distributed sweep: puts cells on the shared BullMQ queue (job id `<sweepId>.<cellId>`,
 * bounded attempts), collects the results workers send back and writes each as a normal run folder,
 * idempotently ({@link writeCellResult}).
 *
 * - {@link DistributedProducer}: submit a cell, get its outcome once its folder is written (or it failed for
 *   good). {@link redisExecutor} wraps it as the sweep runner's `CellExecutor`, so the runner (state file,
 *   resume, progress, ETA) drives a sweep on Redis exactly as on this machine.
 * - {@link runDistributedSweep}: the whole sweep into one folder, `<outDir>/<cellId>/` per cell.
 *
 * The producer's folders are the truth: a cell is done when its run folder exists. Redis may lose its data
 * (a restart without persistence); whenever the producer reconnects, or sees another Redis server run id,
 * it adds every cell not done again — a job that still exists is left as it is (same id), so nothing is
 * lost. While Redis is unreachable the producer says so once, naming the URL with its credentials
 * redacted, waits, and continues when it returns.
 */
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmq, ioredis } from './libraries';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../shared/config/schema';
import { completedCell, type CellExecutor, type CellOutcome, type CellWork } from '../sweeps/executor';
import { connectionOptions, redactSecrets, type RedisTarget } from './redisUrl';
import { cellProgressSchema, cellResultSchema, jobIdOf, QUEUE_NAME, type CellJob, type WorkerPresence } from './protocol';
import { removeIncoming, writeCellResult } from './resultStore';
import { listWorkers } from './presence';
import { ownVersions, versionMismatch, type Versions } from './version';

/** What the producer reports while it runs (the CLI prints these on stderr, the UI shows them). */
export type DistributedEvent =
  | { type: 'paused'; message: string }
  | { type: 'resumed'; message: string }
  | { type: 'cell-progress'; cellId: string; index: number; step: number; steps: number; loss: number | null; worker: string }
  | { type: 'cell-done'; cellId: string; index: number; status: string; worker: string; runDir: string }
  | { type: 'duplicate'; cellId: string; worker: string }
  | { type: 'cell-failed'; cellId: string; index: number; error: string; attempts: number }
  | { type: 'workers'; workers: WorkerPresence[] }
  | { type: 'refused'; worker: string; message: string };

export interface ProducerOptions {
  redis: RedisTarget;
  /** the sweep's id on the queue (letters, digits, _ and -) */
  sweepId: string;
  /** tries per cell before it is reported failed (default 3) */
  attempts?: number;
  /** pause between tries (default 1000 ms) */
  backoffMs?: number;
  /** also bring the checkpoints back (default false) */
  withCheckpoints?: boolean;
  /** how often finished jobs are collected (default 300 ms) */
  pollMs?: number;
  onEvent?: (e: DistributedEvent) => void;
  /** the versions stamped on the jobs (tests of the handshake; default this build's) */
  versions?: Versions;
}

/** A cell handed to the producer. */
export interface SubmittedCell {
  id: string;
  index: number;
  point: Record<string, unknown>;
  work: CellWork;
}

interface Pending {
  cell: SubmittedCell;
  runDir: string;
  resolve: (o: CellOutcome) => void;
}

const NO_METRICS = { lastStep: null, initialLoss: null, finalLoss: null, lossRatio: null, backend: null, dtype: null };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The default sweep id: stable for one output folder on one host, so a restarted producer finds its jobs. */
export function defaultSweepId(outDir: string): string {
  return (
    's-' +
    createHash('sha256')
      .update(`${os.hostname()}\0${path.resolve(outDir)}`)
      .digest('hex')
      .slice(0, 12)
  );
}

/** Submits cells to the queue and brings their results back as run folders (see the module doc). */
export class DistributedProducer {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** our own client: outage watch, the server's run id, presence; commands fail fast while disconnected */
  private readonly redis: Redis;
  private readonly pending = new Map<string, Pending>();
  private readonly versions: Versions;
  private readonly emit: (e: DistributedEvent) => void;
  private loop: Promise<void> | null = null;
  private closed = false;
  private paused = false;
  private everReady = false;
  private lastError = '';
  private needReconcile = true;
  private lastRunId = '';
  private lastWorkers = '';
  private lastPresence = 0;
  private readonly refusedSeen = new Set<string>();
  private readonly startedAt = Date.now();
  private loopError: unknown = null;
  /** cells written, and results discarded because their cell's folder was already there */
  done = 0;
  duplicates = 0;

  constructor(private readonly opts: ProducerOptions) {
    this.versions = opts.versions ?? ownVersions();
    this.emit = opts.onEvent ?? (() => undefined);
    const conn = connectionOptions(opts.redis);
    const { Queue, QueueEvents } = bullmq();
    this.queue = new Queue(QUEUE_NAME, { connection: conn });
    this.events = new QueueEvents(QUEUE_NAME, { connection: conn });
    this.redis = new (ioredis().Redis)({ ...(conn as object), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const swallow = (): void => undefined; // connection trouble is reported once, by the outage watch
    this.queue.on('error', swallow);
    this.events.on('error', swallow);
    this.redis.on('error', (e: Error) => {
      this.lastError = redactSecrets(e.message, opts.redis);
    });
    this.redis.on('close', () => this.onDown());
    this.redis.on('reconnecting', () => this.onDown());
    this.redis.on('ready', () => {
      this.needReconcile = true;
      this.everReady = true;
      if (this.paused) {
        this.paused = false;
        this.emit({ type: 'resumed', message: `Redis at ${opts.redis.display} is reachable again: the sweep continues` });
      }
    });
    this.events.on('progress', ({ jobId, data }) => {
      if (!jobId.startsWith(`${opts.sweepId}.`)) return;
      const p = this.pending.get(jobId.slice(opts.sweepId.length + 1).split('.')[0]!);
      const d = cellProgressSchema.safeParse(data);
      if (!p || !d.success) return;
      this.emit({
        type: 'cell-progress',
        cellId: p.cell.id,
        index: p.cell.index,
        step: d.data.step,
        steps: d.data.steps,
        loss: d.data.loss,
        worker: d.data.worker.id,
      });
    });
  }

  /**
   * Queues a cell and resolves once its result is written to `runDir` (which must not exist), or with a
   * failed outcome after its last attempt, or `stopped` when `signal` aborts (its job is removed if no
   * worker holds it).
   */
  submit(cell: SubmittedCell, runDir: string, signal?: AbortSignal): Promise<CellOutcome> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    mkdirSync(path.dirname(runDir), { recursive: true });
    return new Promise<CellOutcome>((resolve) => {
      const entry: Pending = { cell, runDir, resolve };
      this.pending.set(cell.id, entry);
      this.needReconcile = true;
      signal?.addEventListener(
        'abort',
        () => {
          if (this.pending.get(cell.id) !== entry) return;
          this.pending.delete(cell.id);
          void this.queue.remove(jobIdOf(this.opts.sweepId, cell.id)).catch(() => undefined);
          resolve({ status: 'stopped', reason: 'cancelled', metrics: NO_METRICS });
        },
        { once: true },
      );
      this.loop ??= this.run();
    });
  }

  /**
   * Stops collecting (cells still waiting end as `stopped`, their jobs removed where no worker holds them),
   * takes this sweep's late duplicates off the queue, and closes the connections.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) {
      p.resolve({ status: 'stopped', reason: 'the producer was closed', metrics: NO_METRICS });
      if (this.redis.status === 'ready') await this.queue.remove(jobIdOf(this.opts.sweepId, p.cell.id)).catch(() => undefined);
    }
    await this.loop;
    if (this.redis.status === 'ready') await this.collect().catch(() => undefined);
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
    if (this.loopError) throw this.loopError instanceof Error ? this.loopError : new Error(String(this.loopError));
  }

  private onDown(): void {
    if (this.paused || this.pending.size === 0 || this.closed) return;
    this.paused = true;
    this.emit({
      type: 'paused',
      message: `Redis at ${this.opts.redis.display} is unreachable${this.lastError ? ` (${this.lastError})` : ''}: the sweep is paused with ${this.done} cells done and ${this.pending.size} to go, and continues when Redis is back`,
    });
  }

  private jobData(c: SubmittedCell): CellJob {
    const work =
      c.work.kind === 'train'
        ? { kind: 'train' as const, config: c.work.config as unknown as Record<string, unknown> }
        : { kind: 'task' as const, task: c.work.task, args: c.work.args };
    return {
      schemaVersion: 1,
      sweepId: this.opts.sweepId,
      cellId: c.id,
      index: c.index,
      point: c.point,
      work,
      appVersion: this.versions.appVersion,
      engineVersion: this.versions.engineVersion,
      withCheckpoints: this.opts.withCheckpoints ?? false,
    };
  }

  /** Adds every pending cell again; BullMQ leaves a job whose id exists as it is. */
  private async reconcile(): Promise<void> {
    const cells = [...this.pending.values()].map((p) => p.cell);
    for (let i = 0; i < cells.length; i += 500) {
      await this.queue.addBulk(
        cells.slice(i, i + 500).map((c) => ({
          name: 'cell',
          data: this.jobData(c),
          opts: {
            jobId: jobIdOf(this.opts.sweepId, c.id),
            attempts: this.opts.attempts ?? 3,
            backoff: { type: 'fixed', delay: this.opts.backoffMs ?? 1000 },
            removeOnComplete: false,
            removeOnFail: false,
          },
        })),
      );
    }
  }

  private ours(job: Job | undefined): job is Job {
    return !!job && (job.data as { sweepId?: unknown } | null)?.sweepId === this.opts.sweepId;
  }

  /** Takes the finished and failed jobs of this sweep off the queue, writing results. */
  private async collect(): Promise<void> {
    for (let start = 0; ;) {
      const page = await this.queue.getJobs(['completed'], start, start + 49, true);
      const jobs = page.filter((j) => this.ours(j));
      if (page.length === 0) break;
      for (const job of jobs) {
        this.take(job);
        await job.remove().catch(() => undefined);
      }
      start += page.length - jobs.length; // our jobs are gone; the others stay where they were
      if (page.length < 50) break;
    }
    for (let start = 0; ;) {
      const page = await this.queue.getJobs(['failed'], start, start + 49, true);
      const jobs = page.filter((j) => this.ours(j));
      if (page.length === 0) break;
      for (const job of jobs) {
        const p = this.pending.get(String((job.data as { cellId?: unknown }).cellId));
        if (p) {
          this.pending.delete(p.cell.id);
          const error = redactSecrets(job.failedReason || 'failed', this.opts.redis);
          this.emit({ type: 'cell-failed', cellId: p.cell.id, index: p.cell.index, error, attempts: job.attemptsMade });
          p.resolve({
            status: 'failed',
            reason: `failed on the workers after ${job.attemptsMade} attempt(s): ${error}`,
            errorCode: 'worker-failed',
            metrics: NO_METRICS,
          });
        }
        await job.remove().catch(() => undefined);
      }
      start += page.length - jobs.length;
      if (page.length < 50) break;
    }
  }

  /** Writes one completed job's result (or counts it as a duplicate). */
  private take(job: Job): void {
    const r = cellResultSchema.safeParse(job.returnvalue);
    const cellId = r.success ? r.data.cellId : String((job.data as { cellId?: unknown }).cellId);
    const p = this.pending.get(cellId);
    if (!r.success) {
      if (p) {
        this.pending.delete(cellId);
        const error = `the worker's result is malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`;
        this.emit({ type: 'cell-failed', cellId, index: p.cell.index, error, attempts: job.attemptsMade });
        p.resolve({ status: 'failed', reason: error, errorCode: 'invalid-data', metrics: NO_METRICS });
      }
      return;
    }
    const res = r.data;
    if (!p) {
      // a cell this producer has already written (or no longer waits for): a duplicate delivery
      this.duplicates++;
      this.emit({ type: 'duplicate', cellId, worker: res.worker.id });
      return;
    }
    let what;
    try {
      what = writeCellResult(p.runDir, res.files);
    } catch (e) {
      this.pending.delete(cellId);
      const error = e instanceof Error ? e.message : String(e);
      this.emit({ type: 'cell-failed', cellId, index: p.cell.index, error, attempts: job.attemptsMade });
      p.resolve({ status: 'failed', reason: error, errorCode: 'io-error', metrics: NO_METRICS });
      return;
    }
    this.pending.delete(cellId);
    if (what === 'duplicate') {
      this.duplicates++;
      this.emit({ type: 'duplicate', cellId, worker: res.worker.id });
    } else {
      this.done++;
      this.emit({ type: 'cell-done', cellId, index: p.cell.index, status: res.status, worker: res.worker.id, runDir: p.runDir });
    }
    p.resolve({ status: res.status, reason: res.reason, ...(res.errorCode ? { errorCode: res.errorCode } : {}), metrics: res.metrics });
  }

  private async watchWorkers(): Promise<void> {
    const workers = await listWorkers(this.redis);
    const key = JSON.stringify(workers.map((w) => ({ ...w, updatedAt: '' })));
    if (key !== this.lastWorkers) {
      this.lastWorkers = key;
      this.emit({ type: 'workers', workers });
    }
    for (const w of workers) {
      const mismatch = w.refused ?? versionMismatch(w, this.versions);
      if (mismatch && !this.refusedSeen.has(w.id)) {
        this.refusedSeen.add(w.id);
        this.emit({ type: 'refused', worker: `${w.host} (pid ${w.pid})`, message: mismatch });
      }
    }
  }

  /** The collecting loop: runs while cells are pending. */
  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 300;
    try {
      while (!this.closed || this.pending.size > 0) {
        if (this.pending.size === 0) {
          if (this.closed) break;
          await sleep(pollMs);
          continue;
        }
        if (this.redis.status !== 'ready') {
          if (!this.everReady && Date.now() - this.startedAt > 1500) this.onDown();
          await sleep(pollMs);
          continue;
        }
        try {
          const info = await this.redis.info('server');
          const runId = /run_id:(\w+)/.exec(info)?.[1] ?? '';
          if (runId !== this.lastRunId) {
            this.lastRunId = runId;
            this.needReconcile = true;
          }
          if (this.needReconcile) {
            this.needReconcile = false;
            await this.reconcile();
          }
          await this.collect();
          if (Date.now() - this.lastPresence > 1000) {
            this.lastPresence = Date.now();
            await this.watchWorkers();
          }
        } catch (e) {
          // An outage mid-tick: the connection watch reports it; reconcile once Redis is back.
          this.lastError = redactSecrets(e instanceof Error ? e.message : String(e), this.opts.redis);
          this.needReconcile = true;
          if (this.redis.status === 'ready' && !/connection|closed|ECONN|EPIPE|ETIMEDOUT|writeable|LOADING/i.test(this.lastError))
            throw new Error(this.lastError);
        }
        if (this.pending.size > 0) await sleep(pollMs);
      }
    } catch (e) {
      this.loopError = e;
      for (const p of this.pending.values())
        p.resolve({ status: 'failed', reason: `the producer stopped: ${this.lastError}`, errorCode: 'internal', metrics: NO_METRICS });
      this.pending.clear();
    } finally {
      this.loop = null;
    }
  }
}

/**
 * The sweep runner's executor for Redis: each cell is queued for the workers and its run folder written
 * here when its result comes back. Run it with `jobs` = the number of cells (the workers bound the work);
 * pass the runner's `cells` so that events name each cell's index.
 */
export function redisExecutor(
  opts: ProducerOptions & { cells?: readonly { id: string; index: number; point: Record<string, unknown> }[] },
): CellExecutor & { producer: DistributedProducer } {
  const producer = new DistributedProducer(opts);
  // the runner's requests carry no index or point: look them up (for events and the jobs' data)
  const known = new Map((opts.cells ?? []).map((c) => [c.id, c]));
  return {
    producer,
    run: (req) =>
      producer.submit({ id: req.id, index: known.get(req.id)?.index ?? 0, point: known.get(req.id)?.point ?? {}, work: req.work }, req.runDir, req.signal),
    completed: (runDir, work) => completedCell(runDir, work),
    dispose: () => producer.close(),
  };
}

/** One cell of {@link runDistributedSweep}. */
export interface DistributedCell {
  cellId: string;
  index: number;
  config: Config;
  point: Record<string, unknown>;
}

export interface DistributedSweepOptions extends Omit<ProducerOptions, 'sweepId'> {
  cells: DistributedCell[];
  /** the folder the cells' run folders go to, `<outDir>/<cellId>/` (created) */
  outDir: string;
  /** default: {@link defaultSweepId} of outDir */
  sweepId?: string;
  signal?: AbortSignal;
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

/**
 * Runs every cell whose folder is not complete yet on the queue's workers; resolves when each is done or
 * failed for good (or on abort). A folder left incomplete by an earlier run is removed and redone.
 */
export async function runDistributedSweep(opts: DistributedSweepOptions): Promise<DistributedSweepResult> {
  const outDir = path.resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  removeIncoming(outDir);
  const sweepId = opts.sweepId ?? defaultSweepId(outDir);
  let alreadyDone = 0;
  const todo: DistributedCell[] = [];
  for (const c of opts.cells) {
    const dir = path.join(outDir, c.cellId);
    if (await completedCell(dir, { kind: 'train', config: c.config })) alreadyDone++;
    else {
      rmSync(dir, { recursive: true, force: true });
      todo.push(c);
    }
  }
  const producer = new DistributedProducer({ ...opts, sweepId });
  const failed: DistributedSweepResult['failed'] = [];
  let done = alreadyDone;
  try {
    const outcomes = await Promise.all(
      todo.map((c) =>
        producer
          .submit({ id: c.cellId, index: c.index, point: c.point, work: { kind: 'train', config: c.config } }, path.join(outDir, c.cellId), opts.signal)
          .then((o) => ({ c, o })),
      ),
    );
    for (const { c, o } of outcomes) {
      if (o.status === 'stopped') continue;
      if (o.status === 'failed' && o.errorCode !== 'run-diverged') failed.push({ cellId: c.cellId, index: c.index, error: o.reason });
      else done++;
    }
  } finally {
    await producer.close();
  }
  return { sweepId, total: opts.cells.length, done, alreadyDone, failed, duplicatesDiscarded: producer.duplicates, cancelled: opts.signal?.aborted ?? false };
}
