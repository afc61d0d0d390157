/**
 * The run manager: starts runs in the engine host, writes every record to the run folder as soon as it
 * arrives (before anything is shown), and forwards progress to listeners throttled to ≤ 30 events per
 * second, batched.
 */
import os from 'node:os';
import type { Config } from '../../shared/config/schema';
import { WorkbenchException, type WorkbenchError } from '../../shared/api/result';
import type { EventMap, RunDetail, RunMeta, RunSummary } from '../../shared/api/contract';
import type { MachineInfo, MetricRecord, RunStatus } from '../../shared/run/format';
import type { EngineHost, RunHandle } from './engineHost';
import type { SessionStore } from './sessionStore';
import type { RunWriter } from './runWriter';
import type { Checkpoint, RunOutcome } from '../engine/protocol';
import { writeKeptParams } from './export/keptParams';

/** Minimum interval between two progress events of one run (≤ 30 per second). */
export const PROGRESS_INTERVAL_MS = 34;

export type Emit = <K extends keyof EventMap>(channel: K, payload: EventMap[K]) => void;

interface LiveRun {
  runId: string;
  sessionId: string;
  config: Config;
  handle: RunHandle;
  writer: RunWriter;
  pending: MetricRecord[];
  timer: NodeJS.Timeout | null;
  lastEmit: number;
  lastStep: number;
  startedAt: number;
  /** (time, step) samples for steps/s */
  rate: { t: number; step: number }[];
  status: RunStatus;
  meta: RunMeta | null;
  /** writes to the run folder, in order */
  io: Promise<void>;
  ioError: WorkbenchError | null;
}

/** Facts about this machine for the run folder's config.json. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    hostname: os.hostname(),
  };
}

export interface RunManagerDeps {
  host: EngineHost;
  store: SessionStore;
  appVersion: string;
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
    const store = this.deps.store;
    const sid = sessionId ?? (await store.ensureDefaultSession()).sessionId;
    const { runId, writer } = await store.createRun(sid, {
      schemaVersion: 1,
      config,
      appVersion: this.deps.appVersion,
      backend: config.backend,
      dtype: config.dtype,
      startedAt: new Date(this.now()).toISOString(),
      machine: machineInfo(),
    });
    this.launch(runId, sid, config, writer, undefined, opts.paused === true);
    return { runId, sessionId: sid };
  }

  /** Continues an interrupted run from its last checkpoint (records after it are recomputed). */
  async continueRun(runId: string): Promise<{ runId: string }> {
    if (this.live.has(runId)) throw new WorkbenchException('invalid-request', `run ${runId} is still running`);
    const detail = await this.deps.store.readRun(runId);
    if (detail.status.status === 'finished') throw new WorkbenchException('invalid-request', `run ${runId} has already finished`);
    const cp = await this.deps.store.latestCheckpoint(runId);
    if (!cp) throw new WorkbenchException('invalid-request', `run ${runId} has no checkpoint to resume from (set checkpointEvery > 0)`);
    const writer = await this.deps.store.openRunForResume(runId, cp.step);
    this.launch(runId, detail.summary.sessionId, detail.config.config, writer, cp);
    return { runId };
  }

  private launch(runId: string, sessionId: string, config: Config, writer: RunWriter, resumeFrom?: Checkpoint, paused = false): void {
    const run: LiveRun = {
      runId,
      sessionId,
      config,
      writer,
      handle: undefined as unknown as RunHandle,
      pending: [],
      timer: null,
      lastEmit: 0,
      lastStep: resumeFrom?.step ?? 0,
      startedAt: this.now(),
      rate: [],
      status: paused ? 'paused' : 'running',
      meta: null,
      io: Promise.resolve(),
      ioError: null,
    };
    this.live.set(runId, run);
    run.handle = this.deps.host.startRun(
      runId,
      config,
      {
        onMeta: (meta) => {
          run.meta = meta;
          this.queueIo(run, () => writer.writeMeta(meta));
          this.deps.emit('run:status', { runId, status: run.status, reason: null, meta });
        },
        onRecords: (records) => this.onRecords(run, records),
        onCheckpoint: (cp) => this.queueIo(run, () => writer.writeCheckpoint(cp)),
        onParams: (p) => this.queueIo(run, () => writeKeptParams(writer.runDir, p)),
        onDone: (outcome, lastStep) => void this.onDone(run, outcome, lastStep),
      },
      resumeFrom,
      paused,
    );
    this.deps.emit('run:status', { runId, status: run.status, reason: null });
  }

  private queueIo(run: LiveRun, fn: () => Promise<void>): void {
    run.io = run.io.then(fn).catch((e: unknown) => this.ioFailed(run, e));
  }

  private ioFailed(run: LiveRun, e: unknown): void {
    if (run.ioError) return;
    const message = e instanceof Error ? e.message : String(e);
    run.ioError = { code: 'io-error', message: `could not write the run folder: ${message}; the run was stopped, earlier data is intact` };
    this.log(run.ioError.message);
    run.handle.stop();
  }

  private onRecords(run: LiveRun, records: MetricRecord[]): void {
    if (run.ioError) return;
    try {
      run.writer.append(records); // on disk before it is reported
    } catch (e) {
      this.ioFailed(run, e);
      return;
    }
    const last = records[records.length - 1];
    if (last) {
      run.lastStep = last.step;
      run.rate.push({ t: this.now(), step: last.step });
      if (run.rate.length > 50) run.rate.shift();
    }
    run.pending.push(...records);
    this.scheduleProgress(run);
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
    if (run.pending.length === 0) return;
    const records = run.pending;
    run.pending = [];
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
      step: run.lastStep,
      totalSteps: run.config.steps,
      stepsPerSecond,
      etaSeconds,
    });
  }

  private async onDone(run: LiveRun, outcome: RunOutcome, lastStep: number): Promise<void> {
    this.flushProgress(run);
    await run.io;
    const final: RunOutcome = run.ioError ? { status: 'failed', reason: run.ioError.message, error: run.ioError } : outcome;
    run.status = final.status;
    try {
      await run.writer.writeOutcome(final, Math.max(lastStep, run.lastStep), new Date(this.now()).toISOString());
    } catch (e) {
      this.log(`could not write the final status of ${run.runId}: ${String(e)}`);
    } finally {
      // Always release the writer, or the store keeps the run registered as active.
      await run.writer.close().catch((e: unknown) => this.log(`could not close ${run.runId}: ${String(e)}`));
    }
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
