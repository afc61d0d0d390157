/**
 * The every-K diagnostics of a run (SPEC §5, §7; MetricRecord.tracked of src/shared/run/format.ts): weight
 * movement from θ₀, per-neuron movement and its histogram, activation flips and dead units, the traced
 * NTK's distance from init, its extreme eigenvalues (sometimes the full spectrum) and a block-averaged copy,
 * the test loss, the linearized predictions, the spectral bias and the model-view preview.
 */
import type { Config } from '../../../shared/config/schema';
import { WorkbenchException, type WorkbenchErrorCode } from '../../../shared/api/result';
import type { TrackedMetrics } from '../../../shared/run/format';
import type { Trainer } from '../backends/types';
import type { Dataset } from '../datasets';
import { lossOf } from '../autoencoder/model';
import { matmulFast, releaseIdleKernels } from '../linalg';
import { forPreactivationBlocks } from '../ntk/empiricalNtk';
import type { LinearizedModel } from '../theory';
import { patternStats } from './collapse';
import { buildPreview } from './preview';
import { heldOutOutputs } from './testOutputs';
import { KERNEL_PREVIEW_CELLS, blockAverage } from '../../../shared/charts/heatmap';
import { EIGEN_IN_FLIGHT_MAX } from '../../../shared/run/memory';
import {
  EIGEN_THREAD_MIN_N,
  nextWarm,
  startingFrom,
  trackedEigen,
  type EigenThread,
  type TrackedEigenJob,
  type TrackedEigenResult,
  type WarmState,
} from './trackedEigen';

/** A full spectrum of the traced NTK every 10th tracked step up to this n. */
export const SPECTRUM_MAX_N = 500;
/** Bins of the neuron-movement histogram. */
export const HISTOGRAM_BINS = 20;

/** What the tracker needs to know about the run, once. */
export interface TrackerContext {
  config: Pick<Config, 'dtype' | 'trackEigenvalues'>;
  data: Pick<Dataset, 'name' | 'X' | 'd' | 'n' | 'Xtest' | 'nTest'>;
  m: number;
  /** the output scale s (SPEC §1.2) */
  scale: number;
  /** weight of the test loss (1, or 1/nTest for the 1/n-normalized loss) */
  testWeight: number;
  /** weight of the training loss (1, or 1/n) */
  lossWeight: number;
  /** traced NTK at init (null when kernel tracking is off) */
  H0: Float64Array | null;
  /**
   * the frozen-kernel (infinite-width) model: linearized loss and spectral bias; null until the run's theory
   * is computed (then {@link Tracker.setLinear}), or for good where there is none
   */
  linear: LinearizedModel | null;
  /** a frozen-kernel model is on its way (untied regimes): step 0 of a fresh run records its loss already */
  linearPending?: boolean;
  /** the linearized finite-width network side by side */
  linearNet: LinearizedModel | null;
  /** the run continues from a checkpoint (step 0 is then not θ₀) */
  resumed: boolean;
  /** a thread for the eigenvalues of tracked steps from n = EIGEN_THREAD_MIN_N on (./trackedEigen.ts) */
  eigenThread?: EigenThread | null;
}

/** The diagnostics of one tracked step. */
export interface TrackedStep {
  testLoss: number | null;
  tracked: TrackedMetrics;
  /**
   * Set while the frozen-kernel model is still on its way (after step 0): fills in `tracked`'s linearized
   * loss and spectral bias from the model once {@link Tracker.setLinear} has given it (nothing when it gave
   * none), from this step's residual as held here. The run holds the record back until then.
   */
  completeLinear?: () => void;
  /**
   * Set while this step's eigenvalues are on the thread aside (the GD steps go on meanwhile): resolves once
   * they are in `tracked`, after those of every earlier tracked step; rejects with the error the same solve
   * in place would have thrown. The run holds the record back until then.
   */
  eigen?: Promise<void>;
}

/**
 * Computes the tracked diagnostics every K steps, carrying from one tracked step to the next θ₀ as the
 * trainer holds it, the activation pattern at init, H(0), one reused kernel buffer and the eigensolvers'
 * warm starts.
 */
