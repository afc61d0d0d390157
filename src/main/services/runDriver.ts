/**
 * The one way a run starts, writes and ends (issue 12 §3), for every shell: the app's RunManager (UI and
 * browser mode), the CLI's `train`, and a sweep worker running its cells. It starts the engine run (in a
 * fresh worker of the EngineHost, or a caller's reused {@link EngineWorker}), writes the run folder through
 * the RunWriter as records arrive (on disk before anyone is told), stops the run on the first failed write
 * (an io-error naming the file; earlier data stays intact), handles Stop through an AbortSignal, and ends
 * with status.json written and the writer closed. It resolves, never rejects, with the final status and
 * the summary metrics.
 *
 * Run ids: `run-<yyyymmddhhmmss>-<8 hex>` (./ids.ts), the same in a session and in a `train --out` folder.
 */
import os from 'node:os';
import type { Config } from '../../shared/config/schema';
import { WorkbenchException, type WorkbenchError } from '../../shared/api/result';
import type { RunMeta } from '../../shared/api/contract';
import type { LossPoint, MachineInfo, MetricRecord, RunConfigFile } from '../../shared/run/format';
import { assertRunFits } from '../../shared/run/memory';
import type { Checkpoint, RunOutcome } from '../engine/protocol';
import type { RunEngine, RunHandle } from './engineHost';
import { RunWriter, type RunWriterOptions } from './runWriter';
import { APP_VERSION } from './appVersion';
import { newRunId } from './ids';

/** Facts about this machine for the run folder's config.json. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    hostname: os.hostname(),
  };
}

/** config.json of a new run (without its id): the config, this app's version, the machine, the start time. */
export function newRunConfigFile(config: Config, startedAt: Date = new Date()): Omit<RunConfigFile, 'runId'> {
  return {
    schemaVersion: 1,
    config,
    appVersion: APP_VERSION,
    backend: config.backend,
    dtype: config.dtype,
    startedAt: startedAt.toISOString(),
    machine: machineInfo(),
  };
}

/** How a driven run ended, and what it measured. */
export interface RunResult {
  runId: string;
  runDir: string;
  /** finished, stopped, or failed (diverged, engine error, or io-error when the folder could not be written) */
  outcome: RunOutcome;
  /** the last step on disk */
  lastStep: number;
  meta: RunMeta | null;
  /** the first and the last record written by this run (null when none was) */
  firstRecord: MetricRecord | null;
  lastRecord: MetricRecord | null;
}

/** What a run reports while it goes; every callback is optional. */
export interface RunListeners {
  onMeta?(meta: RunMeta): void;
  /** records, once they are on disk */
  onRecords?(records: MetricRecord[]): void;
  /** losses of steps whose records are held back while the theory is computed (EngineHost's RunHandlers.onAhead) */
  onAhead?(points: LossPoint[]): void;
  /** the first failed write (the run is being stopped) */
  onIoError?(error: WorkbenchError): void;
  log?(msg: string): void;
}

/** A run in an open run folder. */
export interface LaunchOptions extends RunListeners {
  runId: string;
  config: Config;
  /** the open writer of the run folder (RunWriter.create, SessionStore.createRun or openRunForResume) */
  writer: RunWriter;
  /** the host (a fresh worker per run) or a reused worker */
  engine: RunEngine;
  /** aborting stops the run (it still ends with a last record, its status and its kept parameters) */
  signal?: AbortSignal;
  /** continue from this checkpoint (the writer was opened with the records up to it) */
  resumeFrom?: Checkpoint;
  /** start paused (the UI's Step from a new run) */
  paused?: boolean;
  /** the clock of finishedAt (ms) */
  now?: () => number;
}

/** A launched run: its control handle and its end. */
export interface DrivenRun {
  runId: string;
  handle: RunHandle;
  /** resolves (never rejects) once status.json is written and the writer closed */
  done: Promise<RunResult>;
}

/**
 * Launches a run whose folder is open in `writer` and drives it to its end (see the module doc). Returns at
 * once with the handle (Pause, Step, Resume, Stop) and the promise of its result.
 */
