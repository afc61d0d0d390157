/**
 * The session store: sessions and their runs on disk, under one data directory.
 *
 *   <dataDir>/sessions/<sessionId>/session.json            manifest (name, dates)
 *   <dataDir>/sessions/<sessionId>/runs/<runId>/            run folder format v1 (+ theory.json, checkpoints/)
 *
 * Loading is parse → migrate → validate; a corrupt or foreign file is reported as session-corrupt naming
 * the file and is never modified or deleted. Ids are checked against ID_PATTERN and every path is resolved
 * (through symlinks) and must stay inside the data directory.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { ID_PATTERN, type RunDetail, type RunSummary } from '../../shared/api/contract';
import { WorkbenchException } from '../../shared/api/result';
import {
  RUN_FILES,
  parseMetricsText,
  runConfigFileSchema,
  runStatusFileSchema,
  type MetricRecord,
  type RunConfigFile,
  type RunStatusFile,
} from '../../shared/run/format';
import { MIGRATIONS, migrateDocument, type MigrationSet } from '../../shared/session/migrations';
import { readStoredRunTheory } from '../../shared/run/theory';
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
  type SessionManifest,
} from '../../shared/session/schema';
import type { SessionSummary } from '../../shared/session/types';
import { CHECKPOINT_DIR, MAX_CHECKPOINT_BYTES, inspectCheckpoints, readLatestCheckpoint, type Checkpoint } from './checkpoint';
import {
  type FsLayer,
  ioError,
  isInside,
  openDataRoot,
  readFileLimited,
  realFs,
  realPathInside,
  writeFileAtomicSync,
  writeJsonAtomicSync,
  fsyncDir,
} from './fsAtomic';
import { NEW_RUN_PREFIX, OWNER_FILE, RunWriter, isRunActive, isRunOwnedByLiveProcess, readRunOwner } from './runWriter';
import { stampLiveness } from './processInfo';
import { PARAMS_DIR } from './export/keptParams';
import { newId as freshId } from './ids';
import { ANNOTATIONS_FILE } from '../../shared/runs/summary';

export const DEFAULT_SESSION_ID = 'default';
export const DEFAULT_SESSION_NAME = 'Default session';

/** Injectable environment of a store (tests replace the trash and the clock). */
export interface SessionStoreOptions {
  fs?: FsLayer;
  /** moves paths to the system trash; rejects where no trash is available */
  trash?: (paths: string[]) => Promise<void>;
  now?: () => Date;
  /** reads a file within a size limit (default: readFileLimited; tests wrap it to interleave events) */
  readFile?: (file: string, maxBytes: number) => Promise<Buffer | null>;
}

/** Names of temp files and folders that our atomic writes leave behind when a process dies mid-write. */
const TEMP_FILE_RE = /^\..+\.tmp-\d+-a?\d+$/;
const TEMP_SESSION_DIR_RE = /^\.(new|dup)-/;

const defaultTrash = async (paths: string[]): Promise<void> => {
  const mod = await import('trash');
  await mod.default(paths, { glob: false });
};

function corrupt(file: string, why: string, details: Record<string, unknown> = {}): WorkbenchException {
  return new WorkbenchException('session-corrupt', `${file}: ${why}`, { file, ...details });
}

/** Sessions and runs under one data directory. */
export class SessionStore {
  readonly dataDir: string;
  private readonly fs: FsLayer;
  private readonly trash: (paths: string[]) => Promise<void>;
  private readonly now: () => Date;
  private readonly readFile: (file: string, maxBytes: number) => Promise<Buffer | null>;
  private realRoot: string | null = null;

  constructor(dataDir: string, opts: SessionStoreOptions = {}) {
    this.dataDir = path.resolve(dataDir);
    this.fs = opts.fs ?? realFs;
    this.trash = opts.trash ?? defaultTrash;
    this.now = opts.now ?? (() => new Date());
    this.readFile = opts.readFile ?? readFileLimited;
  }

  // ---- paths and ids -------------------------------------------------------------------------------

