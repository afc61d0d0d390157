/**
 * The theory panel beside a run (SPEC §5–§7): eigenvalue parameters, step sizes, rate bound, the
 * linearized loss curve of this run's regime and η from its actual U₀, the Theorem A/B conditions at
 * this width, the kernel predictor and memorization measure on the test inputs, and Prop. D for tied runs.
 */
import type { Config } from '../../../shared/config/schema';
import type { Dataset } from '../datasets/index';
import { WorkbenchException } from '../../../shared/api/result';
import { columnNorms, extremeEigen, frobeniusNorm, symmetricEigen } from '../linalg';

/** Largest n whose H∞ matrix is kept in the theory (for the heatmap). */
export const THEORY_GRAM_MAX_N = 300;
import { infiniteKernels, jointKernel } from '../ntk/infiniteKernels';
import { linearizedModel, type LinearizedModel, predictLinearized, spanShare } from './linearized';
import { hasUnitNorm, spectralNormSquared } from './report';
import { automaticLearningRate, maxStableLearningRate } from './stepSize';
import { sufficientWidths, type SufficientWidths } from './sufficientWidth';
import { tiedDiagnostics, type TiedDiagnostics } from './tied';

/** Full eigendecompositions run up to this many samples (O(n³)). */
export const RUN_THEORY_MAX_N = 2000;
/**
 * From this n on, λ_min and λ_max of H_enc∞, H_dec∞ and the joint kernel (nothing else of their spectra is
 * shown) come from the extreme-eigenvalue solver, shift-invert Cholesky and Lanczos, instead of a full
 * decomposition of each: at n = 1000 about 0.2 s instead of 0.5 s each, equal to round-off. Where the joint
 * kernel is the run's frozen-kernel matrix, its decomposition with vectors gives them.
 */
export const THEORY_EXTREMES_MIN_N = 256;
/** Failure probability used for the Theorem A/B conditions beside a run. */
export const RUN_THEORY_DELTA = 0.1;
/** Points of the linearized loss curve (log-spaced up to config.steps). */
export const CURVE_POINTS = 200;

/** Everything the theory panel of a run shows (JSON-serializable; nulls come with a `<name>Note`). */
export interface RunTheory {
  regime: Config['regime'];
  n: number;
  d: number;
  m: number;
  /** λ₀ = λ_min(H_enc∞), λ_dec = λ_min(H_dec∞), λ_J = λ_min(ν²H_enc∞ + κ²H_dec∞) */
  lambdaEnc: number | null;
  lambdaDec: number | null;
  lambdaJoint: number | null;
  lambdaNote?: string;
  /**
   * The kernel that drives this run in function space, as a multiple of η: K = (η_W ν²H_enc∞ +
   * η_V κ²H_dec∞)/η_W (joint), ν²H_enc∞ (weak), κ²H_dec∞ (decoder), times 1/m for mean-field and times
   * the loss weight (1/n for the mean loss). GD: E(k+1) = E(k)(I − ηK).
   */
  kernelDescription: string;
  /** λ_min, λ_max of K (null for tied) */
  lambdaMinRegime: number | null;
  lambdaMaxRegime: number | null;
  lambdaRegimeNote?: string;
  /** automatic η = c/λ_max(H∞_regime) (× m for mean-field), null for tied (empirical NTK at step 0) */
  automaticEta: number | null;
  automaticEtaNote?: string;
  /** the η of this run (η_W for joint; η_V for decoder-only) and, for joint, η_V */
  eta: number | null;
  etaDecoder: number | null;
  etaNote?: string;
  /** 2/λ_max(K): GD on the frozen kernel diverges above it */
  maxStableEta: number | null;
  maxStableEtaNote?: string;
  /** L(k) ≤ factor^k L(0), factor = 1 − ηλ_min(K)/2 */
  rateBound: { factor: number; lambda: number; eta: number; L0: number } | null;
  rateBoundNote?: string;
  /** eigenvalues (ascending) of K without the loss weight: the H∞ spectrum on the traced empirical NTK's scale */
  spectrum?: number[];
  /** K without the loss weight, row-major n×n (only for n ≤ THEORY_GRAM_MAX_N) */
  gram?: { n: number; values: number[] };
  gramNote?: string;
  /** L(k) of the frozen-kernel model from this run's U₀ (same loss normalization as the run) */
  linearizedCurve: { steps: number[]; loss: number[] } | null;
  linearizedCurveNote?: string;
  sufficientWidth: SufficientWidths | null;
  sufficientWidthNote?: string;
  /** the kernel predictor u_∞ and u_K (K = config.steps) on the test inputs */
  testPrediction: {
    /** ‖u_∞(X_test) − X_test‖_F/‖X_test‖_F */
    relativeErrorInfinite: number | null;
    /** the same for u_K at K = config.steps */
    relativeErrorAtSteps: number | null;
    /** share of ‖u_∞(X_test)‖² in span(X), and the baseline rank(X)/d */
    memorizationShare: number | null;
    memorizationBaseline: number;
    /** share of ‖X_test‖² itself in span(X) (≈ n/d for random inputs) */
    testInputShare: number | null;
    note?: string;
  } | null;
  testPredictionNote?: string;
  /** Prop. D diagnostics (tied regime only) */
  tied: TiedDiagnostics | null;
}

