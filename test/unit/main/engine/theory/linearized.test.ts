import { describe, expect, it } from 'vitest';
import { linearizedLossCurve, linearizedModel, predictLinearized, spanBasis, spanShare } from '../../../../../src/main/engine/theory/linearized';
import { infiniteKernels, regimeKernel } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { matmul } from '../../../../../src/main/engine/linalg/dense';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng } from '../../../../../src/main/engine/random';

/** Relative tolerance for eigen-formula vs direct iteration in float64 (a few hundred matrix products). */
const REL = 1e-9;

const d = 6;
const n = 9;
const { X } = sphereData(createRng(21, 0), d, n);
const H = regimeKernel('joint', X, d, n, { kappa: 1, nu: 1 });
const U0 = new Float64Array(d * n);
createRng(22, 2).fillNormal(U0, 0.3);
const E0 = new Float64Array(d * n);
for (let i = 0; i < E0.length; i++) E0[i] = U0[i]! - X[i]!;

/** E(k) by direct iteration E ← E(I − ηH). */
function iterate(E: Float64Array, eta: number, k: number): Float64Array {
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = (i === j ? 1 : 0) - eta * H[i * n + j]!;
  let cur: Float64Array = E;
  for (let t = 0; t < k; t++) cur = matmul(cur, M, d, n, n);
  return cur;
}

const half2 = (E: Float64Array) => 0.5 * E.reduce((s, v) => s + v * v, 0);

describe('linearizedLossCurve()', () => {
  it('equals ½‖E(0)(I − ηH)^k‖² from direct matrix powers', () => {
    const eta = 0.4;
    const steps = [0, 1, 5, 40, 200];
    const curve = linearizedLossCurve(H, n, E0, d, eta, steps);
    steps.forEach((k, idx) => {
      const direct = half2(iterate(E0, eta, k));
      expect(Math.abs(curve[idx]! - direct) / direct).toBeLessThan(REL);
    });
  });

  it('also follows the direct iteration above the stability limit (|1 − ηλ| > 1 grows)', () => {
    const model = linearizedModel(H, n, E0, d, 0.1);
    const etaBad = 2.5 / model.eigenvalues[n - 1]!;
    const c = linearizedLossCurve(H, n, E0, d, etaBad, [0, 30]);
    expect(c[1]!).toBeGreaterThan(c[0]!);
    expect(Math.abs(c[1]! - half2(iterate(E0, etaBad, 30))) / c[1]!).toBeLessThan(REL);
  });
});

describe('linearizedModel()', () => {
  const eta = 0.3;
  const model = linearizedModel(H, n, E0, d, eta);

  it('gives E(k) and per-direction energies that sum to 2L(k)', () => {
    const k = 17;
    const direct = iterate(E0, eta, k);
    const Ek = model.residualAt(k);
    for (let i = 0; i < Ek.length; i++) expect(Ek[i]).toBeCloseTo(direct[i]!, 12);
    const energy = model.residualEnergyAt(k);
    expect(energy.reduce((s, v) => s + v, 0) / 2).toBeCloseTo(model.lossAt(k), 13);
    // Slow directions (small λ) keep more of their energy: spectral bias.
    const e0 = model.residualEnergyAt(0);
    expect(energy[0]! / e0[0]!).toBeGreaterThan(energy[n - 1]! / e0[n - 1]!);
  });

  it('rejects shape mismatches and non-integer k', () => {
    expect(() => linearizedModel(H, n, new Float64Array(3), d, eta)).toThrow(/E0 has 3 entries/);
    expect(() => model.lossAt(1.5)).toThrow(/integer/);
  });
});

describe('predictLinearized()', () => {
  const eta = 0.3;
  const model = linearizedModel(H, n, E0, d, eta);
  const nT = 4;
  const { X: Xt } = sphereData(createRng(23, 1), d, nT);
  const q = regimeKernel('joint', X, d, n, { kappa: 1, nu: 1 }, Xt, nT);
  const Ut0 = new Float64Array(d * nT);
  createRng(24, 2).fillNormal(Ut0, 0.3);

  it('matches u_k(x) = u₀(x) − η Σ_{t<k} E(t) q(x) summed step by step', () => {
    const k = 25;
    const pred = predictLinearized(model, q, nT, k, Ut0);
    const direct = Float64Array.from(Ut0);
    let E: Float64Array = E0;
    for (let t = 0; t < k; t++) {
      const Eq = matmul(E, q, d, n, nT);
      for (let i = 0; i < direct.length; i++) direct[i]! -= eta * Eq[i]!;
      E = iterate(E, eta, 1);
    }
    for (let i = 0; i < pred.length; i++) expect(pred[i]).toBeCloseTo(direct[i]!, 11);
  });

  it('u_∞ reproduces the training inputs exactly and, with u₀ = 0, lies in span(X) (memorization)', () => {
    const zeroModel = linearizedModel(
      H,
      n,
      Float64Array.from(X, (v) => -v),
      d,
      eta,
    );
    const onTrain = predictLinearized(zeroModel, H, n, Infinity);
    for (let i = 0; i < onTrain.length; i++) expect(onTrain[i]).toBeCloseTo(X[i]!, 9);
    const uInf = predictLinearized(zeroModel, q, nT, Infinity);
    // n = 9 > d = 6 here: span(X) is everything; use a low-rank training set for the span check below.
    expect(spanShare(X, d, n, uInf, nT).share).toBeCloseTo(1, 12);
  });
});

