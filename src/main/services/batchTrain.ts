/**
 * Batch training for the CLI: one run in an engine worker, written to a run folder (format v1) as it
 * goes, with progress to a callback. The app's runs go through RunManager instead (same host, same writer).
 */
import { availableParallelism } from 'node:os';
import type { Config } from '../../shared/config/schema';
import type { RunMeta } from '../../shared/api/contract';
import type { MetricRecord } from '../../shared/run/format';
import { EngineHost, type WorkerLocator } from './engineHost';
import { RunWriter, type RunWriterOptions } from './runWriter';
import { machineInfo } from './runManager';
import { APP_VERSION } from './workbench';
import type { RunOutcome } from '../engine/protocol';
import { assertRunFits } from '../../shared/run/memory';
import { WorkbenchException } from '../../shared/api/result';

export interface BatchTrainResult {
  outcome: RunOutcome;
  lastStep: number;
  meta: RunMeta | null;
  lastRecord: MetricRecord | null;
  firstRecord: MetricRecord | null;
  runDir: string;
}

/**
 * Trains `config` into `outDir`; stops cleanly on SIGINT via `signal`. Refuses a run that does not fit
 * memoryLimitMiB before creating anything ('too-large'). A failed write (a full disk) stops the run and
 * comes back as a failed outcome with an io-error, never as a rejection.
 */
export async function trainToFolder(
  config: Config,
  outDir: string,
  opts: {
    worker?: WorkerLocator;
    onProgress?: (rec: MetricRecord) => void;
    /** called at set-up and again once the theory is in (RunMeta.theoryPending) */
    onMeta?: (m: RunMeta) => void;
    signal?: AbortSignal;
    /** native backend threads (default: every core; a batch run has no window to keep responsive) */
    threads?: number;
    /** the run writer's environment (tests pass a failing file system) */
    writer?: RunWriterOptions;
  } = {},
): Promise<BatchTrainResult> {
  assertRunFits(config);
  const runId = `run-${Date.now().toString(36)}`;
  const writer = await RunWriter.create(outDir, {
    schemaVersion: 1,
    runId,
    config,
    appVersion: APP_VERSION,
    backend: config.backend,
    dtype: config.dtype,
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
  }, opts.writer);
  const host = new EngineHost({ worker: opts.worker, threads: opts.threads ?? availableParallelism() });
  let meta: RunMeta | null = null;
  let first: MetricRecord | null = null;
  let last: MetricRecord | null = null;
  // Writes other than appends run in order on this chain; each failure is also reported by the writer.
  let io: Promise<void> = Promise.resolve();
  let stopRun: () => void = () => undefined;
  writer.onFailure(() => stopRun());
  try {
    const done = await new Promise<{ outcome: RunOutcome; lastStep: number }>((resolve) => {
      const handle = host.startRun(runId, config, {
        onMeta: (m) => {
          meta = m;
          opts.onMeta?.(m);
          io = io.then(() => writer.writeMeta(m)).catch(() => undefined);
        },
        onRecords: (records) => {
          if (writer.failed) return;
          try {
            writer.append(records);
          } catch {
            return;
          }
          first ??= records[0] ?? null;
          last = records[records.length - 1] ?? last;
          for (const r of records) opts.onProgress?.(r);
        },
        onCheckpoint: (cp) => writer.checkpoint(cp),
        // A failed write is recorded by the writer (settle() returns it); the chain keeps going.
        onParams: (p) => {
          io = io.then(() => writer.keepParams(p)).catch(() => undefined);
        },
        onDone: (outcome, lastStep) => resolve({ outcome, lastStep }),
      });
      stopRun = () => handle.stop();
      if (writer.failed) handle.stop();
      opts.signal?.addEventListener('abort', () => handle.stop(), { once: true });
    });
    await io;
    const failure = await writer.settle();
    const outcome: RunOutcome = failure
      ? { status: 'failed', reason: `could not write ${outDir}: ${failure.message}; the run was stopped, earlier data is intact`, error: failure.toError() }
      : done.outcome;
    // Never claim a step that is not on disk.
    const lastStep = Math.min(done.lastStep, writer.lastAppendedStep);
    let closeError: WorkbenchException | null = null;
    try {
      await writer.writeOutcome(outcome, lastStep, new Date().toISOString());
    } catch (e) {
      closeError = e instanceof WorkbenchException ? e : new WorkbenchException('io-error', String(e));
    }
    try {
      await writer.close();
    } catch (e) {
      closeError ??= e instanceof WorkbenchException ? e : new WorkbenchException('io-error', String(e));
    }
    const final: RunOutcome =
      closeError && outcome.status !== 'failed'
        ? { status: 'failed', reason: `could not finish ${outDir}: ${closeError.message}`, error: closeError.toError() }
        : outcome;
    return { outcome: final, lastStep, meta, firstRecord: first, lastRecord: last, runDir: outDir };
  } finally {
    await host.dispose();
  }
}
