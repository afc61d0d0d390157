/**
 * Sufficient widths of the reconstructed Theorems A (weak training) and B (joint training), SPEC §7.2,
 * §7.3, gradient-flow constants, ‖r(0)‖² bounded by Markov: ‖r(0)‖² ≤ n(1 + ν²κ²d/2)/δ (SPEC §7.1).
 * Each condition is its own named field; a condition whose constant is unknown (C₁, C₂) has
 * minWidth null, a note, and the value of its expression without the constant.
 */

/** One width condition m ≥ minWidth. */
export interface WidthCondition {
  /** the smallest width the condition allows; null when unknown or infinite (see minWidthNote) */
  minWidth: number | null;
  minWidthNote?: string;
  /** the condition as written in SPEC §7 */
  formula: string;
  /** for conditions with an unknown constant C: the expression's value with C = 1 */
  withoutConstant?: number | null;
  /** whether the given width m meets it (null when unknown or no m was given) */
  satisfied: boolean | null;
}

/** Inputs of {@link sufficientWidths}. */
export interface SufficientWidthInputs {
  n: number;
  d: number;
  /** λ₀ = λ_min(H_enc∞) (no ν² factor) */
  lambdaEnc: number;
  /** λ_dec = λ_min(H_dec∞) (no κ² factor) */
  lambdaDec: number;
  /** ‖X‖₂² = λ_max(XᵀX) */
  spectralNormSq: number;
  /** ‖X‖_F² */
  frobeniusNormSq: number;
  kappa: number;
  nu: number;
  /** failure probability δ ∈ (0, 1) */
  delta: number;
  /** whether every ‖x_i‖ = 1 (the theorems assume it) */
  unitNorm: boolean;
  /** a width to check the conditions against */
  m?: number;
}

/** The named conditions of Theorems A and B. */
export interface SufficientWidths {
  /** true when the data are not unit-norm: nothing is computed (see note) */
  refused: boolean;
  note: string;
  delta: number;
  /** Markov bound n(1 + ν²κ²d/2)/δ on ‖r(0)‖² used below */
  r0SquaredBound: number;
  r0SquaredBoundFormula: string;
  A1: WidthCondition;
  A_conclusion_gradientFlow: WidthCondition;
  A_conclusion_discrete: WidthCondition;
  /** A2's stability radius R_W = √(2π)κδλ₀/(16dn²) */
  A_radiusW: number | null;
  A_radiusWNote?: string;
  /** the linear rate factor of Theorem A: L(k) ≤ (1 − ην²λ₀/2)^k L(0) — the UI multiplies by η */
  A_rateLambda: number;
  B1: WidthCondition;
  B_normW: WidthCondition;
  B_normV: WidthCondition;
  B_conclusion: WidthCondition;
  /** B2's radius R_J = (√(3/4) − √(1/2))κ√(mλ_dec)/‖X‖₂ at the given m */
  B_radiusJ: number | null;
  B_radiusJNote?: string;
  /** Theorem B's rate: L(k) ≤ (1 − ηκ²λ_dec/2)^k L(0) */
  B_rateLambda: number;
  /** largest known-constant condition of each theorem (A1, B1 excluded: unknown constants) */
  A_sufficient: number | null;
  A_sufficientNote?: string;
  B_sufficient: number | null;
  B_sufficientNote?: string;
  /** A_sufficient / B_sufficient */
  ratioAtoB: number | null;
  ratioAtoBNote?: string;
}

/** 16/(√(3/4) − √(1/2))² ≈ 633.5 (SPEC §7.3 writes 634). */
export const THEOREM_B_CONSTANT = 16 / (Math.sqrt(3 / 4) - Math.sqrt(1 / 2)) ** 2;
/** 1024/(2π) ≈ 163 (gradient flow, SPEC §7.2). */
export const THEOREM_A_FLOW_CONSTANT = 1024 / (2 * Math.PI);
/** 4096/(2π) ≈ 652 (discrete GD, factor 4 in A3). */
export const THEOREM_A_DISCRETE_CONSTANT = 4096 / (2 * Math.PI);