describe('spanShare()', () => {
  it('is 1 for the kernel predictor with u₀ = 0 and about n/d for random inputs when n < d', () => {
    const dd = 20,
      nn = 5,
      nT = 200;
    const { X: Xs } = sphereData(createRng(30, 0), dd, nn);
    const { X: Xt } = sphereData(createRng(31, 1), dd, nT);
    const k = infiniteKernels(Xs, dd, nn);
    const Hs = new Float64Array(nn * nn);
    for (let i = 0; i < Hs.length; i++) Hs[i] = k.enc[i]! + k.dec[i]!;
    const model = linearizedModel(
      Hs,
      nn,
      Float64Array.from(Xs, (v) => -v),
      dd,
      0.5,
    );
    const q = regimeKernel('joint', Xs, dd, nn, { kappa: 1, nu: 1 }, Xt, nT);
    const uInf = predictLinearized(model, q, nT, Infinity);
    const mem = spanShare(Xs, dd, nn, uInf, nT);
    expect(mem.share).toBeCloseTo(1, 12);
    expect(mem.baseline).toBe(nn / dd);
    const raw = spanShare(Xs, dd, nn, Xt, nT);
    // For uniform directions the in-span share of one vector is Beta(n/2, (d−n)/2): mean n/d, variance
    // 2n(d−n)/(d²(d+2)); averaged over nT vectors (weights ‖x‖² = 1).
    const sd = Math.sqrt((2 * nn * (dd - nn)) / (dd * dd * (dd + 2)) / nT);
    expect(Math.abs(raw.share! - nn / dd) / sd).toBeLessThan(5);
  });
});

describe('spanBasis()', () => {
  /** B Bᵀ [d, d] for a basis B [d, r]. */
  const projector = (b: Float64Array, d: number, r: number): Float64Array => {
    const p = new Float64Array(d * d);
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) for (let k = 0; k < r; k++) p[a * d + c]! += b[a * r + k]! * b[c * r + k]!;
    return p;
  };
  it('gives the same orthonormal basis span from X Xᵀ (d ≤ n) as from Xᵀ X, full rank and rank-deficient', () => {
    const d = 12;
    const n = 30;
    const rng = createRng(5, 0);
    const full = new Float64Array(d * n);
    rng.fillNormal(full, 1);
    // Rank 4: X = F G with F [d, 4], G [4, n].
    const F = new Float64Array(d * 4);
    const G = new Float64Array(4 * n);
    rng.fillNormal(F, 1);
    rng.fillNormal(G, 1);
    const low = new Float64Array(d * n);
    for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) low[a * n + i]! += F[a * 4 + k]! * G[k * n + i]!;
    for (const [X, rank] of [
      [full, d],
      [low, 4],
    ] as const) {
      const f = spanBasis(X, d, n, 'features');
      const s = spanBasis(X, d, n, 'samples');
      expect(f.rank).toBe(rank);
      expect(s.rank).toBe(rank);
      const pf = projector(f.basis, d, f.rank);
      const ps = projector(s.basis, d, s.rank);
      let worst = 0;
      for (let k = 0; k < d * d; k++) worst = Math.max(worst, Math.abs(pf[k]! - ps[k]!));
      expect(worst).toBeLessThan(1e-9);
      // Orthonormal columns: BᵀB = I.
      for (let k = 0; k < f.rank; k++) {
        for (let l = 0; l < f.rank; l++) {
          let dot = 0;
          for (let a = 0; a < d; a++) dot += f.basis[a * f.rank + k]! * f.basis[a * f.rank + l]!;
          expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
      // Each column of X lies in the span: ‖x − P x‖ ≈ 0.
      for (const i of [0, n - 1]) {
        let r2 = 0;
        let x2 = 0;
        for (let a = 0; a < d; a++) {
          let px = 0;
          for (let c = 0; c < d; c++) px += pf[a * d + c]! * X[c * n + i]!;
          r2 += (X[a * n + i]! - px) ** 2;
          x2 += X[a * n + i]! ** 2;
        }
        expect(Math.sqrt(r2 / x2)).toBeLessThan(1e-10);
      }
    }
  });
});
