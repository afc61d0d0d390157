/**
 * Data warnings (SPEC §2): parallel / anti-parallel pairs and zero vectors (which make H∞ singular),
 * non-unit norms (information: the theorem constants assume ‖x_i‖ = 1) and a near-singular joint H∞.
 */
import { columnNorms, gramUpperAdd, symmetricEigen } from '../linalg';
import { PARALLEL_SCREEN_COS, regimeKernel } from '../ntk/infiniteKernels';

/** Pairwise checks and the conditioning check run up to this many samples (O(n²d) and O(n³)). */
export const WARNING_PAIRWISE_MAX_N = 2000;
/** λ_min/λ_max of the joint kernel below this is reported as near-singular. */
export const NEAR_SINGULAR_RATIO = 1e-10;
/** Two directions closer than this (‖x̂ ∓ ŷ‖) count as parallel / anti-parallel. */
const PARALLEL_TOL = 1e-9;
/** Norms within this of 1 count as unit. */
const UNIT_TOL = 1e-9;
/** Pairs named per kind before "and K more". */
const MAX_LISTED = 10;

/** Options of {@link datasetWarnings}. */
export interface DatasetWarningOptions {
  kappa: number;
  nu: number;
  /**
   * false: leave out the near-singular check (an n×n eigensolve) for a caller that decomposes the joint
   * kernel anyway and applies {@link nearSingularWarning} to its extremes (a run's theory).
   */
  conditioning?: boolean;
  /**
   * false: leave out the pairwise scan for parallel and anti-parallel samples (O(n²d), n ≤
   * {@link WARNING_PAIRWISE_MAX_N}) for a caller that runs it later with {@link parallelPairWarnings} (a run
   * whose theory has a thread of its own: the scan goes there, off the way to step 0). Above that n the
   * hashed check (O(nd)) runs anyway.
   */
  pairs?: boolean;
  signal?: { readonly aborted: boolean };
}

/**
 * The near-singular warning for λ_min, λ_max of the joint kernel ν²H_enc∞ + κ²H_dec∞ (null when it is
 * well conditioned).
 */
export function nearSingularWarning(lmin: number, lmax: number): string | null {
  if (lmax > 0 && lmin / lmax < NEAR_SINGULAR_RATIO) {
    return (
      `near-singular H∞: λ_min/λ_max of the joint kernel ν²H_enc∞ + κ²H_dec∞ is ${(lmin / lmax).toExponential(2)} ` +
      `(below ${NEAR_SINGULAR_RATIO}); linear convergence will be extremely slow and the kernel predictor ill-conditioned`
    );
  }
  if (!(lmax > 0)) return 'near-singular H∞: the joint kernel is zero (all samples are zero vectors)';
  return null;
}

function listPairs(pairs: [number, number][]): string {
  const shown = pairs.slice(0, MAX_LISTED).map(([i, j]) => `${i} and ${j}`);
  const more = pairs.length > MAX_LISTED ? ` and ${pairs.length - MAX_LISTED} more pair${pairs.length - MAX_LISTED > 1 ? 's' : ''}` : '';
  return shown.join(', ') + more;
}

/** Parallel and anti-parallel pairs found so far. */
interface Pairs {
  parallel: [number, number][];
  anti: [number, number][];
}

/** Whether the unit columns i < j of ux [d, n] (cosine cij) are parallel or anti-parallel: then into `found`. */
function checkPair(ux: Float64Array, d: number, n: number, i: number, j: number, cij: number, found: Pairs): void {
  if (Math.abs(cij) < PARALLEL_SCREEN_COS) return;
  let dist2 = 0;
  const s = cij > 0 ? -1 : 1;
  for (let a = 0; a < d; a++) dist2 += (ux[a * n + i]! + s * ux[a * n + j]!) ** 2;
  if (Math.sqrt(dist2) < PARALLEL_TOL) (cij > 0 ? found.parallel : found.anti).push([i, j]);
}

/** Parallel (+1) and anti-parallel (−1) pairs among non-zero columns; exact pairwise check. */
function pairwise(ux: Float64Array, d: number, n: number, nonzero: boolean[]): Pairs {
  // The cosines of the pairs j > i (upper triangle only: half the product); they only screen the candidates.
  const c = new Float64Array(n * n);
  gramUpperAdd(c, n, 0, n, ux, d);
  const found: Pairs = { parallel: [], anti: [] };
  for (let i = 0; i < n; i++) {
    if (!nonzero[i]) continue;
    for (let j = i + 1; j < n; j++) if (nonzero[j]) checkPair(ux, d, n, i, j, c[i * n + j]!, found);
  }
  return found;
}

/**
 * {@link pairwise} on the pairs (i, j), i < j, that the infinite kernels' pass screened already (flat [i0, j0, i1,
 * j1, …], ascending as that pass lists them): their cosines are recomputed here, the rest cannot be parallel.
 */
function screenedPairs(ux: Float64Array, d: number, n: number, nonzero: boolean[], screened: Int32Array): Pairs {
  const found: Pairs = { parallel: [], anti: [] };
  for (let k = 0; k + 1 < screened.length; k += 2) {
    const [i, j] = [screened[k]!, screened[k + 1]!];
    if (!nonzero[i] || !nonzero[j]) continue;
    let cij = 0;
    for (let a = 0; a < d; a++) cij += ux[a * n + i]! * ux[a * n + j]!;
    checkPair(ux, d, n, i, j, cij, found);
  }
  return found;
}

