/**
 * The training loop run inside the engine worker (issue 4, items 1–3, 7, 8): builds the data set, draws
 * the seeded init, picks the step size, reports the theory once, then runs GD on a compute backend with
 * Pause/Step/Stop through RunControl, metric records, tracked diagnostics every K steps, checkpoints and
 * the stopping rules (target L/L₀, maximum steps, divergence).
 *
 * Records (MetricRecord of src/shared/run/format.ts):
 *   - step 0, then every `stride` steps with stride = ⌈steps/5000⌉ (every step for runs ≤ 5000 steps), the
 *     loss L(θ_k) and L/L₀;
 *   - every trackEvery (K) steps and at the last step, also `testLoss` and `tracked` (SPEC §5, §7 diagnostics)
 *     including `tracked.preview`: the updated model-view preview (same shape as RunMeta.preview);
 *   - on divergence the non-finite record is still emitted (the run writer stores it as null + nonFinite).
 * Non-finite numbers are passed through as they are; encoding is the writer's job.
 *
 * Streams of the seeded generator (seed = config.seed): data STREAMS.data/testData (datasets), init
 * STREAMS.init, mini-batch indices STREAMS.batches (its state travels in checkpoints).
 */
import type { Config } from '../../shared/config/schema';
import type { RunMeta } from '../../shared/api/contract';
import { WorkbenchException } from '../../shared/api/result';
import type { MetricRecord, TrackedMetrics } from '../../shared/run/format';
import type { Checkpoint, KeptParams, RunControl, RunOutcome } from './protocol';
import type { ComputeBackend, Trainer } from './backends/types';
import { buildDataset, type Dataset } from './datasets';
import { initParams } from './autoencoder/init';
import { forward, outputScale } from './autoencoder/model';
import { fullEmpiricalNtk, tracedEmpiricalNtk } from './ntk/empiricalNtk';
import { regimeKernel } from './ntk/infiniteKernels';
import { symmetricEigen, extremeEigen, gemmNT, transpose } from './linalg';
import { automaticLearningRate, linearizedModel, runTheory, type LinearizedModel } from './theory';
import { matrixBytes } from './memory';
import { createRng, STREAMS, type Rng } from './random';

/** Most loss records per run (plus tracked and final records). */
export const MAX_LOSS_RECORDS = 5000;
/** Divergence: the loss above L₀ and strictly growing over this many consecutive steps. */
export const DIVERGENCE_WINDOW = 20;
/** Tracked eigenvalues: full symmetric eigensolver up to this n, extreme eigensolver above. */
export const FULL_EIG_MAX_N = 300;
/** A full spectrum of the traced NTK every 10th tracked step up to this n. */
export const SPECTRUM_MAX_N = 500;
/** Spectral bias and the linearized loss need the H∞ eigen-decomposition: up to this n. */
export const LINEARIZED_MAX_N = 1000;
/** The linearized finite-width network side by side needs the full nd×nd NTK's eigendecomposition: up to this nd. */
export const LINEARIZED_NETWORK_MAX_ND = 600;
/** Weight-tied automatic step: λ_max of the full (nd×nd) empirical NTK up to this nd, else the traced one. */
export const TIED_FULL_NTK_MAX_ND = 600;
/** Per-sample reconstruction errors in the preview: at most this many samples. */
export const PREVIEW_MAX_SAMPLES = 512;
/** Bins of the neuron-movement histogram. */
export const HISTOGRAM_BINS = 20;

/** Callbacks of {@link runTraining}; `now` is the only clock the engine sees (ms). */
export interface RunCallbacks {
  onMeta(meta: RunMeta): void;
  onRecord(rec: MetricRecord): void;
  onCheckpoint?(cp: Checkpoint): void;
  /** the parameters to keep: θ₀ once set up (also on resume, recomputed from the seed), θ at the end */
  onParams?(p: KeptParams): void;
  now(): number;
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** continue from a checkpoint of the same config (same backend and dtype give the same result) */
  resumeFrom?: Checkpoint;
}

