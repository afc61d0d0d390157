/**
 * The run table's service (issue 15): lists every run of every session as a {@link RunRow} from its small
 * summary file (rebuilt when missing), with its tags and note; filters with the shared expression language;
 * annotates runs; deletes runs to the system trash.
 *
 * Ids are checked against ID_PATTERN and every folder is resolved inside the data directory, as the session
 * store does; a run whose files are corrupt is listed as failed with the session-corrupt message.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { ID_PATTERN } from '../../../shared/api/contract';
import { WorkbenchException } from '../../../shared/api/result';
import { MIGRATIONS, migrateDocument } from '../../../shared/session/migrations';
import { MAX_SMALL_JSON_BYTES, RUNS_DIR, SESSIONS_DIR, sessionManifestSchema } from '../../../shared/session/schema';
import { FilterSyntaxError } from '../../../shared/runs/filter';
import { filterRows, machineLine, parseRunFilter, type RunRow } from '../../../shared/runs/table';
import type { RunSummaryFile } from '../../../shared/runs/summary';
import { ioError, openDataRoot, readFileLimited, realPathInside } from '../fsAtomic';
import { isRunOwnedByLiveProcess } from '../runWriter';
import { readAnnotations, readOrRebuildSummary, writeAnnotations } from './summary';

export interface RunTableOptions {
  /** moves paths to the system trash; rejects where no trash is available */
  trash?: (paths: string[]) => Promise<void>;
  now?: () => Date;
  /** folders read at once while listing */
  concurrency?: number;
}

const defaultTrash = async (paths: string[]): Promise<void> => {
  const mod = await import('trash');
  await mod.default(paths, { glob: false });
};

async function listIds(dir: string): Promise<string[]> {
  let ents: nodeFs.Dirent[];
  try {
    ents = await nodeFs.promises.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(dir, 'list', e);
  }
  return ents.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && ID_PATTERN.test(e.name)).map((e) => e.name);
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of the results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A table row from a summary, the run's annotations and whether a live process still writes it. */
export function rowFromSummary(
  s: RunSummaryFile,
  sessionId: string,
  sessionName: string,
  annotations: { tags: string[]; note: string } | null,
  owned: boolean,
): RunRow {
  // A run left running or paused by a process that is gone reads as interrupted (as in the session store).
  const interrupted = (s.status === 'running' || s.status === 'paused') && !owned;
  const durationMs =
    s.finishedAt !== null && !Number.isNaN(Date.parse(s.finishedAt)) && !Number.isNaN(Date.parse(s.startedAt))
      ? Date.parse(s.finishedAt) - Date.parse(s.startedAt)
      : s.final.wallMs;
  return {
    runId: s.runId,
    sessionId,
    sessionName,
    status: interrupted ? 'stopped' : s.status,
    reason: interrupted ? 'interrupted' : s.reason,
    config: s.config,
    learningRates: s.learningRates,
    lastStep: s.lastStep,
    finalLoss: s.final.loss,
    lossRatio: s.final.lossRatio,
    testLoss: s.final.testLoss,
    lambdaMin: s.final.lambdaMin,
    lambdaMax: s.final.lambdaMax,
    stepsPerSecond: s.stepsPerSecond,
    backend: s.backend,
    dtype: s.dtype,
    appVersion: s.appVersion,
    machine: machineLine(s.machine),
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs,
    tags: annotations?.tags ?? [],
    note: annotations?.note ?? '',
  };
}

function corruptRow(runId: string, sessionId: string, sessionName: string, message: string): RunRow {
  return {
    runId,
    sessionId,
    sessionName,
    status: 'failed',
    reason: `session-corrupt: ${message}`,
    config: {},
    learningRates: null,
    lastStep: 0,
    finalLoss: null,
    lossRatio: null,
    testLoss: null,
    lambdaMin: null,
    lambdaMax: null,
    stepsPerSecond: null,
    backend: '',
    dtype: '',
    appVersion: '',
    machine: '',
    startedAt: '',
    finishedAt: null,
    durationMs: null,
    tags: [],
    note: '',
  };
}