/** Log-spaced integer steps 0, 1, …, K (≤ `points` distinct values, ascending). */
export function logSpacedSteps(maxStep: number, points = CURVE_POINTS): number[] {
  const set = new Set<number>([0]);
  if (maxStep >= 1) {
    const top = Math.log10(maxStep);
    for (let i = 0; i < points - 1; i++) set.add(Math.round(10 ** ((top * i) / Math.max(1, points - 2))));
    set.add(maxStep);
  }
  return [...set].sort((a, b) => a - b);
}

function relError(U: Float64Array, T: Float64Array): number | null {
  const t = frobeniusNorm(T);
  if (t === 0) return null;
  const diff = new Float64Array(U.length);
  for (let i = 0; i < U.length; i++) diff[i] = U[i]! - T[i]!;
  return frobeniusNorm(diff) / t;
}

/**
 * The theory beside a run (SPEC §5.2–§7): see {@link RunTheory}. `ctx.U0` is the network's output on the
 * training data at step 0 [d, n], `ctx.Utest0` on the test inputs [d, nTest]; `learningRates` are the
 * configured rates (null = automatic). For n > RUN_THEORY_MAX_N the eigendecomposition parts are skipped
 * with a note.
 */
export function runTheory(
  config: Config,
  data: Dataset,
  ctx: { U0: Float64Array; Utest0?: Float64Array; learningRates: { encoder: number | null; decoder: number | null } },
  opts: {
    signal?: { readonly aborted: boolean };
    /** receives the frozen-kernel model behind the linearized curve (GD map I − ηK) and its E(0) = U₀ − X, so a caller can reuse its eigendecomposition */
    onModel?: (model: LinearizedModel, E0: Float64Array) => void;
    /** receives λ_min and λ_max of the joint kernel ν²H_enc∞ + κ²H_dec∞ (the data's near-singular check reuses them) */
    onJointExtremes?: (lmin: number, lmax: number) => void;
    /**
     * H_enc∞ and H_dec∞ of the data [n, n] when the caller has them already: read, not changed, and taken out of
     * these options, so that they can be collected once the theory needs them no more (the caller keeps no other
     * reference where it wants that)
     */
    kernels?: { enc: Float64Array; dec: Float64Array };
  } = {},
): RunTheory {
  const { X, d, n, Xtest, nTest } = data;
  if (ctx.U0.length !== d * n) throw new RangeError(`runTheory: U0 has ${ctx.U0.length} entries, expected ${d * n} for shape [d=${d}, n=${n}]`);
  const m = config.hiddenWidth;
  const regime = config.regime;
  const k2 = config.kappa ** 2;
  const nu2 = config.nu ** 2;
  const s = config.scaling === 'ntk' ? 1 / Math.sqrt(m) : 1 / m;
  const scalingFactor = s * s * m;
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const out: RunTheory = {
    regime,
    n,
    d,
    m,
    lambdaEnc: null,
    lambdaDec: null,
    lambdaJoint: null,
    kernelDescription: '',
    lambdaMinRegime: null,
    lambdaMaxRegime: null,
    automaticEta: null,
    eta: null,
    etaDecoder: null,
    maxStableEta: null,
    rateBound: null,
    linearizedCurve: null,
    sufficientWidth: null,
    testPrediction: null,
    tied: null,
  };
  const E0 = new Float64Array(d * n);
  for (let i = 0; i < E0.length; i++) E0[i] = ctx.U0[i]! - X[i]!;
  const L0 = 0.5 * lossWeight * frobeniusNorm(E0) ** 2;

  if (regime === 'tied') {
    const norms = columnNorms(X, d, n);
    out.tied = tiedDiagnostics({ s, m, kappa: config.kappa, d, sampleNormsSq: Array.from(norms, (v) => v * v) });
    out.kernelDescription = 'weight-tied: no infinite-width kernel (SPEC §7.6); the step uses the empirical NTK at step 0';
    out.eta = ctx.learningRates.encoder;
    out.etaNote = ctx.learningRates.encoder === null ? 'automatic: c/λ_max of the empirical tied NTK at step 0 (computed by the trainer)' : undefined;
    if (out.etaNote === undefined) delete out.etaNote;
    out.lambdaRegimeNote = out.automaticEtaNote = out.maxStableEtaNote = out.rateBoundNote = 'no infinite-width kernel for weight-tied training (SPEC §7.6)';
    out.linearizedCurveNote = out.tied.explanation;
    out.testPredictionNote = 'no kernel predictor for weight-tied training (SPEC §7.6)';
  }

  if (n > RUN_THEORY_MAX_N) {
    const note = `n = ${n} > ${RUN_THEORY_MAX_N}: eigendecompositions skipped to keep the panel affordable`;
    out.lambdaNote = note;
    if (regime !== 'tied') {
      out.kernelDescription = describeKernel(regime, config.scaling, config.lossNormalization);
      out.lambdaRegimeNote = out.automaticEtaNote = out.maxStableEtaNote = out.rateBoundNote = note;
      out.linearizedCurveNote = out.testPredictionNote = note;
      out.eta = ctx.learningRates.encoder;
      out.etaDecoder = regime === 'joint' ? (ctx.learningRates.decoder ?? ctx.learningRates.encoder) : null;
    }
    out.sufficientWidthNote = note;
    return out;
  }

  const signal = opts.signal;
  let raw: { enc: Float64Array; dec: Float64Array } | null = opts.kernels ?? infiniteKernels(X, d, n);
  delete opts.kernels;
  const joint = jointKernel(raw, config);
  // λ_max of H_enc∞ or H_dec∞ sets the step of weak or decoder-only training only.
  const encExt = extremeValues(raw.enc, n, signal, regime === 'weak');
  const decExt = extremeValues(raw.dec, n, signal, regime === 'decoder');
  // A run's frozen-kernel matrix K (below) is often the joint kernel itself, entry for entry (joint training,
  // η_V = η_W, NTK scaling, sum loss): then one decomposition, with vectors, serves λ_J and the model. K depends
  // on the rates through η_V/η_W alone, known here where both are given or where neither is (the automatic η_W,
  // and η_V = η_W: the ratio is 1 whatever η_W comes out; issue 13: two Lanczos solves saved in the default run).
  const { encoder: given, decoder: givenDecoder } = ctx.learningRates;
  const f = scalingFactor * lossWeight;
  // The joint kernel's own weights, as jointKernel forms them: K with these weights is the joint kernel itself.
  const isJoint = (w: Weights): boolean => w.enc === config.nu * config.nu && w.dec === config.kappa * config.kappa;
  const known =
    regime !== 'joint'
      ? null
      : given !== null && given > 0
        ? regimeWeights(regime, nu2, k2, f, given, givenDecoder ?? given)
        : given === null && givenDecoder === null
          ? regimeWeights(regime, nu2, k2, f, 1, 1)
          : null;
  const kIsJoint = known !== null && isJoint(known);
  // Where the joint kernel is K, H_enc∞ and H_dec∞ are needed no more: let go before the decompositions, which
  // hold four n×n arrays of their own (2 × 8 MB at n = 1000, while a run's tracked steps go on beside; issue 13).
  if (kIsJoint) raw = null;
  const shared = kIsJoint
    ? (symmetricEigen(joint, n, { vectors: true, signal, vectorChecks: false }) as { values: Float64Array; vectors: Float64Array })
    : null;
  const jointExt = shared !== null ? { min: shared.values[0]!, max: shared.values[n - 1]! } : extremeValues(joint, n, signal, true);
  out.lambdaEnc = encExt.min;
  out.lambdaDec = decExt.min;
  out.lambdaJoint = jointExt.min;
  opts.onJointExtremes?.(jointExt.min, jointExt.max);

  const unitNorm = hasUnitNorm(X, d, n);
  out.sufficientWidth = sufficientWidths({
    n,
    d,
    lambdaEnc: out.lambdaEnc,
    lambdaDec: out.lambdaDec,
    spectralNormSq: spectralNormSquared(X, d, n),
    frobeniusNormSq: frobeniusNorm(X) ** 2,
    kappa: config.kappa,
    nu: config.nu,
    delta: RUN_THEORY_DELTA,
    unitNorm,
    m,
  });
  if (regime === 'tied') return out;

  // Automatic step from the NTK-scaled regime kernel (issue 4 item 3).
  const lmaxInf = regime === 'weak' ? nu2 * encExt.max! : regime === 'decoder' ? k2 * decExt.max! : jointExt.max;
  let auto: number | null = null;
  try {
    auto = automaticLearningRate(lmaxInf, { stepScale: config.stepScale, scaling: config.scaling, m, lossWeight });
  } catch (e) {
    out.automaticEtaNote = e instanceof Error ? e.message : String(e);
  }
  out.automaticEta = auto;
  const etaW = regime === 'decoder' ? (ctx.learningRates.decoder ?? ctx.learningRates.encoder ?? auto) : (ctx.learningRates.encoder ?? auto);
  const etaV = regime === 'joint' ? (ctx.learningRates.decoder ?? etaW) : null;
  out.eta = etaW;
  out.etaDecoder = etaV;
  out.kernelDescription = describeKernel(regime, config.scaling, config.lossNormalization);
  if (etaW === null || !(etaW > 0)) {
    out.etaNote = 'no step size (the kernel is zero)';
    return out;
  }

  // K such that the frozen-kernel GD map is I − η_W K: the joint kernel itself where its weights are the joint
  // kernel's (then no second n×n array, and the shared decomposition serves it).
  const weights = regimeWeights(regime, nu2, k2, f, etaW, etaV ?? etaW);
  const K = isJoint(weights) ? joint : regimeMatrix(raw ?? infiniteKernels(X, d, n), n, weights);
  const eig =
    shared !== null && K === joint
      ? shared
      : (symmetricEigen(K, n, { vectors: true, signal, vectorChecks: false }) as { values: Float64Array; vectors: Float64Array });
  out.lambdaMinRegime = eig.values[0]!;
  out.lambdaMaxRegime = eig.values[n - 1]!;
  out.maxStableEta = maxStableLearningRate(out.lambdaMaxRegime);
  if (out.maxStableEta === null) out.maxStableEtaNote = 'λ_max ≤ 0';
  out.rateBound = { factor: 1 - (etaW * Math.max(0, out.lambdaMinRegime)) / 2, lambda: out.lambdaMinRegime, eta: etaW, L0 };
  // The regime's infinite-width kernel on the scale of the traced empirical NTK (loss weight removed), for
  // the spectrum chart, the spectral-bias predictions and the heatmap.
  out.spectrum = Array.from(eig.values, (v) => v / lossWeight);
  if (n <= THEORY_GRAM_MAX_N) out.gram = { n, values: Array.from(K, (v) => v / lossWeight) };
  else out.gramNote = `n = ${n} > ${THEORY_GRAM_MAX_N}: the H∞ matrix is not stored with the theory`;

  const model = linearizedModel(K, n, E0, d, etaW, eig);
  opts.onModel?.(model, E0);
  const steps = logSpacedSteps(config.steps);
  out.linearizedCurve = { steps, loss: steps.map((k) => lossWeight * model.lossAt(k)) };

  if (nTest > 0) {
    const cross = infiniteKernels(X, d, n, Xtest, nTest);
    const Q = new Float64Array(n * nTest);
    for (let i = 0; i < Q.length; i++) Q[i] = weights.enc * cross.enc[i]! + weights.dec * cross.dec[i]!;
    const uInf = predictLinearized(model, Q, nTest, Infinity, ctx.Utest0);
    const uK = predictLinearized(model, Q, nTest, config.steps, ctx.Utest0);
    const mem = spanShare(X, d, n, uInf, nTest);
    const inputs = spanShare(X, d, n, Xtest, nTest);
    out.testPrediction = {
      relativeErrorInfinite: relError(uInf, Xtest),
      relativeErrorAtSteps: relError(uK, Xtest),
      memorizationShare: mem.share,
      memorizationBaseline: mem.baseline,
      testInputShare: inputs.share,
    };
    const notes: string[] = [];
    if (!ctx.Utest0) notes.push('u₀ on the test inputs not given: taken as 0');
    if (mem.rank >= d) notes.push(`span(X) is all of ℝ^d (rank ${mem.rank} = d): the memorization share is trivially 1`);
    if (notes.length > 0) out.testPrediction.note = notes.join('; ');
  } else {
    out.testPredictionNote = 'no test samples (testSamples = 0)';
  }
  return out;
}

