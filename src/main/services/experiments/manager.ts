/**
 * The app's experiments (UI and browser mode): each preset run into `<dataDir>/experiments/<experimentId>/`
 * (the same folder `ntk-workbench experiment --out` writes), progress as `experiment:progress` events, the
 * verdict and the figures' data once it ends. Experiments of earlier processes are listed from their folders;
 * one left unfinished (a crash, a cancel) resumes when started again with its id.
 *
 * Each cell a normal run saved in a session: an experiment started here creates a session named after it
 * (`E5 (quick) · x-…`, its id kept in `session-link.json` of the experiment folder) and links each training
 * cell's run folder into it as `sessions/<sessionId>/runs/<runId>` → `experiments/<id>/runs/<cellId>` (a symbolic
 * link; a junction on Windows) as soon as the run has ended, so the Sessions view and the run table list the
 * cells as runs. The files stay in the experiment folder (the CLI's layout); deleting such a run or session
 * removes the link only. Measurement cells (no training) are not runs and are not linked.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { WorkbenchException } from '../../../shared/api/result';
import type {
  ExperimentProgress,
  ExperimentProgressEvent,
  ExperimentRemote,
  ExperimentStartRequest,
  ExperimentState,
  SweepStartRequest,
  SweepState,
} from '../../../shared/experiments/api';
import { expandSweep, SweepSpecError } from '../../../shared/sweeps/spec';
import { SweepRunner, defaultJobs, sweepFolder } from '../sweeps/runner';
import { localExecutor, type CellExecutor } from '../sweeps/executor';
import { cellId } from '../sweeps/cellId';
import { PRESETS, presetParams, type ExperimentSummary, type PresetId } from '../../../shared/experiments/presets';
import type { ExperimentFigure } from '../../../shared/charts/experiments';
import { runExperiment, SESSION_LINK_FILE } from './runExperiment';
import type { SweepProgress } from '../sweeps/runner';
import type { WorkerLocator } from '../engineHost';
import { parseRedisUrl, RedisUrlError } from '../distributed/redisUrl';
import { defaultSweepId, redisExecutor, type DistributedEvent } from '../distributed/producer';
import { MAX_SWEEP_CELLS } from '../../../shared/sweeps/spec';
import { ID_PATTERN } from '../../../shared/api/contract';
import { RUNS_DIR, SESSIONS_DIR } from '../../../shared/session/schema';
import { RUN_FILES } from '../../../shared/run/format';
import { realFs, writeJsonAtomicSync } from '../fsAtomic';

/** What the manager needs of the session store: a new session with a name. */
export interface ExperimentSessions {
  createSession(name: string): Promise<{ sessionId: string }>;
}

export const EXPERIMENTS_DIR = 'experiments';

function toProgress(p: SweepProgress): ExperimentProgress {
  return {
    total: p.total,
    finished: p.finished,
    failed: p.failed,
    running: p.running,
    pending: p.pending,
    skipped: p.skipped,
    elapsedMs: p.elapsedMs,
    etaMs: p.etaMs,
    cellsPerMinute: p.cellsPerMinute,
  };
}

/** Runs and lists experiments (see the module doc). */
export class ExperimentManager {
  private readonly live = new Map<string, { state: ExperimentState; ac: AbortController; done: Promise<void> }>();
  private readonly sweeps = new Map<string, { state: SweepState; ac: AbortController; done: Promise<void> }>();

  constructor(
    private readonly dataDir: string,
    private readonly opts: { emit: (e: ExperimentProgressEvent) => void; log: (m: string) => void; worker?: WorkerLocator; sessions?: ExperimentSessions },
  ) {}

  /** The session of an experiment (from its folder, else a new one named after it; null without a session store). */
  private async sessionOf(id: string, name: string): Promise<string | null> {
    if (!this.opts.sessions) return null;
    const file = path.join(this.folder(id), SESSION_LINK_FILE);
    try {
      const v = (JSON.parse(await fsp.readFile(file, 'utf8')) as { sessionId?: unknown }).sessionId;
      if (typeof v === 'string' && ID_PATTERN.test(v)) {
        const runs = path.join(this.dataDir, SESSIONS_DIR, v, RUNS_DIR);
        if ((await fsp.stat(runs).catch(() => null))?.isDirectory()) return v;
      }
    } catch {
      // none yet (or an earlier one was deleted): a new session
    }
    const { sessionId } = await this.opts.sessions.createSession(`${name} · ${id}`);
    await fsp.mkdir(this.folder(id), { recursive: true });
    writeJsonAtomicSync(realFs, file, { sessionId });
    return sessionId;
  }