/** The run table over one data directory. */
export class RunTable {
  readonly dataDir: string;
  private readonly trash: (paths: string[]) => Promise<void>;
  private readonly now: () => Date;
  private readonly concurrency: number;
  private realRoot: string | null = null;

  constructor(dataDir: string, opts: RunTableOptions = {}) {
    this.dataDir = path.resolve(dataDir);
    this.trash = opts.trash ?? defaultTrash;
    this.now = opts.now ?? (() => new Date());
    this.concurrency = opts.concurrency ?? 16;
  }

  private async root(): Promise<string> {
    this.realRoot ??= await openDataRoot(this.dataDir, SESSIONS_DIR);
    return this.realRoot;
  }

  private async sessionName(root: string, sessionId: string): Promise<string> {
    try {
      const dir = await realPathInside(root, path.join(root, SESSIONS_DIR, sessionId));
      if (dir === null) return sessionId;
      const buf = await readFileLimited(path.join(dir, 'session.json'), MAX_SMALL_JSON_BYTES);
      if (buf === null) return sessionId;
      const m = migrateDocument(JSON.parse(buf.toString('utf8')), MIGRATIONS.sessionManifest);
      if (!m.ok) return sessionId;
      const v = sessionManifestSchema.safeParse(m.doc);
      return v.success ? v.data.name : sessionId;
    } catch {
      return sessionId;
    }
  }

  /** One run's row; a run whose files are corrupt comes back as a failed row naming the file. */
  private async row(root: string, sessionId: string, sessionName: string, runId: string): Promise<RunRow | null> {
    const p = path.join(root, SESSIONS_DIR, sessionId, RUNS_DIR, runId);
    try {
      const runDir = await realPathInside(root, p);
      if (runDir === null) return null;
      const { summary } = await readOrRebuildSummary(runDir, { isLive: isRunOwnedByLiveProcess });
      if (summary.runId !== runId)
        throw new WorkbenchException('session-corrupt', `${path.join(p, 'config.json')}: belongs to run ${JSON.stringify(summary.runId)}, not ${runId}`);
      const annotations = await readAnnotations(runDir).catch(() => null);
      const owned = summary.status === 'running' || summary.status === 'paused' ? isRunOwnedByLiveProcess(runDir) : false;
      return rowFromSummary(summary, sessionId, sessionName, annotations, owned);
    } catch (e) {
      if (e instanceof WorkbenchException && (e.code === 'session-corrupt' || e.code === 'io-error'))
        return corruptRow(runId, sessionId, sessionName, e.message);
      throw e;
    }
  }

  /**
   * Every run of every session, oldest first. With `filter`, only the runs it keeps; a filter that does not
   * parse is invalid-request with the parser's message (where and what was expected).
   */
  async list(opts: { filter?: string } = {}): Promise<RunRow[]> {
    let expr = null;
    if (opts.filter !== undefined && opts.filter.trim() !== '') {
      try {
        expr = parseRunFilter(opts.filter);
      } catch (e) {
        if (e instanceof FilterSyntaxError) throw new WorkbenchException('invalid-request', `filter: ${e.message}`, { column: e.column });
        throw e;
      }
    }
    const root = await this.root();
    const jobs: { sessionId: string; sessionName: string; runId: string }[] = [];
    for (const sessionId of await listIds(path.join(root, SESSIONS_DIR))) {
      const sessionName = await this.sessionName(root, sessionId);
      let runIds: string[];
      try {
        const sdir = await realPathInside(root, path.join(root, SESSIONS_DIR, sessionId));
        if (sdir === null) continue;
        runIds = await listIds(path.join(sdir, RUNS_DIR));
      } catch (e) {
        if (e instanceof WorkbenchException) continue;
        throw e;
      }
      for (const runId of runIds) jobs.push({ sessionId, sessionName, runId });
    }
    const rows = (await mapLimited(jobs, this.concurrency, (j) => this.row(root, j.sessionId, j.sessionName, j.runId))).filter((r): r is RunRow => r !== null);
    rows.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
    return expr === null ? rows : filterRows(rows, expr);
  }

