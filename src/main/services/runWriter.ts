/**
 * Writes one run folder (run folder format v1, src/shared/run/format.ts) with the durability contract:
 *
 * - every metrics record is appended to metrics.ndjson synchronously as soon as it is reported, so a
 *   killed process loses nothing already reported;
 * - metrics.ndjson is fsynced at most once per second (and at close), so power loss loses at most the
 *   last second;
 * - config.json, status.json, theory.json are replaced atomically (temp, fsync, rename, fsync folder);
 * - an I/O failure (ENOSPC, EACCES…) surfaces as WorkbenchException('io-error') naming the file, the
 *   half-written line is cut back off, and the writer refuses further appends so the file stays valid.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';
import type { RunMeta } from '../../shared/api/contract';
import type { RunOutcome } from '../engine/protocol';
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
import { THEORY_FILE_VERSION, type TheoryFile } from '../../shared/session/schema';
import { type Checkpoint, writeCheckpoint as writeCheckpointFile } from './checkpoint';
import { type FsLayer, fsyncDir, ioError, realFs, writeAll, writeFileAtomicSync, writeJsonAtomicSync } from './fsAtomic';

/** Name of the file recording which process writes a run (used to tell a live run from an interrupted one). */
export const OWNER_FILE = 'owner.json';
/** Minimum time between two fsyncs of metrics.ndjson. */
export const FSYNC_INTERVAL_MS = 1000;

/** Injectable environment of a writer (tests pass a failing fs, a manual clock and timer). */
export interface RunWriterOptions {
  fs?: FsLayer;
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

/**
 * True when the run folder is being written by a live process: this one (an open RunWriter) or another
 * process on this host whose pid is still alive. A stale owner file from a killed process reads false.
 */
export function isRunOwnedByLiveProcess(runDir: string): boolean {
  if (isRunActive(runDir)) return true;
  let owner: { pid?: unknown; hostname?: unknown };
  try {
    const buf = nodeFs.readFileSync(path.join(runDir, OWNER_FILE));
    if (buf.length > 4096) return false;
    owner = JSON.parse(buf.toString('utf8')) as { pid?: unknown; hostname?: unknown };
  } catch {
    return false;
  }
  if (typeof owner.pid !== 'number' || owner.hostname !== os.hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private fd: number | null;
  /** bytes of metrics.ndjson known to be complete lines */
  private size: number;
  private lastSync: number;
  private dirty = false;
  private cancelTimer: (() => void) | null = null;
  private failure: WorkbenchException | null = null;
  private closed = false;
  private lastStep: number;

  private constructor(runDir: string, fd: number, size: number, lastStep: number, opts: RunWriterOptions) {
    this.runDir = runDir;
    this.fd = fd;
    this.size = size;
    this.lastStep = lastStep;
    this.fs = opts.fs ?? realFs;
    this.now = opts.now ?? (() => Date.now());
    this.setTimer = opts.setTimer ?? defaultTimer;
    this.lastSync = this.now();
    active.add(path.resolve(runDir));
  }

  /** Path of one of the run's files. */
  file(name: string): string {
    return path.join(this.runDir, name);
  }

  /**
   * Creates the run folder, writes config.json and status.json {status:'running'} atomically and an
   * empty metrics.ndjson. Fails with io-error if the folder already holds a run.
   */
  static async create(runDir: string, configFile: RunConfigFile, opts: RunWriterOptions = {}): Promise<RunWriter> {
    const fs = opts.fs ?? realFs;
    const metrics = path.join(runDir, RUN_FILES.metrics);
    try {
      fs.mkdirSync(runDir, { recursive: true });
      // The new folder's entry in its parent must survive power loss too.
      fsyncDir(fs, path.dirname(runDir));
    } catch (e) {
      throw ioError(runDir, 'create', e);
    }
    if (nodeFs.existsSync(path.join(runDir, RUN_FILES.config))) {
      throw new WorkbenchException('io-error', `${runDir} already holds a run; refusing to overwrite it`, { file: runDir });
    }
    writeJsonAtomicSync(fs, path.join(runDir, RUN_FILES.config), { ...configFile, schemaVersion: RUN_FORMAT_VERSION });
    const now = new Date().toISOString();
    const status: RunStatusFile = { schemaVersion: RUN_FORMAT_VERSION, status: 'running', reason: null, lastStep: 0, updatedAt: now };
    writeJsonAtomicSync(fs, path.join(runDir, RUN_FILES.status), status);
    writeOwner(fs, runDir);
    let fd: number;
    try {
      fd = fs.openSync(metrics, 'a', 0o644);
      fs.fsyncSync(fd);
      fsyncDir(fs, runDir);
    } catch (e) {
      throw ioError(metrics, 'create', e);
    }
    return new RunWriter(runDir, fd, 0, 0, opts);
  }

  /**
   * Opens an existing run to continue appending (resume). A torn last line left by a killed process is
   * cut off first; with `keepThroughStep`, records after that step are dropped (they will be recomputed
   * from the checkpoint). The metrics file is rewritten atomically, so a crash here loses nothing.
   */
  static async open(runDir: string, opts: RunWriterOptions & { keepThroughStep?: number } = {}): Promise<RunWriter> {
    const fs = opts.fs ?? realFs;
    const metrics = path.join(runDir, RUN_FILES.metrics);
    let text = '';
    try {
      text = nodeFs.readFileSync(metrics, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(metrics, 'read', e);
    }
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

  /** The last step appended (or kept on open). */
  get lastAppendedStep(): number {
    return this.lastStep;
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
      this.failure = ioError(this.file(RUN_FILES.metrics), 'append to', e);
      try {
        this.fs.ftruncateSync(this.fd, this.size);
      } catch {
        /* a torn last line is dropped on read anyway */
      }
      throw this.failure;
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
          /* remembered in this.failure; the next append or close reports it */
        }
      }, FSYNC_INTERVAL_MS - elapsed);
    }
  }

