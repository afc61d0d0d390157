/**
 * λ_max of a symmetric operator known only through an asynchronous product y = A x (a compute backend's
 * graph, SPEC §5.5): plain Lanczos with full reorthogonalization, no restart. The top Ritz value θ of the
 * k-step tridiagonal T_k is a lower bound that rises to λ_max, and with the residual r = β_k |s_k| of its Ritz
 * vector and the gap δ = θ − θ₂ to the next Ritz value, λ_max − θ ≤ min(r, r²/δ) (Kato–Temple, with δ
 * estimating the gap to the rest of the spectrum). It stops when that bound is ≤ tol·θ: the value, not the
 * vector, is what is asked for, so it needs about half the products of a residual test.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { symmetricEigen } from './symmetricEigen';

/** Options of {@link lanczosLargestAsync}. */
export interface LanczosAsyncOptions {
  /** relative error bound of the value, min(r, r²/δ) ≤ tol·θ (default 1e-10) */
  tol?: number;
  /** most products (default 80; the basis is kept, N × maxIter doubles) */
  maxIter?: number;
  /** starting vector [N] (default a fixed pseudo-random one, so the result is reproducible) */
  start?: Float64Array;
}

/** Result of {@link lanczosLargestAsync}. */
export interface LanczosAsyncResult {
  value: number;
  /** the Ritz vector of `value` [N], unit norm */
  vector: Float64Array;
  iterations: number;
  /** β_k |s_k|: ‖A v − θ v‖ of the Ritz pair */
  residual: number;
  /** the error bound min(r, r²/δ) the stop used */
  bound: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The largest eigenpair of T (k×k symmetric tridiagonal: alpha on the diagonal, beta off it). */
function topRitz(alpha: number[], beta: number[]): { theta: number; gap: number; s: Float64Array } {
  const k = alpha.length;
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    T[i * k + i] = alpha[i]!;
    if (i + 1 < k) T[i * k + i + 1] = T[(i + 1) * k + i] = beta[i]!;
  }
  const e = symmetricEigen(T, k, { vectors: true });
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) s[i] = e.vectors![i * k + k - 1]!;
  return { theta: e.values[k - 1]!, gap: k > 1 ? e.values[k - 1]! - e.values[k - 2]! : 0, s };
}

/**
 * The largest eigenvalue of the symmetric operator `apply` on ℝ^N (see the module doc). Throws
 * 'not-converged' after maxIter products, 'invalid-data' for a non-finite product.
 */
export async function lanczosLargestAsync(
  apply: (x: Float64Array) => Promise<Float64Array> | Float64Array,
  N: number,
  opts: LanczosAsyncOptions = {},
): Promise<LanczosAsyncResult> {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`lanczosLargestAsync: N must be an integer ≥ 1, got ${N}`);
  const tol = opts.tol ?? 1e-10;
  const maxIter = Math.min(opts.maxIter ?? 80, N);
  let q: Float64Array = new Float64Array(N);
  if (opts.start !== undefined) {
    if (opts.start.length !== N) throw new RangeError(`lanczosLargestAsync: start has shape [${opts.start.length}], expected [${N}]`);
    q.set(opts.start);
  } else {
    // A fixed, dense start (no sign pattern shared with a structured operator's eigenvectors).
    for (let i = 0; i < N; i++) q[i] = 1 + 0.5 * Math.sin(1.7 * i + 0.3);
  }
  let nq = Math.sqrt(dot(q, q));
  if (!(nq > 0)) throw new RangeError('lanczosLargestAsync: start is zero');
  for (let i = 0; i < N; i++) q[i]! /= nq;
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let last: { theta: number; gap: number; s: Float64Array } = { theta: 0, gap: 0, s: new Float64Array(1) };
  let residual = Number.POSITIVE_INFINITY;
  for (let k = 0; k < maxIter; k++) {
    basis.push(q);
    const w = await apply(q);
    if (w.length !== N) throw new RangeError(`lanczosLargestAsync: the product has ${w.length} entries, expected ${N}`);
    const a = dot(w, q);
    if (!Number.isFinite(a)) throw new WorkbenchException('invalid-data', 'lanczosLargestAsync: the operator gave a non-finite product');
    alpha.push(a);
    // Full reorthogonalization, twice (classical Gram–Schmidt against the whole basis).
    for (let pass = 0; pass < 2; pass++) {
      for (const v of basis) {
        const c = dot(w, v);
        for (let i = 0; i < N; i++) w[i]! -= c * v[i]!;
      }
    }
    const b = Math.sqrt(dot(w, w));
    last = topRitz(alpha, beta);
    residual = b * Math.abs(last.s[k]!);
    const bound = Math.min(residual, last.gap > 0 ? (residual * residual) / last.gap : residual);
    if (bound <= tol * Math.abs(last.theta) || b <= Number.EPSILON * Math.abs(last.theta) * N) break;
    if (k === maxIter - 1) {
      throw new WorkbenchException(
        'not-converged',
        `lanczosLargestAsync: λ_max not converged after ${maxIter} products (residual ${residual.toExponential(2)}, θ = ${last.theta})`,
        { residual, theta: last.theta },
      );
    }
    beta.push(b);
    q = w;
    nq = b;
    for (let i = 0; i < N; i++) q[i]! /= nq;
  }
  const vector = new Float64Array(N);
  for (let j = 0; j < alpha.length; j++) {
    const c = last.s[j]!;
    const v = basis[j]!;
    for (let i = 0; i < N; i++) vector[i]! += c * v[i]!;
  }
  return {
    value: last.theta,
    vector,
    iterations: alpha.length,
    residual,
    bound: Math.min(residual, last.gap > 0 ? (residual * residual) / last.gap : residual),
  };
}