  /** The folder of a run in any session (resolved inside the data directory); not-found when absent. */
  async runDir(runId: string): Promise<string> {
    return (await this.runEntry(runId)).real;
  }

  /**
   * Where a run is listed (`entry`: its folder in a session, or the link there to an experiment's cell folder)
   * and the folder that holds its files (`real`, inside the data directory).
   */
  private async runEntry(runId: string): Promise<{ entry: string; real: string }> {
    if (typeof runId !== 'string' || !ID_PATTERN.test(runId) || runId.length > 128) {
      throw new WorkbenchException('invalid-request', `runId: expected letters, digits, - and _ only, got ${JSON.stringify(runId)}`);
    }
    const root = await this.root();
    for (const sid of await listIds(path.join(root, SESSIONS_DIR))) {
      const p = path.join(root, SESSIONS_DIR, sid, RUNS_DIR, runId);
      const st = await nodeFs.promises.lstat(p).catch(() => null);
      if (!st || (!st.isDirectory() && !st.isSymbolicLink())) continue;
      const real = await realPathInside(root, p);
      if (real !== null) return { entry: p, real };
    }
    throw new WorkbenchException('not-found', `no run ${runId}`);
  }

  /** Sets a run's tags and/or note (the other is kept); written atomically to annotations.json. */
  async annotate(runId: string, change: { tags?: string[]; note?: string }): Promise<{ runId: string; tags: string[]; note: string }> {
    const dir = await this.runDir(runId);
    const current = await readAnnotations(dir).catch(() => null);
    const next = { tags: change.tags ?? current?.tags ?? [], note: change.note ?? current?.note ?? '' };
    const written = writeAnnotations(dir, next, { now: this.now });
    return { runId, tags: written.tags, note: written.note };
  }

  /**
   * Deletes runs: each to the system trash (`trashed: true`); where the trash does not work, permanently but
   * only with `confirmed` (else forbidden with needsConfirmation, nothing changed). A run a live process is
   * writing is refused before anything is deleted.
   */
  async delete(runIds: string[], opts: { confirmed?: boolean } = {}): Promise<{ deleted: string[]; trashed: boolean }> {
    // What goes is the run's entry in its session: its folder, or for an experiment's cell the link to the
    // cell's folder, which stays with the experiment (its verdict and figures are made from it).
    const dirs: string[] = [];
    for (const id of runIds) {
      const { entry, real } = await this.runEntry(id);
      if (isRunOwnedByLiveProcess(real)) throw new WorkbenchException('forbidden', `run ${id} is being written; stop it before deleting it`);
      dirs.push(entry);
    }
    let trashError: unknown = null;
    try {
      await this.trash(dirs);
    } catch (e) {
      trashError = e;
    }
    // lstat, not exists: a link whose target is still there is not gone
    const left = dirs.filter((d) => nodeFs.lstatSync(d, { throwIfNoEntry: false }) !== undefined);
    if (trashError === null && left.length === 0) return { deleted: runIds, trashed: true };
    if (!opts.confirmed) {
      const why = trashError instanceof Error ? trashError.message : 'the folders are still there';
      throw new WorkbenchException(
        'forbidden',
        `could not move ${left.length === 1 ? 'the run' : `${left.length} runs`} to the system trash (${why}); confirm to delete permanently`,
        {
          needsConfirmation: true,
        },
      );
    }
    for (const d of left) {
      try {
        await nodeFs.promises.rm(d, { recursive: true, force: true });
      } catch (e) {
        throw ioError(d, 'delete', e);
      }
    }
    return { deleted: runIds, trashed: left.length === 0 };
  }
}
