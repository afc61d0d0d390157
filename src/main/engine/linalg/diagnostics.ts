/**
 * Diagnostics attached to every eigen-solve (STYLE §4, SPEC §8): asymmetry before symmetrizing, the count
 * of negative eigenvalues beyond round-off, the condition number (null with a note when it is infinite or
 * undefined), residuals and orthogonality of computed eigenvectors.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { gemmNT } from './gemm';
import { gramUpperAdd } from './syr2k';

/** The shared cancellation flag (an AbortSignal or RunControl satisfies it). */
export interface AbortFlag {
  readonly aborted: boolean;
}

/** What every eigen result reports about its input and its accuracy. */
export interface EigDiagnostics {
  /** ‖A − Aᵀ‖_F / ‖A‖_F before symmetrizing (0 for the zero matrix). */
  asymmetry: number;
  /** Eigenvalues below −tol, tol = n·ε·max|λ| (smaller negatives are round-off, SPEC §8). */
  negativeCount: number;
  /** λ_max/λ_min for a definite matrix; null when singular (|λ_min| ≤ tol) or indefinite. */
  conditionNumber: number | null;
  /** Why conditionNumber is null, e.g. 'infinite: singular'. */
  conditionNote?: string;
  /** max_j ‖A v_j − λ_j v_j‖₂ when vectors were computed. */
  maxResidual?: number;
  /** max_{i,j} |(VᵀV − I)_{ij}| when vectors were computed. */
  orthogonalityError?: number;
}

/** Relative tolerance per dimension under which an eigenvalue counts as zero: n·ε relative to max|λ|. */
export const ROUNDOFF_FACTOR = 2 ** -52;

/** Throws 'cancelled' when the flag is set; call it inside long loops. */
export function checkAborted(signal: AbortFlag | undefined, what: string): void {
  if (signal?.aborted) throw new WorkbenchException('cancelled', `${what} cancelled`);
}

