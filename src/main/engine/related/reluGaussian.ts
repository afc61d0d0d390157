/**
 * ReLU moments of a centred Gaussian pair, the one formula behind every deep kernel recursion of SPEC §10
 * (Jacot's Σ/Σ̇, the recurrent NNGP/RNTK). For (u, v) ~ N(0, [[a, c], [c, b]]) with a, b > 0,
 * cos ψ = c/√(ab):
 *   E[σ(u)σ(v)]   = √(ab) · (sin ψ + (π − ψ) cos ψ) / (2π)
 *   E[σ'(u)σ'(v)] = (π − ψ) / (2π)
 * (the arc-cosine kernels of degree 1 and 0; SPEC §5.4 with the norms √a, √b). σ'(z) = 1[z ≥ 0] as
 * everywhere in the engine, so a zero variance (u ≡ 0) gives σ(u) = 0 and σ'(u) = 1.
 */

const INV_2PI = 1 / (2 * Math.PI);

/** Output of {@link reluMoments}: `k` = E[σ(u)σ(v)], `kdot` = E[σ'(u)σ'(v)]. */
export interface ReluMoments {
  k: number;
  kdot: number;
}

/**
 * E[σ(u)σ(v)] and E[σ'(u)σ'(v)] for (u, v) ~ N(0, [[a, c], [c, b]]) (see the module doc). The correlation is
 * clipped to [−1, 1] (round-off can push |c| a hair above √(ab)). Degenerate variances follow the
 * 1[z ≥ 0] convention: a = 0 gives k = 0 and kdot = P(v ≥ 0) (½, or 1 when b = 0 too).
 */
export function reluMoments(a: number, b: number, c: number): ReluMoments {
  if (!(a > 0) || !(b > 0)) return { k: 0, kdot: (a > 0 ? 0.5 : 1) * (b > 0 ? 0.5 : 1) };
  const norm = Math.sqrt(a * b);
  let rho = c / norm;
  if (rho > 1) rho = 1;
  else if (rho < -1) rho = -1;
  const psi = Math.acos(rho);
  const sin = Math.sqrt(Math.max(0, 1 - rho * rho));
  return { k: norm * (sin + (Math.PI - psi) * rho) * INV_2PI, kdot: (Math.PI - psi) * INV_2PI };
}