export class Tracker {
  /** the kernel buffer the next tracked step computes into */
  private H: Float64Array | null = null;
  /** kernel buffers free again after their step's eigenvalues came back (shared memory, n×n) */
  private readonly spareH: Float64Array[] = [];
  /** kernel buffers the thread aside is reading for tracked steps whose eigenvalues are not in yet */
  private readonly inFlight: Float64Array[] = [];
  /** resolves once the eigenvalues of every tracked step so far are in (see {@link TrackedStep.eigen}) */
  private eigenChain: Promise<void> = Promise.resolve();
  /** ‖H(0)‖², ‖W(0)‖², ‖V(0)‖²: the denominators of the kernel's and the weights' movement, fixed for the run */
  private readonly H0sq: number;
  private readonly W0sq: number;
  private readonly V0sq: number;
  /** what the next tracked step's eigensolves start from, as of the last step whose eigenvalues are in */
  private warm: WarmState = {};
  private trackedCount = 0;
  /** whether a tracked step's eigenvalues came from the run's eigenvalue thread yet */
  private solvedAside = false;

  private constructor(
    private readonly ctx: TrackerContext,
    private readonly W0: Float64Array | Float32Array,
    private readonly V0: Float64Array | Float32Array,
    /** activation pattern at init, 1[w_rᵀx_i ≥ 0], [n, m] (see {@link activationPattern}) */
    private readonly A0: Uint8Array,
  ) {
    this.H0sq = ctx.H0 ? squaredNorm(ctx.H0) : 0;
    this.W0sq = squaredNorm(W0);
    this.V0sq = squaredNorm(V0);
  }

  /** The frozen-kernel model, once the run's theory has it (tracked steps before went without it). */
  setLinear(linear: LinearizedModel | null): void {
    this.ctx.linear = linear;
    this.ctx.linearPending = false;
  }

  /**
   * A tracker for a run whose trainer holds θ₀ (`init`) now. `init` itself is not kept: the tracker holds θ₀ as
   * the trainer does (float32 for a float32 run).
   */
  static async create(ctx: TrackerContext, trainer: Trainer, init: { W: Float64Array; V: Float64Array }): Promise<Tracker> {
    // Movement is measured from θ₀ as the trainer holds it, so step 0 is exactly 0: a float32 trainer holds θ₀
    // rounded to float32 (kept so, at half the size of a float64 copy); a float64 one holds it exactly.
    const held = (a: Float64Array): Float64Array | Float32Array => (ctx.config.dtype === 'float32' ? Float32Array.from(a) : a);
    const { X, d, n } = ctx.data;
    const A0 = await activationPattern(trainer, init.W, X, d, n, ctx.m);
    // A trainer that counts flips itself is given A0 to count against (held there as here, not copied).
    trainer.setPatternReference?.(A0);
    return new Tracker(ctx, held(init.W), held(init.V), A0);
  }