/** Checks that `a` is a square n×n row-major matrix, naming the argument and both shapes. */
export function checkSquare(fn: string, name: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) {
    throw new RangeError(`${fn}: ${name} has ${a.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  }
}

/**
 * Returns S = (A + Aᵀ)/2 as a new array and ‖A − Aᵀ‖_F/‖A‖_F (A [n, n] row-major; A is not modified).
 */
export function symmetrize(a: Float64Array, n: number): { sym: Float64Array; asymmetry: number } {
  const s = new Float64Array(n * n);
  let diff2 = 0;
  let norm2 = 0;
  // Tiles of T×T so that the transposed reads stay in cache (the strided column walk dominated at n ≥ 1000).
  const T = 32;
  for (let i0 = 0; i0 < n; i0 += T) {
    const i1 = Math.min(n, i0 + T);
    for (let j0 = i0; j0 < n; j0 += T) {
      const j1 = Math.min(n, j0 + T);
      for (let i = i0; i < i1; i++) {
        const ri = i * n;
        let j = j0;
        if (j0 === i0) {
          const aii = a[ri + i]!;
          s[ri + i] = aii;
          norm2 += aii * aii;
          j = i + 1;
        }
        for (; j < j1; j++) {
          const x = a[ri + j]!;
          const y = a[j * n + i]!;
          const m = 0.5 * (x + y);
          s[ri + j] = m;
          s[j * n + i] = m;
          diff2 += 2 * (x - y) * (x - y);
          norm2 += x * x + y * y;
        }
      }
    }
  }
  // NaN/Inf anywhere makes the asymmetry NaN, which callers use as a cheap non-finite check.
  if (!Number.isFinite(norm2 + diff2)) return { sym: s, asymmetry: Number.NaN };
  return { sym: s, asymmetry: norm2 > 0 ? Math.sqrt(diff2 / norm2) : 0 };
}

/**
 * ‖A − Aᵀ‖_F/‖A‖_F of A [n, n] (row-major) without copying it; NaN when A has a non-finite entry. Lets a
 * caller skip {@link symmetrize}'s copy when A is already exactly symmetric (the common case for kernels).
 */
export function relativeAsymmetry(a: Float64Array, n: number): number {
  checkSquare('relativeAsymmetry', 'a', a, n);
  // 64×64 tiles: a tile's 64 rows of the lower triangle stay cached while its columns are read (measured
  // fastest at n = 1000 and 2000); two accumulators each to break the add chains.
  let d0 = 0;
  let d1 = 0;
  let s0 = 0;
  let s1 = 0;
  const T = 64;
  for (let i0 = 0; i0 < n; i0 += T) {
    const i1 = Math.min(n, i0 + T);
    for (let j0 = i0; j0 < n; j0 += T) {
      const j1 = Math.min(n, j0 + T);
      for (let i = i0; i < i1; i++) {
        const ri = i * n;
        let j = j0;
        if (j0 === i0) {
          s0 += a[ri + i]! * a[ri + i]!;
          j = i + 1;
        }
        let cj = j * n + i; // a[j, i]
        for (; j + 2 <= j1; j += 2) {
          const x0 = a[ri + j]!;
          const y0 = a[cj]!;
          const x1 = a[ri + j + 1]!;
          const y1 = a[cj + n]!;
          cj += 2 * n;
          d0 += (x0 - y0) * (x0 - y0);
          d1 += (x1 - y1) * (x1 - y1);
          s0 += x0 * x0 + y0 * y0;
          s1 += x1 * x1 + y1 * y1;
        }
        if (j < j1) {
          const x = a[ri + j]!;
          const y = a[cj]!;
          d0 += (x - y) * (x - y);
          s0 += x * x + y * y;
        }
      }
    }
  }
  const diff2 = 2 * (d0 + d1);
  const norm2 = s0 + s1;
  if (!Number.isFinite(norm2 + diff2)) return scaledAsymmetry(a, n);
  return norm2 > 0 ? Math.sqrt(diff2 / norm2) : 0;
}

/**
 * The slow path of {@link relativeAsymmetry} for the rare matrix whose squares overflow (finite entries
 * above ~1e154, as in a run about to diverge): the same ratio on A / max|Aᵢⱼ|. NaN only for NaN/Inf entries.
 */
function scaledAsymmetry(a: Float64Array, n: number): number {
  let maxAbs = 0;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k]!);
    if (!Number.isFinite(v)) return Number.NaN;
    if (v > maxAbs) maxAbs = v;
  }
  let diff2 = 0;
  let norm2 = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = a[i * n + j]! / maxAbs;
      const y = a[j * n + i]! / maxAbs;
      diff2 += (x - y) * (x - y);
      norm2 += x * x;
    }
  }
  return Math.sqrt(diff2 / norm2);
}

/**
 * Negative count and condition number from a set of eigenvalues of an n×n matrix (any order). With only
 * some eigenvalues known (`complete` false) the condition number is whatever the given extremes imply.
 */
export function spectrumDiagnostics(
  values: ArrayLike<number>,
  n: number,
  scale?: number,
): Pick<EigDiagnostics, 'negativeCount' | 'conditionNumber' | 'conditionNote'> {
  let maxAbs = scale ?? 0;
  let minAbs = Infinity;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(v));
    minAbs = Math.min(minAbs, Math.abs(v));
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const tol = Math.max(1, n) * ROUNDOFF_FACTOR * maxAbs;
  let negativeCount = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! < -tol) negativeCount++;
  if (values.length === 0) return { negativeCount, conditionNumber: null, conditionNote: 'undefined: empty matrix' };
  if (maxAbs === 0 || minAbs <= tol) return { negativeCount, conditionNumber: null, conditionNote: 'infinite: singular' };
  if (lo < 0 && hi > 0) return { negativeCount, conditionNumber: null, conditionNote: 'undefined: indefinite' };
  return { negativeCount, conditionNumber: maxAbs / minAbs };
}

/**
 * max_j ‖A v_j − λ_j v_j‖₂ over the given eigenpairs; A [n, n] row-major, vecs[j] [n]. The products A v_j
 * come from one blocked product Vᵀ Aᵀ (rows (A v_j)ᵀ), so a full eigenbasis costs a GEMM, not n matvecs.
 */
export function maxResidual(a: Float64Array, n: number, values: ArrayLike<number>, vecs: Float64Array[]): number {
  const m = vecs.length;
  const vt = stackRows(vecs, n);
  const av = gemmNT(vt, a, m, n, n);
  let worst = 0;
  for (let j = 0; j < m; j++) {
    const lam = values[j]!;
    const o = j * n;
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      const r = av[o + i]! - lam * vt[o + i]!;
      r2 += r * r;
    }
    worst = Math.max(worst, Math.sqrt(r2));
  }
  return worst;
}

/** max_{i,j} |v_iᵀv_j − δ_ij| for vectors vecs[j] [n], from one blocked symmetric Gram product VᵀV (upper half). */
export function orthogonalityError(vecs: Float64Array[]): number {
  const m = vecs.length;
  if (m === 0) return 0;
  const n = vecs[0]!.length;
  // B [n, m] with the vectors as columns, so that BᵀB is the Gram matrix.
  const b = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    const v = vecs[j]!;
    if (v.length !== n) throw new RangeError(`vecs[${j}] has shape [${v.length}], expected [${n}]`);
    for (let p = 0; p < n; p++) b[p * m + j] = v[p]!;
  }
  const g = new Float64Array(m * m);
  gramUpperAdd(g, m, 0, m, b, n);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) worst = Math.max(worst, Math.abs(g[i * m + j]! - (i === j ? 1 : 0)));
  }
  return worst;
}

function stackRows(vecs: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(vecs.length * n);
  for (let j = 0; j < vecs.length; j++) {
    const v = vecs[j]!;
    if (v.length !== n) throw new RangeError(`vecs[${j}] has shape [${v.length}], expected [${n}]`);
    out.set(v, j * n);
  }
  return out;
}
