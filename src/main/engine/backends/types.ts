/**
 * The small backend interface for the engine's tensor work (issue: compute backends).
 *
 * Layouts (row-major, all float64 on the interface; a backend may compute in float32 internally):
 *   X  [d, n]  columns are samples x_i           X[a*n + i]
 *   W  [m, d]  rows are encoder neurons w_r      W[r*d + a]
 *   V  [d, m]  columns are decoder vectors v_r   V[a*m + r]
 * Weight-tied networks keep V = Wᵀ (the trainer keeps them in sync).
 */
import type { BackendName, Dtype, Regime } from '../../../shared/config/schema';

/** What a trainer needs: the data, the initial parameters and the GD hyper-parameters (SPEC §1, §4). */
export interface TrainerSpec {
  X: Float64Array;
  d: number;
  n: number;
  m: number;
  /** output scale s (1/√m or 1/m) */
  scale: number;
  regime: Regime;
  /** η_W (encoder, also the tied step) */
  etaW: number;
  /** η_V (decoder) */
  etaV: number;
  /** 1 for ½‖X−U‖², 1/n for the normalized loss (multiplies loss and gradients) */
  lossWeight: number;
  dtype: Dtype;
  W0: Float64Array;
  V0: Float64Array;
  /**
   * false: other threads of the run compute beside the steps (its theory thread), so the backend's own
   * threads should sleep between operations rather than spin-wait for the next one (default true).
   */
  spinWait?: boolean;
}

/**
 * A stateful full-batch GD trainer on one backend. Methods are async because native backends
 * (onnxruntime-node's `session.run`, tfjs-node's data reads) are; the pure-TypeScript backend resolves at once.
 */
export interface Trainer {
  /**
   * Runs `count` GD steps; returns the loss L(θ) evaluated at the parameters *before* the last step
   * taken (as computed inside the fused step), so that step k reports L(θ_k).
   */
  step(count: number): Promise<number>;
  /** GD step on a mini-batch of sample indices (loss and gradient over those samples only). */
  stepBatch?(indices: Int32Array): Promise<number>;
  /** Current loss L(θ) (weighted by lossWeight). */
  loss(): Promise<number>;
  /** Current parameters as float64 copies. */
  params(): Promise<{ W: Float64Array; V: Float64Array }>;
  /** Current reconstructions U = s·V σ(WᵀX), [d, n] float64. */
  outputs(): Promise<Float64Array>;
  /**
   * Traced empirical NTK H̄ (n×n, float64) of the current parameters for the trainer's regime (SPEC §5.2).
   * With `out` (n² entries) the kernel is written there and `out` is returned: a caller that tracks the
   * kernel reuses one buffer instead of a fresh n×n array per call (at n = 1000 the first touch of a fresh
   * 8 MB array costs more than the copy into it).
   */
  tracedNtk(out?: Float64Array): Promise<Float64Array>;
  /**
   * The activation pattern 1[w_rᵀx_i ≥ 0] of the current encoder, [n, m] sample-major (entry i·m + r), from
   * the backend's own product W X in its dtype. Optional: the engine computes it in float64 otherwise.
   */
  activationPattern?(): Promise<Uint8Array>;
  /**
   * Gives the pattern to count activation flips against (the run's pattern at init, [n, m] as
   * {@link activationPattern}; held, not copied: the caller leaves it unchanged). Optional, with
   * {@link patternStats}.
   */
  setPatternReference?(A0: Uint8Array): void;
  /**
   * The entries where the current pattern differs from the reference and the fraction of units active on no
   * sample (collapse.ts patternStats), counted where the last tracedNtk() ran, without the [n, m] pattern;
   * null where they are not at hand for the current parameters (the caller then reads activationPattern()).
   */
  patternStats?(): Promise<{ flips: number; deadFraction: number } | null>;
  dispose(): void;
}

/** A compute backend: a name, the dtypes it offers, and a trainer factory. */
export interface ComputeBackend {
  readonly name: BackendName;
  readonly dtypes: readonly Dtype[];
  /** a human description (library, version, device), shown in the UI and stored in run folders */
  readonly description: string;
  createTrainer(spec: TrainerSpec): Trainer;
  /**
   * y = H x for the full (nd×nd) empirical NTK of the weight-tied network at W, on the backend's own GEMMs in
   * its dtype (see ntk/tiedOperator.ts for the products); absent where the backend has none.
   */
  tiedNtkOperator?(p: TiedOperatorSpec): NtkOperator;
  dispose(): void;
}

/** The weight-tied network a {@link NtkOperator} is evaluated at: X [d, n], W [m, d] (V = Wᵀ), output scale s. */
export interface TiedOperatorSpec {
  X: Float64Array;
  d: number;
  n: number;
  m: number;
  W: Float64Array;
  scale: number;
  dtype: Dtype;
}

/** y = H x for a kernel H [N, N] given only through products (x, y [N]; output-major for an nd×nd NTK). */
export interface NtkOperator {
  N: number;
  apply(x: Float64Array): Promise<Float64Array>;
  dispose(): void;
}

/** Result of trying to load one backend in the start-up order. */
export interface BackendLoadAttempt {
  name: BackendName;
  ok: boolean;
  reason: string;
}