export function launchRun(opts: LaunchOptions): DrivenRun {
  const { runId, config, writer } = opts;
  const now = opts.now ?? (() => Date.now());
  const log = opts.log ?? (() => undefined);
  let meta: RunMeta | null = null;
  let first: MetricRecord | null = null;
  let last: MetricRecord | null = null;
  let ioError: WorkbenchError | null = null;
  // Writes other than appends run in order on this chain.
  let io: Promise<void> = Promise.resolve();
  let handle: RunHandle | null = null;
  let resolveDone!: (r: { outcome: RunOutcome; lastStep: number }) => void;
  const ended = new Promise<{ outcome: RunOutcome; lastStep: number }>((r) => (resolveDone = r));

  const ioFailed = (e: unknown): void => {
    if (ioError) return;
    const message = e instanceof Error ? e.message : String(e);
    ioError = { code: 'io-error', message: `could not write the run folder ${writer.runDir}: ${message}; the run was stopped, earlier data is intact` };
    log(ioError.message);
    opts.onIoError?.(ioError);
    // The failure can come while the engine is still being started (a synchronous write below).
    handle?.stop();
  };
  const queueIo = (fn: () => Promise<void>): void => {
    io = io.then(fn).catch(ioFailed);
  };
  writer.onFailure(ioFailed);

  handle = opts.engine.startRun(
    runId,
    config,
    {
      onMeta: (m) => {
        meta = m;
        queueIo(() => writer.writeMeta(m));
        opts.onMeta?.(m);
      },
      onRecords: (records) => {
        if (ioError) return;
        try {
          writer.append(records); // on disk before it is reported
        } catch (e) {
          ioFailed(e);
          return;
        }
        first ??= records[0] ?? null;
        last = records[records.length - 1] ?? last;
        opts.onRecords?.(records);
      },
      onAhead: (points) => {
        if (!ioError) opts.onAhead?.(points);
      },
      onCheckpoint: (cp) => writer.checkpoint(cp),
      onParams: (p) => queueIo(() => writer.keepParams(p)),
      onDone: (outcome, lastStep) => resolveDone({ outcome, lastStep }),
    },
    opts.resumeFrom,
    opts.paused === true,
  );
  if (ioError) handle.stop();
  const h = handle;
  if (opts.signal) {
    if (opts.signal.aborted) h.stop();
    else opts.signal.addEventListener('abort', () => h.stop(), { once: true });
  }

  const done = (async (): Promise<RunResult> => {
    const end = await ended;
    await io;
    const failure = await writer.settle();
    if (failure) ioFailed(failure);
    const outcome: RunOutcome = ioError ? { status: 'failed', reason: (ioError as WorkbenchError).message, error: ioError } : end.outcome;
    // Never claim a step that is not on disk.
    const lastStep = Math.min(Math.max(end.lastStep, (last as MetricRecord | null)?.step ?? 0), writer.lastAppendedStep);
    let closeError: WorkbenchException | null = null;
    try {
      await writer.writeOutcome(outcome, lastStep, new Date(now()).toISOString());
    } catch (e) {
      closeError = e instanceof WorkbenchException ? e : new WorkbenchException('io-error', String(e));
    }
    try {
      // Always release the writer, or the store keeps the run registered as active.
      await writer.close();
    } catch (e) {
      closeError ??= e instanceof WorkbenchException ? e : new WorkbenchException('io-error', String(e));
    }
    if (closeError) log(`could not finish the run folder ${writer.runDir}: ${closeError.message}`);
    const final: RunOutcome =
      closeError && outcome.status !== 'failed'
        ? { status: 'failed', reason: `could not finish the run folder ${writer.runDir}: ${closeError.message}`, error: closeError.toError() }
        : outcome;
    return { runId, runDir: writer.runDir, outcome: final, lastStep, meta, firstRecord: first, lastRecord: last };
  })();
  return { runId, handle: h, done };
}

/** A run into a new run folder (`train --out`, a sweep cell's folder). */
export interface DriveRunOptions extends RunListeners {
  config: Config;
  /** the run folder to create: a new path or an empty folder (anything else is refused, 'invalid-request') */
  runDir: string;
  engine: RunEngine;
  signal?: AbortSignal;
  /** the run id (default {@link newRunId}) */
  runId?: string;
  /** the run writer's environment (tests pass a failing file system) */
  writer?: RunWriterOptions;
}

/**
 * Creates the run folder `runDir` and drives a run of `config` into it (see {@link launchRun}). Refuses a
 * run that does not fit memoryLimitMiB ('too-large') or a folder that cannot take it before it writes
 * anything; after that it resolves with the result, a failed write included.
 */
export async function driveRun(opts: DriveRunOptions): Promise<RunResult> {
  assertRunFits(opts.config);
  const runId = opts.runId ?? newRunId();
  const writer = await RunWriter.create(opts.runDir, { ...newRunConfigFile(opts.config), runId }, opts.writer);
  const { writer: _w, runDir: _d, ...rest } = opts;
  return launchRun({ ...rest, runId, writer }).done;
}
