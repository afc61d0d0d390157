import { describe, expect, it } from 'vitest';
import { jacotKernels } from '../../../../../src/main/engine/related/jacot';
import { circleExperiment, deepNetNtk, deepNetOutput, initDeepNet, type DeepNet } from '../../../../../src/main/engine/related/deepNet';
import { symmetricEigen } from '../../../../../src/main/engine/linalg';
import { MeanEstimate, expectMeanNear, upperTriangle } from './monteCarlo';

/** Points as columns → X [d, n]. */
function columns(cols: number[][]): { X: Float64Array; d: number; n: number } {
  const n = cols.length;
  const d = cols[0]!.length;
  const X = new Float64Array(d * n);
  cols.forEach((c, i) => c.forEach((v, a) => (X[a * n + i] = v)));
  return { X, d, n };
}

const DATA = columns([
  [1, 0, 0],
  [0.6, 0.8, 0],
  [0.2, -0.5, 1.3],
  [-1, 0.3, 0.1],
  [0, 0, 0],
]);

/** Central-difference step and the float64 tolerance it leaves on a tangent-kernel entry. */
const FD_STEP = 1e-6;
const FD_TOL = 1e-6;

describe('jacotKernels() (SPEC §10.1)', () => {
  it('gives Σ⁽¹⁾ = Θ⁽¹⁾ = σ_w² xᵀx′/n₀ + β² for one layer', () => {
    const { X, d, n } = DATA;
    const k = jacotKernels(X, d, n, { layers: 1, beta: 0.4, sigmaW: 1.3 });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let xy = 0;
        for (let a = 0; a < d; a++) xy += X[a * n + i]! * X[a * n + j]!;
        const want = (1.3 ** 2 * xy) / d + 0.16;
        expect(k.ntk[i * n + j]).toBeCloseTo(want, 15);
        expect(k.nngp[i * n + j]).toBe(k.ntk[i * n + j]);
      }
    }
  });

  it('gives symmetric positive semi-definite Grams, and the cross kernel is the block of the joint Gram', () => {
    const { X, d, n } = DATA;
    const opts = { layers: 4, beta: 0.2, sigmaW: 1.1 };
    const k = jacotKernels(X, d, n, opts);
    for (const g of [k.ntk, k.nngp]) {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i * n + j]).toBe(g[j * n + i]);
      const ev = symmetricEigen(g, n).values;
      expect(ev[0]!).toBeGreaterThanOrEqual(-n * 2 ** -52 * ev[n - 1]!);
    }
    const head = columns([
      [1, 0, 0],
      [0.6, 0.8, 0],
    ]);
    const tail = columns([
      [0.2, -0.5, 1.3],
      [-1, 0.3, 0.1],
      [0, 0, 0],
    ]);
    const cross = jacotKernels(head.X, d, 2, opts, tail.X, 3);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(cross.ntk[i * 3 + j]).toBeCloseTo(k.ntk[i * n + 2 + j]!, 14);
  });

  it('refuses a depth below 1 naming the option', () => {
    expect(() => jacotKernels(DATA.X, DATA.d, DATA.n, { layers: 0, beta: 0 })).toThrow(/layers: expected an integer ≥ 1/);
  });
});

/** All parameters of a net as one vector view list (W⁽ℓ⁾ then b⁽ℓ⁾ per layer). */
function parameterArrays(net: DeepNet): Float64Array[] {
  return net.W.flatMap((w, l) => [w, net.b[l]!]);
}

describe('deepNetNtk()', () => {
  it('equals J Jᵀ of the network Jacobian taken by central differences', () => {
    const { X, d, n } = DATA;
    const net = initDeepNet(d, 5, { layers: 3, beta: 0.3, sigmaW: 1.2 }, 11);
    const J: number[][] = Array.from({ length: n }, () => []);
    for (const arr of parameterArrays(net)) {
      for (let k = 0; k < arr.length; k++) {
        const keep = arr[k]!;
        arr[k] = keep + FD_STEP;
        const up = deepNetOutput(net, X, n);
        arr[k] = keep - FD_STEP;
        const down = deepNetOutput(net, X, n);
        arr[k] = keep;
        for (let i = 0; i < n; i++) J[i]!.push((up[i]! - down[i]!) / (2 * FD_STEP));
      }
    }
    const K = deepNetNtk(net, X, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const want = J[i]!.reduce((s, v, p) => s + v * J[j]![p]!, 0);
        expect(Math.abs(K[i * n + j]! - want)).toBeLessThanOrEqual(FD_TOL * Math.max(1, Math.abs(want)));
      }
    }
  });

  // E[Θ_m] = Θ∞ exactly for two layers; for three the O(1/m) bias at m = 256 is far below one standard error.
  for (const [init, layers] of [
    ['gaussian', 3],
    ['orthogonal', 2],
  ] as const) {
    it(`has a mean over ${init} networks (width 256, depth ${layers}) within the CLT bound of the limit`, () => {
      const { X, d, n } = DATA;
      const opts = { layers, beta: 0.3, sigmaW: 1.2, init };
      const limit = jacotKernels(X, d, n, opts).ntk;
      const est = new MeanEstimate(n * n);
      for (let s = 0; s < 40; s++) est.add(deepNetNtk(initDeepNet(d, 256, opts, 500 + s), X, n));
      expectMeanNear(est, limit, `Θ_m ${init}`, upperTriangle(n));
    });
  }
});

describe('circleExperiment()', () => {
  it('narrows the band across seeds as the width grows and reports the limit on the grid', () => {
    const r = circleExperiment({ layers: 3, beta: 0.1, widths: [16, 256], seeds: 6, gridPoints: 9, steps: 10, trainPoints: 3, seed: 1 });
    expect(r.gammas).toHaveLength(9);
    expect(r.gammas[0]).toBeCloseTo(-Math.PI, 15);
    const mid = 4; // γ = 0: x(γ) = x₀, the limit is Θ(x₀, x₀)
    const { X, d } = columns([[1, 0]]);
    expect(r.limit[mid]).toBeCloseTo(jacotKernels(X, d, 1, { layers: 3, beta: 0.1 }).ntk[0]!, 12);
    const avgStd = (w: number) => r.widths[w]!.init.std.reduce((s, v) => s + v, 0) / 9;
    // The fluctuations scale as m^{-1/2}: a 16× wider network is ~4× tighter; 2× is a safe margin.
    expect(avgStd(1)).toBeLessThan(avgStd(0) / 2);
    expect(r.widths[1]!.relativeMovement!).toBeLessThan(r.widths[0]!.relativeMovement!);
    expect(r.widths[0]!.trained!.curves).toHaveLength(6);
  });

  it('refuses an experiment above the work limit up front', () => {
    expect(() => circleExperiment({ layers: 8, beta: 0, widths: [4096], seeds: 50, gridPoints: 400, steps: 5000, trainPoints: 64, seed: 0 })).toThrow(
      /multiply–adds, above the limit/,
    );
  });
});
