/**
 * What the related-work tasks answer (SPEC §10): one definition for the engine that computes them, the
 * contract that carries them and the panels and chart builders that draw them.
 */
import type { KernelKind, KernelSpec } from './schema';

/** `related:kernel` (and `kernel --kernel weighted --json`): a Gram matrix and its spectrum. */
export interface KernelResult {
  kernel: KernelKind;
  n: number;
  /** input dimension for vector data */
  d?: number;
  gram: number[][];
  /** ascending */
  eigenvalues: number[];
  lambdaMin: number;
  lambdaMax: number;
  spec: KernelSpec;
}

/** Mean and standard deviation across seeds of a curve, plus the per-seed curves. */
export interface CurveBand {
  mean: number[];
  std: number[];
  curves: number[][];
}

/** Θ_m(x₀, x(γ)) of one width at init and after training, and how far the kernel moved. */
export interface CircleWidth {
  width: number;
  init: CurveBand;
  trained: CurveBand | null;
  /** mean over seeds of ‖Θ_T − Θ_0‖/‖Θ_0‖ along the grid */
  relativeMovement: number | null;
  /** mean over seeds of the final training loss */
  finalLoss: number | null;
}

/** The unit-circle experiment of Jacot et al. (SPEC §10.1). */
export interface CircleExperiment {
  gammas: number[];
  limit: number[];
  widths: CircleWidth[];
  learningRate: number;
  train: { gammas: number[]; targets: number[] };
}

/** λ's of Θ_ω, the frozen-kernel loss curve and a finite network's GD loss curve at the same steps (SPEC §10.6). */
export interface WeightedExperiment {
  lambdaMin: number;
  lambdaMax: number;
  learningRate: number;
  /** η·λ_max(Θ_ω) < 2: the frozen-kernel dynamics converge */
  stable: boolean;
  steps: number[];
  predictedLoss: number[];
  actualLoss: number[];
  continuum: { t: number[]; omegaW: number[]; omegaV: number[]; lambdaMin: number[] };
}

/** `krr`: predictions on the test points, one row per test point. */
export interface KrrResult {
  kernel: KernelKind;
  spec: KernelSpec;
  ridge: number;
  n: number;
  nTest: number;
  outputs: number;
  predictions: number[][];
  trainRelativeResidual: number;
  /** the autoencoder task (targets = inputs): ‖F − X_test‖_F/‖X_test‖_F; null with other targets */
  testRelativeError: number | null;
  /** the autoencoder task: the test rows themselves (what the predictions aim at); null with other targets */
  testTargets: number[][] | null;
  lambdaMin: number;
  lambdaMax: number;
}

/** Kernel regression next to a trained autoencoder (SPEC §6, E8); predictions [d, nTest] flattened row-major. */
export interface KrrNetworkResult {
  regime: 'weak' | 'joint' | 'decoder' | 'tied';
  learningRate: number;
  finalTrainLoss: number;
  initialTrainLoss: number;
  /** kernel regression (k = ∞, ridge ρ) on the test inputs */
  kernelPrediction: number[];
  /** the frozen-kernel prediction after the same number of steps (ρ = 0) */
  linearizedPrediction: number[];
  networkPrediction: number[];
  /** ‖f_net − f_krr‖_F / ‖f_krr‖_F */
  relativeDifference: number;
  /** ‖f_net − f_lin(k)‖_F / ‖f_lin(k)‖_F */
  relativeDifferenceLinearized: number;
  memorization: { network: number | null; kernel: number | null; inputs: number | null; baseline: number };
  n: number;
  d: number;
  nTest: number;
}

/** `rntk`: the recurrent Grams and what the data set carries. */
export interface RntkResult {
  ntk: number[][];
  nngp: number[][];
  n: number;
  p: number;
  lengths: number[];
  readout: 'last' | 'avg';
  bidirectional: boolean;
  sigmaW: number;
  sigmaU: number;
  sigmaB: number;
  sigmaV: number;
  dataset: { name: string; description: string; labels: number[] | null; classes: string[] | null; targets: number[] | null; names?: string[] };
  sequences?: number[][][];
}

/** One σ_w of the sequence study: test errors of regression and classification. */
export interface SequenceStudyRow {
  sigmaW: number;
  /** root mean square test error of the regression onto the targets */
  rmse: number | null;
  /** 1 − SSE/SST on the test targets */
  r2: number | null;
  accuracy: number | null;
  lambdaMin: number;
}

/** Regression and classification on a seeded split, one row per σ_w. */
export interface SequenceStudy {
  rows: SequenceStudyRow[];
  nTrain: number;
  nTest: number;
  /** majority-class accuracy on the test split (what a constant classifier gets) */
  baselineAccuracy: number | null;
}

/** `related:rntk-study`. */
export interface RntkStudyResult extends SequenceStudy {
  dataset: string;
  description: string;
}

/** Mean and standard deviation over seeds. */
export interface MeanStd {
  mean: number;
  std: number;
}

/** One feature size of the random-feature sweep. */
export interface RfSweepRow {
  m0: number;
  m1: number;
  D: number;
  relativeSpectralError: MeanStd;
  /** |λ_min(Φᵀ Φ) − λ_min(Θ)| / λ_min(Θ) */
  lambdaMinError: MeanStd;
  /** ‖F_RF − F_Θ‖_F/‖F_Θ‖_F of kernel-regression predictions on the held-out points (null without any) */
  predictionError: MeanStd | null;
  /** median milliseconds of one feature map + Gram (null without a clock) */
  ms: number | null;
}

/** The error-vs-D table and the fitted log–log slope of the spectral error (SPEC §10.4). */
export interface RfSweep {
  rows: RfSweepRow[];
  /** weighted least-squares slope of log(mean relative error) against log D; ≈ −1/2 */
  slope: number;
  slopeStdError: number | null;
  /** milliseconds of the exact Gram (null without a clock) */
  exactMs: number | null;
  lambdaMinExact: number;
}

/** `related:rf-sweep`. */
export interface RfSweepResult extends RfSweep {
  n: number;
  d: number;
  sketch: string;
  seeds: number;
}

/** `jacot --json`: Jacot's NTK Θ⁽ᴸ⁾ and NNGP Σ⁽ᴸ⁾ of the rows (SPEC §10.1). */
export interface JacotResult {
  ntk: number[][];
  nngp: number[][];
  n: number;
  d: number;
  layers: number;
  beta: number;
  sigmaW: number;
}

/** `rf-ntk --json` (one draw): the random-feature Gram beside the exact Θ, and its relative spectral error (SPEC §10.4). */
export interface RfNtkResult {
  ntk: number[][];
  exact: number[][];
  n: number;
  d: number;
  D: number;
  m0: number;
  m1: number;
  sketch: string;
  sketchDim: number | null;
  seed: number;
  relativeSpectralError: number;
  lambdaMin: number;
  lambdaMinExact: number;
}
