/**
 * The theory report of a data set (CLI `theory`, SPEC §5.5, §6, §7): eigenvalue parameters, automatic
 * steps, linearized loss ratios from zero initial output, and the sufficient widths of Theorems A and B.
 */
import { columnNorms, frobeniusNorm, gramCols, gramRows, symmetricEigen } from '../linalg';
import { infiniteKernels } from '../ntk/infiniteKernels';
import { linearizedModel } from './linearized';
import { sufficientWidths, UNIT_NORM_TOL, type SufficientWidths } from './sufficientWidth';

/** Per-kernel numbers (enc = ν²H_enc∞, dec = κ²H_dec∞, joint = their sum). */
export interface PerKernel<T> {
  enc: T;
  dec: T;
  joint: T;
}

/** What `theory` prints (JSON-serializable; non-finite numbers are null with a sibling `<name>Note`). */
export interface TheoryReport {
  n: number;
  d: number;
  kappa: number;
  nu: number;
  /** λ_min(H_enc∞) = λ₀ */
  lambdaEnc: number;
  /** λ_min(H_dec∞) = λ_dec */
  lambdaDec: number;
  /** λ_min(ν²H_enc∞ + κ²H_dec∞) = λ_J */
  lambdaJoint: number;
  lambdaMaxEnc: number;
  lambdaMaxDec: number;
  lambdaMaxJoint: number;
  /** Weyl's lower bound ν²λ₀ + κ²λ_dec ≤ λ_J */
  lambdaJointWeylBound: number;
  /** automatic step c/λ_max (c = 1) of ν²H_enc∞, κ²H_dec∞ and the joint kernel; null if λ_max ≤ 0 */
  eta: PerKernel<number | null>;
  etaNote?: string;
  /** L(k)/L(0) from U₀ = 0 (E₀ = −X) with that kernel's η, keyed by step */
  linearizedLossRatio: PerKernel<Record<string, number | null>>;
  /** the rate-bound factors 1 − ηλ_min/2 of each kernel (L(k) ≤ factor^k L(0)) */
  rateFactor: PerKernel<number | null>;
  /** ‖X‖₂², ‖X‖_F² */
  spectralNormSq: number;
  frobeniusNormSq: number;
  unitNorm: boolean;
  sufficientWidth: SufficientWidths;
  /** eigen-solver diagnostics of the three kernels */
  diagnostics: PerKernel<{ asymmetry: number; negativeCount: number; conditionNumber: number | null }>;
}

/** ‖X‖₂² = λ_max(XᵀX) via the smaller of the two Gram matrices. */
export function spectralNormSquared(X: Float64Array, d: number, n: number): number {
  if (n === 0 || d === 0) return 0;
  const small = n <= d ? gramCols(X, d, n) : gramRows(X, d, n);
  const k = Math.min(n, d);
  const { values } = symmetricEigen(small, k);
  return Math.max(0, values[k - 1]!);
}

/** Whether every column of X [d, n] has unit norm within {@link UNIT_NORM_TOL}. */
export function hasUnitNorm(X: Float64Array, d: number, n: number): boolean {
  const norms = columnNorms(X, d, n);
  for (let i = 0; i < n; i++) if (Math.abs(norms[i]! - 1) > UNIT_NORM_TOL) return false;
  return true;
}

function scale(a: Float64Array, f: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f * a[i]!;
  return out;
}

/**
 * The theory report of X [d, n] (SPEC §5.5, §6, §7): λ_min/λ_max of H_enc∞, H_dec∞ and
 * ν²H_enc∞ + κ²H_dec∞, automatic η = 1/λ_max of each (kernels scaled by ν², κ² as in regimeKernel),
 * L(k)/L(0) from U₀ = 0 for each k in `steps`, and the sufficient widths (Markov bound, failure
 * probability δ). Three eigendecompositions of n×n matrices: O(n³).
 */
