import { symmetricEigen } from '../../../../../src/main/engine/linalg';
import { describe, expect, it } from 'vitest';
import { classifyByKernelRegression, fitKernelRegression } from '../../../../../src/main/engine/related/kernelRegression';
import { continuumWeights, weightedExperiment, weightedKernel } from '../../../../../src/main/engine/related/weightedNtk';
import { krrVersusNetwork } from '../../../../../src/main/engine/related/krrNetwork';
import { kernelMatrix, vectorInput } from '../../../../../src/main/engine/related/kernels';
import { regimeKernel } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng } from '../../../../../src/main/engine/random';
import type { KernelSpec } from '../../../../../src/shared/related/schema';

const EPS = 2 ** -52;

/** Solves A x = b by Gaussian elimination with partial pivoting (A [n, n], an independent check). */
function solve(A: Float64Array, n: number, b: Float64Array): Float64Array {
  const M = A.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[piv * n + c]!)) piv = r;
    for (let k = 0; k < n; k++) [M[c * n + k], M[piv * n + k]] = [M[piv * n + k]!, M[c * n + k]!];
    [x[c], x[piv]] = [x[piv]!, x[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * n + c]! / M[c * n + c]!;
      for (let k = c; k < n; k++) M[r * n + k]! -= f * M[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = 0; r < n; r++) x[r]! /= M[r * n + r]!;
  return x;
}

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! ** 2;
  return Math.sqrt(s);
}

describe('fitKernelRegression()', () => {
  const d = 6;
  const n = 12;
  const { X } = sphereData(createRng(5, 0), d, n);
  const K = regimeKernel('joint', X, d, n, { kappa: 1, nu: 1 });
  const ev = symmetricEigen(K, n).values;
  const lmin = ev[0]!;
  const cond = ev[n - 1]! / lmin;

  it('interpolates the training targets as the ridge goes to 0: ‖Y − fitted‖ ≤ ρ/(λ_min + ρ)‖Y‖ + round-off', () => {
    for (const ridge of [1e-1, 1e-4, 1e-8, 0]) {
      const fitted = fitKernelRegression(K, n, X, d, ridge).fitted();
      const resid = frob(fitted.map((v, i) => v - X[i]!));
      // Exact bound of the spectral filter λ/(λ + ρ), plus the eigensolver's backward error (n·ε·cond).
      const bound = (ridge / (lmin + ridge) + n * EPS * cond) * frob(X);
      expect(resid, `ridge ${ridge}`).toBeLessThanOrEqual(bound);
    }
  });

  it('predicts Y (K + ρI)⁻¹ q(x) as an independent linear solve does', () => {
    const nTest = 4;
    const Xt = sphereData(createRng(6, 0), d, nTest).X;
    const Q = regimeKernel('joint', X, d, n, { kappa: 1, nu: 1 }, Xt, nTest);
    const ridge = 1e-3;
    const pred = fitKernelRegression(K, n, X, d, ridge).predict(Q, nTest);
    const shifted = K.slice();
    for (let i = 0; i < n; i++) shifted[i * n + i]! += ridge;
    for (let a = 0; a < d; a++) {
      const alpha = solve(shifted, n, X.slice(a * n, (a + 1) * n));
      for (let j = 0; j < nTest; j++) {
        let want = 0;
        for (let i = 0; i < n; i++) want += alpha[i]! * Q[i * nTest + j]!;
        expect(pred[a * nTest + j]).toBeCloseTo(want, 10);
      }
    }
  });

  it('works with every kernel of the app (vectors, and rows read as sequences)', () => {
    const input = vectorInput({ source: 'sphere', n: 8, d: 4, seed: 2 });
    const specs: KernelSpec[] = [
      { kind: 'enc', kappa: 1, nu: 1 },
      { kind: 'weighted', omegaW: 0.5, omegaV: 2, kappa: 1, nu: 1 },
      { kind: 'jacot', layers: 3, beta: 0.1, sigmaW: 1 },
      { kind: 'rntk', readout: 'avg', bidirectional: true, sigmaW: 1, sigmaU: 1, sigmaB: 0.1, sigmaV: 1 },
      { kind: 'rf-ntk', m0: 200, sketch: 'tensorsrht', seed: 1 },
    ];
    for (const spec of specs) {
      const G = kernelMatrix(spec, input);
      const fitted = fitKernelRegression(G, 8, input.X, 4, 0).fitted();
      const ev = symmetricEigen(G, 8).values;
      const bound = 8 * EPS * (ev[7]! / ev[0]!) * frob(input.X);
      expect(frob(fitted.map((v, i) => v - input.X[i]!)), spec.kind).toBeLessThanOrEqual(bound);
    }
  });

  it('classifies two separated clusters by regression onto one-hot codes', () => {
    const pts = [
      [1, 0.1],
      [0.9, -0.1],
      [1.1, 0],
      [-1, 0.05],
      [-0.9, 0],
      [-1.1, -0.1],
    ];
    const X2 = new Float64Array(12);
    pts.forEach((p, i) => p.forEach((v, a) => (X2[a * 6 + i] = v)));
    const G = regimeKernel('joint', X2, 2, 6, { kappa: 1, nu: 1 });
    const c = classifyByKernelRegression(G, 6, [0, 0, 0, 1, 1, 1], 2, 1e-6, G, 6, [0, 0, 0, 1, 1, 1]);
    expect(c.predicted).toEqual([0, 0, 0, 1, 1, 1]);
    expect(c.accuracy).toBe(1);
  });
});