/** Parallel / anti-parallel pairs by hashing sign-canonical unit vectors (O(nd), exact duplicates only). */
function hashed(ux: Float64Array, d: number, n: number, nonzero: boolean[]): { parallel: [number, number][]; anti: [number, number][] } {
  const seen = new Map<string, { index: number; sign: number }>();
  const parallel: [number, number][] = [];
  const anti: [number, number][] = [];
  const key: number[] = new Array<number>(d);
  for (let i = 0; i < n; i++) {
    if (!nonzero[i]) continue;
    let sign = 0;
    for (let a = 0; a < d && sign === 0; a++) {
      const v = ux[a * n + i]!;
      if (Math.abs(v) > 1e-6) sign = v > 0 ? 1 : -1;
    }
    for (let a = 0; a < d; a++) key[a] = Math.round((sign * ux[a * n + i]!) / PARALLEL_TOL) * PARALLEL_TOL;
    const k = key.join(',');
    const prev = seen.get(k);
    if (prev === undefined) seen.set(k, { index: i, sign });
    else (prev.sign === sign ? parallel : anti).push([prev.index, i]);
  }
  return { parallel, anti };
}

/** The parallel and anti-parallel pair warnings of X [d, n] with its column norms (see {@link datasetWarnings}). */
function pairWarnings(X: Float64Array, d: number, n: number, norms: Float64Array, screened?: Int32Array): string[] {
  const out: string[] = [];
  const nonzero = Array.from(norms, (v) => v !== 0);
  const ux = new Float64Array(d * n);
  for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) ux[a * n + i] = nonzero[i] ? X[a * n + i]! / norms[i]! : 0;
  const { parallel, anti } =
    n > WARNING_PAIRWISE_MAX_N ? hashed(ux, d, n, nonzero) : screened !== undefined ? screenedPairs(ux, d, n, nonzero, screened) : pairwise(ux, d, n, nonzero);
  if (parallel.length > 0) {
    out.push(
      `parallel samples (x_j = c·x_i, c > 0): ${listPairs(parallel)} (0-based); H∞ is singular on such pairs (SPEC §2), ` +
        'so λ₀, λ_dec, λ_J are 0 and the residual along x_i − x_j/c-type directions does not decay',
    );
  }
  if (anti.length > 0) {
    out.push(
      `anti-parallel samples (x_j = c·x_i, c < 0): ${listPairs(anti)} (0-based); SPEC §2 excludes them — with ` + 'other samples they can make H∞ singular',
    );
  }
  return out;
}

/**
 * The warnings that {@link datasetWarnings} leaves out with `pairs: false`: parallel and anti-parallel samples
 * of X [d, n] (the same strings), none when n > {@link WARNING_PAIRWISE_MAX_N} (there it always looks for them).
 * `screened`: the pairs of X with itself that {@link sharedInfiniteKernels} listed (|cos| ≥ PARALLEL_SCREEN_COS),
 * so that only those are checked instead of every pair through a Gram matrix of the samples.
 */
export function parallelPairWarnings(X: Float64Array, d: number, n: number, screened?: Int32Array): string[] {
  return n > WARNING_PAIRWISE_MAX_N ? [] : pairWarnings(X, d, n, columnNorms(X, d, n), screened);
}

/**
 * Warnings for the training data X [d, n] (strings shown in the UI and stored with the run); sample
 * indices are 0-based. The near-singular check computes λ_min/λ_max of ν²H_enc∞ + κ²H_dec∞ and runs
 * only for n ≤ {@link WARNING_PAIRWISE_MAX_N}; above, parallel pairs are found by hashing (exact
 * duplicates only) and a note says the conditioning was not checked.
 */
export function datasetWarnings(X: Float64Array, d: number, n: number, opts: DatasetWarningOptions): string[] {
  const out: string[] = [];
  const norms = columnNorms(X, d, n);
  const zero: number[] = [];
  let minNorm = Infinity;
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    if (norms[i] === 0) zero.push(i);
    else {
      minNorm = Math.min(minNorm, norms[i]!);
      maxNorm = Math.max(maxNorm, norms[i]!);
    }
  }
  if (zero.length > 0) {
    const shown = zero.slice(0, MAX_LISTED).join(', ') + (zero.length > MAX_LISTED ? ` and ${zero.length - MAX_LISTED} more` : '');
    out.push(
      `zero vector${zero.length > 1 ? 's' : ''}: sample${zero.length > 1 ? 's' : ''} ${shown} (0-based) ${zero.length > 1 ? 'are' : 'is'} 0; ` +
        'they have zero rows and columns in H∞, so λ_min(H∞) = 0 and their residual never decreases',
    );
  }
  if (opts.pairs !== false || n > WARNING_PAIRWISE_MAX_N) out.push(...pairWarnings(X, d, n, norms));
  if (zero.length < n && (minNorm < 1 - UNIT_TOL || maxNorm > 1 + UNIT_TOL)) {
    out.push(
      `info: the samples do not have unit norm (‖x_i‖ from ${minNorm.toPrecision(4)} to ${maxNorm.toPrecision(4)}); ` +
        'kernels and training are exact for any data, but the sufficient widths of Theorems A and B (SPEC §7) assume ‖x_i‖ = 1',
    );
  }
  if (n <= WARNING_PAIRWISE_MAX_N) {
    if (n >= 1 && opts.conditioning !== false) {
      const H = regimeKernel('joint', X, d, n, { kappa: opts.kappa, nu: opts.nu });
      const { values } = symmetricEigen(H, n, { signal: opts.signal });
      const w = nearSingularWarning(values[0]!, values[n - 1]!);
      if (w !== null) out.push(w);
    }
  } else {
    out.push(`info: n = ${n} > ${WARNING_PAIRWISE_MAX_N}: the conditioning of H∞ was not checked and only exact duplicate directions were looked for`);
  }
  return out;
}
