/**
 * Reads run folders and session folders named by path (the CLI's RUN_DIR arguments) or found by id in the
 * data directory, with the same parse → migrate → validate and size limits as the session store. Nothing
 * is modified; a corrupt file is session-corrupt naming it.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { WorkbenchException } from '../../../shared/api/result';
import {
  RUN_FILES,
  parseMetricsText,
  runConfigFileSchema,
  runStatusFileSchema,
  type MetricRecord,
  type RunConfigFile,
  type RunStatusFile,
} from '../../../shared/run/format';
import { readStoredRunTheory, type RunTheory } from '../../../shared/run/theory';
import { MIGRATIONS, migrateDocument, type MigrationSet } from '../../../shared/session/migrations';
import {
  MAX_CONFIG_BYTES,
  MAX_METRICS_BYTES,
  MAX_SMALL_JSON_BYTES,
  MAX_THEORY_BYTES,
  RUNS_DIR,
  SESSION_MANIFEST_FILE,
  sessionManifestSchema,
  theoryFileSchema,
  type SessionManifest,
} from '../../../shared/session/schema';
import { ID_PATTERN } from '../../../shared/api/contract';
import { readFileLimited } from '../fsAtomic';
import { readSweepState, SWEEP_STATE_FILE, sweepFolder } from '../sweeps/runner';

/** Everything export needs of one run. */
export interface RunData {
  dir: string;
  runId: string;
  config: RunConfigFile;
  status: RunStatusFile;
  records: MetricRecord[];
  /** theory.json parsed once with the contract's schema (null: none, or not a run theory of this version) */
  theory: RunTheory | null;
}

/** A session folder: its manifest and runs (oldest first). */
export interface SessionData {
  dir: string;
  manifest: SessionManifest;
  runs: RunData[];
}

function corrupt(file: string, why: string): WorkbenchException {
  return new WorkbenchException('session-corrupt', `${file}: ${why}`, { file });
}

/** Reads, migrates and validates one JSON file; null when it does not exist. */
export async function readJsonFile<S extends z.ZodType>(file: string, maxBytes: number, set: MigrationSet, schema: S): Promise<z.output<S> | null> {
  const buf = await readFileLimited(file, maxBytes);
  if (buf === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw corrupt(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = migrateDocument(raw, set);
  if (!m.ok) throw corrupt(file, m.message);
  const v = schema.safeParse(m.doc);
  if (!v.success) throw corrupt(file, v.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; '));
  return v.data;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await nodeFs.promises.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** True when the folder holds a session manifest. */
export async function isSessionFolder(dir: string): Promise<boolean> {
  return nodeFs.existsSync(path.join(dir, SESSION_MANIFEST_FILE));
}

/** Reads a run folder (config, status, every metrics record, theory). `label` names it in errors (e.g. the flag). */
export async function readRunFolder(dir: string, label = 'RUN_DIR'): Promise<RunData> {
  if (!(await isDir(dir))) throw new WorkbenchException('invalid-request', `${label}: ${dir} is not a folder`);
  const cfgFile = path.join(dir, RUN_FILES.config);
  const config = await readJsonFile(cfgFile, MAX_CONFIG_BYTES, MIGRATIONS.runConfig, runConfigFileSchema);
  if (config === null) throw new WorkbenchException('invalid-request', `${label}: ${dir} is not a run folder (no ${RUN_FILES.config})`);
  const stFile = path.join(dir, RUN_FILES.status);
  const status = await readJsonFile(stFile, MAX_SMALL_JSON_BYTES, MIGRATIONS.runStatus, runStatusFileSchema);
  if (status === null) throw corrupt(stFile, 'missing');
  const mFile = path.join(dir, RUN_FILES.metrics);
  const buf = await readFileLimited(mFile, MAX_METRICS_BYTES);
  let records: MetricRecord[] = [];
  if (buf !== null) {
    const parsed = parseMetricsText(buf.toString('utf8'));
    if ('error' in parsed) throw corrupt(mFile, `line ${parsed.line}: ${parsed.error}`);
    records = parsed.records;
  }
  const theory = await readJsonFile(path.join(dir, RUN_FILES.theory), MAX_THEORY_BYTES, MIGRATIONS.theory, theoryFileSchema);
  return { dir, runId: config.runId, config, status, records, theory: theory ? readStoredRunTheory(theory.theory) : null };
}

/** Reads a session folder and all its runs. */
export async function readSessionFolder(dir: string, label = 'SESSION_DIR'): Promise<SessionData> {
  const file = path.join(dir, SESSION_MANIFEST_FILE);
  const manifest = await readJsonFile(file, MAX_SMALL_JSON_BYTES, MIGRATIONS.sessionManifest, sessionManifestSchema);
  if (manifest === null) throw new WorkbenchException('invalid-request', `${label}: ${dir} is not a session folder (no ${SESSION_MANIFEST_FILE})`);
  const runsDir = path.join(dir, RUNS_DIR);
  const names = (await nodeFs.promises.readdir(runsDir, { withFileTypes: true }).catch(() => [] as nodeFs.Dirent[]))
    .filter((e) => e.isDirectory() && ID_PATTERN.test(e.name))
    .map((e) => e.name);
  const runs: RunData[] = [];
  for (const n of names) runs.push(await readRunFolder(path.join(runsDir, n), label));
  runs.sort((a, b) => a.config.startedAt.localeCompare(b.config.startedAt) || a.runId.localeCompare(b.runId));
  return { dir, manifest, runs };
}

/**
 * Reads the runs of a sweep's folder (`sweep` or `experiment` output: sweep.json, runs/<cellId>/) in the
 * sweep's cell order; cells without a run folder yet (not started) are left out.
 */
export async function readSweepFolder(dir: string, label = 'SWEEP_DIR'): Promise<RunData[]> {
  const { stateFile, runsDir } = sweepFolder(dir);
  const state = await readSweepState(stateFile);
  if (state === null) throw new WorkbenchException('invalid-request', `${label}: ${dir} is not a sweep folder (no ${SWEEP_STATE_FILE})`);
  const ids = Object.entries(state.cells)
    .sort(([, a], [, b]) => a.index - b.index)
    .map(([id]) => id)
    .filter((id) => ID_PATTERN.test(id));
  const runs: RunData[] = [];
  for (const id of ids) {
    const runDir = path.join(runsDir, id);
    if (nodeFs.existsSync(path.join(runDir, RUN_FILES.config))) runs.push(await readRunFolder(runDir, label));
  }
  return runs;
}

/**
 * Reads each RUN_OR_SESSION_DIR argument: a run folder gives one run, a session folder all of its runs, a
 * sweep's folder (sweep.json) the runs of its cells.
 */
export async function readRunsOrSessions(dirs: readonly string[], label = 'RUN_DIR'): Promise<{ runs: RunData[]; sessions: SessionData[] }> {
  const runs: RunData[] = [];
  const sessions: SessionData[] = [];
  for (const d of dirs) {
    if (await isSessionFolder(d)) {
      const s = await readSessionFolder(d, label);
      sessions.push(s);
      runs.push(...s.runs);
    } else if (!nodeFs.existsSync(path.join(d, RUN_FILES.config)) && nodeFs.existsSync(path.join(d, SWEEP_STATE_FILE))) {
      runs.push(...(await readSweepFolder(d, label)));
    } else runs.push(await readRunFolder(d, label));
  }
  return { runs, sessions };
}
