/**
 * The run manager: the app's live runs (UI and browser mode). Each run goes through the run driver
 * (./runDriver.ts: engine, run folder, I/O errors, the end), which writes every record before it is shown;
 * this class adds Pause/Step/Resume/Stop by run id and forwards progress to listeners throttled to ≤ 30
 * events per second, batched.
 */
import type { Config } from '../../shared/config/schema';
import { WorkbenchException } from '../../shared/api/result';
import type { EventMap, RunDetail, RunMeta, RunSummary } from '../../shared/api/contract';
import type { LossPoint, MetricRecord, RunStatus } from '../../shared/run/format';
import type { EngineHost, RunHandle } from './engineHost';
import type { SessionStore } from './sessionStore';
import type { RunWriter } from './runWriter';
import type { Checkpoint } from '../engine/protocol';
import { assertRunFits } from '../../shared/run/memory';
import { launchRun, newRunConfigFile, type RunResult } from './runDriver';

/** Minimum interval between two progress events of one run (≤ 30 per second). */
export const PROGRESS_INTERVAL_MS = 34;

export type Emit = <K extends keyof EventMap>(channel: K, payload: EventMap[K]) => void;

interface LiveRun {
  runId: string;
  sessionId: string;
  config: Config;
  handle: RunHandle;
  pending: MetricRecord[];
  /** loss points of held records not emitted yet (all newer than `recordedStep`) */
  ahead: LossPoint[];
  /** the step of the newest record received (-1 before the first) */
  recordedStep: number;
  timer: NodeJS.Timeout | null;
  lastEmit: number;
  lastStep: number;
  startedAt: number;
  /** (time, step) samples for steps/s */
  rate: { t: number; step: number }[];
  status: RunStatus;
  meta: RunMeta | null;
}

export interface RunManagerDeps {
  host: EngineHost;
  store: SessionStore;
  emit: Emit;
  log?: (msg: string) => void;
  now?: () => number;
}