  /**
   * The diagnostics of the trainer's parameters at `step` (`final`: the run's last record). Ask the trainer
   * for the loss at `step` after this: with kernel tracking it then comes from the same fused run.
   */
  async diagnostics(trainer: Trainer, step: number, final: boolean): Promise<TrackedStep> {
    const { config, data, m, scale } = this.ctx;
    const { X, d, n, Xtest, nTest } = data;
    // The kernel first: a fused trainer (onnx) computes it in one run with the outputs, the activation
    // pattern and the loss at these parameters, which the calls below then read (and the next GD step).
    const H0 = this.ctx.H0;
    // At step 0 of a fresh run the parameters are θ₀: the kernel is H0 itself (a second n×n solve saved).
    const atInit = step === 0 && !this.ctx.resumed;
    const H = H0 === null ? null : atInit ? H0 : await trainer.tracedNtk(this.freeKernelBuffer(n));
    // Its eigenvalues on the thread aside where there is one, while the rest is computed here: a fresh run's
    // first tracked step waits for them (its record is the run's first), later ones go on (see TrackedStep.eigen).
    const eigJob = H !== null && config.trackEigenvalues > 0 && allFinite(H) ? this.eigenJob(H) : null;
    const aside = eigJob === null ? null : this.solveAside(eigJob);
    // Awaited below; should something here throw first, its failure is not an unhandled rejection.
    aside?.reply.catch(() => {});
    const deferred = aside !== null && !atInit;
    const { W, V } = await trainer.params();
    const U = await trainer.outputs();
    const tracked: TrackedMetrics = {};
    // One pass over W for the per-unit moves and the whole move; θ₀'s norms are the run's.
    const { moves, maxMove, total } = neuronMoves(W, this.W0, m, d);
    tracked.weightMoveW = relativeTo(total, this.W0sq);
    tracked.weightMoveV = relativeTo(squaredDistance(V, this.V0), this.V0sq);
    tracked.maxNeuronMove = maxMove;
    tracked.neuronMoveHistogram = histogram(moves, maxMove);
    // Counted by the trainer's fused run where it did (no [n, m] pattern then), else from the pattern here.
    const p = (await trainer.patternStats?.()) ?? patternStats(await activationPattern(trainer, W, X, d, n, m), this.A0, n, m);
    tracked.flipFraction = p.flips / (n * m);
    tracked.deadUnitFraction = p.deadFraction;
    if (H0 !== null && H !== null) {
      tracked.kernelDistance = this.H0sq === 0 ? null : relativeTo(squaredDistance(H, H0), this.H0sq);
      // The kernel itself, block-averaged, now and then and at the end (the heatmap beside H∞).
      if (final || this.trackedCount % 10 === 0) {
        const { k, cells } = blockAverage(H, n, KERNEL_PREVIEW_CELLS);
        tracked.kernel = { n, k, cells };
      }
    }
    let Utest: Float64Array = new Float64Array(0);
    let testLoss: number | null = null;
    if (nTest > 0) {
      Utest = heldOutOutputs(W, V, Xtest, { d, n: nTest, m }, scale);
      testLoss = lossOf(Utest, Xtest, this.ctx.testWeight);
    }
    const lossWeight = this.ctx.lossWeight;
    if (this.ctx.linearNet) tracked.linearizedNetworkLoss = this.ctx.linearNet.lossAt(step) * lossWeight;
    let completeLinear: (() => void) | undefined;
    if (this.ctx.linear) {
      this.linearParts(this.ctx.linear, tracked, residual(U, X), step);
    } else if (this.ctx.linearPending === true && step === 0 && !this.ctx.resumed) {
      // Every frozen-kernel model starts at E(0) = U₀ − X: its loss at step 0 needs no decomposition.
      tracked.linearizedLoss = lossOf(U, X, 1) * lossWeight;
    } else if (this.ctx.linearPending === true) {
      // The model is on its way: this step's residual is kept (the trainer's outputs move on) for then.
      const E = residual(U, X);
      completeLinear = () => {
        if (this.ctx.linear) this.linearParts(this.ctx.linear, tracked, E, step);
      };
    }
    tracked.preview = buildPreview(data, U, Utest);
    this.trackedCount++;
    const out: TrackedStep = completeLinear === undefined ? { testLoss, tracked } : { testLoss, tracked, completeLinear };
    if (eigJob === null) return out;
    const solved = async (): Promise<void> => {
      try {
        this.applyEigen(tracked, (await aside?.reply) ?? trackedEigen(startingFrom(eigJob, this.warm)));
      } finally {
        if (aside !== null) this.release(aside.buffer);
      }
    };
    if (!deferred) {
      await solved();
      return out;
    }
    // After every earlier step's: the warm state is theirs by then, for a solve here should the thread fail.
    const done = this.eigenChain.then(solved);
    this.eigenChain = done.catch(() => {});
    out.eigen = done;
    return out;
  }

  /** Resolves once the eigenvalues of every tracked step so far are in (or failed). */
  eigenvaluesIn(): Promise<void> {
    return this.eigenChain;
  }

