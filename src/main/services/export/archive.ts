/**
 * Session archives: one zip holding a session's (or some runs') folders, to open on a colleague's machine.
 *
 *   ntk-archive.json                 ArchiveManifest: schemaVersion, kind ('session' | 'runs'), appVersion,
 *                                    createdAt, the session's id and name (kind 'session'), the run ids
 *   session.json                     the session manifest (kind 'session')
 *   runs/<runId>/config.json, metrics.ndjson, status.json, theory.json, annotations.json (tags and note)
 *   runs/<runId>/checkpoints/ckpt-<12 digits>.bin, runs/<runId>/params/initial.npz, final.npz
 *
 * Import checks everything before it writes anything: the zip's structure (zip.ts: zip-slip, symlinks,
 * bounds, duplicates), that every entry is one of the files above, and every file's content (parse →
 * migrate → validate for JSON, each metrics line, checkpoint CRCs, .npz arrays). Then the session is
 * assembled in a hidden temp folder of the data directory and renamed into place, so a failure at any
 * point leaves the data directory as it was. Ids already present get fresh ones (config.json's runId
 * rewritten); otherwise every run file is written byte for byte as archived, unless a migration changed it.
 */
import { ANNOTATIONS_FILE, MAX_SUMMARY_BYTES, runAnnotationsFileSchema } from '../../../shared/runs/summary';
import { SUMMARY_MIGRATIONS } from '../runs/summary';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ID_PATTERN } from '../../../shared/api/contract';
import { WorkbenchException } from '../../../shared/api/result';
import { RUN_FILES, parseMetricsText, runConfigFileSchema, runStatusFileSchema } from '../../../shared/run/format';
import { MIGRATIONS, migrateDocument, type MigrationSet } from '../../../shared/session/migrations';
import {
  MAX_CONFIG_BYTES,
  MAX_METRICS_BYTES,
  MAX_SMALL_JSON_BYTES,
  MAX_THEORY_BYTES,
  RUNS_DIR,
  SESSIONS_DIR,
  SESSION_MANIFEST_FILE,
  SESSION_MANIFEST_VERSION,
  sessionManifestSchema,
  theoryFileSchema,
} from '../../../shared/session/schema';
import { CHECKPOINT_DIR, decodeCheckpoint } from '../checkpoint';
import { fsyncDir, ioError, readFileLimited, realFs, realPathInside, writeFileAtomicSync, type FsLayer } from '../fsAtomic';
import { isRunOwnedByLiveProcess } from '../runWriter';
import { KEPT_PARAMS_FILES, MAX_KEPT_PARAMS_BYTES, PARAMS_DIR } from './keptParams';
import { decodeNpz } from './npy';
import { isSessionFolder, readJsonFile } from './runData';
import { readZip, writeZip, zipRefusal, type ZipFile, type ZipLimits } from './zip';

export const ARCHIVE_MANIFEST = 'ntk-archive.json';
export const ARCHIVE_VERSION = 1;
/** Bounds an imported archive must stay within (stated in the README). */
export const ARCHIVE_LIMITS: ZipLimits = { maxEntries: 10_000, maxUncompressedBytes: 2 * 1024 ** 3 };
/** Largest archive file accepted for import (compressed). */
export const MAX_ARCHIVE_BYTES = 1024 ** 3;

export const archiveManifestSchema = z
  .object({
    schemaVersion: z.literal(ARCHIVE_VERSION),
    kind: z.enum(['session', 'runs']),
    appVersion: z.string(),
    createdAt: z.string(),
    session: z.object({ sessionId: z.string(), name: z.string() }).nullable(),
    runs: z.array(z.string()),
  })
  .strict();
export type ArchiveManifest = z.infer<typeof archiveManifestSchema>;

/** The archive manifest's migrations (version 1 is the first). */
export const ARCHIVE_MIGRATIONS: MigrationSet = { current: ARCHIVE_VERSION, migrations: {} };

/** Every persisted kind an import migrates (tests substitute chains with an older version). */
export interface ImportMigrations {
  archive: MigrationSet;
  sessionManifest: MigrationSet;
  runConfig: MigrationSet;
  runStatus: MigrationSet;
  theory: MigrationSet;
}

const DEFAULT_MIGRATIONS: ImportMigrations = { archive: ARCHIVE_MIGRATIONS, ...MIGRATIONS };

