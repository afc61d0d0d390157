/**
 * The app's experiments (UI and browser mode): each preset run into `<dataDir>/experiments/<experimentId>/`
 * (the same folder `ntk-workbench experiment --out` writes), progress as `experiment:progress` events, the
 * verdict and the figures' data once it ends. Experiments of earlier processes are listed from their folders;
 * one left unfinished (a crash, a cancel) resumes when started again with its id.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { WorkbenchException } from '../../../shared/api/result';
import type { ExperimentProgress, ExperimentProgressEvent, ExperimentStartRequest, ExperimentState } from '../../../shared/experiments/api';
import { PRESETS, type ExperimentSummary, type PresetId } from '../../../shared/experiments/presets';
import type { ExperimentFigure } from '../../../shared/charts/experiments';
import { runExperiment } from './runExperiment';
import type { SweepProgress } from '../sweeps/runner';
import type { WorkerLocator } from '../engineHost';
import { parseRedisUrl, RedisUrlError } from '../distributed/redisUrl';
import { defaultSweepId, redisExecutor, type DistributedEvent } from '../distributed/producer';
import { MAX_SWEEP_CELLS } from '../../../shared/sweeps/spec';

export const EXPERIMENTS_DIR = 'experiments';

function toProgress(p: SweepProgress): ExperimentProgress {
  return { total: p.total, finished: p.finished, failed: p.failed, running: p.running, pending: p.pending, skipped: p.skipped, elapsedMs: p.elapsedMs, etaMs: p.etaMs, cellsPerMinute: p.cellsPerMinute };
}

/** Runs and lists experiments (see the module doc). */
export class ExperimentManager {
  private readonly live = new Map<string, { state: ExperimentState; ac: AbortController; done: Promise<void> }>();

  constructor(
    private readonly dataDir: string,
    private readonly opts: { emit: (e: ExperimentProgressEvent) => void; log: (m: string) => void; worker?: WorkerLocator },
  ) {}

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
    const state: ExperimentState = { experimentId: id, preset: req.preset, quick: req.quick, status: 'running', folder: this.folder(id), startedAt: new Date().toISOString(), progress: null, summary: null, figures: [], error: null };
    if (redis) state.remote = { redis: redis.display, workers: [], notice: null };
    const ac = new AbortController();
    const emit = (): void => this.opts.emit({ experimentId: id, status: state.status, progress: state.progress, ...(state.remote ? { remote: state.remote } : {}) });
    // "Run on: Redis URL": the runner's cells go to the workers on that Redis; their presence and notices reach the UI.
    const onRemote = (e: DistributedEvent): void => {
      const remote = state.remote;
      if (!remote) return;
      if (e.type === 'workers') {
        remote.workers = e.workers.map((w) => ({ id: w.id, host: w.host, pid: w.pid, backend: w.backend, dtype: w.dtype, cellsPerMinute: w.cellsPerMinute, stepsPerSecond: w.stepsPerSecond, active: w.active, cellsDone: w.cellsDone }));
      } else if (e.type === 'paused' || e.type === 'refused') {
        remote.notice = e.type === 'refused' ? `worker ${e.worker} refused: ${e.message}` : e.message;
      } else if (e.type === 'resumed') {
        remote.notice = null;
      } else return;
      state.remote = { ...remote };
      emit();
    };
    const remote = redis ? { executor: redisExecutor({ redis, sweepId: defaultSweepId(state.folder), onEvent: onRemote }), jobs: MAX_SWEEP_CELLS } : req.jobs !== undefined ? { jobs: req.jobs } : {};
    const done = runExperiment({
      preset: req.preset,
      quick: req.quick,
      outDir: state.folder,
      ...(req.params ? { params: req.params } : {}),
      ...remote,
      ...(this.opts.worker ? { worker: this.opts.worker } : {}),
      signal: ac.signal,
      onProgress: (p) => {
        state.progress = toProgress(p);
        emit();
      },
    }).then(
      (res) => {
        state.progress = toProgress(res.sweep);
        state.status = res.cancelled ? 'cancelled' : 'finished';
        state.summary = res.cancelled ? null : res.summary;
        state.figures = res.figures;
        emit();
      },
      (e: unknown) => {
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

  /** Every experiment of the data folder, newest first (figures left out). */
  async list(): Promise<ExperimentState[]> {
    let names: string[] = [];
    try {
      names = (await fsp.readdir(path.join(this.dataDir, EXPERIMENTS_DIR))).filter((n) => /^x-[a-z0-9-]{1,64}$/.test(n));
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
    if (!meta.preset || !(meta.preset in PRESETS)) throw new WorkbenchException('session-corrupt', `${folder}/experiment.json: unknown preset ${String(meta.preset)}`);
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
    return { experimentId: id, preset: meta.preset as PresetId, quick: meta.quick === true, status: summary ? 'finished' : 'cancelled', folder, startedAt, progress: null, summary, figures, error: null };
  }

  /** Cancels every running experiment (app shutdown). */
  async dispose(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.cancel(id)));
  }
}