/**
 * λ_min and (with `wantMax`) λ_max of the symmetric a [n, n]: by {@link extremeEigen} from
 * {@link THEORY_EXTREMES_MIN_N} on (a full decomposition where it does not converge), else from all eigenvalues.
 */
function extremeValues(a: Float64Array, n: number, signal: { readonly aborted: boolean } | undefined, wantMax: true): { min: number; max: number };
function extremeValues(a: Float64Array, n: number, signal: { readonly aborted: boolean } | undefined, wantMax: boolean): { min: number; max: number | null };
function extremeValues(a: Float64Array, n: number, signal: { readonly aborted: boolean } | undefined, wantMax: boolean): { min: number; max: number | null } {
  if (n >= THEORY_EXTREMES_MIN_N) {
    try {
      const lo = extremeEigen({ n, matrix: a }, { k: 1, which: 'smallest', signal });
      const hi = wantMax ? extremeEigen({ n, matrix: a }, { k: 1, which: 'largest', signal }) : null;
      return { min: lo.values[0]!, max: hi === null ? null : hi.values[0]! };
    } catch (e) {
      if (!(e instanceof WorkbenchException) || e.code !== 'not-converged') throw e;
    }
  }
  const v = symmetricEigen(a, n, { signal }).values;
  return { min: v[0]!, max: v[n - 1]! };
}

