/**
 * The empirical NTK report of a configured network (CLI `ntk-workbench ntk --config cfg.json [--at-step K]
 * [--full] --json`): spectrum and summary of the traced (n×n) or full (nd×nd) empirical NTK at init or
 * after K GD steps, with its distance to the infinite-width kernel (SPEC §5.2–§5.5).
 */
import { effectiveInputDim, type Config } from '../../shared/config/schema';
import { WorkbenchException } from '../../shared/api/result';
import type { ComputeBackend } from './backends/types';
import { buildDataset, prepareDataset } from './datasets';
import { initParams } from './autoencoder/init';
import { outputScale } from './autoencoder/model';
import { fullEmpiricalNtk, tracedEmpiricalNtk } from './ntk/empiricalNtk';
import { regimeKernel } from './ntk/infiniteKernels';
import { largestEigenvalue, symmetricEigen, symmetricSpectralNorm } from './linalg';
import { assertFits, matrixBytes } from './memory';
import { createRng, STREAMS } from './random';
import { chooseLearningRates } from './training/learningRates';

/** What {@link ntkReport} returns (JSON-serializable; every null has a note saying why). */
export interface NtkReport {
  kind: 'traced' | 'full';
  regime: Config['regime'];
  scaling: Config['scaling'];
  n: number;
  d: number;
  m: number;
  /** the matrix is size×size: n (traced) or n·d (full, output-major index a·n + i) */
  size: number;
  /** the GD step the parameters are at */
  step: number;
  backend: string;
  dtype: string;
  learningRates: { encoder: number | null; decoder: number | null };
  /** L(θ_step) and L/L₀ */
  loss: number;
  lossRatio: number;
  /** all eigenvalues, ascending, float64 */
  spectrum: number[];
  lambdaMin: number;
  lambdaMax: number;
  conditionNumber: number | null;
  conditionNote?: string;
  /** eigenvalues below −n·ε·max|λ| (smaller negatives are round-off) */
  negativeCount: number;
  /** ‖H − Hᵀ‖_F/‖H‖_F before symmetrizing */
  asymmetry: number;
  /**
   * ‖H − T‖/‖T‖ in spectral and Frobenius norm, T = s²m·(the regime's H∞) (full: I_d ⊗ that);
   * for joint with η_V ≠ η_W, T = s²m(ν²H_enc + (η_V/η_W)κ²H_dec) like the empirical kernel.
   */
  distanceToInfinite: { spectral: number; frobenius: number } | null;
  distanceNote?: string;
  /** the size×size matrix itself, row-major float64 (only when asked for: `ntk --npy`) */
  matrix?: Float64Array;
}

/**
 * Empirical NTK spectrum and summary of the configured network at init (atStep 0) or after `atStep` GD
 * steps on `backend` (same seed ⇒ same data and init as `train`). `full` selects the nd×nd matrix, refused
 * up front above config.memoryLimitMiB ('too-large'). A non-finite loss after the steps is 'run-diverged'.
 */
