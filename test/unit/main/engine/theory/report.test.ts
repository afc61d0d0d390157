import { describe, expect, it } from 'vitest';
import { theoryReport } from '../../../../../src/main/engine/theory/report';
import { jacobiEigen } from '../ntk/eigenHelper';

// The three samples (rows) 1,0,0 / 0.6,0.8,0 / 0,0.6,0.8 as columns of X [3, 3].
const X = new Float64Array([1, 0.6, 0, 0, 0.8, 0.6, 0, 0, 0.8]);

/** Hand kernels from the angle between unit vectors with cosine c. */
const enc = (c: number) => (c * (Math.PI - Math.acos(c))) / (2 * Math.PI);
const dec = (c: number) => (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c) / (2 * Math.PI);

function hand(f: (c: number) => number): Float64Array {
  // cosines: (1,2) 0.6, (2,3) 0.48, (1,3) 0
  const c = [
    [1, 0.6, 0],
    [0.6, 1, 0.48],
    [0, 0.48, 1],
  ];
  return Float64Array.from(c.flat(), (v) => (v === 1 ? 0.5 : f(v)));
}

describe('theoryReport()', () => {
  const kappa = 0.9,
    nu = 1.2;
  const r = theoryReport(X, 3, 3, { kappa, nu, steps: [0, 10, 100], delta: 0.1 });
  const He = hand(enc),
    Hd = hand(dec);
  const Hj = Float64Array.from(He, (v, i) => nu * nu * v + kappa * kappa * Hd[i]!);
  const ee = jacobiEigen(He, 3).values,
    ed = jacobiEigen(Hd, 3).values,
    ej = jacobiEigen(Hj, 3).values;

  it('has the documented top-level keys and is JSON-serializable as is', () => {
    for (const key of [
      'n',
      'd',
      'lambdaEnc',
      'lambdaDec',
      'lambdaJoint',
      'lambdaMaxEnc',
      'lambdaMaxDec',
      'lambdaMaxJoint',
      'eta',
      'linearizedLossRatio',
      'sufficientWidth',
    ]) {
      expect(r).toHaveProperty(key);
    }
    expect(Object.keys(r.eta).sort()).toEqual(['dec', 'enc', 'joint']);
    expect(Object.keys(r.linearizedLossRatio.joint)).toEqual(['0', '10', '100']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('computes λ_min/λ_max of the hand-checked kernels (diagonal 0.5, H_enc = 0 for the orthogonal pair)', () => {
    expect([r.n, r.d]).toEqual([3, 3]);
    expect(He[2]).toBe(0);
    expect(r.lambdaEnc).toBeCloseTo(ee[0]!, 13);
    expect(r.lambdaMaxEnc).toBeCloseTo(ee[2]!, 13);
    expect(r.lambdaDec).toBeCloseTo(ed[0]!, 13);
    expect(r.lambdaMaxDec).toBeCloseTo(ed[2]!, 13);
    expect(r.lambdaJoint).toBeCloseTo(ej[0]!, 13);
    expect(r.lambdaMaxJoint).toBeCloseTo(ej[2]!, 13);
    expect(r.lambdaJoint).toBeGreaterThanOrEqual(r.lambdaJointWeylBound - 1e-14);
  });

  it('uses η = 1/λ_max of ν²H_enc, κ²H_dec and the joint kernel', () => {
    expect(r.eta.enc).toBeCloseTo(1 / (nu * nu * ee[2]!), 12);
    expect(r.eta.dec).toBeCloseTo(1 / (kappa * kappa * ed[2]!), 12);
    expect(r.eta.joint).toBeCloseTo(1 / ej[2]!, 12);
  });

  it('gives L(k)/L(0) from U₀ = 0 that starts at 1, decreases, and matches the eigen-formula by hand', () => {
    for (const k of ['enc', 'dec', 'joint'] as const) {
      const ratios = r.linearizedLossRatio[k];
      expect(ratios['0']).toBeCloseTo(1, 14);
      expect(ratios['10']!).toBeLessThan(1);
      expect(ratios['100']!).toBeLessThan(ratios['10']!);
    }
    // Joint kernel, k = 10: ½Σ_ℓ (1 − ηλ_ℓ)^{20} ‖X q_ℓ‖² / (½‖X‖²) with the reference eigenvectors.
    const { values, vectors } = jacobiEigen(Hj, 3);
    const eta = 1 / values[2]!;
    let num = 0;
    for (let l = 0; l < 3; l++) {
      let e = 0;
      for (let a = 0; a < 3; a++) {
        let s = 0;
        for (let i = 0; i < 3; i++) s += X[a * 3 + i]! * vectors[i * 3 + l]!;
        e += s * s;
      }
      num += (1 - eta * values[l]!) ** 20 * e;
    }
    expect(r.linearizedLossRatio.joint['10']).toBeCloseTo(num / 3, 12);
  });

  it('reports unit norm and finite sufficient widths for this unit-norm set', () => {
    expect(r.unitNorm).toBe(true);
    expect(r.frobeniusNormSq).toBeCloseTo(3, 14);
    expect(r.sufficientWidth.refused).toBe(false);
    expect(r.sufficientWidth.A_sufficient!).toBeGreaterThan(r.sufficientWidth.B_sufficient!);
  });

  it('refuses the sufficient widths (not the kernels) for non-unit data', () => {
    const scaled = Float64Array.from(X, (v) => 2 * v);
    const s = theoryReport(scaled, 3, 3, { kappa: 1, nu: 1, steps: [10], delta: 0.1 });
    expect(s.unitNorm).toBe(false);
    expect(s.sufficientWidth.refused).toBe(true);
    // Kernels scale with ‖x‖‖y‖ = 4.
    expect(s.lambdaEnc).toBeCloseTo(4 * ee[0]!, 12);
  });
});
