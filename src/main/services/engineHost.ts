/**
 * The engine host: runs the engine in worker threads, one per training run (so Stop can always end it
 * with `terminate()`), plus one shared worker for short tasks (kernels, theory, backend probe).
 *
 * Stop sets the shared cancellation flag that the engine's loops check; if the worker has not finished
 * `graceMs` later the run ends as stopped without it, and the worker is retired: terminated once it reports
 * its end (its next check of the flag), at the latest {@link RETIRE_MS} later. It is not terminated at once
 * because a worker terminated inside an onnxruntime call takes the whole process down (onnxruntime-node
 * throws into the torn-down thread: "terminate called after throwing an instance of 'Napi::Error'"). A worker
 * that crashes or exits without reporting becomes a failed run with the cause. Every termination goes through
 * the worker's native-call guard (engine/nativeGuard.ts): it lands outside onnxruntime calls.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../shared/config/schema';
import { WorkbenchException, type WorkbenchError } from '../../shared/api/result';
import type { RunMeta } from '../../shared/api/contract';
import type { LossPoint, MetricRecord } from '../../shared/run/format';
import {
  claimForTermination,
  CTRL_CANCEL,
  CTRL_PAUSE,
  CTRL_SLOTS,
  CTRL_STEPS,
  type Checkpoint,
  type EngineTask,
  type EngineTaskArgs,
  type EngineTaskResult,
  type HostToWorker,
  type KeptParams,
  type RunOutcome,
  type WorkerToHost,
  ENGINE_THREAD_LIMITS,
} from '../engine/protocol';

/** Where the worker script is: the tsx bootstrap in source mode, the bundled file in the Electron build. */
export type WorkerLocator = () => URL | string;

/** The default locator: the TypeScript worker through tsx's loader (CLI, browser mode, tests). */
export const sourceWorker: WorkerLocator = () => new URL('../engine/workerEntry.mjs', import.meta.url);

let defaultWorker: WorkerLocator = sourceWorker;
/**
 * The worker of hosts made without `worker`: the TypeScript sources unless the process runs from a bundle
 * that has its own worker file next to it (the CLI's out/node/ bundle: src/main/cli/bundled.ts).
 */
export function setDefaultWorker(locator: WorkerLocator): void {
  defaultWorker = locator;
}

/** A worker started before the host's module was loaded, waiting for the first spawn of its script. */
let early: { worker: Worker; href: string } | null = null;

/**
 * Hands over an engine worker started early (bin/ntk-workbench.mjs starts one for the commands that run the
 * engine while the CLI's own modules load, so that the two overlap: ~0.2 s of a run's start, issue 13). The
 * first host that spawns a worker of the same script takes it; until then it does not keep the process
 * alive, and one that fails or exits is simply not used. It must be started as the host starts its workers:
 * `new Worker(script, { stdout: false, stderr: false })`, with no message sent to it.
 */
export function offerEarlyWorker(worker: Worker, script: URL | string): void {
  worker.unref();
  const entry = { worker, href: String(script) };
  const drop = (): void => {
    if (early === entry) early = null;
  };
  worker.on('error', drop);
  worker.on('exit', drop);
  early = entry;
}

/** Whether `w` was started with the limits the host gives its own workers ({@link ENGINE_THREAD_LIMITS}). */
function startedAsHost(w: Worker): boolean {
  return w.resourceLimits?.maxYoungGenerationSizeMb === ENGINE_THREAD_LIMITS.maxYoungGenerationSizeMb;
}

/** The early worker when it runs `script` (then it is no longer offered), else null. */
function takeEarlyWorker(script: URL | string): Worker | null {
  if (early === null || early.href !== String(script) || !startedAsHost(early.worker)) return null;
  const w = early.worker;
  early = null;
  w.ref();
  return w;
}

export interface RunHandlers {
  onReady?(backend: string, reason: string): void;
  /** the run's meta: at set-up (`theoryPending`), then again with the theory after the first record */
  onMeta(meta: RunMeta): void;
  onRecords(records: MetricRecord[]): void;
  /** losses of steps taken whose records are held back while the theory is computed (never stored) */
  onAhead?(points: LossPoint[]): void;
  onCheckpoint?(cp: Checkpoint): void;
  /** θ₀ after set-up and θ at the end, to keep in the run folder (services/export/keptParams.ts) */
  onParams?(p: KeptParams): void;
  onDone(outcome: RunOutcome, lastStep: number): void;
}

