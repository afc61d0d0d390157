/**
 * The network's outputs on the held-out samples at a tracked step (and at set-up): U = s·V σ(W X) [d, nTest]
 * in float64 as two products of the installed fast float64 product (issue 13). At m = 10 000, d = 100 the
 * per-sample loops of autoencoder/model.ts's forwardOutputs took 25–60 ms of every tracked step on the engine
 * thread; these take a few. The same values to round-off (the sums run in another order).
 */
import { matmulFast } from '../linalg';
import type { ModelDims } from '../autoencoder/model';

/** U = s·V σ(W X) for W [m, d], V [d, m], X [d, n] (n = dims.n held-out samples): [d, n], as forwardOutputs. */
export function heldOutOutputs(W: Float64Array, V: Float64Array, X: Float64Array, dims: ModelDims, s: number): Float64Array {
  const { d, n, m } = dims;
  if (W.length !== m * d || V.length !== d * m || X.length !== d * n) {
    throw new RangeError(`heldOutOutputs: W, V, X have ${W.length}, ${V.length}, ${X.length} entries; expected ${m * d}, ${d * m}, ${d * n}`);
  }
  const S = matmulFast(W, X, m, d, n); // [m, n]
  for (let k = 0; k < S.length; k++) if (S[k]! < 0) S[k] = 0; // σ; NaN stays NaN, as Math.max(NaN, 0)
  const U = matmulFast(V, S, d, m, n); // [d, n]
  for (let k = 0; k < U.length; k++) U[k]! *= s;
  return U;
}