const RUN_FILE_RE =
  /^runs\/([A-Za-z0-9][A-Za-z0-9_-]*)\/(config\.json|metrics\.ndjson|status\.json|theory\.json|annotations\.json|checkpoints\/ckpt-\d{12}\.bin|params\/(?:initial|final)\.npz)$/;

/** The files of a run folder that travel in an archive (regular files only; links are never followed). */
async function runFiles(dir: string, runId: string): Promise<ZipFile[]> {
  const out: ZipFile[] = [];
  const add = async (rel: string, max: number): Promise<void> => {
    const file = path.join(dir, rel);
    const st = await nodeFs.promises.lstat(file).catch(() => null);
    if (!st || !st.isFile()) return;
    const data = await readFileLimited(file, max);
    if (data !== null) out.push({ name: `${RUNS_DIR}/${runId}/${rel.split(path.sep).join('/')}`, data });
  };
  await add(RUN_FILES.config, MAX_CONFIG_BYTES);
  await add(RUN_FILES.metrics, MAX_METRICS_BYTES);
  await add(RUN_FILES.status, MAX_SMALL_JSON_BYTES);
  await add(RUN_FILES.theory, MAX_THEORY_BYTES);
  // The user's tags and note travel with the run (the run table's summary.json is rebuilt where it lands).
  await add(ANNOTATIONS_FILE, MAX_SUMMARY_BYTES);
  for (const n of (await nodeFs.promises.readdir(path.join(dir, CHECKPOINT_DIR)).catch(() => [] as string[])).sort()) {
    if (/^ckpt-\d{12}\.bin$/.test(n)) await add(path.join(CHECKPOINT_DIR, n), MAX_KEPT_PARAMS_BYTES);
  }
  for (const n of Object.values(KEPT_PARAMS_FILES)) await add(path.join(PARAMS_DIR, n), MAX_KEPT_PARAMS_BYTES);
  return out;
}

async function runIdOf(dir: string): Promise<string> {
  const cfg = await readJsonFile(path.join(dir, RUN_FILES.config), MAX_CONFIG_BYTES, MIGRATIONS.runConfig, runConfigFileSchema);
  if (cfg === null)
    throw new WorkbenchException('invalid-request', `${dir} is not a run folder (no ${RUN_FILES.config}) nor a session folder (no ${SESSION_MANIFEST_FILE})`);
  if (!ID_PATTERN.test(cfg.runId))
    throw new WorkbenchException('session-corrupt', `${path.join(dir, RUN_FILES.config)}: runId ${JSON.stringify(cfg.runId)} is not a valid id`);
  if (isRunOwnedByLiveProcess(dir)) throw new WorkbenchException('forbidden', `run ${cfg.runId} is still being written; archive it when it has ended`);
  return cfg.runId;
}

/**
 * Builds the archive of a run folder or a session folder. Refuses a run that a live process is still
 * writing (its last lines would be missing from the archive).
 */