  /**
   * Links the ended training runs of an experiment into its session (see the module doc); a link whose run was
   * redone since (a failed cell computed again under a new run id) is replaced. Idempotent.
   */
  async linkRuns(id: string, sessionId: string): Promise<number> {
    const runsDir = path.join(this.folder(id), 'runs');
    const sessionRuns = path.join(this.dataDir, SESSIONS_DIR, sessionId, RUNS_DIR);
    let cells: string[];
    try {
      cells = (await fsp.readdir(runsDir)).filter((n) => /^c-[0-9a-f]{16}$/.test(n));
    } catch {
      return 0;
    }
    // stale links: their run folder now holds another run id, or is gone
    for (const name of await fsp.readdir(sessionRuns).catch(() => [] as string[])) {
      const link = path.join(sessionRuns, name);
      const target = await fsp.readlink(link).catch(() => null);
      if (target === null || path.dirname(path.resolve(sessionRuns, target)) !== runsDir) continue;
      const runId = await readRunId(path.resolve(sessionRuns, target));
      if (runId !== name) await fsp.unlink(link).catch(() => {});
    }
    let linked = 0;
    for (const cell of cells) {
      const dir = path.join(runsDir, cell);
      const runId = await readRunId(dir);
      if (runId === null || !ID_PATTERN.test(runId)) continue;
      let status: string | undefined;
      try {
        status = (JSON.parse(await fsp.readFile(path.join(dir, RUN_FILES.status), 'utf8')) as { status?: string }).status;
      } catch {
        continue;
      }
      if (status === 'running' || status === 'paused' || status === undefined) continue;
      try {
        await fsp.symlink(dir, path.join(sessionRuns, runId), 'junction');
        linked++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return linked;
  }

  private folder(id: string): string {
    return path.join(this.dataDir, EXPERIMENTS_DIR, id);
  }

  /** Starts a preset (or resumes `experimentId`); resolves at once with the running state. */
  async start(req: ExperimentStartRequest): Promise<ExperimentState> {
    const id = req.experimentId ?? `x-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (this.live.get(id)?.state.status === 'running') throw new WorkbenchException('invalid-request', `experiment ${id} is already running`);
    if (req.experimentId) {
      const old = await this.read(id);
      if (old.preset !== req.preset) throw new WorkbenchException('invalid-request', `experiment ${id} is ${old.preset}, not ${req.preset}`);
    }
    let redis = null;
    if (req.redisUrl !== undefined) {
      try {
        redis = parseRedisUrl(req.redisUrl, 'Redis URL');
      } catch (e) {
        if (e instanceof RedisUrlError) throw new WorkbenchException('invalid-request', e.message);
        throw e;
      }
    }
    const state: ExperimentState = {
      experimentId: id,
      preset: req.preset,
      quick: req.quick,
      status: 'running',
      folder: this.folder(id),
      startedAt: new Date().toISOString(),
      progress: null,
      summary: null,
      figures: [],
      error: null,
    };
    if (redis) state.remote = { redis: redis.display, workers: [], notice: null };
    // Bad parameters are refused before a session is made for the runs.
    try {
      presetParams(req.preset, req.quick, req.params ?? {});
    } catch (e) {
      throw new WorkbenchException('invalid-request', `${req.preset}: ${(e as Error).message}`);
    }
    const sessionId = await this.sessionOf(id, `${req.preset}${req.quick ? ' (quick)' : ''}`);
    if (sessionId) state.sessionId = sessionId;
    // The ended runs go into the session as the sweep moves (one linking at a time), and once more at its end.
    let linking: Promise<unknown> = Promise.resolve();
    const link = (): Promise<unknown> => {
      if (!sessionId) return linking;
      linking = linking
        .then(() => this.linkRuns(id, sessionId))
        .catch((e: unknown) => this.opts.log(`experiment ${id}: linking its runs into session ${sessionId}: ${e instanceof Error ? e.message : String(e)}`));
      return linking;
    };
    const ac = new AbortController();
    const emit = (): void =>
      this.opts.emit({ experimentId: id, status: state.status, progress: state.progress, ...(state.remote ? { remote: state.remote } : {}) });
    // "Run on: Redis URL": the runner's cells go to the workers on that Redis; their presence and notices reach the UI.
    const onRemote = remoteEvents(state, emit);
    const remote = redis
      ? { executor: redisExecutor({ redis, sweepId: defaultSweepId(state.folder), onEvent: onRemote }), jobs: MAX_SWEEP_CELLS }
      : req.jobs !== undefined
        ? { jobs: req.jobs }
        : {};
    const done = runExperiment({
      preset: req.preset,
      quick: req.quick,
      outDir: state.folder,
      ...(req.params ? { params: req.params } : {}),
      ...remote,
      ...(this.opts.worker ? { worker: this.opts.worker } : {}),
      signal: ac.signal,
      onProgress: (p) => {
        if (state.progress && p.finished + p.failed > state.progress.finished + state.progress.failed) void link();
        state.progress = toProgress(p);
        emit();
      },
    }).then(
      async (res) => {
        await link();
        state.progress = toProgress(res.sweep);
        state.status = res.cancelled ? 'cancelled' : 'finished';
        state.summary = res.cancelled ? null : res.summary;
        state.figures = res.figures;
        emit();
      },
      async (e: unknown) => {
        await link();
        state.status = 'failed';
        state.error = e instanceof Error ? e.message : String(e);
        this.opts.log(`experiment ${id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        emit();
      },
    );
    this.live.set(id, { state, ac, done });
    return { ...state };
  }

  /** Cancels a running experiment and waits for its cells to stop. */
  async cancel(id: string): Promise<ExperimentState> {
    const l = this.live.get(id);
    if (!l) return this.read(id);
    l.ac.abort();
    await l.done;
    return { ...l.state };
  }

  /** The state of an experiment, live or from its folder. */
  async get(id: string): Promise<ExperimentState> {
    const l = this.live.get(id);
    return l ? { ...l.state } : this.read(id);
  }

  /**
   * Starts a grid sweep (the Experiments view's Sweep form): the cells of base × grid × seeds on the sweep
   * runner into `<dataDir>/experiments/<sweepId>/` (sweep.json, runs/), as `ntk-workbench sweep` does; progress
   * as experiment:progress events; the ended runs linked into a session named after it. A grid whose key or
   * cell config is invalid is refused before anything runs (invalid-config naming the key and rule).
   */
  async startSweep(req: SweepStartRequest): Promise<SweepState> {
    let cells;
    try {
      cells = expandSweep({ base: req.base, grid: req.grid, ...(req.seeds ? { seeds: req.seeds } : {}) });
    } catch (e) {
      if (e instanceof SweepSpecError) throw new WorkbenchException('invalid-config', e.message);
      throw e;
    }
    let redis = null;
    if (req.redisUrl !== undefined) {
      try {
        redis = parseRedisUrl(req.redisUrl, 'Redis URL');
      } catch (e) {
        if (e instanceof RedisUrlError) throw new WorkbenchException('invalid-request', e.message);
        throw e;
      }
    }
    const id = `x-sweep-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const folder = this.folder(id);
    await fsp.mkdir(folder, { recursive: true });
    writeJsonAtomicSync(realFs, path.join(folder, 'sweep-spec.json'), { schemaVersion: 1, base: req.base, grid: req.grid, seeds: req.seeds ?? null });
    const state: SweepState = { sweepId: id, status: 'running', folder, startedAt: new Date().toISOString(), cells: cells.length, progress: null, error: null };
    if (redis) state.remote = { redis: redis.display, workers: [], notice: null };
    const sessionId = await this.sessionOf(id, 'Sweep');
    if (sessionId) state.sessionId = sessionId;
    let linking: Promise<unknown> = Promise.resolve();
    const link = (): Promise<unknown> => {
      if (!sessionId) return linking;
      linking = linking
        .then(() => this.linkRuns(id, sessionId))
        .catch((e: unknown) => this.opts.log(`sweep ${id}: linking its runs: ${e instanceof Error ? e.message : String(e)}`));
      return linking;
    };
    const emit = (): void =>
      this.opts.emit({ experimentId: id, status: state.status, progress: state.progress, ...(state.remote ? { remote: state.remote } : {}) });
    const onRemote = remoteEvents(state, emit);
    const executor: CellExecutor = redis
      ? redisExecutor({ redis, sweepId: defaultSweepId(folder), onEvent: onRemote })
      : localExecutor({ ...(this.opts.worker ? { worker: this.opts.worker } : {}) });
    const ac = new AbortController();
    const runner = new SweepRunner({
      name: 'sweep',
      ...sweepFolder(folder),
      cells: cells.map((c) => ({ id: cellId(c.config), index: c.index, point: c.point, work: { kind: 'train' as const, config: c.config } })),
      executor,
      jobs: redis ? MAX_SWEEP_CELLS : (req.jobs ?? defaultJobs()),
      signal: ac.signal,
      onProgress: (p) => {
        if (state.progress && p.finished + p.failed > state.progress.finished + state.progress.failed) void link();
        state.progress = toProgress(p);
        emit();
      },
    });
    const done = runner
      .run()
      .then(
        async (res) => {
          await link();
          state.progress = toProgress(res);
          state.status = res.cancelled ? 'cancelled' : 'finished';
        },
        async (e: unknown) => {
          await link();
          state.status = 'failed';
          state.error = e instanceof Error ? e.message : String(e);
          this.opts.log(`sweep ${id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        },
      )
      .finally(async () => {
        await executor.dispose().catch(() => {});
        emit();
      });
    this.sweeps.set(id, { state, ac, done });
    return { ...state };
  }

