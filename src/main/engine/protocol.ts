/**
 * Messages between the engine host (services/engineHost.ts) and the engine worker (engine/worker.ts).
 *
 * Control is a SharedArrayBuffer of Int32 slots, so a busy worker sees Stop/Pause without its event loop:
 *   [CTRL_CANCEL]  1 = stop as soon as possible
 *   [CTRL_PAUSE]   1 = paused (the worker blocks in Atomics.wait between steps)
 *   [CTRL_STEPS]   steps the worker may take while paused (Step button); the worker decrements it
 */
import type { Config } from '../../shared/config/schema';
import type { WorkbenchError } from '../../shared/api/result';
import type { RunMeta } from '../../shared/api/contract';
import type { LossPoint, MetricRecord } from '../../shared/run/format';
import type { KernelTaskArgs, KernelTaskResult, NtkTaskArgs, TheoryTaskArgs } from './tasks';
import type { NtkReport } from './ntkReport';
import type { TheoryPreview, TheoryReport } from '../../shared/run/theory';
import type { CsvInspection } from '../../shared/api/contract';
import type {
  CircleRequest,
  JacotRequest,
  KernelRequest,
  KrrNetworkRequest,
  KrrRequest,
  RfNtkRequest,
  RfSweepRequest,
  RntkRequest,
  RntkStudyRequest,
  WeightedRequest,
} from '../../shared/related/schema';
import type {
  CircleExperiment,
  JacotResult,
  KernelResult,
  KrrNetworkResult,
  KrrResult,
  RfNtkResult,
  RfSweepResult,
  RntkResult,
  RntkStudyResult,
  WeightedExperiment,
} from '../../shared/related/results';

import type { ExperimentTask } from './experiments/measure';

export const CTRL_CANCEL = 0;
export const CTRL_PAUSE = 1;
export const CTRL_STEPS = 2;
export const CTRL_SLOTS = 4;

/**
 * V8's limits for every thread the engine starts: the engine workers (services/engineHost.ts, and the one the
 * CLI starts early, bin/ntk-workbench.mjs) and their helper, theory and eigenvalue threads (backends/threads.ts).
 * A young generation of 3 MiB (semi-spaces of 1 MiB) instead of V8's default, which grows to 16 MiB semi-spaces
 * in each of these isolates under the numerics' allocation rate and keeps them: measured on issue 13's run
 * (n = 1000, m = 10 000, the CLI's `train`), 8 alternating triples, peak RSS medians 680 → 613 MiB with these
 * limits in the workers (→ 600 MiB with the CLI's own thread too, scripts/huge-pages.mjs), the whole run and a
 * tracked step no slower (more scavenges: ~0.1 s of the run's 11 s of CPU across all threads).
 */
export const ENGINE_THREAD_LIMITS: Readonly<{ maxYoungGenerationSizeMb: number }> = Object.freeze({ maxYoungGenerationSizeMb: 3 });

/**
 * The native-call guard of a worker (engine/nativeGuard.ts): one Int32 shared by the host and the worker's
 * threads. Its low bits count the threads inside an onnxruntime call; {@link NATIVE_CLAIMING} is set while the
 * host claims the worker for termination (no native call starts from then on), and the word is
 * {@link NATIVE_CLAIMED} once the claim is made (no thread inside).
 */
export const NATIVE_CLAIMING = 1 << 30;
export const NATIVE_CLAIMED = -1;

/**
 * The host's side of the guard: stops new native calls of the worker's threads at once, then claims `word` for
 * termination as soon as the calls under way have ended, polling every few milliseconds for at most `boundMs`;
 * true when claimed, false when the bound passed first.
 */
