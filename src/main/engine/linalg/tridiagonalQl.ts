/**
 * Eigenvalues (and optionally eigenvectors) of a real symmetric tridiagonal matrix by the implicit QL
 * algorithm with Wilkinson-type shifts (EISPACK tql2, as in JAMA), SPEC §8.
 */
import { WorkbenchException } from '../../../shared/api/result';
import type { AbortFlag } from './diagnostics';
import { createSimdRowRotator, type SimdRowRotator } from './simdRotate';

/** From this order on, rotations of Zᵀ run in WebAssembly SIMD (the copy in and out is then negligible). */
const SIMD_MIN_N = 64;

const EPS = 2 ** -52;
/** QL sweeps allowed per eigenvalue; 2–3 is typical, so 60 only trips on NaN/Inf or a real failure. */
const MAX_SWEEPS_PER_VALUE = 60;

function pythag(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const r = y / x;
    return x * Math.sqrt(1 + r * r);
  }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}

/**
 * Diagonalizes the symmetric tridiagonal T = tridiag(e, d, e) in place: on return d holds the eigenvalues
 * (unsorted), e is destroyed. Shapes: d [n], e [n] with e[i] = T[i, i−1] (e[0] ignored). When `zt` [n, n]
 * (row-major) is given it holds Zᵀ and Z is multiplied on the right by the rotations, so passing Qᵀ of
 * A = Q T Qᵀ yields the eigenvectors of A as rows of zt (each rotation touches two contiguous rows).
 * Throws 'not-converged' rather than returning an unconverged value, and 'cancelled' when `signal.aborted`
 * becomes true.
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, zt?: Float64Array, signal?: AbortFlag): void {
  const n = d.length;
  if (e.length !== n) {
    throw new RangeError(`tridiagonalQl: e has shape [${e.length}], expected [${n}] to match d`);
  }
  if (zt !== undefined && zt.length !== n * n) {
    throw new RangeError(`tridiagonalQl: zt has ${zt.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  }
  if (n === 0) return;
  const rotator = zt !== undefined && n >= SIMD_MIN_N ? createSimdRowRotator(zt, n, n) : null;
  try {
    qlIterate(d, e, n, zt, signal, rotator);
  } finally {
    rotator?.finish();
  }
}

function qlIterate(
  d: Float64Array,
  e: Float64Array,
  n: number,
  z: Float64Array | undefined,
  signal: AbortFlag | undefined,
  rotator: SimdRowRotator | null,
): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;

  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= EPS * tst1) break;
      m++;
    }
    if (m >= n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (signal?.aborted) throw new WorkbenchException('cancelled', 'symmetric eigensolver cancelled');
        if (++iter > MAX_SWEEPS_PER_VALUE || !Number.isFinite(e[l]!)) {
          throw new WorkbenchException('not-converged', `implicit QL did not converge for eigenvalue ${l} of ${n}`, {
            index: l,
            n,
            sweeps: iter - 1,
            offDiagonal: e[l],
          });
        }
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = pythag(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;

        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = pythag(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (rotator !== null) {
            rotator.rotate(i, c, s);
          } else if (z !== undefined) {
            // Rows i and i+1 of Zᵀ are contiguous: the rotation streams through memory.
            const ri = i * n;
            const rh = ri + n;
            for (let k = 0; k < n; k++) {
              const zh = z[rh + k]!;
              const zi = z[ri + k]!;
              z[rh + k] = s * zi + c * zh;
              z[ri + k] = c * zi - s * zh;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