/** Control of one running training. */
export interface RunHandle {
  stop(): void;
  pause(): void;
  resume(): void;
  /** while paused: allow `steps` more GD steps */
  step(steps: number): void;
  readonly paused: boolean;
}

/**
 * What starts training runs: the host itself (a fresh worker per run) or one of its
 * {@link EngineHost.dedicatedWorker}s (one worker reused run after run). The run driver takes either.
 */
export interface RunEngine {
  startRun(runId: string, config: Config, handlers: RunHandlers, resumeFrom?: Checkpoint, paused?: boolean): RunHandle;
}

/** One reused engine worker (see {@link EngineHost.dedicatedWorker}); one run at a time. */
export interface EngineWorker extends RunEngine {
  /** terminates the worker (a run still in it ends as failed: worker-crashed) */
  dispose(): Promise<void>;
}

export interface ProbeResult {
  backend: string;
  reason: string;
  dtypes: string[];
  attempts: { name: string; ok: boolean; reason: string }[];
}

export interface EngineHostOptions {
  worker?: WorkerLocator;
  /** how long a stopped run may take to finish its current step before it is terminated */
  graceMs?: number;
  log?: (msg: string) => void;
  /**
   * Intra-op threads of a run's native backend, and the threads of the eigensolvers' large symmetric
   * products in runs and tasks. Default: the backend's own (every core but one, so that a window stays
   * responsive); the CLI, which has no window, passes every core.
   */
  threads?: number;
  /**
   * Keep one worker started and prepared (backend loaded, eigensolvers compiled) for the next run, so a
   * click on Run does not wait for a worker to start (the app's windows; off for the CLI and tests, which
   * start their runs at once). It is started shortly after the host and again after each run it served.
   */
  standby?: boolean;
  /** how long a termination waits for the worker's threads to leave a native call (default {@link NATIVE_WAIT_MS}) */
  nativeWaitMs?: number;
  /** how long {@link EngineHost.dispose} waits for the task worker's pending tasks (default {@link TASK_DRAIN_MS}) */
  taskDrainMs?: number;
}

/**
 * The longest app shutdown waits for the task worker's pending tasks before it terminates the worker: a worker
 * terminated inside an onnxruntime call takes the whole process down (see the module's header), and the tasks
 * (kernels, theory, eigensolvers) may be in one.
 */
export const TASK_DRAIN_MS = 10_000;

/** The longest a retired worker (a run stopped past its grace) may take to reach its end before it is terminated. */
export const RETIRE_MS = 60_000;
/** How long a termination waits for the worker's threads to leave the onnxruntime call they are in. */
export const NATIVE_WAIT_MS = 30_000;

/** How long after the host (or a run that took the standby worker) the next standby worker starts. */
export const STANDBY_DELAY_MS = 500;

/**
 * onnxruntime's telemetry leaves an empty `mat-debug-<pid>.log` (and a `.ses` file) in the temp folder of
 * every process that loads it; with this variable set it writes neither. The library reads the real
 * process environment, which a worker thread's `process.env` does not change: the main thread sets it
 * before any worker starts (a value the user set is kept).
 */
export const ORT_TELEMETRY_ENV = 'ORT_DISABLE_TELEMETRY';

/** Sets {@link ORT_TELEMETRY_ENV} unless the user chose a value. */
export function quietOnnxRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (env[ORT_TELEMETRY_ENV] === undefined) env[ORT_TELEMETRY_ENV] = '1';
}

/** Runs trainings and tasks in engine workers. */
export class EngineHost implements RunEngine {
  private readonly locate: WorkerLocator;
  private readonly graceMs: number;
  private readonly log: (msg: string) => void;
  private readonly threads: number | undefined;
  private taskWorker: Worker | null = null;
  private nextTaskId = 1;
  private readonly pendingTasks = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly runs = new Set<Worker>();
  /** workers of runs stopped past their grace, each with the promise of its termination (see {@link retire}) */
  private readonly retiring = new Map<Worker, Promise<void>>();
  private readonly keepStandby: boolean;
  /** a prepared worker waiting for the next {@link startRun} (see EngineHostOptions.standby) */
  private standby: Worker | null = null;
  private standbyTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private readonly taskDrainMs: number;
  private readonly nativeWaitMs: number;
  /** each worker's native-call guard (see terminate) */
  private readonly guards = new WeakMap<Worker, Int32Array>();
  /** told when the last pending task settles (set while {@link dispose} waits for them) */
  private tasksDrained: (() => void) | null = null;