  private syncNow(): void {
    if (this.fd === null) return;
    try {
      this.fs.fsyncSync(this.fd);
    } catch (e) {
      this.failure = ioError(this.file(RUN_FILES.metrics), 'sync', e);
      throw this.failure;
    }
    this.dirty = false;
    this.lastSync = this.now();
  }

  /** Replaces status.json atomically (schemaVersion and updatedAt are filled in). */
  async setStatus(s: StatusUpdate): Promise<void> {
    const file: RunStatusFile = { ...s, schemaVersion: RUN_FORMAT_VERSION, updatedAt: new Date().toISOString() };
    writeJsonAtomicSync(this.fs, this.file(RUN_FILES.status), file);
  }

  /** Records an engine's run metadata: the backend, dtype and learning rates it used, and the run's theory. */
  async writeMeta(meta: RunMeta): Promise<void> {
    await this.recordEngine({ backend: meta.backend, dtype: meta.dtype as 'float32' | 'float64', learningRates: meta.learningRates });
    await this.writeTheory(meta.theory ?? null);
  }

  /** Writes the final status of a run from its outcome (a failure keeps its error code and details). */
  async writeOutcome(outcome: RunOutcome, lastStep: number, finishedAt: string): Promise<void> {
    await this.setStatus({
      status: outcome.status,
      reason: outcome.reason,
      ...(outcome.status === 'failed' ? { errorCode: outcome.error.code, details: outcome.error.details } : {}),
      lastStep,
      finishedAt,
    });
  }

  /**
   * Records what the engine actually ran (config.json is created with the config's backend choice,
   * e.g. 'auto'): replaces backend, dtype and learningRates in config.json atomically.
   */
  async recordEngine(info: { backend: string; dtype: 'float32' | 'float64'; learningRates: { encoder: number | null; decoder: number | null } }): Promise<void> {
    const file = this.file(RUN_FILES.config);
    let current: unknown;
    try {
      current = JSON.parse(nodeFs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw ioError(file, 'read', e);
    }
    const parsed = runConfigFileSchema.safeParse(current);
    if (!parsed.success) throw new WorkbenchException('session-corrupt', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
    const next: RunConfigFile = { ...parsed.data, backend: info.backend, dtype: info.dtype, learningRates: info.learningRates };
    writeJsonAtomicSync(this.fs, file, next);
  }

  /** Writes theory.json atomically: the run's theory values (λ₀, predicted curves…), as computed. */
  async writeTheory(theory: unknown): Promise<void> {
    const file: TheoryFile = { schemaVersion: THEORY_FILE_VERSION, theory };
    writeJsonAtomicSync(this.fs, this.file(RUN_FILES.theory), file);
  }

  /** Writes a parameter checkpoint (see checkpoint.ts); keeps the newest two. */
  async writeCheckpoint(cp: Checkpoint): Promise<void> {
    // Metrics up to the checkpoint must be durable before it, or a resume could skip lost steps.
    if (this.dirty) this.syncNow();
    await writeCheckpointFile(this.runDir, cp, this.fs);
  }

  /** Final fsync and close. Safe to call twice. Reports an earlier write failure. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    active.delete(path.resolve(this.runDir));
    if (this.cancelTimer) {
      this.cancelTimer();
      this.cancelTimer = null;
    }
    const fd = this.fd;
    this.fd = null;
    if (fd === null) return;
    let err: WorkbenchException | null = this.failure;
    try {
      if (!err) this.fs.fsyncSync(fd);
    } catch (e) {
      err = ioError(this.file(RUN_FILES.metrics), 'sync', e);
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
    if (err && !this.failure) throw err;
  }
}

function writeOwner(fs: FsLayer, runDir: string): void {
  writeJsonAtomicSync(fs, path.join(runDir, OWNER_FILE), { schemaVersion: 1, pid: process.pid, hostname: os.hostname() });
}