  private async root(): Promise<string> {
    this.realRoot ??= await openDataRoot(this.dataDir, SESSIONS_DIR);
    return this.realRoot;
  }

  private static checkId(kind: 'sessionId' | 'runId', id: unknown): string {
    if (typeof id !== 'string' || id.length === 0 || id.length > 128 || !ID_PATTERN.test(id)) {
      throw new WorkbenchException('invalid-request', `${kind}: expected letters, digits, - and _ only (no separators or ..), got ${JSON.stringify(id)}`);
    }
    return id;
  }

  /** The session's folder (resolved inside the data dir); not-found if absent. */
  private async sessionDir(sessionId: string): Promise<string> {
    SessionStore.checkId('sessionId', sessionId);
    const root = await this.root();
    const real = await realPathInside(root, path.join(root, SESSIONS_DIR, sessionId));
    if (real === null) throw new WorkbenchException('not-found', `no session ${sessionId}`);
    return real;
  }

  private async readJson<S extends z.ZodType>(file: string, maxBytes: number, set: MigrationSet, schema: S): Promise<z.output<S> | null> {
    const root = await this.root();
    const real = await realPathInside(root, file);
    if (real === null) return null;
    const buf = await this.readFile(real, maxBytes);
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

  private async readManifest(sessionDir: string, sessionId: string): Promise<SessionManifest> {
    const file = path.join(sessionDir, SESSION_MANIFEST_FILE);
    const man = await this.readJson(file, MAX_SMALL_JSON_BYTES, MIGRATIONS.sessionManifest, sessionManifestSchema);
    if (man === null) throw corrupt(file, 'missing');
    if (man.sessionId !== sessionId) throw corrupt(file, `belongs to session ${JSON.stringify(man.sessionId)}, not ${sessionId}`);
    return man;
  }

  private writeManifest(sessionDir: string, man: SessionManifest): void {
    writeJsonAtomicSync(this.fs, path.join(sessionDir, SESSION_MANIFEST_FILE), man);
  }

  private async listIds(dir: string): Promise<string[]> {
    let ents: nodeFs.Dirent[];
    try {
      ents = await nodeFs.promises.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError(dir, 'list', e);
    }
    // Temp folders (leading dot) and foreign names are not ours to show.
    return ents.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && ID_PATTERN.test(e.name)).map((e) => e.name);
  }

  // ---- sessions ------------------------------------------------------------------------------------

