import { describe, expect, it } from 'vitest';
import { logLogSlope, rfFeatureMap, rfNtkGram, rfSweep } from '../../../../../src/main/engine/related/rfNtk';
import { infiniteKernels } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng } from '../../../../../src/main/engine/random';
import { MeanEstimate, bonferroniZ, expectMeanNear, upperTriangle } from './monteCarlo';

function exactTheta(X: Float64Array, d: number, n: number): Float64Array {
  const { enc, dec } = infiniteKernels(X, d, n);
  return enc.map((v, i) => v + dec[i]!);
}

describe('rfFeatureMap() (SPEC §10.4)', () => {
  it('builds [m₀^{-1/2} vec(1[Ω₀x ≥ 0] ⊗ x); m₁^{-1/2} σ(Ω₁x)] without a sketch', () => {
    const d = 3;
    const n = 2;
    const X = Float64Array.from([1, 0.5, -2, 0.3, 0.7, 1.1]);
    const m0 = 4;
    const m1 = 5;
    const map = rfFeatureMap(d, { m0, m1, sketch: 'none', seed: 3 });
    expect(map.dim).toBe(m0 * d + m1);
    const phi = map.apply(X, n);
    // Ω₀ and Ω₁ are the first m₀d and next m₁d normals of (seed, init stream): redraw them here.
    const rng = createRng(3, 2);
    const o0 = new Float64Array(m0 * d);
    rng.fillNormal(o0, 1);
    const o1 = new Float64Array(m1 * d);
    rng.fillNormal(o1, 1);
    for (let i = 0; i < n; i++) {
      const x = [0, 1, 2].map((a) => X[a * n + i]!);
      for (let r = 0; r < m0; r++) {
        const on = x.reduce((s, v, a) => s + o0[r * d + a]! * v, 0) >= 0 ? 1 : 0;
        for (let a = 0; a < d; a++) expect(phi[(r * d + a) * n + i]).toBeCloseTo((on * x[a]!) / Math.sqrt(m0), 15);
      }
      for (let r = 0; r < m1; r++) {
        const z = x.reduce((s, v, a) => s + o1[r * d + a]! * v, 0);
        expect(phi[(m0 * d + r) * n + i]).toBeCloseTo(Math.max(z, 0) / Math.sqrt(m1), 15);
      }
    }
  });

  for (const sketch of ['none', 'gaussian', 'countsketch', 'tensorsrht'] as const) {
    it(`is unbiased: the mean of Φᵀ Φ over draws equals Θ = H_enc + H_dec within the CLT bound (${sketch})`, () => {
      const d = 5;
      const n = 6;
      const { X } = sphereData(createRng(11, 0), d, n);
      X[0]! *= 2.5; // one non-unit input
      const theta = exactTheta(X, d, n);
      const est = new MeanEstimate(n * n);
      for (let s = 0; s < 60; s++) est.add(rfNtkGram(X, d, n, { m0: 16, m1: 16, sketch, sketchDim: 20, seed: 1000 + s }).gram);
      expectMeanNear(est, theta, `Φᵀ Φ (${sketch})`, upperTriangle(n));
    });
  }
});

describe('rfSweep()', () => {
  for (const sketch of ['none', 'countsketch'] as const) {
    it(`has a relative spectral error that decays like D^{-1/2} (${sketch}; fitted slope within 4 standard errors)`, () => {
      const d = 10;
      const n = 40;
      const { X } = sphereData(createRng(3, 0), d, n);
      const r = rfSweep(X, d, n, { m0s: [32, 128, 512], sketch, seeds: 8, seed: 1, ridge: 1e-3, nTest: 8 });
      expect(r.rows.map((x) => x.D)).toEqual([32, 128, 512].map((m0) => (sketch === 'none' ? m0 * d : (m0 * d) / 4) + m0 * d));
      for (let k = 1; k < r.rows.length; k++) expect(r.rows[k]!.relativeSpectralError.mean).toBeLessThan(r.rows[k - 1]!.relativeSpectralError.mean);
      expect(r.slopeStdError).not.toBeNull();
      expect(Math.abs(r.slope + 0.5)).toBeLessThanOrEqual(4 * r.slopeStdError!);
      expect(r.rows[2]!.predictionError!.mean).toBeLessThan(r.rows[0]!.predictionError!.mean);
    });
  }
});

describe('logLogSlope()', () => {
  it('recovers an exact power law', () => {
    const x = [10, 100, 1000];
    const fit = logLogSlope(
      x,
      x.map((v) => ({ mean: 3 * v ** -0.5, std: 0.1 * v ** -0.5 })),
      10,
    );
    expect(fit.slope).toBeCloseTo(-0.5, 12);
    expect(bonferroniZ(1)).toBeGreaterThan(3.8);
  });
});
