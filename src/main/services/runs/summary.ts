/**
 * The per-run summary file (src/shared/runs/summary.ts): written once at the end of a run, and rebuilt
 * from config.json, status.json and metrics.ndjson when it is missing, unreadable or stale. The run table
 * lists runs from these small files instead of parsing every config and metrics file.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { WorkbenchException } from '../../../shared/api/result';
import { RUN_FILES, runConfigFileSchema, runStatusFileSchema, type RunConfigFile, type RunStatusFile } from '../../../shared/run/format';
import { MIGRATIONS, type MigrationSet } from '../../../shared/session/migrations';
import { MAX_CONFIG_BYTES, MAX_METRICS_BYTES, MAX_SMALL_JSON_BYTES } from '../../../shared/session/schema';
import type { CellValue } from '../../../shared/runs/filter';
import {
  ANNOTATIONS_FILE,
  ANNOTATIONS_VERSION,
  MAX_SUMMARY_BYTES,
  SUMMARY_FILE,
  SUMMARY_VERSION,
  runAnnotationsFileSchema,
  runSummaryFileSchema,
  type RunAnnotationsFile,
  type RunSummaryFile,
} from '../../../shared/runs/summary';
import { readJsonFile } from '../export/runData';
import { type FsLayer, realFs, writeJsonAtomicSync } from '../fsAtomic';

/** The migration chains of the two files (version 1: no earlier versions yet). */
export const SUMMARY_MIGRATIONS = {
  summary: { current: SUMMARY_VERSION, migrations: {} },
  annotations: { current: ANNOTATIONS_VERSION, migrations: {} },
} satisfies Record<string, MigrationSet>;

function corrupt(file: string, why: string): WorkbenchException {
  return new WorkbenchException('session-corrupt', `${file}: ${why}`, { file });
}

interface Source {
  metricsBytes: number;
  statusBytes: number;
  statusMtimeMs: number;
}

async function statSource(runDir: string): Promise<Source> {
  const [m, s] = await Promise.all([
    nodeFs.promises.lstat(path.join(runDir, RUN_FILES.metrics)).catch(() => null),
    nodeFs.promises.lstat(path.join(runDir, RUN_FILES.status)).catch(() => null),
  ]);
  return { metricsBytes: m?.isFile() ? m.size : 0, statusBytes: s?.isFile() ? s.size : 0, statusMtimeMs: s?.isFile() ? s.mtimeMs : 0 };
}

function sameSource(a: Source, b: Source): boolean {
  return a.metricsBytes === b.metricsBytes && a.statusBytes === b.statusBytes && a.statusMtimeMs === b.statusMtimeMs;
}

interface MetricsScan {
  records: number;
  first: { step: number; wallMs: number } | null;
  last: { step: number; loss: number | null; lossRatio: number | null; testLoss: number | null; wallMs: number | null } | null;
  eig: { step: number; lambdaMin: number | null; lambdaMax: number | null } | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Reads metrics.ndjson in chunks (never the whole file at once) and keeps what a summary needs: the count,
 * the first record's step and time, the last record's values and the last tracked extreme eigenvalues. An
 * unterminated last line (possibly torn) is left out; any other line that does not parse is session-corrupt.
 */
async function scanMetrics(file: string): Promise<MetricsScan> {
  const scan: MetricsScan = { records: 0, first: null, last: null, eig: null };
  const st = await nodeFs.promises.lstat(file).catch(() => null);
  if (st === null) return scan;
  if (!st.isFile()) throw corrupt(file, 'not a regular file; refusing to read it');
  if (st.size > MAX_METRICS_BYTES) throw corrupt(file, `${st.size} bytes, larger than ${MAX_METRICS_BYTES}`);
  const fh = await nodeFs.promises.open(file, nodeFs.constants.O_RDONLY | (nodeFs.constants.O_NONBLOCK ?? 0));
  try {
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    let lineNo = 0;
    let pos = 0;
    const take = (line: string): void => {
      lineNo++;
      if (line.trim() === '') return;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw corrupt(file, `line ${lineNo}: not valid JSON`);
      }
      if (typeof r.step !== 'number') throw corrupt(file, `line ${lineNo}: step: expected a number`);
      scan.records++;
      const wallMs = numOrNull(r.wallMs);
      if (scan.first === null) scan.first = { step: r.step, wallMs: wallMs ?? 0 };
      scan.last = { step: r.step, loss: numOrNull(r.loss), lossRatio: numOrNull(r.lossRatio), testLoss: numOrNull(r.testLoss), wallMs };
      const tr = r.tracked as { eigMin?: unknown[]; eigMax?: unknown[] } | undefined;
      if (tr && (Array.isArray(tr.eigMin) || Array.isArray(tr.eigMax))) {
        scan.eig = { step: r.step, lambdaMin: numOrNull(tr.eigMin?.[0]), lambdaMax: numOrNull(tr.eigMax?.[0]) };
      }
    };
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const text = rest + buf.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const l of lines) take(l);
    }
    // `rest` is the unterminated last line: a crash may have torn it, so it is not counted.
    return scan;
  } finally {
    await fh.close();
  }
}

/** The config as a table shows it: every key except the CSV text. */
function configCells(config: RunConfigFile['config']): { cells: Record<string, CellValue>; csvChars: number | null } {
  const cells: Record<string, CellValue> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'csvText') continue;
    cells[k] = v === undefined ? null : (v as CellValue);
  }
  return { cells, csvChars: typeof config.csvText === 'string' ? config.csvText.length : null };
}