/** The learning rates a run uses (after the automatic rule), SPEC §5.4 / issue item 3. */
export interface ChosenLearningRates {
  etaW: number;
  etaV: number;
  /** 'given' or 'automatic' (c/λ_max(H), ×m for mean-field) */
  source: 'given' | 'automatic';
  /** λ_max of the kernel the automatic rule used (null when given) */
  lambdaMax: number | null;
  /** which kernel: the regime's infinite-width kernel or, for weight-tied, the empirical NTK at step 0 */
  kernel: string;
}

/**
 * The step sizes of a run: `learningRate` (η_W) and `decoderLearningRate` (η_V, default η_W) when given;
 * otherwise η = c/λ_max(H) through theory's automaticLearningRate (c = stepScale; ×m for mean-field),
 * with H the regime's infinite-width kernel (weak ν²H_enc, decoder κ²H_dec, joint ν²H_enc + κ²H_dec,
 * SPEC §5.4) or, for weight-tied (SPEC §7.6), the empirical NTK at step 0 (full nd×nd when nd ≤ 600, else
 * traced). With the 1/n-normalized loss the kernel is H/n, so the automatic η is n times larger and both
 * loss normalizations follow the same dynamics (SPEC §1.2).
 */
export function chooseLearningRates(
  config: Config,
  data: Pick<Dataset, 'X' | 'd' | 'n'>,
  init: { W: Float64Array; V: Float64Array },
): ChosenLearningRates {
  if (config.learningRate !== null) {
    return { etaW: config.learningRate, etaV: config.decoderLearningRate ?? config.learningRate, source: 'given', lambdaMax: null, kernel: 'none' };
  }
  const { X, d, n } = data;
  const m = config.hiddenWidth;
  let lambdaMax: number;
  let kernel: string;
  // For 'mean-field' the untied kernels here are the NTK-scaled H∞; automaticLearningRate multiplies by m.
  if (config.regime === 'tied') {
    const e = empiricalLambdaMax(config, data, init, { etaW: 1, etaV: 1 });
    lambdaMax = e.lambdaMax;
    kernel = e.kernel;
  } else {
    lambdaMax = largestEigenvalue(regimeKernel(config.regime, X, d, n, { kappa: config.kappa, nu: config.nu }), n);
    kernel = `${config.regime} infinite-width kernel`;
  }
  if (!(lambdaMax > 0) || !Number.isFinite(lambdaMax)) {
    throw new WorkbenchException('invalid-data', `automatic learning rate: λ_max of the ${kernel} is ${lambdaMax}; give learningRate explicitly`, { lambdaMax });
  }
  // The tied kernel is the empirical one, which already carries the scaling s² (no extra ×m for mean-field).
  const scaling = config.regime === 'tied' ? 'ntk' : config.scaling;
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const eta = automaticLearningRate(lambdaMax, { stepScale: config.stepScale, scaling, m, lossWeight });
  const etaV = config.decoderLearningRate ?? eta;
  return { etaW: eta, etaV, source: 'automatic', lambdaMax, kernel };
}

/**
 * λ_max of the regime's empirical NTK at the given parameters (weighted by η_V/η_W for joint): the full
 * nd×nd matrix for weight-tied networks with nd ≤ 600 (its λ_max governs GD stability; the traced average
 * can be smaller), the traced n×n matrix otherwise (for untied regimes ≈ the full one's λ_max at width).
 */
export function empiricalLambdaMax(
  config: Pick<Config, 'regime' | 'hiddenWidth' | 'scaling' | 'memoryLimitMiB'>,
  data: Pick<Dataset, 'X' | 'd' | 'n'>,
  params: { W: Float64Array; V: Float64Array },
  rates: { etaW: number; etaV: number },
): { lambdaMax: number; kernel: string } {
  const { X, d, n } = data;
  const m = config.hiddenWidth;
  const p = { X, d, n, m, W: params.W, V: params.V, scale: outputScale(config.scaling, m), regime: config.regime, etaW: rates.etaW, etaV: rates.etaV };
  if (config.regime === 'tied' && n * d <= TIED_FULL_NTK_MAX_ND) {
    return { lambdaMax: largestEigenvalue(fullEmpiricalNtk(p, config.memoryLimitMiB), n * d), kernel: 'empirical NTK at step 0 (full)' };
  }
  return { lambdaMax: largestEigenvalue(tracedEmpiricalNtk(p), n), kernel: 'empirical NTK at step 0 (traced)' };
}

