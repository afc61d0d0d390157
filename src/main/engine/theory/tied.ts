/**
 * Proposition D — weight-tied degeneracy diagnostics (SPEC §7.6). u_tied(x) = s Σ_r w_r σ(w_rᵀx) with
 * E‖w‖² = κ²d: E[wσ(wᵀx)] = κ²x/2, so u₀(x) = (smκ²/2)x + fluctuation, and the tied NTK has size s²mκ².
 */

/** The Prop. D predictions for one configuration. */
export interface TiedDiagnostics {
  /** c/2 = smκ²/2: u₀(x) ≈ (smκ²/2)·x, so ⟨u₀(x), x⟩ ≈ (smκ²/2)‖x‖² */
  outputScale: number;
  /** c = smκ² */
  c: number;
  /** predicted E L(0) = ½Σ_i[(c/2 − 1)²‖x_i‖² + s²mκ⁴‖x_i‖²(d/2 + 3/4)] (Gaussian w; for unit data Σ‖x_i‖² = n) */
  predictedInitialLoss: number;
  /** the mean term ½Σ_i(c/2 − 1)²‖x_i‖² alone (= ½n(√m/2 − 1)² for s = 1/√m, κ = 1, unit data) */
  predictedInitialLossMeanTerm: number;
  /** size of the tied NTK s²mκ² = c·s (→ 0 as m grows for O(1) outputs) */
  tiedNtkScale: number;
  /** relative size of the output fluctuation, √(s²mκ⁴(d/2 + 3/4))/(c/2) per unit input (∝ m^{−1/2}) */
  relativeFluctuation: number | null;
  explanation: string;
}

/** Why a weight-tied run has no linearized (infinite-width) curve. */
export const TIED_EXPLANATION =
  'Weight-tied autoencoders have no non-degenerate infinite-width kernel (SPEC §7.6, Prop. D). Because ' +
  'E[w σ(wᵀx)] = κ²x/2 ≠ 0, the initial output is u₀(x) ≈ (smκ²/2)·x plus a fluctuation: under NTK scaling ' +
  '(s = 1/√m) the output grows like √m·x/2 and training is not lazy (the weights move O(1) relative to ' +
  'their size and the kernel changes), while any scaling that keeps the output O(1) (smκ² fixed) makes ' +
  'the untrained network a scaled identity with a tangent kernel of size s²mκ² that vanishes as m grows. ' +
  'Either way no fixed kernel H governs training, so no frozen-kernel curve (1 − ηλ)^{2k} is drawn; the ' +
  'step size uses the empirical NTK at step 0 instead.';

/**
 * Prop. D diagnostics (SPEC §7.6) for scale s, width m, encoder scale κ, dimension d and the squared
 * norms of the training samples.
 */
export function tiedDiagnostics(opts: { s: number; m: number; kappa: number; d: number; sampleNormsSq: ArrayLike<number> }): TiedDiagnostics {
  const { s, m, kappa, d } = opts;
  const k2 = kappa * kappa;
  const c = s * m * k2;
  const fluctPerNormSq = s * s * m * k2 * k2 * (d / 2 + 3 / 4);
  let sumSq = 0;
  for (let i = 0; i < opts.sampleNormsSq.length; i++) sumSq += opts.sampleNormsSq[i]!;
  const meanTerm = 0.5 * (c / 2 - 1) ** 2 * sumSq;
  return {
    outputScale: c / 2,
    c,
    predictedInitialLoss: meanTerm + 0.5 * fluctPerNormSq * sumSq,
    predictedInitialLossMeanTerm: meanTerm,
    tiedNtkScale: s * s * m * k2,
    relativeFluctuation: c > 0 ? Math.sqrt(fluctPerNormSq) / (c / 2) : null,
    explanation: TIED_EXPLANATION,
  };
}