  /**
   * Whether {@link EIGEN_IN_FLIGHT_MAX} tracked steps have their eigenvalues on the thread aside (each holds a
   * kernel buffer): the run then waits for {@link Tracker.eigenvaluesIn} before another tracked step.
   */
  kernelsOut(): boolean {
    return this.inFlight.length >= EIGEN_IN_FLIGHT_MAX;
  }

  /** The kernel buffer for the next traced NTK: the current one unless the thread aside still reads it, else a spare or a new one. */
  private freeKernelBuffer(n: number): Float64Array {
    if (this.H !== null && this.inFlight.includes(this.H)) this.H = this.spareH.pop() ?? null;
    return (this.H ??= this.kernelBuffer(n));
  }

  /** A kernel buffer the thread aside no longer reads: the next kernel goes there, or into the current one. */
  private release(buffer: Float64Array): void {
    const at = this.inFlight.indexOf(buffer);
    if (at < 0) return;
    this.inFlight.splice(at, 1);
    if (buffer !== this.H) this.spareH.push(buffer);
  }

  /** The frozen-kernel parts of a tracked step from its residual E = U − X [d, n]: linearized loss and spectral bias. */
  private linearParts(lin: LinearizedModel, tracked: TrackedMetrics, E: Float64Array, step: number): void {
    const { d, n } = this.ctx.data;
    tracked.linearizedLoss = lin.lossAt(step) * this.ctx.lossWeight;
    // bias_l = ‖(U − X) q_l‖² for the eigenvectors q_l (columns of Q): C = (U − X) Q [d, n] by rows.
    const C = matmulFast(E, lin.eigenvectors, d, n, n);
    const bias = new Array<number>(n).fill(0);
    for (let a = 0; a < d; a++) for (let l = 0; l < n; l++) bias[l]! += C[a * n + l]! ** 2;
    tracked.spectralBias = bias;
    tracked.spectralBiasPredicted = Array.from(lin.residualEnergyAt(step));
  }

  /** The n×n kernel buffer reused by the tracked steps: shared memory where a thread reads it. */
  private kernelBuffer(n: number): Float64Array {
    return this.ctx.eigenThread != null ? new Float64Array(new SharedArrayBuffer(8 * n * n)) : new Float64Array(n * n);
  }

  /**
   * The eigenvalue job of H: its k extremes (and every 10th tracked step up to SPECTRUM_MAX_N its full spectrum),
   * from the warm state of the last step whose eigenvalues are in; while an earlier step's are still on the
   * thread aside, from what that one leaves there instead (`fromPrevious`).
   */
  private eigenJob(H: Float64Array): TrackedEigenJob {
    const n = this.ctx.data.n;
    const job: TrackedEigenJob = { H, n, k: Math.min(this.ctx.config.trackEigenvalues, n), spectrum: n <= SPECTRUM_MAX_N && this.trackedCount % 10 === 0 };
    return this.inFlight.length > 0 ? { ...job, fromPrevious: true } : startingFrom(job, this.warm);
  }

  /**
   * The job on the run's thread aside, when it has one that is up and n is large enough to gain from it (its
   * reply, and the shared kernel buffer the thread reads, in flight until released); null: compute it in place.
   * The reply is null where the thread failed (then this job and every later one are computed in place); an
   * error of the job itself is thrown as in place.
   */
  private solveAside(job: TrackedEigenJob): { reply: Promise<TrackedEigenResult | null>; buffer: Float64Array } | null {
    const thread = this.ctx.eigenThread;
    // Once the thread aside has a job in flight, later ones follow it there (it keeps their warm state), ready or not.
    if (thread == null || job.n < EIGEN_THREAD_MIN_N || (!thread.ready && this.inFlight.length === 0)) return null;
    if (!(job.H.buffer instanceof SharedArrayBuffer)) {
      // H(0) at step 0: into the shared buffer of the later steps rather than cloned into the thread's heap.
      const shared = (this.H ??= this.kernelBuffer(job.n));
      shared.set(job.H);
      job = { ...job, H: shared };
    }
    this.inFlight.push(job.H);
    const reply = thread.solve(job).then(
      (r) => {
        if (r.ok && !this.solvedAside) {
          // The thread has its own kernels now: those this thread pooled for its eigensolves so far can go.
          this.solvedAside = true;
          releaseIdleKernels();
        }
        if (r.ok) return r.result;
        throw r.code !== undefined ? new WorkbenchException(r.code as WorkbenchErrorCode, r.message) : new Error(r.message);
      },
      // The thread failed (it says so itself): this job and every later one are computed here.
      () => null,
    );
    return { reply, buffer: job.H };
  }