/** λ_max of a symmetric matrix [N, N] (full solver for small N, extreme eigensolver above). */
function largestEigenvalue(H: Float64Array, N: number): number {
  if (N <= FULL_EIG_MAX_N) {
    const v = symmetricEigen(H, N).values;
    return v[N - 1]!;
  }
  return extremeEigen({ n: N, matrix: H }, { k: 1, which: 'largest' }).values[0]!;
}

/** The model-view preview: 2-D points, MNIST thumbnails, or per-sample reconstruction errors. */
export type RunPreview =
  | { kind: 'points2d'; train: number[][]; trainRecon: number[][]; test: number[][]; testRecon: number[][] }
  | { kind: 'mnist'; inputs: number[][][]; reconstructions: number[][][] }
  | { kind: 'errors'; train: number[]; test: number[]; truncated: boolean };

function columns(M: Float64Array, d: number, n: number, count: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < Math.min(n, count); i++) {
    const c: number[] = [];
    for (let a = 0; a < d; a++) c.push(M[a * n + i]!);
    out.push(c);
  }
  return out;
}

function image28(col: number[]): number[][] {
  const img: number[][] = [];
  for (let y = 0; y < 28; y++) img.push(col.slice(y * 28, y * 28 + 28));
  return img;
}

function columnErrors(U: Float64Array, X: Float64Array, d: number, n: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, count); i++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += (U[a * n + i]! - X[a * n + i]!) ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

/**
 * Builds the preview shown in the model view from inputs and reconstructions: d = 2 → all train and test
 * points with their reconstructions; mnist → 16 training digits and reconstructions as 28×28 arrays;
 * otherwise ‖u(x_i) − x_i‖ per sample (at most 512 train and 512 test samples).
 */
export function buildPreview(data: Pick<Dataset, 'name' | 'X' | 'd' | 'n' | 'Xtest' | 'nTest'>, U: Float64Array, Utest: Float64Array): RunPreview {
  const { X, d, n, Xtest, nTest } = data;
  if (d === 2) {
    return { kind: 'points2d', train: columns(X, d, n, n), trainRecon: columns(U, d, n, n), test: columns(Xtest, d, nTest, nTest), testRecon: columns(Utest, d, nTest, nTest) };
  }
  if (data.name.startsWith('mnist') && d === 784) {
    return { kind: 'mnist', inputs: columns(X, d, n, 16).map(image28), reconstructions: columns(U, d, n, 16).map(image28) };
  }
  return {
    kind: 'errors',
    train: columnErrors(U, X, d, n, PREVIEW_MAX_SAMPLES),
    test: columnErrors(Utest, Xtest, d, nTest, PREVIEW_MAX_SAMPLES),
    truncated: n > PREVIEW_MAX_SAMPLES || nTest > PREVIEW_MAX_SAMPLES,
  };
}

function relativeDistance(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++) {
    num += (a[k]! - b[k]!) ** 2;
    den += b[k]! ** 2;
  }
  return den === 0 ? (num === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.sqrt(num / den);
}

/** Rounds a suggested step down to 3 significant digits, so that "try η ≤ X" is safe as printed. */
function floor3(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x;
  const p = 10 ** (Math.floor(Math.log10(x)) - 2);
  return Number((Math.floor(x / p) * p).toPrecision(3));
}

/** State the tracked diagnostics carry from one tracked step to the next. */
interface TrackingState {
  W0: Float64Array;
  V0: Float64Array;
  /** activation pattern at init, 1[w_rᵀx_i ≥ 0], [n, m] (see {@link activationPattern}) */
  A0: Uint8Array;
  /** traced NTK at init (null when kernel tracking is off) */
  H0: Float64Array | null;
  H0norm: number;
  /** the tracked steps' kernel, one buffer reused (allocated at the first tracked step) */
  H: Float64Array | null;
  /** Qᵀ of the linearized model's eigenvectors, for the spectral bias (built at the first tracked step) */
  Qt?: Float64Array;
  /** previous extreme eigenvectors (warm starts) */
  warmMin: Float64Array[] | undefined;
  warmMax: Float64Array[] | undefined;
  trackedCount: number;
  linear: LinearizedModel | null;
}