/** Tolerance on ‖x_i‖ = 1 for the theorems' unit-norm assumption. */
export const UNIT_NORM_TOL = 1e-6;

function condition(value: number, formula: string, m: number | undefined, whyInfinite: string): WidthCondition {
  if (!Number.isFinite(value) || Number.isNaN(value)) {
    return { minWidth: null, minWidthNote: whyInfinite, formula, satisfied: m === undefined ? null : false };
  }
  const minWidth = Math.ceil(value);
  return { minWidth, formula, satisfied: m === undefined ? null : m >= minWidth };
}

function unknownConstant(valueWithout: number, formula: string, constant: string): WidthCondition {
  return {
    minWidth: null,
    minWidthNote: `the constant ${constant} is not known (SPEC §7: reconstructed, not confirmed); withoutConstant is the expression with ${constant} = 1`,
    formula,
    withoutConstant: Number.isFinite(valueWithout) ? valueWithout : null,
    satisfied: null,
  };
}

const REFUSED_NOTE =
  'not computed: Theorems A and B assume unit-norm data (‖x_i‖ = 1, SPEC §2, §7); normalize the samples (e.g. the sphere or trig data sets, or normalize: true for mnist) to see the sufficient widths';

/**
 * The sufficient-width conditions of Theorems A and B (SPEC §7.2, §7.3) with the Markov bound on
 * ‖r(0)‖²; each as a named {@link WidthCondition}. Non-unit data: refused with a note (no exception).
 */