  private applyEigen(tracked: TrackedMetrics, r: TrackedEigenResult): void {
    if (r.eigMin) tracked.eigMin = r.eigMin;
    if (r.eigMax) tracked.eigMax = r.eigMax;
    if (r.spectrum) tracked.spectrum = r.spectrum;
    if (r.note !== undefined) tracked.eigNote = r.note;
    this.warm = nextWarm(this.warm, r);
  }
}

/**
 * ‖w_r − w_r(0)‖·√m for each hidden unit r (rows of W [m, d]), their largest (NaN if any is) and ‖W − W(0)‖²
 * (the sum of the rows' squares). The loops of a tracked step live in functions like this one: in the async
 * diagnostics() V8 compiled the whole method again at every tracked step (issue 13).
 */
function neuronMoves(W: Float64Array, W0: Float64Array | Float32Array, m: number, d: number): { moves: Float64Array; maxMove: number; total: number } {
  const moves = new Float64Array(m);
  let maxMove = 0;
  let total = 0;
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += (W[r * d + a]! - W0[r * d + a]!) ** 2;
    total += s;
    const mv = Math.sqrt(s) * Math.sqrt(m);
    moves[r] = mv;
    if (mv > maxMove || Number.isNaN(mv)) maxMove = mv;
  }
  return { moves, maxMove, total };
}

/** Whether every entry is finite (a loop: `every(Number.isFinite)` took ~12 ms of an n = 1000 kernel). */
function allFinite(a: Float64Array): boolean {
  for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k]!)) return false;
  return true;
}

/** E = U − X, a copy. */
function residual(U: Float64Array, X: Float64Array): Float64Array {
  const E = new Float64Array(X.length);
  for (let k = 0; k < E.length; k++) E[k] = U[k]! - X[k]!;
  return E;
}

/** ‖a − b‖² (b is θ₀ or H(0), whose norm the tracker keeps: one pass, not two). */
function squaredDistance(a: Float64Array, b: Float64Array | Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return s;
}

function squaredNorm(a: Float64Array | Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! ** 2;
  return s;
}

/** √(distance² / norm²): the relative distance (0 from a zero reference only when there is no distance). */
function relativeTo(distanceSq: number, normSq: number): number {
  return normSq === 0 ? (distanceSq === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.sqrt(distanceSq / normSq);
}

function histogram(values: Float64Array, max: number): { edges: number[]; counts: number[] } {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, b) => (top * b) / HISTOGRAM_BINS);
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(HISTOGRAM_BINS - 1, Math.floor((v / top) * HISTOGRAM_BINS));
    counts[b]!++;
  }
  return { edges, counts };
}

/**
 * 1[w_rᵀx_i ≥ 0] of the current encoder, [n, m] sample-major: from the trainer's own product when it has
 * one (onnx: one Gemm, about 100× faster than here at n = 1000, m = 10000), else in float64.
 */
async function activationPattern(trainer: Trainer, W: Float64Array, X: Float64Array, d: number, n: number, m: number): Promise<Uint8Array> {
  if (trainer.activationPattern !== undefined) return trainer.activationPattern();
  return activationPatternF64(W, X, d, n, m);
}

/** {@link activationPattern} in float64: W X in blocks of rows of W ({@link forPreactivationBlocks}). */
export function activationPatternF64(W: Float64Array, X: Float64Array, d: number, n: number, m: number): Uint8Array {
  const A = new Uint8Array(n * m);
  forPreactivationBlocks(W, X, d, n, m, (Z, r0, rows) => {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let i = 0; i < n; i++) A[i * m + r0 + r] = Z[o + i]! >= 0 ? 1 : 0;
    }
  });
  return A;
}