/** Rows of W per blocked product in {@link activationPatternF64} (a [rows, n] block of W X stays small). */
const PATTERN_ROWS = 256;

/**
 * 1[w_rᵀx_i ≥ 0] of the current encoder, [n, m] sample-major: from the trainer's own product when it has
 * one (onnx: one Gemm, about 100× faster than here at n = 1000, m = 10000), else in float64.
 */
async function activationPattern(trainer: Trainer, W: Float64Array, X: Float64Array, d: number, n: number, m: number): Promise<Uint8Array> {
  if (trainer.activationPattern !== undefined) return trainer.activationPattern();
  return activationPatternF64(W, X, d, n, m);
}

/** {@link activationPattern} in float64: W X in blocks of rows of W by the register-blocked gemmNT. */
export function activationPatternF64(W: Float64Array, X: Float64Array, d: number, n: number, m: number): Uint8Array {
  const A = new Uint8Array(n * m);
  const Xt = transpose(X, d, n);
  for (let r0 = 0; r0 < m; r0 += PATTERN_ROWS) {
    const rows = Math.min(PATTERN_ROWS, m - r0);
    const Z = gemmNT(W.subarray(r0 * d, (r0 + rows) * d), Xt, rows, n, d); // [rows, n]
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let i = 0; i < n; i++) A[i * m + r0 + r] = Z[o + i]! >= 0 ? 1 : 0;
    }
  }
  return A;
}

/**
 * Runs GD training for `config` on `backend` (see the module doc for records, streams and stopping rules).
 * Returns finished (max steps or target L/L₀), stopped (control said stop; a last record is emitted) or
 * failed with 'run-diverged' (non-finite loss, or the loss above L₀ and growing over 20 steps), whose details
 * hold { step, learningRate, suggestedLearningRate } (suggestion 1/λ_max of the effective empirical NTK at
 * init). Configuration and data errors are thrown as WorkbenchException.
 */
