import { describe, expect, it } from 'vitest';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { forward, outputScale } from '../../../../../src/main/engine/autoencoder/model';
import { createRng } from '../../../../../src/main/engine/random';
import { WorkbenchException } from '../../../../../src/shared/api/result';

describe('initParams()', () => {
  it('gives the same network for the same seed and a different one for another seed', () => {
    const o = { m: 10, d: 4, init: 'gaussian' as const, kappa: 1, nu: 0.5, tied: false };
    const a = initParams(o, createRng(42, 2));
    const b = initParams(o, createRng(42, 2));
    const c = initParams(o, createRng(43, 2));
    expect(a.W).toEqual(b.W);
    expect(a.V).toEqual(b.V);
    expect(a.W).not.toEqual(c.W);
  });

  it('draws Gaussian entries with standard deviations κ and ν (CLT bound on the sample variance)', () => {
    const m = 2000;
    const d = 5;
    const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 2, nu: 0.5, tied: false }, createRng(1, 2));
    const N = m * d;
    const varW = W.reduce((s, x) => s + x * x, 0) / N;
    const varV = V.reduce((s, x) => s + x * x, 0) / N;
    // Var of the sample second moment of N(0,σ²) is 2σ⁴/N; allow 5 standard errors.
    expect(Math.abs(varW - 4)).toBeLessThan(5 * Math.sqrt(2 / N) * 4);
    expect(Math.abs(varV - 0.25)).toBeLessThan(5 * Math.sqrt(2 / N) * 0.25);
  });

  it('draws Rademacher entries of magnitude exactly κ and ν', () => {
    const { W, V } = initParams({ m: 50, d: 3, init: 'rademacher', kappa: 0.7, nu: 1.3, tied: false }, createRng(2, 2));
    expect(W.every((x) => Math.abs(x) === 0.7)).toBe(true);
    expect(V.every((x) => Math.abs(x) === 1.3)).toBe(true);
  });

  it('orthogonal init gives neurons of norm √d·κ, orthogonal within each block', () => {
    const m = 12;
    const d = 4;
    const kappa = 1.5;
    const nu = 0.5;
    const { W, V } = initParams({ m, d, init: 'orthogonal', kappa, nu, tied: false }, createRng(3, 2));
    for (let r = 0; r < m; r++) {
      let sw = 0;
      let sv = 0;
      for (let a = 0; a < d; a++) {
        sw += W[r * d + a]! ** 2;
        sv += V[a * m + r]! ** 2;
      }
      expect(Math.sqrt(sw)).toBeCloseTo(Math.sqrt(d) * kappa, 12);
      expect(Math.sqrt(sv)).toBeCloseTo(Math.sqrt(d) * nu, 12);
    }
    for (let b = 0; b < m / d; b++)
      for (let r = b * d; r < (b + 1) * d; r++)
        for (let q = r + 1; q < (b + 1) * d; q++) {
          let p = 0;
          for (let a = 0; a < d; a++) p += W[r * d + a]! * W[q * d + a]!;
          expect(Math.abs(p)).toBeLessThan(1e-12);
        }
  });

  it('orthogonal init refuses a width that is not a multiple of d, naming hiddenWidth', () => {
    const call = () => initParams({ m: 10, d: 4, init: 'orthogonal', kappa: 1, nu: 1, tied: false }, createRng(0, 2));
    expect(call).toThrow(WorkbenchException);
    expect(call).toThrow(/hiddenWidth: .*multiple.*4.*10/);
  });

  it('antisymmetric doubling gives u₀ ≡ 0 exactly', () => {
    const m = 20;
    const d = 5;
    const n = 7;
    const { W, V } = initParams({ m, d, init: 'antisymmetric', kappa: 1, nu: 1, tied: false }, createRng(4, 2));
    const X = new Float64Array(d * n);
    createRng(4, 0).fillNormal(X, 1);
    const U = forward(W, V, X, { d, n, m }, outputScale('ntk', m)).U;
    expect(U.every((u) => u === 0)).toBe(true);
    expect(W.some((w) => w !== 0)).toBe(true);
  });

  it('weight-tied output at init is ≈ (√m/2)·x (SPEC Prop. D1, s = 1/√m, κ = 1)', () => {
    const m = 4000;
    const d = 8;
    const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1, nu: 1, tied: true }, createRng(5, 2));
    for (let r = 0; r < m; r++) for (let a = 0; a < d; a++) expect(V[a * m + r]).toBe(W[r * d + a]);
    const x = new Float64Array(d);
    createRng(5, 0).fillNormal(x, 1);
    const nx = Math.hypot(...x);
    for (let a = 0; a < d; a++) x[a]! /= nx;
    const U = forward(W, V, x, { d, n: 1, m }, outputScale('ntk', m)).U;
    let ux = 0;
    for (let a = 0; a < d; a++) ux += U[a]! * x[a]!;
    const ratio = ux / (Math.sqrt(m) / 2);
    // ratio = (2/m) Σ σ(z_r)² with z ~ N(0,1): mean 1, sd = 2·√(Var σ(z)²)/√m = √5/√m. Four sd.
    expect(Math.abs(ratio - 1)).toBeLessThan((4 * Math.sqrt(5)) / Math.sqrt(m));
  });
});