  /** Cancels a running sweep and waits for its cells to stop; finished cells are kept. */
  async cancelSweep(id: string): Promise<SweepState> {
    const l = this.sweeps.get(id);
    if (!l) throw new WorkbenchException('not-found', `no running sweep ${id}`);
    l.ac.abort();
    await l.done;
    return { ...l.state };
  }

  /** Every experiment of the data folder, newest first (figures left out). */
  async list(): Promise<ExperimentState[]> {
    let names: string[] = [];
    try {
      names = (await fsp.readdir(path.join(this.dataDir, EXPERIMENTS_DIR))).filter((n) => /^x-[a-z0-9-]{1,64}$/.test(n) && !n.startsWith('x-sweep-'));
    } catch {
      names = [];
    }
    const out: ExperimentState[] = [];
    for (const n of names) {
      try {
        out.push({ ...(await this.get(n)), figures: [] });
      } catch (e) {
        this.opts.log(`experiment ${n}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  }

  /** Reads a finished, cancelled or interrupted experiment back from its folder. */
  private async read(id: string): Promise<ExperimentState> {
    if (!/^x-[a-z0-9-]{1,64}$/.test(id)) throw new WorkbenchException('invalid-request', `experimentId: expected an experiment id, got ${JSON.stringify(id)}`);
    const folder = this.folder(id);
    let meta: { preset?: string; quick?: boolean };
    let startedAt: string;
    try {
      meta = JSON.parse(await fsp.readFile(path.join(folder, 'experiment.json'), 'utf8')) as typeof meta;
      startedAt = (await fsp.stat(path.join(folder, 'experiment.json'))).mtime.toISOString();
    } catch {
      throw new WorkbenchException('not-found', `no experiment ${id}`);
    }
    if (!meta.preset || !(meta.preset in PRESETS))
      throw new WorkbenchException('session-corrupt', `${folder}/experiment.json: unknown preset ${String(meta.preset)}`);
    let summary: ExperimentSummary | null = null;
    try {
      summary = JSON.parse(await fsp.readFile(path.join(folder, 'summary.json'), 'utf8')) as ExperimentSummary;
    } catch {
      summary = null;
    }
    let figures: ExperimentFigure[] = [];
    try {
      figures = JSON.parse(await fsp.readFile(path.join(folder, 'figures', 'figures.json'), 'utf8')) as ExperimentFigure[];
    } catch {
      figures = [];
    }
    let sessionId: string | undefined;
    try {
      const v = (JSON.parse(await fsp.readFile(path.join(folder, SESSION_LINK_FILE), 'utf8')) as { sessionId?: unknown }).sessionId;
      if (typeof v === 'string' && ID_PATTERN.test(v)) sessionId = v;
    } catch {
      sessionId = undefined;
    }
    return {
      experimentId: id,
      preset: meta.preset as PresetId,
      quick: meta.quick === true,
      status: summary ? 'finished' : 'cancelled',
      folder,
      startedAt,
      progress: null,
      summary,
      figures,
      error: null,
      ...(sessionId ? { sessionId } : {}),
    };
  }

  /** Cancels every running experiment (app shutdown). */
  async dispose(): Promise<void> {
    await Promise.all([...[...this.live.keys()].map((id) => this.cancel(id)), ...[...this.sweeps.keys()].map((id) => this.cancelSweep(id))]);
  }
}

/** The run id in a run folder's config.json (null when it has none yet). */
async function readRunId(dir: string): Promise<string | null> {
  try {
    const v = (JSON.parse(await fsp.readFile(path.join(dir, RUN_FILES.config), 'utf8')) as { runId?: unknown }).runId;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The producer's events of a run on Redis, kept in `state.remote` (the connected workers and their figures, a
 * pause or refusal notice) and told to the UI through `emit`.
 */
function remoteEvents(state: { remote?: ExperimentRemote | undefined }, emit: () => void): (e: DistributedEvent) => void {
  return (e) => {
    const remote = state.remote;
    if (!remote) return;
    if (e.type === 'workers') {
      remote.workers = e.workers.map((w) => ({
        id: w.id,
        host: w.host,
        pid: w.pid,
        backend: w.backend,
        dtype: w.dtype,
        cellsPerMinute: w.cellsPerMinute,
        stepsPerSecond: w.stepsPerSecond,
        active: w.active,
        cellsDone: w.cellsDone,
      }));
    } else if (e.type === 'paused' || e.type === 'refused') {
      remote.notice = e.type === 'refused' ? `worker ${e.worker} refused: ${e.message}` : e.message;
    } else if (e.type === 'resumed') {
      remote.notice = null;
    } else return;
    state.remote = { ...remote };
    emit();
  };
}