export async function runTraining(config: Config, backend: ComputeBackend, control: RunControl, cb: RunCallbacks, opts: RunTrainingOptions = {}): Promise<RunOutcome> {
  const t0 = cb.now();
  const wall = () => cb.now() - t0;
  if (!backend.dtypes.includes(config.dtype)) {
    throw new WorkbenchException('backend-unavailable', `backend ${backend.name} offers ${backend.dtypes.join(', ')}, not dtype ${config.dtype}`);
  }
  const data = buildDataset(config);
  const { X, d, n, Xtest, nTest } = data;
  const m = config.hiddenWidth;
  const regime = config.regime;
  const scale = outputScale(config.scaling, m);
  const init = initParams({ m, d, init: config.init, kappa: config.kappa, nu: config.nu, tied: regime === 'tied' }, createRng(config.seed, STREAMS.init));
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const testWeight = config.lossNormalization === 'mean' ? 1 / Math.max(nTest, 1) : 1;
  const rates = chooseLearningRates(config, data, init);
  const warnings = [...data.warnings];

  const spec = { X, d, n, m, scale, regime, etaW: rates.etaW, etaV: rates.etaV, lossWeight, dtype: config.dtype };
  // The trainer at init gives L₀, U₀ and H(0) on this backend and dtype, also when resuming.
  let trainer: Trainer = backend.createTrainer({ ...spec, W0: init.W, V0: init.V });
  const L0 = await trainer.loss();
  const U0 = await trainer.outputs();
  // H0, the tracked steps' H, the eigensolvers' working copy and Qᵀ of the spectral bias: four n×n arrays.
  const kernelBytes = matrixBytes(n, n) * 4;
  const trackKernel = kernelBytes <= config.memoryLimitMiB * 1024 * 1024;
  if (!trackKernel) warnings.push(`kernel tracking is off: the ${n}×${n} traced NTK needs more than memoryLimitMiB (${config.memoryLimitMiB} MiB)`);
  const H0 = trackKernel ? await trainer.tracedNtk() : null;
  const Utest0 = nTest > 0 ? forward(init.W, init.V, Xtest, { d, n: nTest, m }, scale).U : new Float64Array(0);

  const learningRates = {
    encoder: regime === 'decoder' ? null : rates.etaW,
    decoder: regime === 'decoder' || regime === 'joint' ? rates.etaV : null,
  };
  let theory: unknown = null;
  // runTheory's frozen-kernel model has the same GD map I − η_W·f·H as the one below (f = s²m·lossWeight),
  // so its eigendecomposition (the costly part at large n) is reused.
  let theoryModel: LinearizedModel | null = null;
  try {
    theory = runTheory(
      config,
      data,
      { U0, Utest0, learningRates: { encoder: learningRates.encoder, decoder: learningRates.decoder } },
      { onModel: (mdl) => void (theoryModel = mdl) },
    );
  } catch (e) {
    if (e instanceof WorkbenchException && e.code === 'too-large') warnings.push(`theory skipped: ${e.message}`);
    else if (e instanceof WorkbenchException) warnings.push(`theory unavailable: ${e.message}`);
    else throw e;
  }

  // Frozen-kernel (infinite-width) model for the linearized loss and the spectral bias (untied regimes).
  let linear: LinearizedModel | null = theoryModel;
  if (linear === null && regime !== 'tied' && n <= LINEARIZED_MAX_N) {
    const kopts = { kappa: config.kappa, nu: config.nu };
    let hInf: Float64Array;
    if (regime === 'joint' && rates.etaV !== rates.etaW) {
      // Effective kernel ν²H_enc + (η_V/η_W)κ²H_dec (SPEC §10.6), paired with the step η_W.
      const enc = regimeKernel('weak', X, d, n, kopts);
      const dec = regimeKernel('decoder', X, d, n, kopts);
      hInf = enc.map((e, k) => e + (rates.etaV / rates.etaW) * dec[k]!);
    } else {
      hInf = regimeKernel(regime, X, d, n, kopts);
    }
    const E0 = new Float64Array(d * n);
    for (let k = 0; k < d * n; k++) E0[k] = U0[k]! - X[k]!;
    // The frozen-kernel map is I − η·(s²m)·lossWeight·H (s²m = 1/m for mean-field, SPEC §5.3).
    const etaEff = (regime === 'decoder' ? rates.etaV : rates.etaW) * lossWeight * scale * scale * m;
    linear = linearizedModel(hInf, n, E0, d, etaEff);
  }

  // The linearized finite-width network f(θ₀) + J(θ₀)(θ − θ₀) under full-batch GD: its residual obeys
  // r(k+1) = (I − η lossWeight H(0)) r(k) exactly, H(0) the full effective empirical NTK at init, so
  // its loss follows from one eigendecomposition (the [1, nd] residual r = vec_out(E₀) as a single row).
  let linearNet: LinearizedModel | null = null;
  const batch = config.batchSize !== null && config.batchSize < n ? config.batchSize : null;
  if (config.linearizedSideBySide) {
    if (n * d > LINEARIZED_NETWORK_MAX_ND) {
      warnings.push(`linearized network side by side skipped: nd = ${n * d} > ${LINEARIZED_NETWORK_MAX_ND}`);
    } else {
      if (batch !== null) warnings.push('the linearized network side by side follows full-batch GD; this run uses mini-batches');
      const H0full = fullEmpiricalNtk({ X, d, n, m, W: init.W, V: init.V, scale, regime, etaW: rates.etaW, etaV: rates.etaV }, config.memoryLimitMiB);
      const r0 = new Float64Array(d * n);
      for (let k = 0; k < d * n; k++) r0[k] = U0[k]! - X[k]!;
      linearNet = linearizedModel(H0full, n * d, r0, 1, (regime === 'decoder' ? rates.etaV : rates.etaW) * lossWeight);
    }
  }

  cb.onMeta({
    backend: backend.name,
    dtype: config.dtype,
    learningRates,
    n,
    d,
    m,
    warnings,
    theory,
    preview: buildPreview(data, U0, Utest0),
  });

  const tracking: TrackingState = {
    W0: init.W,
    V0: init.V,
    A0: await activationPattern(trainer, init.W, X, d, n, m),
    H0,
    H0norm: 0,
    H: null,
    warmMin: undefined,
    warmMax: undefined,
    trackedCount: 0,
    linear,
  };
  if (H0) {
    let s = 0;
    for (let k = 0; k < H0.length; k++) s += H0[k]! * H0[k]!;
    tracking.H0norm = Math.sqrt(s);
  }

  let startStep = 0;
  const batchRng: Rng = createRng(config.seed, STREAMS.batches);
  if (opts.resumeFrom) {
    const cp = opts.resumeFrom;
    if (cp.W.length !== m * d || cp.V.length !== d * m) {
      throw new WorkbenchException('invalid-request', `resumeFrom: checkpoint W has ${cp.W.length} entries and V ${cp.V.length}, expected [${m}, ${d}] and [${d}, ${m}]`);
    }
    if (!(cp.step >= 0 && cp.step <= config.steps)) throw new WorkbenchException('invalid-request', `resumeFrom: step ${cp.step} is outside 0..${config.steps}`);
    trainer.dispose();
    trainer = backend.createTrainer({ ...spec, W0: cp.W, V0: cp.V });
    batchRng.setState(cp.rngState);
    startStep = cp.step;
  }

  const stride = Math.max(1, Math.ceil(config.steps / MAX_LOSS_RECORDS));
  const K = config.trackEvery;
  const batchIdx = batch === null ? null : new Int32Array(batch);
  const perm = batch === null ? null : new Int32Array(n);
  const window: number[] = [];
  let suggested: number | null = null;

  const record = (step: number, loss: number, tracked?: { testLoss: number | null; tracked: TrackedMetrics }): void => {
    const rec: MetricRecord = { step, loss, lossRatio: loss / L0, wallMs: wall() };
    if (tracked) {
      if (tracked.testLoss !== null) rec.testLoss = tracked.testLoss;
      rec.tracked = tracked.tracked;
    }
    cb.onRecord(rec);
  };

  const trackedRecord = async (step: number): Promise<number> => {
    const loss = await trainer.loss();
    const t = await trackedDiagnostics(step);
    record(step, loss, t);
    return loss;
  };

  async function trackedDiagnostics(step: number): Promise<{ testLoss: number | null; tracked: TrackedMetrics }> {
    const { W, V } = await trainer.params();
    const U = await trainer.outputs();
    const tracked: TrackedMetrics = {};
    tracked.weightMoveW = relativeDistance(W, tracking.W0);
    tracked.weightMoveV = relativeDistance(V, tracking.V0);
    const moves = new Float64Array(m);
    let maxMove = 0;
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += (W[r * d + a]! - tracking.W0[r * d + a]!) ** 2;
      const mv = Math.sqrt(s) * Math.sqrt(m);
      moves[r] = mv;
      if (mv > maxMove || Number.isNaN(mv)) maxMove = mv;
    }
    tracked.maxNeuronMove = maxMove;
    tracked.neuronMoveHistogram = histogram(moves, maxMove);
    const A = await activationPattern(trainer, W, X, d, n, m);
    let flips = 0;
    for (let k = 0; k < A.length; k++) if (A[k] !== tracking.A0[k]) flips++;
    tracked.flipFraction = flips / A.length;
    if (tracking.H0) {
      // At step 0 of a fresh run the parameters are θ₀: the kernel is H0 itself (a second n×n solve saved).
      const atInit = step === 0 && opts.resumeFrom === undefined;
      const H = atInit ? tracking.H0 : await trainer.tracedNtk((tracking.H ??= new Float64Array(n * n)));
      tracked.kernelDistance = tracking.H0norm === 0 ? null : relativeDistance(H, tracking.H0);
      if (config.trackEigenvalues > 0 && H.every(Number.isFinite)) {
        try {
          eigenTracking(H, tracked);
        } catch (e) {
          // An unconverged eigensolve must not end the run: record why the eigenvalues are missing.
          if (!(e instanceof WorkbenchException) || e.code !== 'not-converged') throw e;
          tracked['eigNote'] = e.message;
          tracking.warmMin = tracking.warmMax = undefined;
        }
      }
    }
    let Utest: Float64Array = new Float64Array(0);
    let testLoss: number | null = null;
    if (nTest > 0) {
      Utest = forward(W, V, Xtest, { d, n: nTest, m }, scale).U;
      let s = 0;
      for (let k = 0; k < Utest.length; k++) s += (Utest[k]! - Xtest[k]!) ** 2;
      testLoss = 0.5 * testWeight * s;
    }
    if (linearNet) tracked.linearizedNetworkLoss = linearNet.lossAt(step) * lossWeight;
    if (tracking.linear) {
      const lin = tracking.linear;
      tracked.linearizedLoss = lin.lossAt(step) * lossWeight;
      // bias_l = ‖(U − X) q_l‖² for the eigenvectors q_l (columns of Q): C = (U − X) Q [d, n] by rows.
      const E = new Float64Array(d * n);
      for (let k = 0; k < E.length; k++) E[k] = U[k]! - X[k]!;
      tracking.Qt ??= transpose(lin.eigenvectors, n, n);
      const C = gemmNT(E, tracking.Qt, d, n, n);
      const bias = new Array<number>(n).fill(0);
      for (let a = 0; a < d; a++) for (let l = 0; l < n; l++) bias[l]! += C[a * n + l]! ** 2;
      tracked.spectralBias = bias;
      tracked['spectralBiasPredicted'] = Array.from(lin.residualEnergyAt(step));
    }
    tracked['preview'] = buildPreview(data, U, Utest);
    tracking.trackedCount++;
    return { testLoss, tracked };
  }

  function eigenTracking(H: Float64Array, tracked: TrackedMetrics): void {
    const k = Math.min(config.trackEigenvalues, n);
    const wantSpectrum = n <= SPECTRUM_MAX_N && tracking.trackedCount % 10 === 0;
    if (n <= FULL_EIG_MAX_N || wantSpectrum) {
      const vals = symmetricEigen(H, n).values;
      tracked.eigMin = Array.from(vals.subarray(0, k));
      tracked.eigMax = Array.from(vals.subarray(n - k)).reverse();
      if (wantSpectrum) tracked.spectrum = Array.from(vals);
      return;
    }
    const lo = extremeEigen({ n, matrix: H }, { k, which: 'smallest', warmStart: tracking.warmMin });
    const hi = extremeEigen({ n, matrix: H }, { k, which: 'largest', warmStart: tracking.warmMax });
    tracking.warmMin = lo.vectors;
    tracking.warmMax = hi.vectors;
    tracked.eigMin = Array.from(lo.values).sort((x, y) => x - y);
    tracked.eigMax = Array.from(hi.values).sort((x, y) => y - x);
  }

  const suggestion = (): number => {
    if (suggested === null) {
      // 1/λ_max of the effective empirical NTK at init, in the units of η_W (η_V for decoder-only);
      // joint keeps the ratio η_V/η_W, which the kernel's weighting already contains.
      const lmax = regime === 'tied' || !H0 ? empiricalLambdaMax(config, data, init, rates).lambdaMax : largestEigenvalue(H0, n);
      suggested = floor3(1 / (lmax * lossWeight));
    }
    return suggested;
  };

  const diverged = (step: number, reason: string): RunOutcome => {
    const eta = regime === 'decoder' ? rates.etaV : rates.etaW;
    const s = suggestion();
    const message = `diverged at step ${step} with learning rate ${eta}; try η ≤ ${s}`;
    return {
      status: 'failed',
      reason: `${message} (${reason})`,
      error: { code: 'run-diverged', message, details: { step, learningRate: eta, suggestedLearningRate: s, reason } },
    };
  };

  // θ₀ is what a later analysis compares the trained weights against; on resume it is recomputed from the seed.
  cb.onParams?.({ which: 'initial', step: 0, m, d, W: init.W, V: init.V });
  let k = startStep;
  /** the step the trainer's parameters are at (one ahead of k between a GD step and k++) */
  let paramStep = startStep;
  let threw = false;
  try {
    let lastRecorded = -1;
    if (k === 0 || k % K === 0) {
      const l = await trackedRecord(k);
      lastRecorded = k;
      if (!Number.isFinite(l)) return diverged(k, 'non-finite loss');
    }
    for (;;) {
      if (k >= config.steps) {
        if (lastRecorded !== k) await trackedRecord(k);
        return { status: 'finished', reason: `reached the maximum of ${config.steps} steps` };
      }
      if (config.checkpointEvery > 0 && k > startStep && k % config.checkpointEvery === 0 && cb.onCheckpoint) {
        const p = await trainer.params();
        cb.onCheckpoint({ step: k, W: p.W, V: p.V, rngState: batchRng.getState() });
      }
      // About to wait while paused: record the loss at the step where the run stands now rather than inside
      // the next step, but only at a step the stride records anyway, so a paused run's records equal an
      // uninterrupted run's.
      if (control.paused && lastRecorded !== k && k % stride === 0) {
        record(k, await trainer.loss());
        lastRecorded = k;
      }
      if (!control.gate()) {
        if (lastRecorded !== k) await trackedRecord(k);
        return { status: 'stopped', reason: `stopped at step ${k}` };
      }
      // One GD step θ_k → θ_{k+1}; the trainer reports L(θ_k).
      let lossK: number | null;
      if (batchIdx && perm) {
        if (!trainer.stepBatch) throw new WorkbenchException('backend-unavailable', `backend ${backend.name} has no mini-batch step; set batchSize to null`);
        // Partial Fisher–Yates from the identity: the batch depends only on the batch stream's state.
        for (let i = 0; i < n; i++) perm[i] = i;
        for (let j = 0; j < batchIdx.length; j++) {
          const r = j + batchRng.int(n - j);
          const t = perm[j]!;
          perm[j] = perm[r]!;
          perm[r] = t;
          batchIdx[j] = perm[j]!;
        }
        // The step's own loss is over the batch: records and checks use the full loss at record steps.
        lossK = k % stride === 0 && lastRecorded !== k ? await trainer.loss() : null;
        const lb = await trainer.stepBatch(batchIdx);
        paramStep = k + 1;
        if (lossK === null && !Number.isFinite(lb)) lossK = lb;
      } else {
        lossK = await trainer.step(1);
        paramStep = k + 1;
      }
      if (lossK === null) {
        k++;
        if (k % K === 0 && k < config.steps) {
          const l = await trackedRecord(k);
          lastRecorded = k;
          if (!Number.isFinite(l)) return diverged(k, 'non-finite loss');
        }
        continue;
      }
      if (lastRecorded !== k && (k % stride === 0 || !Number.isFinite(lossK))) {
        record(k, lossK);
        lastRecorded = k;
      }
      if (!Number.isFinite(lossK)) return diverged(k, 'non-finite loss');
      window.push(lossK);
      if (window.length > DIVERGENCE_WINDOW) window.shift();
      if (window.length === DIVERGENCE_WINDOW && window[0]! > L0 && window.every((v, j) => j === 0 || v > window[j - 1]!)) {
        return diverged(k, `loss above L₀ and growing for ${DIVERGENCE_WINDOW} steps`);
      }
      k++;
      if (config.targetLossRatio > 0 && lossK / L0 <= config.targetLossRatio) {
        await trackedRecord(k);
        return { status: 'finished', reason: `reached the target loss ratio ${config.targetLossRatio} (L/L₀ = ${lossK / L0} at step ${k - 1})` };
      }
      if (k % K === 0 && k < config.steps) {
        const l = await trackedRecord(k);
        lastRecorded = k;
        if (!Number.isFinite(l)) return diverged(k, 'non-finite loss');
      }
    }
  } catch (e) {
    threw = true;
    throw e;
  } finally {
    // Every normal end (finished, stopped, diverged) keeps the parameters it ended with; after an exception
    // the trainer's state is not trustworthy, so nothing is kept and the error is what gets reported.
    if (!threw && cb.onParams) {
      const p = await trainer.params();
      cb.onParams({ which: 'final', step: paramStep, m, d, W: p.W, V: p.V });
    }
    trainer.dispose();
  }
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