export async function claimForTermination(word: Int32Array, boundMs: number): Promise<boolean> {
  if (Atomics.load(word, 0) === NATIVE_CLAIMED) return true;
  const until = Date.now() + boundMs;
  Atomics.or(word, 0, NATIVE_CLAIMING);
  for (;;) {
    if (Atomics.compareExchange(word, 0, NATIVE_CLAIMING, NATIVE_CLAIMED) === NATIVE_CLAIMING) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export type HostToWorker =
  /** the worker's native-call guard (see {@link NATIVE_CLAIMED}): the first message a worker gets */
  | { type: 'guard'; buffer: SharedArrayBuffer }
  | { type: 'start'; runId: string; config: Config; control: SharedArrayBuffer; resumeFrom?: Checkpoint; threads?: number }
  | { type: 'probe' }
  | { type: 'task'; id: number; task: EngineTask; args: unknown; threads?: number }
  /** a standby worker, before its run is known: load the default backend and compile the eigensolvers */
  | { type: 'prepare' };

/**
 * One-shot computations the host can ask of a worker (kernels, theory, empirical NTK report, CSV check,
 * related work), typed like the contract's InvokeMap: the arguments a task takes (checked again by the
 * engine, since they arrive structured-cloned) and what it answers.
 */
export interface EngineTaskMap {
  kernel: { args: KernelTaskArgs; result: KernelTaskResult };
  theory: { args: TheoryTaskArgs; result: TheoryReport };
  ntk: { args: NtkTaskArgs; result: NtkReport };
  /** a config (parsed by the engine) → the theory preview of its data set */
  'run-theory': { args: unknown; result: TheoryPreview };
  'csv-inspect': { args: { csvText: string }; result: CsvInspection };
  'related-kernel': { args: KernelRequest; result: KernelResult };
  jacot: { args: JacotRequest; result: JacotResult };
  'jacot-circle': { args: CircleRequest; result: CircleExperiment };
  'weighted-ntk': { args: WeightedRequest; result: WeightedExperiment };
  krr: { args: KrrRequest; result: KrrResult };
  'krr-network': { args: KrrNetworkRequest; result: KrrNetworkResult };
  rntk: { args: RntkRequest; result: RntkResult };
  'rntk-study': { args: RntkStudyRequest; result: RntkStudyResult };
  'rf-ntk': { args: RfNtkRequest; result: RfNtkResult };
  'rf-sweep': { args: RfSweepRequest; result: RfSweepResult };
  /** a measurement of the experiments E1–E9 (engine/experiments/measure.ts); its result depends on the kind */
  experiment: { args: ExperimentTask; result: unknown };
}
export type EngineTask = keyof EngineTaskMap;
/** The arguments of an engine task. */
export type EngineTaskArgs<K extends EngineTask> = EngineTaskMap[K]['args'];
/** What an engine task answers. */
export type EngineTaskResult<K extends EngineTask> = EngineTaskMap[K]['result'];

export type RunOutcome =
  { status: 'finished'; reason: string } | { status: 'stopped'; reason: string } | { status: 'failed'; reason: string; error: WorkbenchError };

/** Parameters and generator state at a step: enough to resume a run exactly (SPEC-free; issue 8). */
export interface Checkpoint {
  step: number;
  W: Float64Array;
  V: Float64Array;
  rngState: number[];
}

/**
 * Parameters kept permanently in the run folder (issue 14): the initial ones (θ₀, step 0) once the run is
 * set up, the final ones when it ends (finished, stopped or diverged). W [m, d] and V [d, m], row-major.
 */
export interface KeptParams {
  which: 'initial' | 'final';
  step: number;
  m: number;
  d: number;
  W: Float64Array;
  V: Float64Array;
}

export type WorkerToHost =
  | { type: 'ready'; backend: string; reason: string }
  | { type: 'params'; runId: string; params: KeptParams }
  | { type: 'meta'; runId: string; meta: RunMeta }
  | { type: 'records'; runId: string; records: MetricRecord[] }
  | { type: 'ahead'; runId: string; points: LossPoint[] }
  | { type: 'checkpoint'; runId: string; checkpoint: Checkpoint }
  | { type: 'done'; runId: string; outcome: RunOutcome; lastStep: number }
  | { type: 'task-result'; id: number; ok: true; value: unknown }
  | { type: 'task-result'; id: number; ok: false; error: WorkbenchError }
  | { type: 'probe-result'; backend: string; reason: string; dtypes: string[]; attempts: { name: string; ok: boolean; reason: string }[] };

/** The control a running engine loop sees (wraps the shared control buffer; also usable without one in tests). */
export interface RunControl {
  /** true once Stop was requested */
  readonly aborted: boolean;
  /** true while paused (the next gate() would block until Step, Resume or Stop) */
  readonly paused: boolean;
  /**
   * Called before each step: returns immediately when running, blocks while paused (waking for Step or
   * Stop), and returns false when the run must stop.
   */
  gate(): boolean;
}

/**
 * A RunControl over a shared Int32Array (worker side). `beforeBlock` runs once each time the thread is
 * about to sleep while paused (the worker flushes its pending records there: timers cannot fire while
 * the thread waits).
 */
export function sharedControl(buf: SharedArrayBuffer, beforeBlock?: () => void): RunControl {
  const a = new Int32Array(buf);
  return {
    get aborted() {
      return Atomics.load(a, CTRL_CANCEL) === 1;
    },
    get paused() {
      return Atomics.load(a, CTRL_PAUSE) === 1 && Atomics.load(a, CTRL_STEPS) === 0 && Atomics.load(a, CTRL_CANCEL) === 0;
    },
    gate() {
      let flushed = false;
      for (;;) {
        if (Atomics.load(a, CTRL_CANCEL) === 1) return false;
        if (Atomics.load(a, CTRL_PAUSE) === 0) return true;
        const budget = Atomics.load(a, CTRL_STEPS);
        if (budget > 0 && Atomics.compareExchange(a, CTRL_STEPS, budget, budget - 1) === budget) return true;
        if (!flushed) {
          beforeBlock?.();
          flushed = true;
        }
        // Sleep until the host changes the pause slot or the step budget (it notifies on CTRL_PAUSE).
        Atomics.wait(a, CTRL_PAUSE, 1, 250);
      }
    },
  };
}

/** A control that never pauses and never stops (tests, CLI without signals). */
export const freeRunning: RunControl = { aborted: false, paused: false, gate: () => true };

export type { Config, MetricRecord };
