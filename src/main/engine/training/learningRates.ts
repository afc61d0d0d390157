/**
 * The learning rates of a run (SPEC §5.4, issue 4 item 3): the given ones, or the automatic rule of
 * theory/stepSize.ts (its one definition, η = c/λ_max) applied to the kernel this module picks.
 */
import type { Config } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import type { Dataset } from '../datasets';
import { outputScale } from '../autoencoder/model';
import { fullEmpiricalNtk, tracedEmpiricalNtk } from '../ntk/empiricalNtk';
import { jointKernel, regimeKernel } from '../ntk/infiniteKernels';
import { largestEigenvalue, lanczosLargestAsync } from '../linalg';
import { tiedNtkOperatorF64 } from '../ntk/tiedOperator';
import type { ComputeBackend } from '../backends/types';
import { automaticLearningRate } from '../theory/stepSize';
import { FULL_NTK_MAX_ND } from '../../../shared/run/memory';

/**
 * Weight-tied automatic step: λ_max of the full (nd×nd) empirical NTK from the dense matrix up to this nd,
 * above it matrix-free (Lanczos on J Jᵀ, ntk/tiedOperator.ts), never from the traced n×n average, whose
 * λ_max is 1.2–1.6× smaller (issue 12).
 */
export const TIED_FULL_NTK_MAX_ND = FULL_NTK_MAX_ND;
/**
 * Relative error bound of the matrix-free tied λ_max. Its top eigenvalues come in a near-degenerate cluster
 * (from I_d ⊗ G), where the value settles long before the vector; a step size needs far less than round-off
 * (n = 1000, d = 100: about 20 products).
 */
export const TIED_LANCZOS_TOL = 1e-4;

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
export async function chooseLearningRates(
  config: Config,
  data: Pick<Dataset, 'X' | 'd' | 'n'>,
  init: { W: Float64Array; V: Float64Array },
  backend?: ComputeBackend,
  /** H_enc∞ and H_dec∞ of the data when the caller has them (joint training reads its kernel from them) */
  kernels?: { enc: Float64Array; dec: Float64Array },
): Promise<ChosenLearningRates> {
  if (config.learningRate !== null) {
    return { etaW: config.learningRate, etaV: config.decoderLearningRate ?? config.learningRate, source: 'given', lambdaMax: null, kernel: 'none' };
  }
  const { X, d, n } = data;
  const m = config.hiddenWidth;
  let lambdaMax: number;
  let kernel: string;
  // For 'mean-field' the untied kernels here are the NTK-scaled H∞; automaticLearningRate multiplies by m.
  if (config.regime === 'tied') {
    const e = await empiricalLambdaMax(config, data, init, { etaW: 1, etaV: 1 }, backend);
    lambdaMax = e.lambdaMax;
    kernel = e.kernel;
  } else {
    const H = config.regime === 'joint' && kernels !== undefined ? jointKernel(kernels, config) : regimeKernel(config.regime, X, d, n, config);
    lambdaMax = largestEigenvalue(H, n);
    kernel = `${config.regime} infinite-width kernel`;
  }
  if (!(lambdaMax > 0) || !Number.isFinite(lambdaMax)) {
    throw new WorkbenchException('invalid-data', `automatic learning rate: λ_max of the ${kernel} is ${lambdaMax}; give learningRate explicitly`, {
      lambdaMax,
    });
  }
  // The tied kernel is the empirical one, which already carries the scaling s² (no extra ×m for mean-field).
  const scaling = config.regime === 'tied' ? 'ntk' : config.scaling;
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const eta = automaticLearningRate(lambdaMax, { stepScale: config.stepScale, scaling, m, lossWeight });
  const etaV = config.decoderLearningRate ?? eta;
  return { etaW: eta, etaV, source: 'automatic', lambdaMax, kernel };
}

/**
 * λ_max of the regime's empirical NTK at the given parameters (weighted by η_V/η_W for joint). Weight-tied:
 * the full nd×nd kernel (its λ_max governs GD stability; the traced average is smaller), dense for
 * nd ≤ {@link TIED_FULL_NTK_MAX_ND}, else by Lanczos on the product J Jᵀ x on the backend's GEMMs in the
 * run's dtype (`backend.tiedNtkOperator`; without one in float64 on the engine's GEMM). Untied regimes:
 * the traced n×n matrix (≈ the full one's λ_max at width).
 */
export async function empiricalLambdaMax(
  config: Pick<Config, 'regime' | 'hiddenWidth' | 'scaling' | 'memoryLimitMiB'> & { dtype?: Config['dtype'] },
  data: Pick<Dataset, 'X' | 'd' | 'n'>,
  params: { W: Float64Array; V: Float64Array },
  rates: { etaW: number; etaV: number },
  backend?: ComputeBackend,
): Promise<{ lambdaMax: number; kernel: string }> {
  const { X, d, n } = data;
  const m = config.hiddenWidth;
  const scale = outputScale(config.scaling, m);
  const p = { X, d, n, m, W: params.W, V: params.V, scale, regime: config.regime, etaW: rates.etaW, etaV: rates.etaV };
  if (config.regime === 'tied') {
    if (n * d <= TIED_FULL_NTK_MAX_ND) {
      return { lambdaMax: largestEigenvalue(fullEmpiricalNtk(p, config.memoryLimitMiB), n * d), kernel: 'empirical NTK at step 0 (full)' };
    }
    const dtype = config.dtype ?? 'float64';
    const spec = { X, d, n, m, W: params.W, scale };
    const op =
      backend?.tiedNtkOperator !== undefined && backend.dtypes.includes(dtype) ? backend.tiedNtkOperator({ ...spec, dtype }) : tiedNtkOperatorF64(spec);
    try {
      const r = await lanczosLargestAsync((x) => op.apply(x), op.N, { tol: TIED_LANCZOS_TOL });
      return { lambdaMax: r.value, kernel: 'empirical NTK at step 0 (full, matrix-free)' };
    } finally {
      op.dispose();
    }
  }
  return { lambdaMax: largestEigenvalue(tracedEmpiricalNtk(p), n), kernel: 'empirical NTK at step 0 (traced)' };
}

/** The step of the trained block the run's dynamics are stated in: η_V for decoder-only training, else η_W. */
export function leadingRate(regime: Config['regime'], rates: Pick<ChosenLearningRates, 'etaW' | 'etaV'>): number {
  return regime === 'decoder' ? rates.etaV : rates.etaW;
}

/** The learning rates a run reports (RunMeta, config.json): null for a block the regime does not train. */
export function reportedLearningRates(
  regime: Config['regime'],
  rates: Pick<ChosenLearningRates, 'etaW' | 'etaV'>,
): { encoder: number | null; decoder: number | null } {
  return {
    encoder: regime === 'decoder' ? null : rates.etaW,
    decoder: regime === 'decoder' || regime === 'joint' ? rates.etaV : null,
  };
}
