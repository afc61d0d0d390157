/**
 * The full (nd×nd) empirical NTK of the weight-tied network as an operator, never as a matrix (SPEC §5.2,
 * §7.6): y = J Jᵀ x for the Jacobian J of the outputs (output-major, index (a, i) = a·n + i) with respect
 * to W, J_r(x) = s[σ(w_rᵀx) I_d + 1[w_rᵀx ≥ 0] w_r xᵀ]. With Z = WX, S = σ(Z), A = 1[Z ≥ 0] [m, n] and the
 * input Y [d, n]:
 *   G = Jᵀ Y = s[S Yᵀ + (A ∘ W Y) Xᵀ]            [m, d]
 *   J G     = s[Gᵀ S + Wᵀ (A ∘ G X)]             [d, n]
 * six products of m·n·d each. Here in float64 on the register-blocked gemmNT; a compute backend may offer
 * the same operator on its own GEMMs (ComputeBackend.tiedNtkOperator).
 */
import { gemmNT, transpose } from '../linalg';
import type { NtkOperator, TiedOperatorSpec } from '../backends/types';

/** The network a tied-NTK operator is evaluated at (W [m, d], V = Wᵀ). */
export type TiedOperatorInput = Omit<TiedOperatorSpec, 'dtype'>;

/** {@link NtkOperator} in float64 on the engine's own GEMM. */
export function tiedNtkOperatorF64(p: TiedOperatorInput): NtkOperator {
  const { X, d, n, m, W, scale } = p;
  const Xt = transpose(X, d, n);
  const Wt = transpose(W, m, d);
  const Z = gemmNT(W, Xt, m, n, d); // [m, n]
  const mask = new Uint8Array(m * n);
  const S = new Float64Array(m * n);
  for (let k = 0; k < m * n; k++) {
    const z = Z[k]!;
    mask[k] = z >= 0 ? 1 : 0;
    S[k] = z > 0 ? z : 0;
  }
  const St = transpose(S, m, n); // [n, m]
  const s2 = scale * scale;
  return {
    N: n * d,
    async apply(y: Float64Array): Promise<Float64Array> {
      if (y.length !== n * d) throw new RangeError(`tiedNtkOperator: x has ${y.length} entries, expected ${n * d}`);
      const Yt = transpose(y, d, n); // [n, d]
      const P = gemmNT(W, Yt, m, n, d); // W Y [m, n]
      for (let k = 0; k < m * n; k++) if (mask[k] === 0) P[k] = 0;
      const G = gemmNT(S, y, m, d, n); // S Yᵀ [m, d]
      const G2 = gemmNT(P, X, m, d, n); // (A ∘ WY) Xᵀ [m, d]
      for (let k = 0; k < m * d; k++) G[k]! += G2[k]!;
      const Q = gemmNT(G, Xt, m, n, d); // G X [m, n]
      for (let k = 0; k < m * n; k++) if (mask[k] === 0) Q[k] = 0;
      const out = gemmNT(transpose(G, m, d), St, d, n, m); // Gᵀ S [d, n]
      const out2 = gemmNT(Wt, transpose(Q, m, n), d, n, m); // Wᵀ (A ∘ GX) [d, n]
      for (let k = 0; k < n * d; k++) out[k] = s2 * (out[k]! + out2[k]!);
      return out;
    },
    dispose: () => undefined,
  };
}
