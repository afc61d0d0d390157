/**
 * Writes one run folder (run folder format v1, src/shared/run/format.ts) with the durability contract:
 *
 * - every metrics record is appended to metrics.ndjson synchronously as soon as it is reported, so a
 *   killed process loses nothing already reported;
 * - metrics.ndjson is fsynced at most once per second (and at close), so power loss loses at most the
 *   last second;
 * - config.json, status.json, theory.json are replaced atomically (temp, fsync, rename, fsync folder), and a
 *   new run folder appears whole (assembled under a temp name, then renamed into place) or not at all;
 * - checkpoints go through a {@link CheckpointWriter}: off the main thread, one in flight, a newer one
 *   superseding one still waiting; the metrics up to a checkpoint are fsynced before it is written;
 * - any failed write (ENOSPC, EACCES…) is an io-error naming the file; the first one is remembered, reported
 *   to the {@link RunWriter.onFailure} listeners (the run is stopped) and refuses further appends, and a
 *   half-written metrics line is cut back off so the file stays valid;
 * - status.json never claims a step that is not in metrics.ndjson.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';
import type { RunMeta } from '../../shared/api/contract';
import type { KeptParams, RunOutcome } from '../engine/protocol';
import {
  RUN_FILES,
  RUN_FORMAT_VERSION,
  metricLine,
  parseMetricsText,
  runConfigFileSchema,
  type MetricRecord,
  type RunConfigFile,
  type RunStatusFile,
} from '../../shared/run/format';
import { MAX_CONFIG_BYTES, MAX_METRICS_BYTES, THEORY_FILE_VERSION, type TheoryFile } from '../../shared/session/schema';
import { encodeNonFinite } from '../../shared/json';
import { CheckpointWriter, realAsyncFs, type AsyncFsLayer, type Checkpoint } from './checkpoint';
import { type FsLayer, fsyncDir, ioError, readFileLimitedSync, realFs, writeAll, writeFileAtomicSync, writeJsonAtomicSync } from './fsAtomic';
import { currentProcessStamp, stampLiveness, type ProcessStamp } from './processInfo';
import { PARAMS_DIR, writeKeptParams } from './export/keptParams';
import { writeRunSummary } from './runs/summary';

/** Name of the file recording which process writes a run (used to tell a live run from an interrupted one). */
export const OWNER_FILE = 'owner.json';
/** Minimum time between two fsyncs of metrics.ndjson. */
export const FSYNC_INTERVAL_MS = 1000;
/** Prefix of the temp folder a new run folder is assembled in (removed at start-up when left behind). */
export const NEW_RUN_PREFIX = '.new-';

/** Injectable environment of a writer (tests pass a failing fs, a manual clock and timer). */
export interface RunWriterOptions {
  fs?: FsLayer;
  /** the asynchronous file operations of the checkpoint writer */
  asyncFs?: AsyncFsLayer;
  /** milliseconds, monotonic enough for the fsync cadence */
  now?: () => number;
  /** schedules a callback; returns a cancel function */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

export type StatusUpdate = Omit<RunStatusFile, 'schemaVersion' | 'updatedAt'>;

const active = new Set<string>();

/** True when a RunWriter of this process currently has the run folder open. */
export function isRunActive(runDir: string): boolean {
  return active.has(path.resolve(runDir));
}

/** The owner file of a run folder, or null when there is none (or it is unreadable: then nobody owns the run). */
export function readRunOwner(runDir: string): (ProcessStamp & { schemaVersion?: number }) | null {
  try {
    const buf = readFileLimitedSync(path.join(runDir, OWNER_FILE), 4096);
    if (buf === null) return null;
    const o = JSON.parse(buf.toString('utf8')) as Partial<ProcessStamp>;
    if (typeof o.pid !== 'number') return null;
    return {
      pid: o.pid,
      hostname: typeof o.hostname === 'string' ? o.hostname : '',
      startTime: typeof o.startTime === 'string' ? o.startTime : null,
      startedAt: typeof o.startedAt === 'string' ? o.startedAt : '',
    };
  } catch {
    return null;
  }
}

/**
 * True when the run folder is being written by a live process: this one (an open RunWriter) or another
 * process on this host that is still alive, the same process by its start time where the platform tells.
 * A stale owner file from a killed process (or one whose id was reused) reads false.
 */
export function isRunOwnedByLiveProcess(runDir: string): boolean {
  if (isRunActive(runDir)) return true;
  const owner = readRunOwner(runDir);
  if (owner === null || owner.pid === process.pid) return false;
  return stampLiveness(owner) === 'alive';
}

const defaultTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  // A pending fsync must not keep a CLI process alive; close() does the final one.
  t.unref();
  return () => clearTimeout(t);
};

