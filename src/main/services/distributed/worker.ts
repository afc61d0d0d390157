/**
 * The worker of a distributed sweep (`ntk-workbench worker --redis URL`): a BullMQ worker on the shared
 * queue that runs each cell it takes into a scratch run folder, sends the folder's files back as the job's
 * return value, and deletes the scratch folder. A job of another app or engine version is put back for a
 * worker of that version and this worker stops, saying which versions differ. While it runs it keeps a
 * presence record in Redis (host, backend, dtype, throughput) that producers show.
 *
 * At-least-once: BullMQ holds a lock on each active job, renewed every lockDuration/2; a worker that dies
 * stops renewing, and after the lock expires another worker's stalled-job check puts the job back in the
 * queue. A cell that throws is retried (the job's `attempts`, set by the producer); a run that diverges is
 * a result like a finished one (its run folder says so), not a failure to retry.
 */
import { Worker, DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { promises as fsp, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { issuesToText, parseConfig, type Config } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import type { RunStatus } from '../../../shared/run/format';
import { trainToFolder } from '../batchTrain';
import { collectRunFiles } from './runFiles';
import { connectionOptions, redactSecrets, type RedisTarget } from './redisUrl';
import { cellJobSchema, presenceKey, QUEUE_NAME, type CellJob, type CellProgress, type CellResult, type WorkerPresence } from './protocol';
import { ownVersions, versionMismatch, type Versions } from './version';

/** How one cell ends, as a worker reports it. */
export interface CellRunOutcome {
  status: RunStatus;
  reason: string;
  lastStep: number;
  backend: string | null;
  dtype: string | null;
  /** set when the run failed: its error code and message */
  error?: { code: string; message: string };
}

/** Runs one cell's config into a run folder that does not exist yet (the sweep runner's executor fits). */
export interface CellRunner {
  run(
    config: Config,
    runDir: string,
    opts: { signal: AbortSignal; onProgress: (step: number, loss: number | null) => void; onMeta: (backend: string, dtype: string) => void },
  ): Promise<CellRunOutcome>;
  dispose?(): Promise<void>;
}

/** The default runner: the CLI's batch training (one engine worker per cell), with `threads` native threads. */
export function batchCellRunner(threads: number): CellRunner {
  return {
    async run(config, runDir, opts) {
      const res = await trainToFolder(config, runDir, {
        signal: opts.signal,
        threads,
        onMeta: (m) => opts.onMeta(m.backend, m.dtype),
        onProgress: (r) => opts.onProgress(r.step, r.loss),
      });
      return {
        status: res.outcome.status,
        reason: res.outcome.reason,
        lastStep: res.lastStep,
        backend: res.meta?.backend ?? null,
        dtype: res.meta?.dtype ?? null,
        ...(res.outcome.status === 'failed' ? { error: { code: res.outcome.error.code, message: res.outcome.error.message } } : {}),
      };
    },
  };
}

export interface DistributedWorkerOptions {
  redis: RedisTarget;
  /** cells run at once (default 1) */
  concurrency?: number;
  /** scratch folder for the run folders of cells in progress (created; each cell's is removed once sent) */
  scratchDir: string;
  runner?: CellRunner;
  /** BullMQ's lock duration in ms (default 30 000): how long a dead worker's cell waits before another takes it */
  lockDurationMs?: number;
  /** how often this worker looks for stalled jobs (default lockDuration / 2) */
  stalledIntervalMs?: number;
  /** presence refresh period (default 2000 ms; the record expires after 3 periods without refresh) */
  presenceMs?: number;
  /** the versions this worker claims (tests of the handshake; default this build's) */
  versions?: Versions;
  /** progress and log lines (stderr in the CLI); never holds credentials */
  log?: (line: string) => void;
  /** called once when the worker refuses a producer of another version (the CLI exits 2) */
  onRefused?: (message: string) => void;
}

/** A running distributed worker. */
export class DistributedWorker {
  readonly id: string;
  private readonly worker: Worker;
  private readonly presence: Redis;
  private readonly runner: CellRunner;
  private readonly versions: Versions;
  private readonly log: (line: string) => void;
  private readonly startedAt = new Date();
  private presenceTimer: NodeJS.Timeout | null = null;
  private active = 0;
  private cellsDone = 0;
  private cellsFailed = 0;
  private backend: string | null = null;
  private dtype: string | null = null;
  private recentSteps: { steps: number; ms: number }[] = [];
  private refused: string | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private lastConnError = '';

  constructor(private readonly opts: DistributedWorkerOptions) {
    this.id = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.versions = opts.versions ?? ownVersions();
    this.log = opts.log ?? (() => undefined);
    const concurrency = opts.concurrency ?? 1;
    this.runner = opts.runner ?? batchCellRunner(Math.max(1, Math.floor(os.availableParallelism() / concurrency)));
    mkdirSync(opts.scratchDir, { recursive: true });
    const lockDuration = opts.lockDurationMs ?? 30_000;
    this.worker = new Worker(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: connectionOptions(opts.redis),
      concurrency,
      lockDuration,
      stalledInterval: opts.stalledIntervalMs ?? Math.max(500, Math.floor(lockDuration / 2)),
      // a cell whose worker died twice is failed by BullMQ (and reported); the producer's attempts bound the rest
      maxStalledCount: 2,
      autorun: true,
    });
    this.worker.on('error', (e) => this.connectionTrouble(e));
    this.presence = new Redis({ ...(connectionOptions(opts.redis) as object), lazyConnect: false });
    this.presence.on('error', (e) => this.connectionTrouble(e));
    this.presence.on('ready', () => {
      if (this.lastConnError) this.log(`worker ${this.id}: Redis at ${opts.redis.display} is reachable again`);
      this.lastConnError = '';
      void this.publishPresence();
    });
    this.presenceTimer = setInterval(() => void this.publishPresence(), opts.presenceMs ?? 2000);
    this.log(`worker ${this.id} (${this.versions.appVersion}, engine ${this.versions.engineVersion}) waiting for cells on ${opts.redis.display}, concurrency ${concurrency}`);
  }

  /** Waits until BullMQ's worker is connected and listening. */
  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** This worker's presence record as it would publish it now. */
  presenceRecord(): WorkerPresence {
    const minutes = (Date.now() - this.startedAt.getTime()) / 60_000;
    const steps = this.recentSteps.reduce((a, r) => a + r.steps, 0);
    const ms = this.recentSteps.reduce((a, r) => a + r.ms, 0);
    return {
      id: this.id,
      host: os.hostname(),
      pid: process.pid,
      appVersion: this.versions.appVersion,
      engineVersion: this.versions.engineVersion,
      backend: this.backend,
      dtype: this.dtype,
      concurrency: this.opts.concurrency ?? 1,
      active: this.active,
      cellsDone: this.cellsDone,
      cellsFailed: this.cellsFailed,
      cellsPerMinute: this.cellsDone > 0 && minutes > 0 ? this.cellsDone / minutes : null,
      stepsPerSecond: ms > 0 ? (steps * 1000) / ms : null,
      startedAt: this.startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
      refused: this.refused,
    };
  }

  /** Stops taking cells, lets running ones finish (or stops them with `force`), and removes the presence record. */
  close(force = false): Promise<void> {
    if (this.closing) {
      // a second request with force stops the running cells too
      if (force) void this.worker.close(true).catch(() => undefined);
      return this.closing;
    }
    this.closing = this.doClose(force);
    return this.closing;
  }

  private async doClose(force: boolean): Promise<void> {
    this.closed = true;
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    await this.worker.close(force);
    try {
      // A refusal stays visible to producers until the record expires; otherwise the worker leaves the list now.
      if (this.refused) await this.presence.set(presenceKey(this.id), JSON.stringify(this.presenceRecord()), 'PX', 3 * (this.opts.presenceMs ?? 2000));
      else await this.presence.del(presenceKey(this.id));
    } catch {
      /* Redis may be gone: the record expires by itself */
    }
    this.presence.disconnect();
    await this.runner.dispose?.();
  }

  private connectionTrouble(e: unknown): void {
    const msg = redactSecrets(e instanceof Error ? e.message : String(e), this.opts.redis);
    if (msg === this.lastConnError) return;
    this.lastConnError = msg;
    this.log(`worker ${this.id}: Redis at ${this.opts.redis.display}: ${msg} (retrying)`);
  }

  private async publishPresence(): Promise<void> {
    if (this.closed || this.presence.status !== 'ready') return;
    const ttl = 3 * (this.opts.presenceMs ?? 2000);
    try {
      await this.presence.set(presenceKey(this.id), JSON.stringify(this.presenceRecord()), 'PX', ttl);
    } catch {
      /* reported by the connection's error handler; the next beat tries again */
    }
  }

  private async process(job: Job, token: string | undefined): Promise<CellResult> {
    const parsed = cellJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`job ${job.id}: not a cell of a sweep (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
    }
    const data: CellJob = parsed.data;
    const mismatch = versionMismatch(this.versions, data);
    if (mismatch) return this.refuse(job, token, mismatch);
    const cfg = parseConfig(data.config);
    if (!cfg.ok) throw new UnrecoverableError(`cell ${data.cellId}: invalid config:\n${issuesToText(cfg.issues)}`);
    const runDir = path.join(this.opts.scratchDir, `${data.cellId}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const me = { id: this.id, host: os.hostname() };
    const t0 = Date.now();
    this.active++;
    void this.publishPresence();
    this.log(`cell ${data.cellId} (#${data.index}) started`);
    const ac = new AbortController();
    let lastProgress = 0;
    try {
      let outcome: CellRunOutcome;
      try {
        outcome = await this.runner.run(cfg.config, runDir, {
          signal: ac.signal,
          onMeta: (backend, dtype) => {
            this.backend = backend;
            this.dtype = dtype;
          },
          onProgress: (step, loss) => {
            const now = Date.now();
            if (now - lastProgress < 500 && step < cfg.config.steps) return;
            lastProgress = now;
            const p: CellProgress = { step, steps: cfg.config.steps, loss: Number.isFinite(loss) ? loss : null, worker: me };
            job.updateProgress(p).catch(() => undefined);
          },
        });
      } catch (e) {
        // A run that cannot fit or whose config is refused fails the same way on every worker: no retry.
        if (e instanceof WorkbenchException && (e.code === 'too-large' || e.code === 'invalid-config')) throw new UnrecoverableError(e.message);
        throw e;
      }
      if (outcome.status === 'failed' && outcome.error?.code !== 'run-diverged') {
        throw new Error(`cell ${data.cellId}: ${outcome.error?.message ?? outcome.reason}`);
      }
      const files = await collectRunFiles(runDir, { withCheckpoints: data.withCheckpoints });
      const ms = Date.now() - t0;
      this.cellsDone++;
      this.recentSteps.push({ steps: outcome.lastStep, ms });
      if (this.recentSteps.length > 20) this.recentSteps.shift();
      this.log(`cell ${data.cellId} (#${data.index}) ${outcome.status} at step ${outcome.lastStep} in ${(ms / 1000).toFixed(1)} s`);
      return {
        schemaVersion: 1,
        sweepId: data.sweepId,
        cellId: data.cellId,
        status: outcome.status,
        reason: outcome.reason,
        lastStep: outcome.lastStep,
        backend: outcome.backend,
        dtype: outcome.dtype,
        worker: me,
        ms,
        files,
      };
    } catch (e) {
      this.cellsFailed++;
      this.log(`cell ${data.cellId} (#${data.index}) failed (attempt ${job.attemptsMade + 1}): ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    } finally {
      this.active--;
      await fsp.rm(runDir, { recursive: true, force: true }).catch(() => undefined);
      void this.publishPresence();
    }
  }

  /**
   * Puts a job of another version back (delayed a moment, no attempt counted) for a worker of that
   * version, records the refusal in the presence record, and stops this worker.
   */
  private async refuse(job: Job, token: string | undefined, message: string): Promise<never> {
    if (!this.refused) {
      this.refused = message;
      this.log(message);
      await this.publishPresence();
      this.opts.onRefused?.(message);
      // Stop taking jobs once this one is back in the queue (closing waits for the processor to return).
      setTimeout(() => void this.close(), 0);
    }
    await job.moveToDelayed(Date.now() + 1000, token);
    throw new DelayedError();
  }
}