/** Owns the live runs of one app instance. */
export class RunManager {
  private readonly live = new Map<string, LiveRun>();
  private readonly now: () => number;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: RunManagerDeps) {
    this.now = deps.now ?? (() => Date.now());
    this.log = deps.log ?? (() => {});
  }

  /** Starts a validated config as a new run in a session (the default session when none is given). */
  async start(config: Config, sessionId?: string, opts: { paused?: boolean } = {}): Promise<{ runId: string; sessionId: string }> {
    assertRunFits(config);
    const store = this.deps.store;
    const sid = sessionId ?? (await store.ensureDefaultSession()).sessionId;
    const { runId, writer } = await store.createRun(sid, newRunConfigFile(config, new Date(this.now())));
    this.launch(runId, sid, config, writer, undefined, opts.paused === true);
    return { runId, sessionId: sid };
  }

  /**
   * Continues an interrupted run from its last checkpoint (records after it are recomputed). `takeOver`
   * resumes a run whose owner file names a live process (after the user confirmed it is not a writer).
   */
  async continueRun(runId: string, opts: { takeOver?: boolean } = {}): Promise<{ runId: string }> {
    if (this.live.has(runId)) throw new WorkbenchException('invalid-request', `run ${runId} is still running`);
    const detail = await this.deps.store.readRun(runId);
    if (detail.status.status === 'finished') throw new WorkbenchException('invalid-request', `run ${runId} has already finished`);
    assertRunFits(detail.config.config);
    const cp = await this.deps.store.resumeCheckpoint(runId);
    const writer = await this.deps.store.openRunForResume(runId, cp.step, { takeOver: opts.takeOver === true });
    this.launch(runId, detail.summary.sessionId, detail.config.config, writer, cp);
    return { runId };
  }

  private launch(runId: string, sessionId: string, config: Config, writer: RunWriter, resumeFrom?: Checkpoint, paused = false): void {
    const run: LiveRun = {
      runId,
      sessionId,
      config,
      handle: undefined as unknown as RunHandle,
      pending: [],
      ahead: [],
      recordedStep: -1,
      timer: null,
      lastEmit: 0,
      lastStep: resumeFrom?.step ?? 0,
      startedAt: this.now(),
      rate: [],
      status: paused ? 'paused' : 'running',
      meta: null,
    };
    this.live.set(runId, run);
    const driven = launchRun({
      runId,
      config,
      writer,
      engine: this.deps.host,
      ...(resumeFrom ? { resumeFrom } : {}),
      paused,
      now: this.now,
      log: this.log,
      onMeta: (meta) => {
        run.meta = meta;
        this.deps.emit('run:status', { runId, status: run.status, reason: null, meta });
      },
      onRecords: (records) => this.onRecords(run, records),
      onAhead: (points) => this.onAhead(run, points),
    });
    run.handle = driven.handle;
    void driven.done.then((result) => this.onDone(run, result));
    this.deps.emit('run:status', { runId, status: run.status, reason: null });
  }

  /** Records that are on disk: counted for steps/s and shown (throttled). */
  private onRecords(run: LiveRun, records: MetricRecord[]): void {
    const last = records[records.length - 1];
    if (last) {
      run.recordedStep = last.step;
      run.ahead = run.ahead.filter((p) => p.step > last.step);
      this.advance(run, last.step);
    }
    run.pending.push(...records);
    this.scheduleProgress(run);
  }

  /** Loss points of held records: shown ahead of their records and counted for steps/s (throttled). */
  private onAhead(run: LiveRun, points: LossPoint[]): void {
    const fresh = points.filter((p) => p.step > run.recordedStep);
    const last = fresh[fresh.length - 1];
    if (!last) return;
    run.ahead.push(...fresh);
    this.advance(run, last.step);
    this.scheduleProgress(run);
  }

  /** The run has taken `step` steps (records and held points may interleave: the step never goes back). */
  private advance(run: LiveRun, step: number): void {
    if (step <= run.lastStep && run.rate.length > 0) return;
    run.lastStep = step;
    run.rate.push({ t: this.now(), step });
    if (run.rate.length > 50) run.rate.shift();
  }

  private scheduleProgress(run: LiveRun): void {
    if (run.timer) return;
    const wait = Math.max(0, run.lastEmit + PROGRESS_INTERVAL_MS - this.now());
    run.timer = setTimeout(() => {
      run.timer = null;
      this.flushProgress(run);
    }, wait);
  }

  private flushProgress(run: LiveRun): void {
    if (run.timer) {
      clearTimeout(run.timer);
      run.timer = null;
    }
    if (run.pending.length === 0 && run.ahead.length === 0) return;
    const records = run.pending;
    const ahead = run.ahead;
    run.pending = [];
    run.ahead = [];
    run.lastEmit = this.now();
    const first = run.rate[0];
    const lastR = run.rate[run.rate.length - 1];
    let stepsPerSecond: number | null = null;
    if (first && lastR && lastR.t > first.t) stepsPerSecond = ((lastR.step - first.step) * 1000) / (lastR.t - first.t);
    const remaining = run.config.steps - run.lastStep;
    const etaSeconds = stepsPerSecond && stepsPerSecond > 0 ? remaining / stepsPerSecond : null;
    this.deps.emit('run:progress', {
      runId: run.runId,
      records,
      ...(ahead.length > 0 ? { ahead } : {}),
      step: run.lastStep,
      totalSteps: run.config.steps,
      stepsPerSecond,
      etaSeconds,
    });
  }

  private onDone(run: LiveRun, result: RunResult): void {
    this.flushProgress(run);
    const final = result.outcome;
    run.status = final.status;
    this.live.delete(run.runId);
    const error = final.status === 'failed' ? final.error : undefined;
    this.deps.emit('run:status', { runId: run.runId, status: final.status, reason: final.reason, ...(error ? { error } : {}) });
    if (error) this.deps.emit('run:failed', { runId: run.runId, error });
  }

  private get(runId: string): LiveRun {
    const r = this.live.get(runId);
    if (!r) throw new WorkbenchException('not-found', `run ${runId} is not running`);
    return r;
  }

  /** Requests a stop (the engine finishes its current step, or is terminated after a grace period). */
  stop(runId: string): { runId: string } {
    this.get(runId).handle.stop();
    return { runId };
  }

  pause(runId: string): { runId: string } {
    const r = this.get(runId);
    r.handle.pause();
    r.status = 'paused';
    this.flushProgress(r);
    this.deps.emit('run:status', { runId, status: 'paused', reason: null });
    return { runId };
  }

  resume(runId: string): { runId: string } {
    const r = this.get(runId);
    r.handle.resume();
    r.status = 'running';
    this.deps.emit('run:status', { runId, status: 'running', reason: null });
    return { runId };
  }

  /** While paused: take `steps` more steps. */
  step(runId: string, steps: number): { runId: string } {
    const r = this.get(runId);
    if (r.status !== 'paused') throw new WorkbenchException('invalid-request', 'Step works while the run is paused');
    r.handle.step(steps);
    return { runId };
  }

  /** All runs of all sessions, newest first, with live status overlaid. */
  async list(): Promise<RunSummary[]> {
    const all = await this.deps.store.listAllRuns();
    return all.map((s) => {
      const live = this.live.get(s.runId);
      return live ? { ...s, status: live.status, lastStep: live.lastStep } : s;
    });
  }

  /** A run's stored detail (live runs include everything written so far). */
  async detail(runId: string): Promise<RunDetail> {
    const d = await this.deps.store.readRun(runId);
    const live = this.live.get(runId);
    return live ? { ...d, summary: { ...d.summary, status: live.status } } : d;
  }

  /** True while any run is live. */
  get busy(): boolean {
    return this.live.size > 0;
  }

  /** Stops every live run and waits for them to end (shutdown). */
  async stopAll(): Promise<void> {
    const waits = [...this.live.values()].map(
      (r) =>
        new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (!this.live.has(r.runId)) {
              clearInterval(t);
              resolve();
            }
          }, 20);
          r.handle.stop();
        }),
    );
    await Promise.all(waits);
  }
}