/** Appends metrics and replaces the JSON files of one run folder. Create with {@link RunWriter.create} or {@link RunWriter.open}. */
export class RunWriter {
  readonly runDir: string;
  private readonly fs: FsLayer;
  private readonly asyncFs: AsyncFsLayer;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private fd: number | null;
  /** bytes of metrics.ndjson known to be complete lines */
  private size: number;
  private lastSync: number;
  private dirty = false;
  private cancelTimer: (() => void) | null = null;
  private failure: WorkbenchException | null = null;
  private readonly failureListeners = new Set<(e: WorkbenchException) => void>();
  private closed = false;
  private lastStep: number;
  private readonly checkpoints: CheckpointWriter;

  private constructor(runDir: string, fd: number, size: number, lastStep: number, opts: RunWriterOptions) {
    this.runDir = runDir;
    this.fd = fd;
    this.size = size;
    this.lastStep = lastStep;
    this.fs = opts.fs ?? realFs;
    this.asyncFs = opts.asyncFs ?? realAsyncFs;
    this.now = opts.now ?? (() => Date.now());
    this.setTimer = opts.setTimer ?? defaultTimer;
    this.lastSync = this.now();
    this.checkpoints = new CheckpointWriter(runDir, {
      fs: this.asyncFs,
      beforeWrite: () => this.syncForCheckpoint(),
      onError: (e) => this.fail(e),
    });
    active.add(path.resolve(runDir));
  }

  /** Path of one of the run's files. */
  file(name: string): string {
    return path.join(this.runDir, name);
  }