export function theoryReport(
  X: Float64Array,
  d: number,
  n: number,
  opts: { kappa: number; nu: number; steps: number[]; delta: number; signal?: { readonly aborted: boolean } },
): TheoryReport {
  if (X.length !== d * n) throw new RangeError(`theoryReport: X has ${X.length} entries, expected ${d * n} for shape [d=${d}, n=${n}]`);
  if (n < 1) throw new RangeError('theoryReport: needs at least one sample');
  const { kappa, nu, steps, delta } = opts;
  const k2 = kappa * kappa;
  const nu2 = nu * nu;
  const raw = infiniteKernels(X, d, n);
  const kernels: PerKernel<Float64Array> = {
    enc: scale(raw.enc, nu2),
    dec: scale(raw.dec, k2),
    joint: new Float64Array(n * n),
  };
  for (let i = 0; i < n * n; i++) kernels.joint[i] = kernels.enc[i]! + kernels.dec[i]!;
  const eig = {
    enc: symmetricEigen(kernels.enc, n, { vectors: true, signal: opts.signal }),
    dec: symmetricEigen(kernels.dec, n, { vectors: true, signal: opts.signal }),
    joint: symmetricEigen(kernels.joint, n, { vectors: true, signal: opts.signal }),
  };
  const lmin = (k: keyof PerKernel<unknown>) => eig[k].values[0]!;
  const lmax = (k: keyof PerKernel<unknown>) => eig[k].values[n - 1]!;
  const E0 = scale(X, -1);
  const L0 = 0.5 * frobeniusNorm(X) ** 2;
  const eta: PerKernel<number | null> = { enc: null, dec: null, joint: null };
  const ratio: PerKernel<Record<string, number | null>> = { enc: {}, dec: {}, joint: {} };
  const rate: PerKernel<number | null> = { enc: null, dec: null, joint: null };
  let etaNote: string | undefined;
  for (const k of ['enc', 'dec', 'joint'] as const) {
    const top = lmax(k);
    if (!(top > 0)) {
      etaNote = 'λ_max ≤ 0 (zero kernel): no automatic step, no linearized curve';
      for (const s of steps) ratio[k][String(s)] = null;
      continue;
    }
    const e = 1 / top;
    eta[k] = e;
    rate[k] = 1 - (e * Math.max(0, lmin(k))) / 2;
    const model = linearizedModel(kernels[k], n, E0, d, e, { values: eig[k].values, vectors: eig[k].vectors! });
    for (const s of steps) ratio[k][String(s)] = L0 > 0 ? model.lossAt(s) / L0 : null;
  }
  const unitNorm = hasUnitNorm(X, d, n);
  const spectralNormSq = spectralNormSquared(X, d, n);
  const frobeniusNormSq = frobeniusNorm(X) ** 2;
  // λ₀, λ_dec without the ν², κ² factors (SPEC §5.5).
  const lambdaEnc = nu2 > 0 ? lmin('enc') / nu2 : lmin('enc');
  const lambdaDec = k2 > 0 ? lmin('dec') / k2 : lmin('dec');
  const diag = (k: keyof PerKernel<unknown>) => {
    const g = eig[k].diagnostics;
    return { asymmetry: g.asymmetry, negativeCount: g.negativeCount, conditionNumber: g.conditionNumber };
  };
  const report: TheoryReport = {
    n,
    d,
    kappa,
    nu,
    lambdaEnc,
    lambdaDec,
    lambdaJoint: lmin('joint'),
    lambdaMaxEnc: nu2 > 0 ? lmax('enc') / nu2 : lmax('enc'),
    lambdaMaxDec: k2 > 0 ? lmax('dec') / k2 : lmax('dec'),
    lambdaMaxJoint: lmax('joint'),
    lambdaJointWeylBound: nu2 * lambdaEnc + k2 * lambdaDec,
    eta,
    linearizedLossRatio: ratio,
    rateFactor: rate,
    spectralNormSq,
    frobeniusNormSq,
    unitNorm,
    sufficientWidth: sufficientWidths({ n, d, lambdaEnc, lambdaDec, spectralNormSq, frobeniusNormSq, kappa, nu, delta, unitNorm }),
    diagnostics: { enc: diag('enc'), dec: diag('dec'), joint: diag('joint') },
  };
  if (etaNote) report.etaNote = etaNote;
  return report;
}