  constructor(opts: EngineHostOptions = {}) {
    quietOnnxRuntime();
    this.locate = opts.worker ?? defaultWorker;
    this.graceMs = opts.graceMs ?? 3000;
    this.log = opts.log ?? (() => {});
    if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
      throw new RangeError(`EngineHost: threads must be a positive integer, got ${opts.threads}`);
    }
    this.threads = opts.threads;
    this.keepStandby = opts.standby === true;
    this.taskDrainMs = opts.taskDrainMs ?? TASK_DRAIN_MS;
    this.nativeWaitMs = opts.nativeWaitMs ?? NATIVE_WAIT_MS;
    this.scheduleStandby();
  }

  private spawn(): Worker {
    const script = this.locate();
    const w = takeEarlyWorker(script) ?? new Worker(script, { stderr: false, stdout: false, resourceLimits: { ...ENGINE_THREAD_LIMITS } });
    // Its native-call guard first, before anything that could make such a call (see terminate).
    const guard = new Int32Array(new SharedArrayBuffer(4));
    this.guards.set(w, guard);
    w.postMessage({ type: 'guard', buffer: guard.buffer as SharedArrayBuffer } satisfies HostToWorker);
    return w;
  }

  /**
   * Terminates `w` outside any onnxruntime call of its threads: a thread terminated inside one takes the whole
   * process down. Through the worker's guard (engine/nativeGuard.ts) the host waits until none of its threads
   * is inside such a call and claims it, after which none starts (the engine fails it as cancelled); past
   * {@link NATIVE_WAIT_MS} it terminates anyway, and says so.
   */
  private async terminate(w: Worker): Promise<void> {
    const guard = this.guards.get(w);
    if (guard !== undefined && !(await claimForTermination(guard, this.nativeWaitMs))) {
      this.log(`an engine worker was still inside a native call after ${this.nativeWaitMs / 1000} s; terminating it anyway`);
    }
    await w.terminate();
  }

  /** Starts the next standby worker a little later (nothing while one waits, or once disposed). */
  private scheduleStandby(): void {
    if (!this.keepStandby || this.disposed || this.standby !== null || this.standbyTimer !== null) return;
    this.standbyTimer = setTimeout(() => {
      this.standbyTimer = null;
      if (this.disposed || this.standby !== null) return;
      const w = this.spawn();
      // A standby worker alone does not keep the process alive, and one that dies is simply not used.
      w.unref();
      const drop = (): void => {
        if (this.standby === w) this.standby = null;
      };
      w.on('error', drop);
      w.on('exit', drop);
      w.postMessage({ type: 'prepare' } satisfies HostToWorker);
      this.standby = w;
    }, STANDBY_DELAY_MS);
    this.standbyTimer.unref();
  }

  /** The standby worker, now a run's (null when none waits). */
  private takeStandby(): Worker | null {
    const w = this.standby;
    this.standby = null;
    w?.ref();
    return w;
  }

  /** Whether a prepared worker waits for the next run (see EngineHostOptions.standby). */
  get standbyReady(): boolean {
    return this.standby !== null;
  }

  /** Starts a training run in the standby worker or a fresh one (terminated when the run ends). */
  startRun(runId: string, config: Config, handlers: RunHandlers, resumeFrom?: Checkpoint, paused = false): RunHandle {
    const worker = this.takeStandby() ?? this.spawn();
    this.runs.add(worker);
    return this.runIn(worker, runId, config, handlers, resumeFrom, paused, () => {
      this.runs.delete(worker);
      if (!this.retiring.has(worker)) void this.terminate(worker);
      this.scheduleStandby();
    });
  }

  /**
   * One engine worker that runs one training after another (a sweep's cells): the worker, its loaded
   * backend libraries and its helper threads are reused across runs. A run that had to be terminated (Stop
   * past the grace period) or that crashed takes the worker with it; the next run starts a fresh one.
   */
  dedicatedWorker(): EngineWorker {
    let worker: Worker | null = null;
    let busy = false;
    const drop = (): void => {
      if (worker === null) return;
      this.runs.delete(worker);
      if (!this.retiring.has(worker)) void this.terminate(worker);
      worker = null;
    };
    return {
      startRun: (runId, config, handlers, resumeFrom, paused = false) => {
        if (busy) throw new WorkbenchException('invalid-request', `engine worker is busy with another run; ${runId} must wait for it to end`);
        if (worker === null) {
          worker = this.spawn();
          this.runs.add(worker);
        }
        busy = true;
        const w = worker;
        return this.runIn(w, runId, config, handlers, resumeFrom, paused, (healthy) => {
          busy = false;
          if (!healthy && worker === w) drop();
        });
      },
      dispose: async () => {
        const w = worker;
        worker = null;
        if (w) {
          this.runs.delete(w);
          await this.terminate(w);
        }
      },
    };
  }

  /**
   * Runs one training in `worker`; `release(healthy)` is called once when it ends, healthy when the worker
   * reported the end itself (it may run another training), not when it crashed or was terminated.
   */
  private runIn(
    worker: Worker,
    runId: string,
    config: Config,
    handlers: RunHandlers,
    resumeFrom: Checkpoint | undefined,
    paused: boolean,
    release: (healthy: boolean) => void,
  ): RunHandle {
    const control = new SharedArrayBuffer(CTRL_SLOTS * 4);
    const ctl = new Int32Array(control);
    if (paused) Atomics.store(ctl, CTRL_PAUSE, 1);
    let finished = false;
    let killTimer: NodeJS.Timeout | null = null;
    let lastStep = resumeFrom?.step ?? 0;
    const finish = (outcome: RunOutcome, healthy: boolean): void => {
      if (finished) return;
      finished = true;
      if (killTimer) clearTimeout(killTimer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      release(healthy);
      handlers.onDone(outcome, lastStep);
    };
    const onMessage = (msg: WorkerToHost): void => {
      // A reused worker runs one training at a time; a message naming another run is not this run's.
      if (finished || ('runId' in msg && msg.runId !== runId)) return;
      switch (msg.type) {
        case 'ready':
          handlers.onReady?.(msg.backend, msg.reason);
          break;
        case 'meta':
          handlers.onMeta(msg.meta);
          break;
        case 'records': {
          const last = msg.records[msg.records.length - 1];
          if (last) lastStep = last.step;
          handlers.onRecords(msg.records);
          break;
        }
        case 'ahead':
          handlers.onAhead?.(msg.points);
          break;
        case 'checkpoint':
          handlers.onCheckpoint?.(msg.checkpoint);
          break;
        case 'params':
          handlers.onParams?.(msg.params);
          break;
        case 'done':
          lastStep = Math.max(lastStep, msg.lastStep);
          finish(msg.outcome, true);
          break;
        default:
          break;
      }
    };
    const onError = (e: Error): void => {
      this.log(`engine worker for ${runId} crashed: ${e.stack ?? e.message}`);
      finish(failed('worker-crashed', `the engine crashed: ${e.message}`), false);
    };
    const onExit = (code: number): void => {
      if (!finished) finish(failed('worker-crashed', `the engine exited unexpectedly (code ${code})`), false);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const start: HostToWorker = {
      type: 'start',
      runId,
      config,
      control,
      ...(resumeFrom ? { resumeFrom } : {}),
      ...(this.threads !== undefined ? { threads: this.threads } : {}),
    };
    worker.postMessage(start);
    const wake = (): void => {
      Atomics.notify(ctl, CTRL_PAUSE);
    };
    return {
      stop: () => {
        if (finished) return;
        Atomics.store(ctl, CTRL_CANCEL, 1);
        Atomics.store(ctl, CTRL_PAUSE, 0);
        wake();
        killTimer ??= setTimeout(() => {
          this.log(
            `engine worker for ${runId} did not stop within ${this.graceMs} ms; retiring it (terminated at its next check, in ${RETIRE_MS / 1000} s at the latest)`,
          );
          this.retire(worker);
          finish(
            { status: 'stopped', reason: `stopped by the user (the engine did not stop within ${this.graceMs} ms; the step it was in is not recorded)` },
            false,
          );
        }, this.graceMs);
      },
      pause: () => {
        Atomics.store(ctl, CTRL_PAUSE, 1);
        wake();
      },
      resume: () => {
        Atomics.store(ctl, CTRL_STEPS, 0);
        Atomics.store(ctl, CTRL_PAUSE, 0);
        wake();
      },
      step: (steps: number) => {
        Atomics.add(ctl, CTRL_STEPS, steps);
        wake();
      },
      get paused() {
        return Atomics.load(ctl, CTRL_PAUSE) === 1;
      },
    };
  }

  /**
   * Terminates `w`, whose run was stopped and has ended for everyone, once it is out of whatever native call it
   * is in: when it reports its end (its cancel flag is set, so at its next check), exits, fails, or after
   * {@link RETIRE_MS}. Its messages are no longer anyone's.
   */
  private retire(w: Worker): void {
    if (this.retiring.has(w)) return;
    const ended = new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const onMessage = (msg: WorkerToHost): void => {
        if (msg.type === 'done') end();
      };
      const end = (): void => {
        if (timer === null) return;
        clearTimeout(timer);
        timer = null;
        w.off('message', onMessage);
        w.off('exit', end);
        w.off('error', end);
        void this.terminate(w).finally(() => {
          this.retiring.delete(w);
          resolve();
        });
      };
      timer = setTimeout(() => {
        this.log(`a retired engine worker did not reach its end within ${RETIRE_MS / 1000} s; terminating it`);
        end();
      }, RETIRE_MS);
      timer.unref();
      w.on('message', onMessage);
      w.once('exit', end);
      w.on('error', end);
    });
    this.retiring.set(w, ended);
  }

  private ensureTaskWorker(): Worker {
    if (this.taskWorker) return this.taskWorker;
    const w = this.spawn();
    w.unref();
    w.on('message', (msg: WorkerToHost) => {
      if (msg.type !== 'task-result') return;
      const p = this.pendingTasks.get(msg.id);
      if (!p) return;
      this.pendingTasks.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new WorkbenchException(msg.error.code, msg.error.message, msg.error.details));
      if (this.pendingTasks.size === 0) {
        w.unref();
        this.tasksDrained?.();
      }
    });
    const fail = (why: string): void => {
      this.taskWorker = null;
      for (const p of this.pendingTasks.values()) p.reject(new WorkbenchException('worker-crashed', why));
      this.pendingTasks.clear();
      this.tasksDrained?.();
    };
    w.on('error', (e) => fail(`the engine crashed: ${e.message}`));
    w.on('exit', (code) => fail(`the engine exited unexpectedly (code ${code})`));
    this.taskWorker = w;
    return w;
  }

  /** Runs a one-shot engine computation in the shared task worker. */
  runTask<K extends EngineTask>(task: K, args: EngineTaskArgs<K>): Promise<EngineTaskResult<K>> {
    const w = this.ensureTaskWorker();
    const id = this.nextTaskId++;
    w.ref();
    return new Promise<EngineTaskResult<K>>((resolve, reject) => {
      this.pendingTasks.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const msg: HostToWorker = { type: 'task', id, task, args, ...(this.threads !== undefined ? { threads: this.threads } : {}) };
      w.postMessage(msg);
    });
  }

  /** Asks a worker which backend `auto` would pick, and why. */
  probe(): Promise<ProbeResult> {
    const w = this.spawn();
    return new Promise<ProbeResult>((resolve, reject) => {
      w.on('message', (msg: WorkerToHost) => {
        if (msg.type === 'probe-result') {
          void this.terminate(w);
          resolve({ backend: msg.backend, reason: msg.reason, dtypes: msg.dtypes, attempts: msg.attempts });
        }
      });
      w.on('error', (e) => reject(e));
      w.postMessage({ type: 'probe' } satisfies HostToWorker);
    });
  }

  /**
   * Terminates every worker (app shutdown), the task worker once its pending tasks are done (at most
   * `taskDrainMs` later). Every termination waits for the worker's threads to be outside onnxruntime calls and
   * stops new ones first (see terminate): a task still at work past `taskDrainMs` fails at its next native call.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.standbyTimer !== null) clearTimeout(this.standbyTimer);
    this.standbyTimer = null;
    if (this.taskWorker !== null && this.pendingTasks.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.taskDrainMs);
        this.tasksDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.tasksDrained = null;
    }
    // A retired worker has left `runs` already (its run's release); it is waited for below.
    const all = [...this.runs];
    if (this.taskWorker) all.push(this.taskWorker);
    if (this.standby) all.push(this.standby);
    this.taskWorker = null;
    this.standby = null;
    // Retired workers are waited for (they end at their next check; see retire), not terminated in a native call.
    await Promise.all([...all.map((w) => this.terminate(w)), ...this.retiring.values()]);
  }
}

function failed(code: WorkbenchError['code'], message: string): RunOutcome {
  return { status: 'failed', reason: message, error: { code, message } };
}
