/**
 * Batch training for the CLI: one run in an engine worker, written to a run folder (format v1) as it
 * goes, with progress to a callback. The app's runs go through RunManager instead (same host, same writer).
 */
import { availableParallelism } from 'node:os';
import type { Config } from '../../shared/config/schema';
import type { RunMeta } from '../../shared/api/contract';
import type { MetricRecord } from '../../shared/run/format';
import { EngineHost, type WorkerLocator } from './engineHost';
import { RunWriter } from './runWriter';
import { writeKeptParams } from './export/keptParams';
import { machineInfo } from './runManager';
import { APP_VERSION } from './workbench';
import type { RunOutcome } from '../engine/protocol';

export interface BatchTrainResult {
  outcome: RunOutcome;
  lastStep: number;
  meta: RunMeta | null;
  lastRecord: MetricRecord | null;
  firstRecord: MetricRecord | null;
  runDir: string;
}

/** Trains `config` into `outDir`; stops cleanly on SIGINT via `signal`. */
export async function trainToFolder(
  config: Config,
  outDir: string,
  opts: {
    worker?: WorkerLocator;
    onProgress?: (rec: MetricRecord) => void;
    onMeta?: (m: RunMeta) => void;
    signal?: AbortSignal;
    /** native backend threads (default: every core; a batch run has no window to keep responsive) */
    threads?: number;
  } = {},
): Promise<BatchTrainResult> {
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
  });
  const host = new EngineHost({ worker: opts.worker, threads: opts.threads ?? availableParallelism() });
  let meta: RunMeta | null = null;
  let first: MetricRecord | null = null;
  let last: MetricRecord | null = null;
  let io: Promise<void> = Promise.resolve();
  let ioError: unknown = null;
  try {
    const done = await new Promise<{ outcome: RunOutcome; lastStep: number }>((resolve) => {
      const handle = host.startRun(runId, config, {
        onMeta: (m) => {
          meta = m;
          opts.onMeta?.(m);
          io = io.then(() => writer.writeMeta(m));
        },
        onRecords: (records) => {
          if (ioError) return;
          try {
            writer.append(records);
          } catch (e) {
            ioError = e;
            handle.stop();
            return;
          }
          first ??= records[0] ?? null;
          last = records[records.length - 1] ?? last;
          for (const r of records) opts.onProgress?.(r);
        },
        onCheckpoint: (cp) => {
          io = io.then(() => writer.writeCheckpoint(cp));
        },
        onParams: (p) => {
          io = io.then(() => writeKeptParams(outDir, p));
        },
        onDone: (outcome, lastStep) => resolve({ outcome, lastStep }),
      });
      opts.signal?.addEventListener('abort', () => handle.stop(), { once: true });
    });
    await io;
    const outcome: RunOutcome = ioError
      ? { status: 'failed', reason: `could not write ${outDir}: ${String(ioError)}`, error: { code: 'io-error', message: String(ioError) } }
      : done.outcome;
    await writer.writeOutcome(outcome, done.lastStep, new Date().toISOString());
    await writer.close();
    return { outcome, lastStep: done.lastStep, meta, firstRecord: first, lastRecord: last, runDir: outDir };
  } finally {
    await host.dispose();
  }
}