describe('weightedKernel() (SPEC §10.6)', () => {
  const d = 5;
  const n = 9;
  const { X } = sphereData(createRng(8, 0), d, n);
  const scales = { kappa: 0.7, nu: 1.4 };

  it('is the joint, weak and decoder-only kernel at (1, 1), (1, 0) and (0, 1)', () => {
    const cases = [
      [1, 1, 'joint'],
      [1, 0, 'weak'],
      [0, 1, 'decoder'],
    ] as const;
    for (const [w, v, regime] of cases) {
      const got = weightedKernel(X, d, n, { omegaW: w, omegaV: v, ...scales });
      const want = regimeKernel(regime, X, d, n, scales);
      for (let k = 0; k < n * n; k++) expect(got[k]).toBeCloseTo(want[k]!, 15);
    }
  });

  it('puts weak, joint and decoder-only at t = 0, 1, 2 of the continuum slider', () => {
    expect(continuumWeights(0)).toEqual({ omegaW: 1, omegaV: 0 });
    expect(continuumWeights(1)).toEqual({ omegaW: 1, omegaV: 1 });
    expect(continuumWeights(2)).toEqual({ omegaW: 0, omegaV: 1 });
    expect(() => continuumWeights(2.5)).toThrow(/t: expected a number in \[0, 2\]/);
  });

  it("starts the predicted and the network's loss curves at the same L(0) and tabulates λ_min along the continuum", () => {
    const r = weightedExperiment(X, d, n, { omegaW: 1, omegaV: 0.5, ...scales, width: 400, init: 'gaussian', steps: 20, seed: 3, continuumPoints: 3 });
    expect(r.steps[0]).toBe(0);
    expect(r.actualLoss[0]).toBeCloseTo(r.predictedLoss[0]!, 10);
    expect(r.actualLoss[r.actualLoss.length - 1]!).toBeLessThan(r.actualLoss[0]!);
    const lam = (regime: 'weak' | 'joint' | 'decoder') => symmetricEigen(regimeKernel(regime, X, d, n, scales), n).values[0]!;
    expect(r.continuum.lambdaMin[0]).toBeCloseTo(lam('weak'), 12);
    expect(r.continuum.lambdaMin[1]).toBeCloseTo(lam('joint'), 12);
    expect(r.continuum.lambdaMin[2]).toBeCloseTo(lam('decoder'), 12);
    expect(r.stable).toBe(true);
  });
});

describe('krrVersusNetwork() (SPEC §6)', () => {
  it('finds a wide network trained from u₀ ≡ 0 close to the frozen-kernel prediction, its output in span(X)', () => {
    const r = krrVersusNetwork({ n: 4, d: 10, nTest: 3, kernel: 'joint', ridge: 0, width: 2000, steps: 200, seed: 1 });
    expect(r.initialTrainLoss).toBeCloseTo(2, 12); // ½‖X‖² with u₀ ≡ 0 and unit inputs
    expect(r.relativeDifferenceLinearized).toBeLessThan(0.1);
    expect(r.memorization.network!).toBeGreaterThan(0.95);
    expect(r.memorization.baseline).toBeCloseTo(0.4, 15);
  });
});
