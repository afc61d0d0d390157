/**
 * Dense Cholesky factorization and triangular solves in float64, for shift-invert spectra (SPEC §8).
 */
import { checkAborted, checkSquare, type AbortFlag } from './diagnostics';

/**
 * Lower Cholesky factor of (A − σI) = L Lᵀ for symmetric A [n, n] (row-major; lower triangle read, A not
 * modified). Returns L [n, n] (row-major, upper part zero), or null when a pivot is not positive beyond
 * round-off, i.e. A − σI is not numerically positive definite.
 */
export function choleskyLower(a: Float64Array, n: number, shift = 0, signal?: AbortFlag): Float64Array | null {
  checkSquare('choleskyLower', 'a', a, n);
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]! - shift));
  const pivotFloor = n * 2 ** -52 * maxDiag;
  for (let i = 0; i < n; i++) {
    if ((i & 31) === 0) checkAborted(signal, 'Cholesky factorization');
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p + 4 <= j; p += 4) {
        s0 += l[ri + p]! * l[rj + p]!;
        s1 += l[ri + p + 1]! * l[rj + p + 1]!;
        s2 += l[ri + p + 2]! * l[rj + p + 2]!;
        s3 += l[ri + p + 3]! * l[rj + p + 3]!;
      }
      for (; p < j; p++) s0 += l[ri + p]! * l[rj + p]!;
      const s = a[ri + j]! - (i === j ? shift : 0) - (s0 + s1 + (s2 + s3));
      if (i === j) {
        if (!(s > pivotFloor)) return null;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  return l;
}

/** Solves L Lᵀ x = b in place (b [n] becomes x) for the lower factor L [n, n] of {@link choleskyLower}. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[ri + p]! * b[p]!;
    b[i] = s / l[ri + i]!;
  }
  for (let j = n - 1; j >= 0; j--) {
    const rj = j * n;
    const xj = b[j]! / l[rj + j]!;
    b[j] = xj;
    for (let i = 0; i < j; i++) b[i] = b[i]! - l[rj + i]! * xj;
  }
}