/** Builds a run's summary from its files (config.json, status.json, metrics.ndjson). */
export async function buildRunSummary(runDir: string, now: () => Date = () => new Date()): Promise<RunSummaryFile> {
  const source = await statSource(runDir);
  const cfgFile = path.join(runDir, RUN_FILES.config);
  const stFile = path.join(runDir, RUN_FILES.status);
  const config = await readJsonFile(cfgFile, MAX_CONFIG_BYTES, MIGRATIONS.runConfig, runConfigFileSchema);
  if (config === null) throw corrupt(cfgFile, 'missing');
  const status: RunStatusFile | null = await readJsonFile(stFile, MAX_SMALL_JSON_BYTES, MIGRATIONS.runStatus, runStatusFileSchema);
  if (status === null) throw corrupt(stFile, 'missing');
  const scan = await scanMetrics(path.join(runDir, RUN_FILES.metrics));
  const { cells, csvChars } = configCells(config.config);
  let stepsPerSecond: number | null = null;
  if (scan.first && scan.last && scan.last.wallMs !== null && scan.last.wallMs > scan.first.wallMs && scan.last.step > scan.first.step) {
    stepsPerSecond = ((scan.last.step - scan.first.step) * 1000) / (scan.last.wallMs - scan.first.wallMs);
  }
  return {
    schemaVersion: SUMMARY_VERSION,
    runId: config.runId,
    status: status.status,
    reason: status.reason,
    lastStep: Math.max(status.lastStep, scan.last?.step ?? 0),
    startedAt: config.startedAt,
    finishedAt: status.finishedAt ?? null,
    appVersion: config.appVersion,
    backend: config.backend,
    dtype: config.dtype,
    machine: config.machine,
    learningRates: config.learningRates ?? null,
    config: cells,
    csvChars,
    records: scan.records,
    final: {
      step: scan.last?.step ?? null,
      loss: scan.last?.loss ?? null,
      lossRatio: scan.last?.lossRatio ?? null,
      testLoss: scan.last?.testLoss ?? null,
      wallMs: scan.last?.wallMs ?? null,
      lambdaMin: scan.eig?.lambdaMin ?? null,
      lambdaMax: scan.eig?.lambdaMax ?? null,
      eigStep: scan.eig?.step ?? null,
    },
    stepsPerSecond,
    source,
    builtAt: now().toISOString(),
  };
}

/**
 * Writes summary.json of a run that has ended (atomically). Called once at the end of a run; a failure is
 * the caller's to log: the table rebuilds a missing summary.
 */
export async function writeRunSummary(runDir: string, opts: { fs?: FsLayer } = {}): Promise<RunSummaryFile> {
  const summary = await buildRunSummary(runDir);
  writeJsonAtomicSync(opts.fs ?? realFs, path.join(runDir, SUMMARY_FILE), summary);
  return summary;
}

/** Reads summary.json if it is there, valid and matches the run's files; else null. Never throws on a bad summary. */
export async function readFreshSummary(runDir: string): Promise<RunSummaryFile | null> {
  try {
    const s = await readJsonFile(path.join(runDir, SUMMARY_FILE), MAX_SUMMARY_BYTES, SUMMARY_MIGRATIONS.summary, runSummaryFileSchema);
    if (s === null) return null;
    return sameSource(s.source, await statSource(runDir)) ? s : null;
  } catch {
    // A damaged or foreign summary is only a cache: rebuilt from the run's own files.
    return null;
  }
}

/**
 * The run's summary: summary.json when it is fresh, else rebuilt from the run's files and — when no live
 * process is writing the run any more — written back (best effort: a read-only or full disk still lists
 * the run; `isLive` tells, the caller knows how). A corrupt config.json or status.json is session-corrupt naming
 * the file.
 */
export async function readOrRebuildSummary(
  runDir: string,
  opts: { fs?: FsLayer; write?: boolean; isLive?: (runDir: string) => boolean } = {},
): Promise<{ summary: RunSummaryFile; rebuilt: boolean }> {
  const fresh = await readFreshSummary(runDir);
  if (fresh !== null && fresh.status !== 'running' && fresh.status !== 'paused') return { summary: fresh, rebuilt: false };
  const summary = await buildRunSummary(runDir);
  if (opts.write !== false && !(opts.isLive?.(runDir) ?? false) && summary.status !== 'running' && summary.status !== 'paused') {
    try {
      writeJsonAtomicSync(opts.fs ?? realFs, path.join(runDir, SUMMARY_FILE), summary);
    } catch {
      /* a cache that could not be written is rebuilt next time */
    }
  }
  return { summary, rebuilt: true };
}

/** A run's annotations (empty when it has none). */
export async function readAnnotations(runDir: string): Promise<RunAnnotationsFile | null> {
  return readJsonFile(path.join(runDir, ANNOTATIONS_FILE), MAX_SUMMARY_BYTES, SUMMARY_MIGRATIONS.annotations, runAnnotationsFileSchema);
}

/** Replaces a run's annotations atomically (a versioned file of its own, so a run being written can be tagged too). */
export function writeAnnotations(runDir: string, a: { tags: string[]; note: string }, opts: { fs?: FsLayer; now?: () => Date } = {}): RunAnnotationsFile {
  const file: RunAnnotationsFile = {
    schemaVersion: ANNOTATIONS_VERSION,
    tags: a.tags,
    note: a.note,
    updatedAt: (opts.now ?? (() => new Date()))().toISOString(),
  };
  const v = runAnnotationsFileSchema.safeParse(file);
  if (!v.success) throw new WorkbenchException('invalid-request', v.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; '));
  writeJsonAtomicSync(opts.fs ?? realFs, path.join(runDir, ANNOTATIONS_FILE), file);
  return file;
}
