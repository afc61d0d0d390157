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
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmq, ioredis } from './libraries';
import { promises as fsp, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { issuesToText, parseConfig } from '../../../shared/config/schema';
import type { EngineTask } from '../../engine/protocol';
import { localExecutor, type CellExecutor, type CellOutcome, type CellWork } from '../sweeps/executor';
import { collectRunFiles } from './runFiles';
import { connectionOptions, redactSecrets, type RedisTarget } from './redisUrl';
import { cellJobSchema, presenceKey, QUEUE_NAME, type CellJob, type CellProgress, type CellResult, type WorkerPresence } from './protocol';
import { ownVersions, versionMismatch, type Versions } from './version';

export interface DistributedWorkerOptions {
  redis: RedisTarget;
  /** cells run at once (default 1) */
  concurrency?: number;
  /** scratch folder for the run folders of cells in progress (created; each cell's is removed once sent, the folder on close) */
  scratchDir: string;
  /** runs the cells (default: the sweep runner's local executor, one kept engine worker per slot) */
  executor?: CellExecutor;
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
  private readonly executor: CellExecutor;
  /** job slots not in use (the executor keeps one engine worker per slot) */
  private readonly freeSlots: number[];
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
    this.executor = opts.executor ?? localExecutor({ threads: Math.max(1, Math.floor(os.availableParallelism() / concurrency)) });
    this.freeSlots = Array.from({ length: concurrency }, (_, k) => concurrency - 1 - k);
    mkdirSync(opts.scratchDir, { recursive: true });
    const lockDuration = opts.lockDurationMs ?? 30_000;
    this.worker = new (bullmq().Worker)(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: connectionOptions(opts.redis),
      concurrency,
      lockDuration,
      stalledInterval: opts.stalledIntervalMs ?? Math.max(500, Math.floor(lockDuration / 2)),
      // a cell whose worker died twice is failed by BullMQ (and reported); the producer's attempts bound the rest
      maxStalledCount: 2,
      autorun: true,
    });
    this.worker.on('error', (e) => this.connectionTrouble(e));
    this.presence = new (ioredis().Redis)({ ...(connectionOptions(opts.redis) as object), lazyConnect: false });
    this.presence.on('error', (e) => this.connectionTrouble(e));
    this.presence.on('ready', () => {
      if (this.lastConnError) this.log(`worker ${this.id}: Redis at ${opts.redis.display} is reachable again`);
      this.lastConnError = '';
      void this.publishPresence();
    });
    this.presenceTimer = setInterval(() => void this.publishPresence(), opts.presenceMs ?? 2000);
    this.log(
      `worker ${this.id} (${this.versions.appVersion}, engine ${this.versions.engineVersion}) waiting for cells on ${opts.redis.display}, concurrency ${concurrency}`,
    );
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
    await this.executor.dispose();
    await fsp.rm(this.opts.scratchDir, { recursive: true, force: true }).catch(() => undefined);
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
      throw new (bullmq().UnrecoverableError)(
        `job ${job.id}: not a cell of a sweep (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
      );
    }
    const data: CellJob = parsed.data;
    const mismatch = versionMismatch(this.versions, data);
    if (mismatch) return this.refuse(job, token, mismatch);
    let work: CellWork;
    let steps: number | null = null;
    if (data.work.kind === 'train') {
      const cfg = parseConfig(data.work.config);
      if (!cfg.ok) throw new (bullmq().UnrecoverableError)(`cell ${data.cellId}: invalid config:\n${issuesToText(cfg.issues)}`);
      work = { kind: 'train', config: cfg.config };
      steps = cfg.config.steps;
    } else {
      work = { kind: 'task', task: data.work.task as EngineTask, args: data.work.args };
    }
    const runDir = path.join(this.opts.scratchDir, `${data.cellId}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const me = { id: this.id, host: os.hostname() };
    const t0 = Date.now();
    const slot = this.freeSlots.pop() ?? 0;
    this.active++;
    void this.publishPresence();
    this.log(`cell ${data.cellId} (#${data.index}) started`);
    const ac = new AbortController();
    // Per-cell progress from the run folder's newest record (the executor writes every record as it comes).
    let lastStep = -1;
    const progress =
      steps === null
        ? null
        : setInterval(() => {
            void newestRecord(runDir).then((r) => {
              if (!r || r.step === lastStep) return;
              lastStep = r.step;
              const p: CellProgress = { step: r.step, steps: steps!, loss: r.loss, worker: me };
              job.updateProgress(p).catch(() => undefined);
            });
          }, 500);
    try {
      const outcome: CellOutcome = await this.executor.run({ id: data.cellId, work, runDir, slot, signal: ac.signal });
      if (outcome.metrics.backend) {
        this.backend = outcome.metrics.backend;
        this.dtype = outcome.metrics.dtype;
      }
      if (outcome.status === 'failed' && (outcome.errorCode === 'too-large' || outcome.errorCode === 'invalid-config')) {
        // fails the same way on every worker: no retry
        throw new (bullmq().UnrecoverableError)(`cell ${data.cellId}: ${outcome.reason}`);
      }
      if (outcome.status !== 'finished' && !(outcome.status === 'failed' && outcome.errorCode === 'run-diverged')) {
        throw new Error(`cell ${data.cellId}: ${outcome.reason}`);
      }
      const files = await collectRunFiles(runDir, { withCheckpoints: data.withCheckpoints });
      const ms = Date.now() - t0;
      this.cellsDone++;
      if (outcome.metrics.lastStep !== null) {
        this.recentSteps.push({ steps: outcome.metrics.lastStep, ms });
        if (this.recentSteps.length > 20) this.recentSteps.shift();
      }
      this.log(
        `cell ${data.cellId} (#${data.index}) ${outcome.status}${outcome.metrics.lastStep !== null ? ` at step ${outcome.metrics.lastStep}` : ''} in ${(ms / 1000).toFixed(1)} s`,
      );
      return {
        schemaVersion: 1,
        sweepId: data.sweepId,
        cellId: data.cellId,
        status: outcome.status,
        reason: outcome.reason,
        ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
        metrics: outcome.metrics,
        worker: me,
        ms,
        files,
      };
    } catch (e) {
      this.cellsFailed++;
      this.log(`cell ${data.cellId} (#${data.index}) failed (attempt ${job.attemptsMade + 1}): ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    } finally {
      if (progress) clearInterval(progress);
      this.freeSlots.push(slot);
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
    throw new (bullmq().DelayedError)();
  }
}

/** The step and loss of the newest complete record in a run folder's metrics.ndjson (null before the first). */
async function newestRecord(runDir: string): Promise<{ step: number; loss: number | null } | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path.join(runDir, 'metrics.ndjson'), 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    lines.pop(); // the last line may be incomplete
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /^\{"step":(\d+),"loss":(-?[0-9.eE+-]+|null)/.exec(lines[i]!);
      if (m) return { step: Number(m[1]), loss: m[2] === 'null' ? null : Number(m[2]) };
    }
    return null;
  } finally {
    await fh.close();
  }
}