/** The weights of H_enc∞ and H_dec∞ in a regime's K (f: the scaling factor times the loss weight). */
interface Weights {
  enc: number;
  dec: number;
}

function regimeWeights(regime: Config['regime'], nu2: number, k2: number, f: number, etaW: number, etaV: number): Weights {
  return {
    enc: regime === 'decoder' ? 0 : nu2 * f,
    // η_V = η_W: the ratio is exactly 1 (k2·f·η/η can round off it), so that K can be the joint kernel entry for entry.
    dec: regime === 'weak' ? 0 : regime === 'joint' && etaV !== etaW ? (k2 * f * etaV) / etaW : k2 * f,
  };
}

/** K = w_enc·H_enc∞ + w_dec·H_dec∞ [n, n]. */
function regimeMatrix(raw: { enc: Float64Array; dec: Float64Array }, n: number, w: Weights): Float64Array {
  const K = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) K[i] = w.enc * raw.enc[i]! + w.dec * raw.dec[i]!;
  return K;
}

function describeKernel(regime: Config['regime'], scaling: Config['scaling'], loss: Config['lossNormalization']): string {
  const base = regime === 'weak' ? 'ν²H_enc∞' : regime === 'decoder' ? 'κ²H_dec∞' : '(η_W ν²H_enc∞ + η_V κ²H_dec∞)/η_W';
  const extra = [scaling === 'mean-field' ? '× 1/m (mean-field)' : '', loss === 'mean' ? '× 1/n (mean loss)' : ''].filter(Boolean).join(' ');
  return extra ? `${base} ${extra}` : base;
}