export function sufficientWidths(inp: SufficientWidthInputs): SufficientWidths {
  const { n, d, lambdaEnc: l0, lambdaDec: ld, spectralNormSq: x2sq, frobeniusNormSq: xfsq, kappa: k, nu, delta, m } = inp;
  if (!(delta > 0 && delta < 1)) throw new RangeError(`sufficientWidths: delta must be in (0, 1), got ${delta}`);
  const r0 = (n * (1 + (nu * nu * k * k * d) / 2)) / delta;
  const nu2 = nu * nu;
  const k2 = k * k;
  const singular0 = 'λ₀ ≤ 0 (singular H_enc∞: parallel/anti-parallel or zero samples): no finite width suffices';
  const singularD = 'λ_dec ≤ 0 (singular H_dec∞): no finite width suffices';
  const posOrInf = (x: number) => (x > 0 ? x : 0);

  const A1 = unknownConstant((n * n * d * d * Math.log((n * d) / delta)) / posOrInf(l0) ** 2, 'm ≥ C₁ n²d² log(nd/δ)/λ₀²', 'C₁');
  const aFlow = condition(
    (THEOREM_A_FLOW_CONSTANT * n ** 5 * d ** 3 * r0) / (nu2 * k2 * delta ** 2 * posOrInf(l0) ** 4),
    'm ≥ (1024/2π)·d³n⁵‖r(0)‖²/(ν²κ²δ²λ₀⁴), ‖r(0)‖² ≤ n(1 + ν²κ²d/2)/δ',
    m,
    singular0,
  );
  const aDisc = condition(
    (THEOREM_A_DISCRETE_CONSTANT * n ** 5 * d ** 3 * r0) / (nu2 * k2 * delta ** 2 * posOrInf(l0) ** 4),
    'm ≥ (4096/2π)·d³n⁵‖r(0)‖²/(ν²κ²δ²λ₀⁴) (discrete GD, factor 4 in A3)',
    m,
    singular0,
  );
  const B1 = unknownConstant((n * n * Math.log(n / delta)) / posOrInf(ld) ** 2, 'm ≥ C₂ n² log(n/δ)/λ_dec²', 'C₂');
  const bW = condition(4 * d, 'm ≥ 4d (‖W₀‖₂ ≤ 2κ√m, ‖V₀‖₂ ≤ 2ν√m)', m, '');
  const bV = condition((64 * xfsq * r0) / (nu2 * k2 * posOrInf(ld) ** 2), 'm ≥ 64‖X‖_F²‖r(0)‖²/(ν²κ²λ_dec²)', m, singularD);
  const bC = condition(
    (THEOREM_B_CONSTANT * nu2 * x2sq * x2sq * r0) / (k ** 6 * posOrInf(ld) ** 3),
    'm ≥ 634·ν²‖X‖₂⁴‖r(0)‖²/(κ⁶λ_dec³) (634 ≈ 16/(√(3/4) − √(1/2))²)',
    m,
    singularD,
  );
  const aSuff = aFlow.minWidth;
  const bSuff = bW.minWidth !== null && bV.minWidth !== null && bC.minWidth !== null ? Math.max(bW.minWidth, bV.minWidth, bC.minWidth) : null;
  const out: SufficientWidths = {
    refused: false,
    note:
      'Reconstructed bounds (SPEC §7, gradient-flow constants, Markov bound on ‖r(0)‖²); expected to be loose by many orders of magnitude. ' +
      'A1 and B1 have unknown constants and are not included in A_sufficient / B_sufficient.',
    delta,
    r0SquaredBound: r0,
    r0SquaredBoundFormula: '‖r(0)‖² ≤ n(1 + ν²κ²d/2)/δ (Markov)',
    A1,
    A_conclusion_gradientFlow: aFlow,
    A_conclusion_discrete: aDisc,
    A_radiusW: l0 > 0 ? (Math.sqrt(2 * Math.PI) * k * delta * l0) / (16 * d * n * n) : null,
    A_rateLambda: nu2 * l0,
    B1,
    B_normW: bW,
    B_normV: bV,
    B_conclusion: bC,
    B_radiusJ: m !== undefined && ld > 0 && x2sq > 0 ? ((Math.sqrt(3 / 4) - Math.sqrt(1 / 2)) * k * Math.sqrt(m * ld)) / Math.sqrt(x2sq) : null,
    B_rateLambda: k2 * ld,
    A_sufficient: aSuff,
    B_sufficient: bSuff,
    ratioAtoB: aSuff !== null && bSuff !== null ? aSuff / bSuff : null,
  };
  if (out.A_radiusW === null) out.A_radiusWNote = singular0;
  if (out.B_radiusJ === null) out.B_radiusJNote = m === undefined ? 'needs a width m' : singularD;
  if (aSuff === null) out.A_sufficientNote = singular0;
  if (bSuff === null) out.B_sufficientNote = singularD;
  if (out.ratioAtoB === null) out.ratioAtoBNote = 'a sufficient width is unknown';
  if (!inp.unitNorm) return refuse(out);
  return out;
}

function refuse(base: SufficientWidths): SufficientWidths {
  const nulled = (c: WidthCondition): WidthCondition => ({ minWidth: null, minWidthNote: REFUSED_NOTE, formula: c.formula, satisfied: null });
  return {
    ...base,
    refused: true,
    note: REFUSED_NOTE,
    A1: nulled(base.A1),
    A_conclusion_gradientFlow: nulled(base.A_conclusion_gradientFlow),
    A_conclusion_discrete: nulled(base.A_conclusion_discrete),
    A_radiusW: null,
    A_radiusWNote: REFUSED_NOTE,
    B1: nulled(base.B1),
    B_normW: nulled(base.B_normW),
    B_normV: nulled(base.B_normV),
    B_conclusion: nulled(base.B_conclusion),
    B_radiusJ: null,
    B_radiusJNote: REFUSED_NOTE,
    A_sufficient: null,
    A_sufficientNote: REFUSED_NOTE,
    B_sufficient: null,
    B_sufficientNote: REFUSED_NOTE,
    ratioAtoB: null,
    ratioAtoBNote: REFUSED_NOTE,
  };
}