  /**
   * Creates the run folder with config.json, status.json {status:'running'}, the owner file and an empty
   * metrics.ndjson. The folder is assembled under a temp name beside it and renamed into place, so a failure
   * (a full disk) leaves no half folder behind. A folder that already holds anything is refused
   * ('invalid-request'); an existing empty folder is replaced.
   */
  static async create(runDir: string, configFile: RunConfigFile, opts: RunWriterOptions = {}): Promise<RunWriter> {
    const fs = opts.fs ?? realFs;
    const target = path.resolve(runDir);
    let existing: nodeFs.Stats | null = null;
    try {
      existing = nodeFs.lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(target, 'inspect', e);
    }
    if (existing !== null) {
      if (!existing.isDirectory())
        throw new WorkbenchException('invalid-request', `${target} exists and is not a folder; refusing to write a run there`, { file: target });
      if (nodeFs.existsSync(path.join(target, RUN_FILES.config))) {
        throw new WorkbenchException('invalid-request', `${target} already holds a run; refusing to overwrite it`, { file: target });
      }
      if (nodeFs.readdirSync(target).length > 0)
        throw new WorkbenchException('invalid-request', `${target} is not empty; refusing to write a run into it`, { file: target });
    }
    const parent = path.dirname(target);
    const tmp = path.join(parent, `${NEW_RUN_PREFIX}${path.basename(target)}-${randomBytes(4).toString('hex')}`);
    let fd: number | null = null;
    try {
      try {
        fs.mkdirSync(tmp, { recursive: true });
      } catch (e) {
        throw ioError(target, 'create', e);
      }
      writeJsonAtomicSync(fs, path.join(tmp, RUN_FILES.config), { ...configFile, schemaVersion: RUN_FORMAT_VERSION });
      const status: RunStatusFile = { schemaVersion: RUN_FORMAT_VERSION, status: 'running', reason: null, lastStep: 0, updatedAt: new Date().toISOString() };
      writeJsonAtomicSync(fs, path.join(tmp, RUN_FILES.status), status);
      writeOwner(fs, tmp);
      const metrics = path.join(tmp, RUN_FILES.metrics);
      try {
        fd = fs.openSync(metrics, 'a', 0o644);
        fs.fsyncSync(fd);
        fsyncDir(fs, tmp);
      } catch (e) {
        throw ioError(path.join(target, RUN_FILES.metrics), 'create', e);
      }
      try {
        // rename() replaces an empty folder on POSIX; elsewhere the empty folder is removed first.
        if (existing !== null && process.platform === 'win32') nodeFs.rmdirSync(target);
        fs.renameSync(tmp, target);
        // The new folder's entry in its parent must survive power loss too.
        fsyncDir(fs, parent);
      } catch (e) {
        throw ioError(target, 'create', e);
      }
    } catch (e) {
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          /* the error below is the one to report */
        }
      }
      nodeFs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return new RunWriter(target, fd, 0, 0, opts);
  }

  /**
   * Opens an existing run to continue appending (resume). A torn last line left by a killed process is
   * cut off first; with `keepThroughStep`, records after that step are dropped (they will be recomputed
   * from the checkpoint). The metrics file is rewritten atomically, so a crash here loses nothing.
   */
  static async open(runDir: string, opts: RunWriterOptions & { keepThroughStep?: number } = {}): Promise<RunWriter> {
    const fs = opts.fs ?? realFs;
    const metrics = path.join(runDir, RUN_FILES.metrics);
    const buf = readFileLimitedSync(metrics, MAX_METRICS_BYTES);
    const text = buf === null ? '' : buf.toString('utf8');
    const parsed = parseMetricsText(text);
    if ('error' in parsed) {
      throw new WorkbenchException('session-corrupt', `${metrics} line ${parsed.line}: ${parsed.error}`, { file: metrics, line: parsed.line });
    }
    const keep = opts.keepThroughStep;
    const records = keep === undefined ? parsed.records : parsed.records.filter((r) => r.step <= keep);
    const body = records.map((r) => metricLine(r)).join('');
    if (body !== text) {
      // Only rewrite when something must go, so an untouched run keeps its exact bytes.
      writeFileAtomicSync(fs, metrics, body);
    }
    writeOwner(fs, runDir);
    let fd: number;
    try {
      fd = fs.openSync(metrics, 'a', 0o644);
    } catch (e) {
      throw ioError(metrics, 'open', e);
    }
    const size = Buffer.byteLength(body, 'utf8');
    const lastStep = records.length > 0 ? records[records.length - 1]!.step : 0;
    return new RunWriter(runDir, fd, size, lastStep, opts);
  }

  /** The last step appended (or kept on open): the last step that is on disk. */
  get lastAppendedStep(): number {
    return this.lastStep;
  }

  /** The first write failure, or null. */
  get failed(): WorkbenchException | null {
    return this.failure;
  }

  /** Calls `listener` once with the first write failure (at once if there already is one); returns the unsubscribe. */
  onFailure(listener: (e: WorkbenchException) => void): () => void {
    if (this.failure) {
      listener(this.failure);
      return () => undefined;
    }
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  private fail(e: unknown, file = this.file(RUN_FILES.metrics), action = 'write'): WorkbenchException {
    const err = ioError(file, action, e);
    if (this.failure === null) {
      this.failure = err;
      for (const l of [...this.failureListeners]) {
        try {
          l(err);
        } catch {
          /* a listener's own error must not hide the write failure */
        }
      }
      this.failureListeners.clear();
    }
    return err;
  }

  /**
   * Writes the kept parameters (params/initial.npz or params/final.npz). A failure is recorded like every
   * other write failure of the run (listeners told, `settle()` returns it) and also rejects.
   */
  async keepParams(p: KeptParams): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      await writeKeptParams(this.runDir, p);
    } catch (e) {
      throw e instanceof WorkbenchException && e.code !== 'io-error' ? e : this.fail(e, path.join(this.runDir, PARAMS_DIR), 'write');
    }
  }

  /**
   * Appends each record as one NDJSON line, synchronously. Throws io-error (and stays failed) when the
   * write fails; the partial line is truncated away so earlier lines stay intact and parsable.
   */
  append(records: MetricRecord[]): void {
    if (this.failure) throw this.failure;
    if (this.closed || this.fd === null) throw new WorkbenchException('io-error', `${this.file(RUN_FILES.metrics)} is closed`);
    if (records.length === 0) return;
    const bytes = Buffer.from(records.map((r) => metricLine(r)).join(''), 'utf8');
    try {
      writeAll(this.fs, this.fd, bytes);
    } catch (e) {
      const err = this.fail(e, this.file(RUN_FILES.metrics), 'append to');
      try {
        this.fs.ftruncateSync(this.fd, this.size);
      } catch {
        /* a torn last line is dropped on read anyway */
      }
      throw err;
    }
    this.size += bytes.length;
    this.lastStep = records[records.length - 1]!.step;
    this.dirty = true;
    this.maybeSync();
  }

  private maybeSync(): void {
    if (!this.dirty || this.fd === null) return;
    const elapsed = this.now() - this.lastSync;
    if (elapsed >= FSYNC_INTERVAL_MS) {
      this.syncNow();
    } else if (this.cancelTimer === null) {
      this.cancelTimer = this.setTimer(() => {
        this.cancelTimer = null;
        try {
          this.maybeSync();
        } catch {
          /* remembered in this.failure and reported to the listeners */
        }
      }, FSYNC_INTERVAL_MS - elapsed);
    }
  }

  private syncNow(): void {
    if (this.fd === null) return;
    try {
      this.fs.fsyncSync(this.fd);
    } catch (e) {
      throw this.fail(e, this.file(RUN_FILES.metrics), 'sync');
    }
    this.dirty = false;
    this.lastSync = this.now();
  }

  /** Before a checkpoint: the metrics up to it must be durable, or a resume could skip lost steps (off the main thread). */
  private async syncForCheckpoint(): Promise<void> {
    if (!this.dirty || this.fd === null) return;
    const size = this.size;
    try {
      await this.asyncFs.fsyncFd(this.fd);
    } catch (e) {
      throw ioError(this.file(RUN_FILES.metrics), 'sync', e);
    }
    if (this.size === size) {
      this.dirty = false;
      this.lastSync = this.now();
    }
  }

  /**
   * Replaces status.json atomically (schemaVersion and updatedAt are filled in). `lastStep` is capped at
   * the last step on disk. Tried even after an earlier failure, so that a run can still say why it ended.
   */
  async setStatus(s: StatusUpdate): Promise<void> {
    const file: RunStatusFile = { ...s, lastStep: Math.min(s.lastStep, this.lastStep), schemaVersion: RUN_FORMAT_VERSION, updatedAt: new Date().toISOString() };
    try {
      writeJsonAtomicSync(this.fs, this.file(RUN_FILES.status), file);
    } catch (e) {
      throw this.fail(e, this.file(RUN_FILES.status));
    }
  }

  /** Records an engine's run metadata: the backend, dtype and learning rates it used, and the run's theory. */
  async writeMeta(meta: RunMeta): Promise<void> {
    await this.recordEngine({ backend: meta.backend, dtype: meta.dtype as 'float32' | 'float64', learningRates: meta.learningRates });
    await this.writeTheory(meta.theory ?? null);
  }

  /**
   * Writes the final status of a run from its outcome (a failure keeps its error code and details), then the
   * run table's summary.json (best effort: the table rebuilds a missing one).
   */
  async writeOutcome(outcome: RunOutcome, lastStep: number, finishedAt: string): Promise<void> {
    await this.setStatus({
      status: outcome.status,
      reason: outcome.reason,
      ...(outcome.status === 'failed' ? { errorCode: outcome.error.code, details: outcome.error.details } : {}),
      lastStep,
      finishedAt,
    });
    // run end: summary (runtable)
    await writeRunSummary(this.runDir, { fs: this.fs }).catch(() => undefined);
  }

  /**
   * Records what the engine actually ran (config.json is created with the config's backend choice,
   * e.g. 'auto'): replaces backend, dtype and learningRates in config.json atomically.
   */
  async recordEngine(info: {
    backend: string;
    dtype: 'float32' | 'float64';
    learningRates: { encoder: number | null; decoder: number | null };
  }): Promise<void> {
    const file = this.file(RUN_FILES.config);
    let current: unknown;
    try {
      const buf = readFileLimitedSync(file, MAX_CONFIG_BYTES);
      if (buf === null) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      current = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw this.fail(e, file, 'read');
    }
    const parsed = runConfigFileSchema.safeParse(current);
    if (!parsed.success)
      throw new WorkbenchException('session-corrupt', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
    const next: RunConfigFile = { ...parsed.data, backend: info.backend, dtype: info.dtype, learningRates: info.learningRates };
    try {
      writeJsonAtomicSync(this.fs, file, next);
    } catch (e) {
      throw this.fail(e, file);
    }
  }

  /**
   * Writes theory.json atomically: the run's theory values (λ₀, predicted curves…), as computed; non-finite
   * numbers as null + the theory's `nonFinite` map (src/shared/json.ts), restored by readStoredRunTheory.
   */
  async writeTheory(theory: unknown): Promise<void> {
    const stored = theory !== null && typeof theory === 'object' && !Array.isArray(theory) ? encodeNonFinite(theory as Record<string, unknown>) : theory;
    const file: TheoryFile = { schemaVersion: THEORY_FILE_VERSION, theory: stored };
    try {
      writeJsonAtomicSync(this.fs, this.file(RUN_FILES.theory), file);
    } catch (e) {
      throw this.fail(e, this.file(RUN_FILES.theory));
    }
  }

  /**
   * Hands a parameter checkpoint to the checkpoint writer and returns at once: written off the main thread,
   * superseded by a newer one while it waits, the newest two kept. A failure is reported to the
   * {@link onFailure} listeners.
   */
  checkpoint(cp: Checkpoint): void {
    if (this.failure || this.closed) return;
    this.checkpoints.submit(cp);
  }

  /** Like {@link checkpoint}, and waits until it is on disk (or throws the failure). */
  async writeCheckpoint(cp: Checkpoint): Promise<void> {
    if (this.failure) throw this.failure;
    this.checkpoint(cp);
    await this.checkpoints.flush();
    if (this.failure) throw this.failure;
  }

  /** Waits for the checkpoints still on their way to disk; returns the first write failure, or null. */
  async settle(): Promise<WorkbenchException | null> {
    await this.checkpoints.flush();
    return this.failure;
  }

  /** Checkpoints written and superseded so far. */
  get checkpointStats(): { written: number; superseded: number } {
    return { ...this.checkpoints.stats };
  }

  /**
   * Final fsync and close, after the checkpoints still on their way. Safe to call twice. Throws only a
   * failure of the close itself (an earlier one has been reported already: see {@link failed}).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpoints.flush();
    active.delete(path.resolve(this.runDir));
    if (this.cancelTimer) {
      this.cancelTimer();
      this.cancelTimer = null;
    }
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    const earlier = this.failure;
    let err: WorkbenchException | null = earlier;
    try {
      if (!err) this.fs.fsyncSync(fd);
    } catch (e) {
      err = this.fail(e, this.file(RUN_FILES.metrics), 'sync');
    } finally {
      try {
        this.fs.closeSync(fd);
      } catch {
        /* nothing more to lose */
      }
      try {
        this.fs.unlinkSync(this.file(OWNER_FILE));
      } catch {
        /* a leftover owner file of a dead pid reads as not running */
      }
    }
    if (err && err !== earlier) throw err;
  }
}

function writeOwner(fs: FsLayer, runDir: string): void {
  writeJsonAtomicSync(fs, path.join(runDir, OWNER_FILE), { schemaVersion: 1, ...currentProcessStamp() });
}
