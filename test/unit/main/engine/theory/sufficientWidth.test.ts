import { describe, expect, it } from 'vitest';
import { sufficientWidths, THEOREM_B_CONSTANT } from '../../../../../src/main/engine/theory/sufficientWidth';
import { theoryReport } from '../../../../../src/main/engine/theory/report';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng } from '../../../../../src/main/engine/random';

const base = { n: 16, d: 8, lambdaEnc: 0.1, lambdaDec: 0.02, spectralNormSq: 3, frobeniusNormSq: 16, kappa: 1, nu: 1, delta: 0.1, unitNorm: true };

describe('sufficientWidths()', () => {
  it('evaluates the SPEC §7 formulas with the Markov bound', () => {
    const w = sufficientWidths(base);
    const r0 = (16 * (1 + 8 / 2)) / 0.1;
    expect(w.r0SquaredBound).toBeCloseTo(r0, 10);
    expect(w.B_normW.minWidth).toBe(32);
    expect(w.B_normV.minWidth).toBe(Math.ceil((64 * 16 * r0) / 0.02 ** 2));
    expect(w.B_conclusion.minWidth).toBe(Math.ceil((THEOREM_B_CONSTANT * 9 * r0) / 0.02 ** 3));
    expect(THEOREM_B_CONSTANT).toBeCloseTo(634, -1);
    expect(w.A_conclusion_gradientFlow.minWidth! / (((1024 / (2 * Math.PI)) * 16 ** 6 * 8 ** 3 * 5) / (0.1 ** 3 * 0.1 ** 4))).toBeCloseTo(1, 10);
    expect(w.A_conclusion_discrete.minWidth! / w.A_conclusion_gradientFlow.minWidth!).toBeCloseTo(4, 8);
    expect(w.B_sufficient).toBe(Math.max(32, w.B_normV.minWidth!, w.B_conclusion.minWidth!));
  });

  it('marks the conditions with unknown constants (C₁, C₂) as null with a note', () => {
    const w = sufficientWidths(base);
    for (const c of [w.A1, w.B1]) {
      expect(c.minWidth).toBeNull();
      expect(c.minWidthNote).toMatch(/constant C[₁₂] is not known/);
      expect(c.withoutConstant).toBeGreaterThan(0);
    }
  });

  it('checks a given width against each condition', () => {
    const w = sufficientWidths({ ...base, m: 40 });
    expect(w.B_normW.satisfied).toBe(true);
    expect(w.B_conclusion.satisfied).toBe(false);
    expect(w.A1.satisfied).toBeNull();
    expect(w.B_radiusJ).toBeCloseTo(((Math.sqrt(0.75) - Math.sqrt(0.5)) * Math.sqrt(40 * 0.02)) / Math.sqrt(3), 14);
  });

  it('grows with n at fixed λ, and gives null with a note for a singular kernel', () => {
    let prevA = 0,
      prevB = 0;
    for (const n of [4, 8, 16, 32]) {
      const w = sufficientWidths({ ...base, n, frobeniusNormSq: n });
      expect(w.A_sufficient!).toBeGreaterThan(prevA);
      expect(w.B_sufficient!).toBeGreaterThan(prevB);
      prevA = w.A_sufficient!;
      prevB = w.B_sufficient!;
    }
    const s = sufficientWidths({ ...base, lambdaEnc: 0 });
    expect(s.A_conclusion_gradientFlow.minWidth).toBeNull();
    expect(s.A_conclusion_gradientFlow.minWidthNote).toMatch(/λ₀ ≤ 0/);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('refuses non-unit data with a note instead of numbers', () => {
    const w = sufficientWidths({ ...base, unitNorm: false });
    expect(w.refused).toBe(true);
    expect(w.note).toMatch(/assume unit-norm data/);
    expect(w.A_sufficient).toBeNull();
    expect(w.B_conclusion.minWidth).toBeNull();
    expect(w.B_conclusion.minWidthNote).toMatch(/unit-norm/);
  });
});

describe('sufficient widths on sphere data (SPEC §7.5)', () => {
  it('grow with n on nested sphere data sets, and A ≫ B on the worked example n = 16, d = 8', () => {
    const d = 8;
    const { X: all } = sphereData(createRng(7, 0), d, 16);
    const take = (n: number) => {
      const X = new Float64Array(d * n);
      for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) X[a * n + i] = all[a * 16 + i]!;
      return X;
    };
    let prev = { A: 0, B: 0 };
    let last = theoryReport(take(4), d, 4, { kappa: 1, nu: 1, steps: [], delta: 0.1 });
    for (const n of [4, 8, 12, 16]) {
      last = theoryReport(take(n), d, n, { kappa: 1, nu: 1, steps: [], delta: 0.1 });
      const w = last.sufficientWidth;
      expect(w.A_sufficient!).toBeGreaterThan(prev.A);
      expect(w.B_sufficient!).toBeGreaterThan(prev.B);
      prev = { A: w.A_sufficient!, B: w.B_sufficient! };
    }
    // Worked example: both bounds are astronomically loose, A by orders of magnitude more than B.
    expect(last.sufficientWidth.ratioAtoB!).toBeGreaterThan(1e4);
    expect(last.sufficientWidth.B_sufficient!).toBeGreaterThan(1e6);
  });
});