  /** Lists every session, newest first; a session with an unreadable manifest is listed with `corrupt` set. */
  async listSessions(): Promise<SessionSummary[]> {
    const root = await this.root();
    const out: SessionSummary[] = [];
    for (const id of await this.listIds(path.join(root, SESSIONS_DIR))) {
      try {
        out.push(await this.summarizeSession(id));
      } catch (e) {
        if (!(e instanceof WorkbenchException) || (e.code !== 'session-corrupt' && e.code !== 'not-found')) throw e;
        out.push({ sessionId: id, name: id, createdAt: '', updatedAt: '', runCount: 0, regimes: [], widths: [], status: null, corrupt: e.message });
      }
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  private async summarizeSession(sessionId: string): Promise<SessionSummary> {
    const dir = await this.sessionDir(sessionId);
    const man = await this.readManifest(dir, sessionId);
    const runs = await this.listRuns(sessionId);
    const regimes = [...new Set(runs.map((r) => r.regime).filter((r) => r !== ''))].sort();
    const widths = [...new Set(runs.map((r) => r.hiddenWidth).filter((w) => w > 0))].sort((a, b) => a - b);
    const newest = runs[runs.length - 1];
    return {
      sessionId,
      name: man.name,
      createdAt: man.createdAt,
      updatedAt: man.updatedAt,
      runCount: runs.length,
      regimes,
      widths,
      status: newest ? newest.status : null,
    };
  }

  private async makeSession(sessionId: string, name: string): Promise<SessionSummary> {
    const root = await this.root();
    const dir = path.join(root, SESSIONS_DIR, sessionId);
    const now = this.now().toISOString();
    const tmp = path.join(root, SESSIONS_DIR, `.new-${sessionId}`);
    try {
      try {
        nodeFs.rmSync(tmp, { recursive: true, force: true });
        this.fs.mkdirSync(path.join(tmp, RUNS_DIR), { recursive: true });
      } catch (e) {
        throw ioError(dir, 'create', e);
      }
      this.writeManifest(tmp, { schemaVersion: SESSION_MANIFEST_VERSION, sessionId, name, createdAt: now, updatedAt: now });
      try {
        // The folder appears whole or not at all.
        this.fs.renameSync(tmp, dir);
        fsyncDir(this.fs, path.dirname(dir));
      } catch (e) {
        throw ioError(dir, 'create', e);
      }
    } catch (e) {
      // A half-made session (a full disk) is removed, not left as debris.
      nodeFs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return { sessionId, name, createdAt: now, updatedAt: now, runCount: 0, regimes: [], widths: [], status: null };
  }

  private newId(prefix: string): string {
    return freshId(prefix, this.now());
  }

  private static checkName(name: unknown): string {
    const n = typeof name === 'string' ? name.trim() : '';
    if (n.length < 1 || n.length > 200) throw new WorkbenchException('invalid-request', `name: expected 1 to 200 characters, got ${JSON.stringify(name)}`);
    return n;
  }

  /** Creates an empty session with a fresh id. */
  async createSession(name: string): Promise<SessionSummary> {
    return this.makeSession(this.newId('s'), SessionStore.checkName(name));
  }

  /** Returns the default session (id "default"), creating it when missing. */
  async ensureDefaultSession(): Promise<SessionSummary> {
    const root = await this.root();
    if ((await realPathInside(root, path.join(root, SESSIONS_DIR, DEFAULT_SESSION_ID))) === null) {
      return this.makeSession(DEFAULT_SESSION_ID, DEFAULT_SESSION_NAME);
    }
    return this.summarizeSession(DEFAULT_SESSION_ID);
  }

  /** Renames a session (manifest replaced atomically). */
  async renameSession(sessionId: string, name: string): Promise<SessionSummary> {
    const n = SessionStore.checkName(name);
    const dir = await this.sessionDir(sessionId);
    const man = await this.readManifest(dir, sessionId);
    this.writeManifest(dir, { ...man, name: n, updatedAt: this.now().toISOString() });
    return this.summarizeSession(sessionId);
  }

  /**
   * Copies a session with all its runs under new ids (each run's config.json gets its new runId). The
   * copy is assembled in a temp folder and renamed into place, so a crash leaves no half session.
   */
  async duplicateSession(sessionId: string, name?: string): Promise<SessionSummary> {
    const srcDir = await this.sessionDir(sessionId);
    const man = await this.readManifest(srcDir, sessionId);
    const root = await this.root();
    const newId = this.newId('s');
    const tmp = path.join(root, SESSIONS_DIR, `.dup-${newId}`);
    const dst = path.join(root, SESSIONS_DIR, newId);
    const now = this.now().toISOString();
    try {
      this.fs.mkdirSync(path.join(tmp, RUNS_DIR), { recursive: true });
      for (const runId of await this.listIds(path.join(srcDir, RUNS_DIR))) {
        await this.copyRun(path.join(srcDir, RUNS_DIR, runId), path.join(tmp, RUNS_DIR, this.newId('run')));
      }
      this.writeManifest(tmp, {
        schemaVersion: SESSION_MANIFEST_VERSION,
        sessionId: newId,
        name: name === undefined ? `${man.name} (copy)`.slice(0, 200) : SessionStore.checkName(name),
        createdAt: now,
        updatedAt: now,
      });
      this.fs.renameSync(tmp, dst);
      fsyncDir(this.fs, path.dirname(dst));
    } catch (e) {
      nodeFs.rmSync(tmp, { recursive: true, force: true });
      throw ioError(dst, 'duplicate into', e);
    }
    return this.summarizeSession(newId);
  }

  private async copyRun(src: string, dst: string): Promise<void> {
    const root = await this.root();
    const realSrc = await realPathInside(root, src);
    if (realSrc === null) return;
    const config = await this.readJson(path.join(realSrc, RUN_FILES.config), MAX_CONFIG_BYTES, MIGRATIONS.runConfig, runConfigFileSchema);
    if (config === null) throw corrupt(path.join(src, RUN_FILES.config), 'missing');
    this.fs.mkdirSync(dst, { recursive: true });
    writeJsonAtomicSync(this.fs, path.join(dst, RUN_FILES.config), { ...config, runId: path.basename(dst) });
    const copyFile = async (from: string, to: string) => {
      const st = await nodeFs.promises.lstat(from).catch(() => null);
      // Only regular files are copied: a symlink in a run folder is never followed out of it, a FIFO never opened.
      if (!st || !st.isFile()) return;
      const bytes = await readFileLimited(from, MAX_CHECKPOINT_BYTES);
      if (bytes !== null) writeFileAtomicSync(this.fs, to, bytes);
    };
    for (const f of [RUN_FILES.metrics, RUN_FILES.status, RUN_FILES.theory, ANNOTATIONS_FILE]) await copyFile(path.join(realSrc, f), path.join(dst, f));
    const cpSrc = path.join(realSrc, CHECKPOINT_DIR);
    const names = await nodeFs.promises.readdir(cpSrc).catch(() => [] as string[]);
    if (names.length > 0) this.fs.mkdirSync(path.join(dst, CHECKPOINT_DIR), { recursive: true });
    for (const n of names) if (/^ckpt-\d{12}\.bin$/.test(n)) await copyFile(path.join(cpSrc, n), path.join(dst, CHECKPOINT_DIR, n));
    // The kept parameters (θ₀ and the final θ) belong to the run as much as its metrics do.
    const kept = (await nodeFs.promises.readdir(path.join(realSrc, PARAMS_DIR)).catch(() => [] as string[])).filter((n) => /^(initial|final)\.npz$/.test(n));
    if (kept.length > 0) this.fs.mkdirSync(path.join(dst, PARAMS_DIR), { recursive: true });
    for (const n of kept) await copyFile(path.join(realSrc, PARAMS_DIR, n), path.join(dst, PARAMS_DIR, n));
  }

  /**
   * Deletes a session: to the system trash where that works (`trashed: true`); otherwise permanently,
   * but only when `confirmed` is passed (else forbidden, nothing changed). Refuses while one of its runs
   * is being written.
   */
  async deleteSession(sessionId: string, opts: { confirmed?: boolean } = {}): Promise<{ sessionId: string; trashed: boolean }> {
    const dir = await this.sessionDir(sessionId);
    for (const runId of await this.listIds(path.join(dir, RUNS_DIR))) {
      if (isRunActive(path.join(dir, RUNS_DIR, runId))) {
        throw new WorkbenchException('forbidden', `session ${sessionId} has a run in progress (${runId}); stop it before deleting the session`);
      }
    }
    const root = await this.root();
    const linkPath = path.join(root, SESSIONS_DIR, sessionId);
    let trashError: unknown = null;
    try {
      await this.trash([linkPath]);
    } catch (e) {
      trashError = e;
    }
    if (trashError === null && !nodeFs.existsSync(linkPath)) return { sessionId, trashed: true };
    if (!opts.confirmed) {
      const why = trashError instanceof Error ? trashError.message : 'the folder is still there';
      throw new WorkbenchException('forbidden', `could not move session ${sessionId} to the system trash (${why}); confirm to delete it permanently`, {
        needsConfirmation: true,
      });
    }
    try {
      await nodeFs.promises.rm(linkPath, { recursive: true, force: true });
    } catch (e) {
      throw ioError(linkPath, 'delete', e);
    }
    return { sessionId, trashed: false };
  }

  // ---- runs ----------------------------------------------------------------------------------------

  /**
   * Creates a run folder in a session with a fresh run id (`run-<yyyymmddhhmmss>-<8 hex>`), writes its
   * config.json (with that id) and status.json, and returns the open writer.
   */
  async createRun(sessionId: string, configFile: Omit<RunConfigFile, 'runId'>): Promise<{ runId: string; runDir: string; writer: RunWriter }> {
    const dir = await this.sessionDir(sessionId);
    const man = await this.readManifest(dir, sessionId);
    const runId = this.newId('run');
    const runDir = path.join(dir, RUNS_DIR, runId);
    // The manifest first: if it cannot be written (a full disk), no run folder has been made yet.
    this.writeManifest(dir, { ...man, updatedAt: this.now().toISOString() });
    const writer = await RunWriter.create(runDir, { ...configFile, runId } as RunConfigFile, { fs: this.fs });
    return { runId, runDir, writer };
  }

  /** Finds the folder of a run in any session; not-found when no session has it. */
  async findRunDir(runId: string): Promise<string> {
    SessionStore.checkId('runId', runId);
    const root = await this.root();
    for (const sid of await this.listIds(path.join(root, SESSIONS_DIR))) {
      const p = path.join(root, SESSIONS_DIR, sid, RUNS_DIR, runId);
      let st: nodeFs.Stats;
      try {
        st = await nodeFs.promises.lstat(p);
      } catch {
        continue;
      }
      if (!st.isDirectory() && !st.isSymbolicLink()) continue;
      const real = await realPathInside(root, p);
      if (real !== null) return real;
    }
    throw new WorkbenchException('not-found', `no run ${runId}`);
  }

  private async readConfigAndStatus(runDir: string, runId: string): Promise<{ config: RunConfigFile; status: RunStatusFile }> {
    const cfgFile = path.join(runDir, RUN_FILES.config);
    const config = await this.readJson(cfgFile, MAX_CONFIG_BYTES, MIGRATIONS.runConfig, runConfigFileSchema);
    if (config === null) throw corrupt(cfgFile, 'missing');
    if (config.runId !== runId) throw corrupt(cfgFile, `belongs to run ${JSON.stringify(config.runId)}, not ${runId}`);
    const stFile = path.join(runDir, RUN_FILES.status);
    const status = await this.readJson(stFile, MAX_SMALL_JSON_BYTES, MIGRATIONS.runStatus, runStatusFileSchema);
    if (status === null) throw corrupt(stFile, 'missing');
    return { config, status };
  }

  /**
   * `owned` must be taken before status.json is read: a writer writes the final status before it lets go
   * of the run, so "not owned" then means the status read afterwards is final, while a run that finishes
   * between the two reads is shown as still running rather than as interrupted.
   */
  private summarize(sessionId: string, runId: string, config: RunConfigFile, status: RunStatusFile, lastRecordStep: number, owned: boolean): RunSummary {
    const interrupted = (status.status === 'running' || status.status === 'paused') && !owned;
    return {
      runId,
      sessionId,
      status: interrupted ? 'stopped' : status.status,
      reason: interrupted ? 'interrupted' : status.reason,
      regime: config.config.regime,
      hiddenWidth: config.config.hiddenWidth,
      samples: config.config.samples,
      steps: config.config.steps,
      lastStep: Math.max(status.lastStep, lastRecordStep),
      startedAt: config.startedAt,
      backend: config.backend,
      dtype: config.dtype,
    };
  }

  /** Lists the runs of a session, oldest first; a corrupt run is listed as failed with the session-corrupt message. */
  async listRuns(sessionId: string): Promise<RunSummary[]> {
    const dir = await this.sessionDir(sessionId);
    const out: RunSummary[] = [];
    for (const runId of await this.listIds(path.join(dir, RUNS_DIR))) {
      const p = path.join(dir, RUNS_DIR, runId);
      try {
        const runDir = await realPathInside(await this.root(), p);
        if (runDir === null) continue;
        const owned = isRunOwnedByLiveProcess(runDir);
        const { config, status } = await this.readConfigAndStatus(runDir, runId);
        out.push(this.summarize(sessionId, runId, config, status, await lastRecordedStep(path.join(runDir, RUN_FILES.metrics)), owned));
      } catch (e) {
        if (!(e instanceof WorkbenchException) || e.code !== 'session-corrupt') throw e;
        out.push({
          runId,
          sessionId,
          status: 'failed',
          reason: `session-corrupt: ${e.message}`,
          regime: '',
          hiddenWidth: 0,
          samples: 0,
          steps: 0,
          lastStep: 0,
          startedAt: '',
          backend: '',
          dtype: '',
        });
      }
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  }

  /** Lists the runs of every session, oldest first. */
  async listAllRuns(): Promise<RunSummary[]> {
    const root = await this.root();
    const out: RunSummary[] = [];
    for (const sid of await this.listIds(path.join(root, SESSIONS_DIR))) {
      try {
        out.push(...(await this.listRuns(sid)));
      } catch (e) {
        if (!(e instanceof WorkbenchException) || (e.code !== 'session-corrupt' && e.code !== 'not-found')) throw e;
      }
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  }

  /**
   * Reads everything needed to redraw a run: config, status, every metrics record (a torn last line is
   * ignored) and theory. Corrupt files give session-corrupt naming the file; nothing is modified.
   */
  async readRun(runId: string): Promise<RunDetail> {
    const runDir = await this.findRunDir(runId);
    const owned = isRunOwnedByLiveProcess(runDir);
    const { config, status } = await this.readConfigAndStatus(runDir, runId);
    const records = await this.readMetrics(path.join(runDir, RUN_FILES.metrics));
    const theoryFile = await this.readJson(path.join(runDir, RUN_FILES.theory), MAX_THEORY_BYTES, MIGRATIONS.theory, theoryFileSchema);
    const last = records.length > 0 ? records[records.length - 1]!.step : 0;
    return {
      summary: this.summarize(path.basename(path.dirname(path.dirname(runDir))), runId, config, status, last, owned),
      config,
      status,
      records,
      theory: theoryFile ? readStoredRunTheory(theoryFile.theory) : null,
    };
  }

  private async readMetrics(file: string): Promise<MetricRecord[]> {
    const real = await realPathInside(await this.root(), file);
    if (real === null) return [];
    const buf = await this.readFile(real, MAX_METRICS_BYTES);
    if (buf === null) return [];
    const parsed = parseMetricsText(buf.toString('utf8'));
    if ('error' in parsed) throw corrupt(file, `line ${parsed.line}: ${parsed.error}`, { line: parsed.line });
    return parsed.records;
  }

  /**
   * Rewrites status.json of a run left 'running' or 'paused' by a process that is gone as
   * {status: 'stopped', reason: 'interrupted'}. Returns true if it changed the file. For start-up.
   */
  async markInterrupted(runId: string): Promise<boolean> {
    const runDir = await this.findRunDir(runId);
    if (isRunOwnedByLiveProcess(runDir)) return false;
    const { status } = await this.readConfigAndStatus(runDir, runId);
    if (status.status !== 'running' && status.status !== 'paused') return false;
    // What is on disk, not what the dead process last claimed.
    const last = await lastRecordedStep(path.join(runDir, RUN_FILES.metrics));
    writeJsonAtomicSync(this.fs, path.join(runDir, RUN_FILES.status), {
      ...status,
      status: 'stopped',
      reason: 'interrupted',
      lastStep: last,
      updatedAt: this.now().toISOString(),
    } satisfies RunStatusFile);
    try {
      this.fs.unlinkSync(path.join(runDir, OWNER_FILE));
    } catch {
      /* no owner file left */
    }
    return true;
  }

  /**
   * Marks every interrupted run of every session (see {@link markInterrupted}); returns their ids. Corrupt
   * runs are skipped; a run whose status cannot be rewritten (a full disk, permissions) is left as it is and
   * reported to `onError` (it still reads as interrupted, from its dead owner), so start-up goes on.
   */
  async markAllInterrupted(opts: { onError?: (runId: string, e: WorkbenchException) => void } = {}): Promise<string[]> {
    const marked: string[] = [];
    for (const r of await this.listAllRuns()) {
      if (r.status === 'stopped' && r.reason === 'interrupted') {
        try {
          if (await this.markInterrupted(r.runId)) marked.push(r.runId);
        } catch (e) {
          if (!(e instanceof WorkbenchException)) throw e;
          if (e.code !== 'session-corrupt') opts.onError?.(r.runId, e);
        }
      }
    }
    return marked;
  }

  /**
   * Start-up: removes what a process killed mid-write leaves behind — temp files of atomic writes
   * (`.<name>.tmp-<pid>-<n>`, in session, run and checkpoint folders), half-made session folders
   * (`.new-*`, `.dup-*`) and half-made run folders (`.new-*` in a session's runs/). Only names our writes
   * use are touched, never through a link, and never in a run folder a live process owns. Returns how many
   * were removed; a removal that fails is reported to `onError` and left for the next start.
   */
  async removeDebris(opts: { onError?: (file: string, e: unknown) => void } = {}): Promise<number> {
    const root = await this.root();
    let removed = 0;
    const entries = async (dir: string): Promise<nodeFs.Dirent[]> => nodeFs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
    const remove = async (p: string, dir: boolean): Promise<void> => {
      try {
        if (dir) await nodeFs.promises.rm(p, { recursive: true, force: true });
        else await nodeFs.promises.unlink(p);
        removed++;
      } catch (e) {
        opts.onError?.(p, e);
      }
    };
    const tempFiles = async (dir: string): Promise<void> => {
      for (const e of await entries(dir)) if (e.isFile() && TEMP_FILE_RE.test(e.name)) await remove(path.join(dir, e.name), false);
    };
    const sessionsDir = path.join(root, SESSIONS_DIR);
    for (const s of await entries(sessionsDir)) {
      const sdir = path.join(sessionsDir, s.name);
      if (s.isDirectory() && TEMP_SESSION_DIR_RE.test(s.name)) {
        await remove(sdir, true);
        continue;
      }
      if (!s.isDirectory() || !ID_PATTERN.test(s.name)) continue;
      await tempFiles(sdir);
      const runsDir = path.join(sdir, RUNS_DIR);
      for (const r of await entries(runsDir)) {
        const rdir = path.join(runsDir, r.name);
        if (r.isDirectory() && r.name.startsWith(NEW_RUN_PREFIX)) {
          await remove(rdir, true);
          continue;
        }
        if (!r.isDirectory() || !ID_PATTERN.test(r.name) || isRunOwnedByLiveProcess(rdir)) continue;
        await tempFiles(rdir);
        await tempFiles(path.join(rdir, CHECKPOINT_DIR));
        await tempFiles(path.join(rdir, PARAMS_DIR));
      }
    }
    return removed;
  }

  /** The newest valid checkpoint of a run (older one if the newest is torn), or null. */
  async latestCheckpoint(runId: string): Promise<Checkpoint | null> {
    return readLatestCheckpoint(await this.findRunDir(runId));
  }

  /**
   * The checkpoint a resume starts from: the newest valid one. Without any checkpoint file it is
   * invalid-request (the run was not checkpointed); when there are files but none is usable it is
   * session-corrupt naming each file and what is wrong with it.
   */
  async resumeCheckpoint(runId: string): Promise<Checkpoint> {
    const { checkpoint, rejected } = await inspectCheckpoints(await this.findRunDir(runId));
    if (checkpoint) return checkpoint;
    if (rejected.length > 0) {
      throw new WorkbenchException(
        'session-corrupt',
        `run ${runId} cannot resume: ${rejected.length === 1 ? 'its checkpoint is' : `all ${rejected.length} checkpoints are`} unusable — ${rejected.map((r) => `${r.file}: ${r.reason}`).join('; ')}`,
        { files: rejected.map((r) => r.file), reasons: rejected.map((r) => r.reason) },
      );
    }
    throw new WorkbenchException('invalid-request', `run ${runId} has no checkpoint to resume from (set checkpointEvery > 0)`);
  }

  /**
   * Prepares an interrupted run to continue: finds its newest valid checkpoint, drops the metrics from
   * its step on (they are recomputed; without a checkpoint all are dropped and the run restarts at step 0),
   * sets status 'running' and returns the open writer. The engine resumes with `resumeFrom: checkpoint`.
   */
  async openForResume(runId: string): Promise<{ runDir: string; config: RunConfigFile; checkpoint: Checkpoint | null; writer: RunWriter }> {
    const runDir = await this.findRunDir(runId);
    const { config, status } = await this.readConfigAndStatus(runDir, runId);
    if (status.status === 'finished') throw new WorkbenchException('invalid-request', `run ${runId} has already finished`);
    const checkpoint = await readLatestCheckpoint(runDir);
    const writer = await this.openRunForResume(runId, checkpoint ? checkpoint.step : 0);
    return { runDir, config, checkpoint, writer };
  }

  /**
   * Opens a run's writer to continue from a checkpoint the caller already read: records at and after
   * `checkpointStep` are dropped (the engine records the checkpoint step again when it resumes; pass 0
   * to drop all), and status is set to 'running'.
   */
  async openRunForResume(runId: string, checkpointStep: number, opts: { takeOver?: boolean } = {}): Promise<RunWriter> {
    if (!Number.isInteger(checkpointStep) || checkpointStep < 0) {
      throw new WorkbenchException('invalid-request', `checkpointStep: expected an integer ≥ 0, got ${checkpointStep}`);
    }
    const keepThroughStep = checkpointStep - 1;
    const runDir = await this.findRunDir(runId);
    if (isRunActive(runDir)) throw new WorkbenchException('forbidden', `run ${runId} is being written by this app`);
    if (isRunOwnedByLiveProcess(runDir) && !opts.takeOver) {
      const owner = readRunOwner(runDir);
      const since = owner?.startedAt ? ` (started ${owner.startedAt})` : '';
      throw new WorkbenchException(
        'forbidden',
        `run ${runId} is marked as being written by process ${owner?.pid ?? '?'}${since}, which is running. If that process is not writing this run (its id may have been reused), take the run over.`,
        { needsConfirmation: true, pid: owner?.pid ?? null, startedAt: owner?.startedAt ?? null, liveness: owner ? stampLiveness(owner) : null },
      );
    }
    await this.readConfigAndStatus(runDir, runId);
    await this.readMetrics(path.join(runDir, RUN_FILES.metrics));
    const writer = await RunWriter.open(runDir, { fs: this.fs, keepThroughStep });
    await writer.setStatus({ status: 'running', reason: null, lastStep: checkpointStep });
    return writer;
  }

  /** The folder of a session (resolved inside the data directory); not-found if absent. For export and archives. */
  async sessionFolder(sessionId: string): Promise<string> {
    return this.sessionDir(sessionId);
  }

  /** True if the path is inside the data directory (after resolving symlinks). For adapters that accept paths. */
  async contains(p: string): Promise<boolean> {
    const root = await this.root();
    try {
      return isInside(root, await nodeFs.promises.realpath(p));
    } catch {
      return false;
    }
  }
}

/** The step of the last complete metrics line, reading only the file's tail (0 when none). */
async function lastRecordedStep(file: string): Promise<number> {
  let fh: nodeFs.promises.FileHandle;
  try {
    // Never open what is not a regular file: a FIFO would block the open.
    if (!(await nodeFs.promises.lstat(file)).isFile()) return 0;
    fh = await nodeFs.promises.open(file, nodeFs.constants.O_RDONLY | (nodeFs.constants.O_NONBLOCK ?? 0));
  } catch {
    return 0;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return 0;
    const size = st.size;
    const n = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (i === lines.length - 1) continue; // unterminated: possibly torn
      try {
        const step = (JSON.parse(lines[i]!) as { step?: unknown }).step;
        if (typeof step === 'number') return step;
      } catch {
        /* the first line of the tail window may be cut; keep looking backwards */
      }
    }
    return 0;
  } finally {
    await fh.close();
  }
}