export async function createArchive(dir: string, appVersion: string, now: Date = new Date()): Promise<{ bytes: Uint8Array; manifest: ArchiveManifest }> {
  const files: ZipFile[] = [];
  let manifest: ArchiveManifest;
  if (await isSessionFolder(dir)) {
    const man = await readJsonFile(path.join(dir, SESSION_MANIFEST_FILE), MAX_SMALL_JSON_BYTES, MIGRATIONS.sessionManifest, sessionManifestSchema);
    if (man === null) throw new WorkbenchException('invalid-request', `${dir} has no ${SESSION_MANIFEST_FILE}`);
    files.push({ name: SESSION_MANIFEST_FILE, data: (await readFileLimited(path.join(dir, SESSION_MANIFEST_FILE), MAX_SMALL_JSON_BYTES))! });
    const runIds: string[] = [];
    const ents = await nodeFs.promises.readdir(path.join(dir, RUNS_DIR), { withFileTypes: true }).catch(() => [] as nodeFs.Dirent[]);
    // An experiment's cells are listed in its session as links to their folders in the experiment
    // (services/experiments/manager.ts): a link is followed to a folder inside the data directory (the session
    // folder's grandparent) and archived as the run; one that leads outside it is refused.
    const dataRoot = path.dirname(path.dirname(await nodeFs.promises.realpath(dir)));
    for (const e of ents.filter((x) => (x.isDirectory() || x.isSymbolicLink()) && ID_PATTERN.test(x.name)).sort((a, b) => a.name.localeCompare(b.name))) {
      let runDir = path.join(dir, RUNS_DIR, e.name);
      if (e.isSymbolicLink()) {
        const real = await realPathInside(dataRoot, runDir);
        if (real === null || !(await nodeFs.promises.stat(real)).isDirectory()) continue;
        runDir = real;
      }
      const id = await runIdOf(runDir);
      if (id !== e.name) throw new WorkbenchException('session-corrupt', `${path.join(runDir, RUN_FILES.config)}: belongs to run ${id}, not ${e.name}`);
      runIds.push(id);
      files.push(...(await runFiles(runDir, id)));
    }
    manifest = {
      schemaVersion: ARCHIVE_VERSION,
      kind: 'session',
      appVersion,
      createdAt: now.toISOString(),
      session: { sessionId: man.sessionId, name: man.name },
      runs: runIds,
    };
  } else {
    const id = await runIdOf(dir);
    files.push(...(await runFiles(dir, id)));
    manifest = { schemaVersion: ARCHIVE_VERSION, kind: 'runs', appVersion, createdAt: now.toISOString(), session: null, runs: [id] };
  }
  files.unshift({ name: ARCHIVE_MANIFEST, data: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n') });
  return { bytes: writeZip(files), manifest };
}

/** What an import created. */
export interface ImportResult {
  sessionId: string;
  name: string;
  runIds: string[];
  /** ids that were taken already and were replaced (archived id → new id) */
  renamed: Record<string, string>;
  /** files whose content a migration changed (archive paths) */
  migrated: string[];
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function newId(prefix: string, now: Date): string {
  return `${prefix}-${stamp(now)}-${randomBytes(4).toString('hex')}`;
}

/** Parses, migrates and validates one JSON entry; returns the document and whether a migration changed it. */
function checkJson<S extends z.ZodType>(label: string, f: ZipFile, max: number, set: MigrationSet, schema: S): { doc: z.output<S>; migrated: boolean } {
  if (f.data.length > max) throw zipRefusal(label, f.name, 'too-large', `${f.data.length} bytes, more than the ${max} this file may hold`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(f.data));
  } catch (e) {
    throw zipRefusal(label, f.name, 'invalid-file', `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = migrateDocument(raw, set);
  if (!m.ok) throw zipRefusal(label, f.name, 'invalid-file', m.message);
  const v = schema.safeParse(m.doc);
  if (!v.success) throw zipRefusal(label, f.name, 'invalid-file', v.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; '));
  return { doc: v.data, migrated: m.from !== set.current };
}

function json(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');
}

function existingIds(dataDir: string): { sessions: Set<string>; runs: Set<string> } {
  const sessions = new Set<string>();
  const runs = new Set<string>();
  const root = path.join(dataDir, SESSIONS_DIR);
  for (const s of nodeFs.existsSync(root) ? nodeFs.readdirSync(root) : []) {
    sessions.add(s.toLowerCase());
    const rd = path.join(root, s, RUNS_DIR);
    if (nodeFs.existsSync(rd)) for (const r of nodeFs.readdirSync(rd)) runs.add(r.toLowerCase());
  }
  return { sessions, runs };
}

/**
 * Imports an archive into a data directory as a new session (kind 'runs' gets a session named after the
 * archive). Throws invalid-data naming the entry and the rule for anything hostile, foreign or corrupt, in
 * which case nothing has been written.
 */
export async function importArchive(
  bytes: Uint8Array,
  dataDir: string,
  opts: { label?: string; limits?: ZipLimits; migrations?: ImportMigrations; now?: Date; fs?: FsLayer; sessionName?: string } = {},
): Promise<ImportResult> {
  const label = opts.label ?? 'archive';
  const mig = opts.migrations ?? DEFAULT_MIGRATIONS;
  const now = opts.now ?? new Date();
  const fs = opts.fs ?? realFs;
  if (bytes.length > MAX_ARCHIVE_BYTES)
    throw zipRefusal(label, null, 'too-large', `${bytes.length} bytes, more than the ${MAX_ARCHIVE_BYTES}-byte limit for an archive`);
  const files = readZip(bytes, label, opts.limits ?? ARCHIVE_LIMITS);
  const byName = new Map(files.map((f) => [f.name, f]));
  const manFile = byName.get(ARCHIVE_MANIFEST);
  if (!manFile) throw zipRefusal(label, null, 'invalid-file', `no ${ARCHIVE_MANIFEST}: not an NTK Workbench archive`);
  const manifest = checkJson(label, manFile, MAX_SMALL_JSON_BYTES, mig.archive, archiveManifestSchema).doc;

  // Every entry must be one of the files an archive holds, for a run the manifest lists.
  const runs = new Map<string, Map<string, ZipFile>>();
  for (const id of manifest.runs) {
    if (!ID_PATTERN.test(id) || id.length > 128) throw zipRefusal(label, ARCHIVE_MANIFEST, 'invalid-file', `run id ${JSON.stringify(id)} is not a valid id`);
    if (runs.has(id)) throw zipRefusal(label, ARCHIVE_MANIFEST, 'duplicate-name', `run ${id} is listed twice`);
    runs.set(id, new Map());
  }
  for (const f of files) {
    if (f.name === ARCHIVE_MANIFEST || (f.name === SESSION_MANIFEST_FILE && manifest.kind === 'session')) continue;
    const m = RUN_FILE_RE.exec(f.name);
    const run = m ? runs.get(m[1]!) : undefined;
    if (!m || !run) throw zipRefusal(label, f.name, 'unexpected-entry', 'not a file of a run the archive lists');
    run.set(m[2]!, f);
  }

  const migrated: string[] = [];
  const out: { rel: string; data: Uint8Array }[] = [];
  let sessionName = opts.sessionName ?? `Imported ${manifest.runs.length} run(s) ${now.toISOString().slice(0, 16).replace('T', ' ')}`;
  let sessionCreated = now.toISOString();
  let archivedSessionId: string | null = null;
  if (manifest.kind === 'session') {
    const f = byName.get(SESSION_MANIFEST_FILE);
    if (!f) throw zipRefusal(label, null, 'invalid-file', `kind 'session' without ${SESSION_MANIFEST_FILE}`);
    const man = checkJson(label, f, MAX_SMALL_JSON_BYTES, mig.sessionManifest, sessionManifestSchema);
    if (!ID_PATTERN.test(man.doc.sessionId))
      throw zipRefusal(label, f.name, 'invalid-file', `session id ${JSON.stringify(man.doc.sessionId)} is not a valid id`);
    archivedSessionId = man.doc.sessionId;
    sessionName = opts.sessionName ?? man.doc.name;
    sessionCreated = man.doc.createdAt;
    if (man.migrated) migrated.push(f.name);
  }

  const taken = existingIds(dataDir);
  const renamed: Record<string, string> = {};
  const runIds: string[] = [];
  for (const [id, entries] of runs) {
    const cfgFile = entries.get(RUN_FILES.config);
    const stFile = entries.get(RUN_FILES.status);
    if (!cfgFile) throw zipRefusal(label, `${RUNS_DIR}/${id}/${RUN_FILES.config}`, 'invalid-file', 'missing');
    if (!stFile) throw zipRefusal(label, `${RUNS_DIR}/${id}/${RUN_FILES.status}`, 'invalid-file', 'missing');
    const cfg = checkJson(label, cfgFile, MAX_CONFIG_BYTES, mig.runConfig, runConfigFileSchema);
    if (cfg.doc.runId !== id) throw zipRefusal(label, cfgFile.name, 'invalid-file', `belongs to run ${JSON.stringify(cfg.doc.runId)}, not ${id}`);
    const st = checkJson(label, stFile, MAX_SMALL_JSON_BYTES, mig.runStatus, runStatusFileSchema);
    const newRunId = taken.runs.has(id.toLowerCase()) ? newId('run', now) : id;
    if (newRunId !== id) renamed[id] = newRunId;
    runIds.push(newRunId);
    const base = `${RUNS_DIR}/${newRunId}`;
    out.push({ rel: `${base}/${RUN_FILES.config}`, data: cfg.migrated || newRunId !== id ? json({ ...cfg.doc, runId: newRunId }) : cfgFile.data });
    if (cfg.migrated) migrated.push(cfgFile.name);
    // A run archived while it ran reads as interrupted, as it would on this machine after a crash.
    out.push({ rel: `${base}/${RUN_FILES.status}`, data: st.migrated ? json(st.doc) : stFile.data });
    if (st.migrated) migrated.push(stFile.name);
    for (const [rel, f] of entries) {
      if (rel === RUN_FILES.config || rel === RUN_FILES.status) continue;
      if (rel === RUN_FILES.theory) {
        const th = checkJson(label, f, MAX_THEORY_BYTES, mig.theory, theoryFileSchema);
        out.push({ rel: `${base}/${rel}`, data: th.migrated ? json(th.doc) : f.data });
        if (th.migrated) migrated.push(f.name);
      } else if (rel === ANNOTATIONS_FILE) {
        const an = checkJson(label, f, MAX_SUMMARY_BYTES, SUMMARY_MIGRATIONS.annotations, runAnnotationsFileSchema);
        out.push({ rel: `${base}/${rel}`, data: an.migrated ? json(an.doc) : f.data });
        if (an.migrated) migrated.push(f.name);
      } else if (rel === RUN_FILES.metrics) {
        if (f.data.length > MAX_METRICS_BYTES) throw zipRefusal(label, f.name, 'too-large', `more than ${MAX_METRICS_BYTES} bytes`);
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(f.data);
        } catch {
          throw zipRefusal(label, f.name, 'invalid-file', 'not UTF-8 text');
        }
        const parsed = parseMetricsText(text);
        if ('error' in parsed) throw zipRefusal(label, f.name, 'invalid-file', `line ${parsed.line}: ${parsed.error}`);
        out.push({ rel: `${base}/${rel}`, data: f.data });
      } else if (rel.startsWith(`${CHECKPOINT_DIR}/`)) {
        try {
          decodeCheckpoint(f.data, f.name);
        } catch (e) {
          throw zipRefusal(label, f.name, 'invalid-file', e instanceof Error ? e.message : String(e));
        }
        out.push({ rel: `${base}/${rel}`, data: f.data });
      } else {
        try {
          const a = decodeNpz(f.data, f.name, MAX_KEPT_PARAMS_BYTES);
          if (!a.W || !a.V || !a.step) throw new Error('expected arrays W, V and step');
        } catch (e) {
          throw zipRefusal(label, f.name, 'invalid-file', e instanceof Error ? e.message : String(e));
        }
        out.push({ rel: `${base}/${rel}`, data: f.data });
      }
    }
  }

  const sessionId = archivedSessionId !== null && !taken.sessions.has(archivedSessionId.toLowerCase()) ? archivedSessionId : newId('s', now);
  if (archivedSessionId !== null && sessionId !== archivedSessionId) renamed[archivedSessionId] = sessionId;
  const sessionManifest = {
    schemaVersion: SESSION_MANIFEST_VERSION,
    sessionId,
    name: sessionName.slice(0, 200),
    createdAt: sessionCreated,
    updatedAt: now.toISOString(),
  };
  const sessionFile = byName.get(SESSION_MANIFEST_FILE);
  const keepManifestBytes =
    sessionFile !== undefined && sessionId === archivedSessionId && !migrated.includes(SESSION_MANIFEST_FILE) && opts.sessionName === undefined;

  // Everything checked: assemble the session in a hidden folder (listings skip dot-names), then rename.
  const root = path.join(dataDir, SESSIONS_DIR);
  const tmp = path.join(root, `.import-${randomBytes(6).toString('hex')}`);
  const dst = path.join(root, sessionId);
  try {
    fs.mkdirSync(path.join(tmp, RUNS_DIR), { recursive: true });
    for (const f of out) {
      const target = path.join(tmp, ...f.rel.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      writeFileAtomicSync(fs, target, f.data);
    }
    writeFileAtomicSync(fs, path.join(tmp, SESSION_MANIFEST_FILE), keepManifestBytes ? sessionFile.data : json(sessionManifest));
    if (nodeFs.existsSync(dst)) throw new WorkbenchException('io-error', `${dst} appeared while importing; nothing was imported`);
    fs.renameSync(tmp, dst);
    fsyncDir(fs, root);
  } catch (e) {
    nodeFs.rmSync(tmp, { recursive: true, force: true });
    throw ioError(dst, 'import into', e);
  }
  return { sessionId, name: sessionManifest.name, runIds, renamed, migrated };
}