export async function ntkReport(config: Config, backend: ComputeBackend, opts: { atStep: number; full: boolean; matrix?: boolean }): Promise<NtkReport> {
  if (!Number.isInteger(opts.atStep) || opts.atStep < 0) {
    throw new WorkbenchException('invalid-request', `at-step: expected an integer ≥ 0, got ${opts.atStep}`);
  }
  if (!backend.dtypes.includes(config.dtype)) {
    throw new WorkbenchException('backend-unavailable', `backend ${backend.name} offers ${backend.dtypes.join(', ')}, not dtype ${config.dtype}`);
  }
  const what = opts.full ? 'full empirical NTK (nd×nd)' : 'traced empirical NTK (n×n)';
  // The kernel, its symmetrized copy, the difference to H∞ and the eigensolver's work copy.
  const bytes = (n: number, d: number) => matrixBytes(opts.full ? n * d : n, opts.full ? n * d : n) * 4;
  // Refuse before building the data where the dimension is known from the config alone (not csv).
  if (config.dataset !== 'csv') assertFits(bytes(config.samples, effectiveInputDim(config)), config.memoryLimitMiB, what);
  await prepareDataset(config);
  const data = buildDataset(config);
  const { X, d, n } = data;
  const m = config.hiddenWidth;
  const regime = config.regime;
  const size = opts.full ? n * d : n;
  assertFits(bytes(n, d), config.memoryLimitMiB, what);
  const scale = outputScale(config.scaling, m);
  const init = initParams({ m, d, init: config.init, kappa: config.kappa, nu: config.nu, tied: regime === 'tied' }, createRng(config.seed, STREAMS.init));
  const rates = await chooseLearningRates(config, data, init, backend);
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const trainer = backend.createTrainer({
    X,
    d,
    n,
    m,
    scale,
    regime,
    etaW: rates.etaW,
    etaV: rates.etaV,
    lossWeight,
    dtype: config.dtype,
    W0: init.W,
    V0: init.V,
  });
  let params = init;
  let L0: number;
  let loss: number;
  try {
    L0 = await trainer.loss();
    loss = L0;
    if (opts.atStep > 0) {
      await trainer.step(opts.atStep);
      loss = await trainer.loss();
      if (!Number.isFinite(loss)) {
        throw new WorkbenchException(
          'run-diverged',
          `the loss is ${loss} after ${opts.atStep} steps with learning rate ${regime === 'decoder' ? rates.etaV : rates.etaW}`,
          { step: opts.atStep },
        );
      }
      params = await trainer.params();
    }
  } finally {
    trainer.dispose();
  }
  const p = { X, d, n, m, W: params.W, V: params.V, scale, regime, etaW: rates.etaW, etaV: rates.etaV };
  const H = opts.full ? fullEmpiricalNtk(p, config.memoryLimitMiB) : tracedEmpiricalNtk(p);
  const eig = symmetricEigen(H, size);
  const values = eig.values;

  let distanceToInfinite: NtkReport['distanceToInfinite'] = null;
  let distanceNote: string | undefined;
  if (regime === 'tied') {
    distanceNote = 'weight-tied training has no non-degenerate infinite-width kernel (SPEC §7.6)';
  } else {
    const T = infiniteTarget(config, data, rates, scale * scale * m, opts.full);
    distanceToInfinite = relativeDistances(H, T, size);
  }
  const report: NtkReport = {
    kind: opts.full ? 'full' : 'traced',
    regime,
    scaling: config.scaling,
    n,
    d,
    m,
    size,
    step: opts.atStep,
    backend: backend.name,
    dtype: config.dtype,
    learningRates: {
      encoder: regime === 'decoder' ? null : rates.etaW,
      decoder: regime === 'decoder' || regime === 'joint' ? rates.etaV : null,
    },
    loss,
    lossRatio: loss / L0,
    spectrum: Array.from(values),
    lambdaMin: values[0]!,
    lambdaMax: values[size - 1]!,
    conditionNumber: eig.diagnostics.conditionNumber,
    negativeCount: eig.diagnostics.negativeCount,
    asymmetry: eig.diagnostics.asymmetry,
    distanceToInfinite,
  };
  if (eig.diagnostics.conditionNote !== undefined) report.conditionNote = eig.diagnostics.conditionNote;
  if (distanceNote !== undefined) report.distanceNote = distanceNote;
  // symmetricEigen never mutates its input: H is still the kernel as computed.
  if (opts.matrix) report.matrix = H;
  return report;
}

/** s²m times the regime's H∞ [n, n] (weighted by η_V/η_W for joint), or I_d ⊗ that [nd, nd] output-major. */
function infiniteTarget(
  config: Config,
  data: { X: Float64Array; d: number; n: number },
  rates: { etaW: number; etaV: number },
  factor: number,
  full: boolean,
): Float64Array {
  const { X, d, n } = data;
  const kopts = { kappa: config.kappa, nu: config.nu };
  let h: Float64Array;
  if (config.regime === 'joint' && rates.etaV !== rates.etaW) {
    const enc = regimeKernel('weak', X, d, n, kopts);
    const dec = regimeKernel('decoder', X, d, n, kopts);
    h = enc.map((e, k) => e + (rates.etaV / rates.etaW) * dec[k]!);
  } else {
    h = regimeKernel(config.regime, X, d, n, kopts);
  }
  for (let k = 0; k < h.length; k++) h[k]! *= factor;
  if (!full) return h;
  const N = n * d;
  const T = new Float64Array(N * N);
  for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) T[(a * n + i) * N + a * n + j] = h[i * n + j]!;
  return T;
}

/** ‖H − T‖₂/‖T‖₂ and ‖H − T‖_F/‖T‖_F for symmetric H and positive semi-definite T [N, N] (spectral norms by eigenvalues). */
function relativeDistances(H: Float64Array, T: Float64Array, N: number): { spectral: number; frobenius: number } {
  const D = new Float64Array(N * N);
  let dn = 0;
  let tn = 0;
  for (let k = 0; k < D.length; k++) {
    D[k] = H[k]! - T[k]!;
    dn += D[k]! ** 2;
    tn += T[k]! ** 2;
  }
  // D is indefinite: both ends of its spectrum. T (s²m times a kernel matrix) is positive semi-definite: its norm is
  // its largest eigenvalue, by Lanczos above FULL_EIG_MAX_N (one full decomposition fewer: ~1 s at N = 2000).
  return { spectral: symmetricSpectralNorm(D, N) / largestEigenvalue(T, N), frobenius: Math.sqrt(dn / tn) };
}
