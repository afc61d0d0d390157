import { describe, expect, it } from 'vitest';
import {
  empiricalNtk,
  empiricalNtkMean,
  fullEmpiricalNtk,
  tracedEmpiricalNtk,
  tracedEmpiricalNtks,
  type NtkInput,
} from '../../../../../src/main/engine/ntk/empiricalNtk';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { forward, outputScale } from '../../../../../src/main/engine/autoencoder/model';
import { infiniteKernel } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { createRng } from '../../../../../src/main/engine/random';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import type { Regime } from '../../../../../src/shared/config/schema';
import { relativeDifference } from '../../../../support/relative';

/** Both sides are sums of O(m) products of O(1) numbers: agreement to ~1e-12 relative is round-off. */
const ROUNDOFF_REL = 1e-12;
const FD_STEP = 1e-6;
const FD_REL = 1e-6;

function network(regime: Regime, seed: number, d = 3, n = 5, m = 7): NtkInput {
  const X = new Float64Array(d * n);
  createRng(seed, 0).fillNormal(X, 1);
  const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1.2, nu: 0.8, tied: regime === 'tied' }, createRng(seed, 2));
  return { X, d, n, m, W, V, scale: outputScale('ntk', m), regime };
}

/**
 * Test-only explicit Jacobian J [(a,i), θ] of the outputs u_a(x_i) with respect to the trained parameters
 * (θ = vec W [m·d], then vec V [d·m] for joint), from per-sample analytic derivatives.
 */
function explicitJacobian(p: NtkInput): { J: Float64Array; P: number } {
  const { d, n, m, X, W, V, scale: s, regime } = p;
  const f = forward(W, V, X, { d, n, m }, s);
  const trainW = regime !== 'decoder';
  const trainV = regime === 'decoder' || regime === 'joint';
  const P = (trainW ? m * d : 0) + (trainV ? d * m : 0);
  const J = new Float64Array(n * d * P);
  for (let a = 0; a < d; a++)
    for (let i = 0; i < n; i++) {
      const row = (a * n + i) * P;
      const z = (r: number) => f.Z[r * n + i]!;
      let off = 0;
      if (trainW) {
        for (let r = 0; r < m; r++)
          for (let c = 0; c < d; c++) {
            const A = z(r) >= 0 ? 1 : 0;
            let g = s * V[a * m + r]! * A * X[c * n + i]!;
            if (regime === 'tied' && a === c) g += s * Math.max(z(r), 0);
            J[row + r * d + c] = g;
          }
        off = m * d;
      }
      if (trainV) for (let r = 0; r < m; r++) J[row + off + a * m + r] = s * Math.max(z(r), 0);
    }
  return { J, P };
}

function jjt(J: Float64Array, N: number, P: number): Float64Array {
  const H = new Float64Array(N * N);
  for (let p = 0; p < N; p++)
    for (let q = 0; q < N; q++) {
      let acc = 0;
      for (let k = 0; k < P; k++) acc += J[p * P + k]! * J[q * P + k]!;
      H[p * N + q] = acc;
    }
  return H;
}

function traceOf(H: Float64Array, n: number, d: number): Float64Array {
  const N = n * d;
  const T = new Float64Array(n * n);
  for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) T[i * n + j]! += H[(a * n + i) * N + a * n + j]! / d;
  return T;
}

describe('fullEmpiricalNtk()', () => {
  for (const regime of ['weak', 'joint', 'decoder', 'tied'] as const) {
    it(`equals J Jᵀ of the explicit Jacobian (${regime}), and the traced kernel equals its output trace`, () => {
      const p = network(regime, 17);
      const { J, P } = explicitJacobian(p);
      const N = p.n * p.d;
      const ref = jjt(J, N, P);
      expect(relativeDifference(fullEmpiricalNtk(p, 64), ref)).toBeLessThan(ROUNDOFF_REL);
      expect(relativeDifference(tracedEmpiricalNtk(p), traceOf(ref, p.n, p.d))).toBeLessThan(ROUNDOFF_REL);
    });
  }

  it('the full and traced kernels equal J Jᵀ of the explicit Jacobian and its output trace across blocks of hidden units (m = 600, n = 13)', () => {
    // 600 hidden units: two blocks of 256 and a ragged one; 13 samples: a ragged 4-row tile of the Gram kernel.
    for (const regime of ['weak', 'joint', 'decoder', 'tied'] as const) {
      const p = { ...network(regime, 29, 3, 13, 600), etaW: 0.3, etaV: 0.7 };
      const { J, P } = explicitJacobian(p);
      const full = jjt(J, p.n * p.d, P);
      // Joint with η_V ≠ η_W weighs the decoder block by η_V/η_W: J Jᵀ's decoder part is the decoder-only J Jᵀ.
      if (regime === 'joint') {
        const { J: Jv, P: Pv } = explicitJacobian({ ...p, regime: 'decoder' });
        const dec = jjt(Jv, p.n * p.d, Pv);
        for (let k = 0; k < full.length; k++) full[k]! += (0.7 / 0.3 - 1) * dec[k]!;
      }
      expect(relativeDifference(fullEmpiricalNtk(p, 64), full)).toBeLessThan(ROUNDOFF_REL);
      expect(relativeDifference(tracedEmpiricalNtk(p), traceOf(full, p.n, p.d))).toBeLessThan(ROUNDOFF_REL);
    }
  });

  it('the explicit Jacobian matches central finite differences of the outputs (tied and joint)', () => {
    for (const regime of ['joint', 'tied'] as const) {
      const p = network(regime, 5, 2, 3, 4);
      const { J, P } = explicitJacobian(p);
      const { d, n, m } = p;
      const u = (W: Float64Array, V: Float64Array) => forward(W, V, p.X, { d, n, m }, p.scale).U;
      const fd = new Float64Array(n * d * P);
      const perturb = (k: number, h: number) => {
        const W = Float64Array.from(p.W);
        const V = Float64Array.from(p.V);
        if (k < m * d) {
          W[k]! += h;
          if (regime === 'tied') V[(k % d) * m + Math.floor(k / d)]! += h;
        } else V[k - m * d]! += h;
        return u(W, V);
      };
      for (let k = 0; k < P; k++) {
        const up = perturb(k, FD_STEP);
        const dn = perturb(k, -FD_STEP);
        for (let q = 0; q < n * d; q++) fd[q * P + k] = (up[q]! - dn[q]!) / (2 * FD_STEP);
      }
      expect(relativeDifference(J, fd)).toBeLessThan(FD_REL);
    }
  });

  it('has exactly zero cross-output blocks for the decoder kernel H^V = I_d ⊗ G', () => {
    const p = network('decoder', 3);
    const H = fullEmpiricalNtk(p, 64);
    const N = p.n * p.d;
    for (let a = 0; a < p.d; a++)
      for (let b = 0; b < p.d; b++) {
        if (a === b) continue;
        for (let i = 0; i < p.n; i++) for (let j = 0; j < p.n; j++) expect(H[(a * p.n + i) * N + b * p.n + j]).toBe(0);
      }
  });

  it('weights the blocks (η_W H^W + η_V H^V)/η_W when the step sizes differ', () => {
    const p = network('joint', 8);
    const Hw = fullEmpiricalNtk({ ...p, regime: 'weak' }, 64);
    const Hv = fullEmpiricalNtk({ ...p, regime: 'decoder' }, 64);
    const H = fullEmpiricalNtk({ ...p, etaW: 0.2, etaV: 0.5 }, 64);
    const ref = Hw.map((x, k) => x + 2.5 * Hv[k]!);
    expect(relativeDifference(H, ref)).toBeLessThan(ROUNDOFF_REL);
  });

  it('refuses up front above memoryLimitMiB with a too-large error naming the matrix', () => {
    const p = network('joint', 1, 3, 5, 4);
    const big = { ...p, n: 1000, d: 200, X: new Float64Array(200 * 1000), W: new Float64Array(4 * 200), V: new Float64Array(200 * 4) };
    let caught: unknown;
    try {
      empiricalNtk(big, { kind: 'full', memoryLimitMiB: 16 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkbenchException);
    expect((caught as WorkbenchException).code).toBe('too-large');
    expect((caught as WorkbenchException).message).toMatch(/full empirical NTK \(nd×nd\) needs ~\d+ MiB/);
  });
});

describe('tracedEmpiricalNtks()', () => {
  it('gives each untied regime the same kernel bit for bit as tracedEmpiricalNtk, from one pass (m = 600: blocks of hidden units)', () => {
    const { regime: _r, ...net } = network('joint', 31, 4, 13, 600);
    const all = tracedEmpiricalNtks(net, ['weak', 'decoder', 'joint']);
    expect([...all.keys()]).toEqual(['weak', 'decoder', 'joint']);
    for (const regime of ['weak', 'decoder', 'joint'] as const) {
      const one = tracedEmpiricalNtk({ ...net, regime });
      expect(Array.from(all.get(regime)!)).toEqual(Array.from(one));
      // A subset computes only the blocks it needs and gives the same kernels again.
      expect(Array.from(tracedEmpiricalNtks(net, [regime]).get(regime)!)).toEqual(Array.from(one));
    }
    // The regimes differ: weak + decoder = joint (η_V = η_W), to round-off, and neither block is zero.
    const w = all.get('weak')!;
    const dv = all.get('decoder')!;
    expect(
      relativeDifference(
        w.map((x, k) => x + dv[k]!),
        all.get('joint')!,
      ),
    ).toBeLessThan(ROUNDOFF_REL);
    expect(Math.min(...w.map(Math.abs).filter((_, k) => k % 14 === 0), ...dv.map(Math.abs).filter((_, k) => k % 14 === 0))).toBeGreaterThan(0);
  });

  it('refuses mis-shaped parameters by name', () => {
    const { regime: _r, ...net } = network('joint', 3);
    expect(() => tracedEmpiricalNtks({ ...net, W: net.W.subarray(1) }, ['weak'])).toThrow(/tracedEmpiricalNtks.*W/);
  });
});

describe('empiricalNtkMean()', () => {
  it('E[H(0)] → I_d ⊗ (ν²H_enc + κ²H_dec) with squared relative error ∝ 1/m (two widths, CLT bound)', () => {
    const d = 3;
    const n = 6;
    const X = new Float64Array(d * n);
    createRng(99, 0).fillNormal(X, 1);
    const kappa = 1.3;
    const nu = 0.7;
    const enc = infiniteKernel('enc', X, d, n);
    const dec = infiniteKernel('dec', X, d, n);
    const hInf = enc.map((e, k) => nu * nu * e + kappa * kappa * dec[k]!);
    const N = n * d;
    const target = new Float64Array(N * N);
    for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) target[(a * n + i) * N + a * n + j] = hInf[i * n + j]!;
    const seedsPerWidth = 24;
    // H(0) is a mean of m i.i.d. per-neuron kernels, so E‖H − EH‖_F² = c/m exactly: m·err² has the same
    // mean c at every width. Compare the two sample means of m·err² within 4 combined standard errors.
    const stats = [40, 640].map((m) => {
      const v: number[] = [];
      for (let k = 0; k < seedsPerWidth; k++) {
        const seed = 1000 * m + k;
        const H = empiricalNtkMean({ X, d, n, m, regime: 'joint', init: 'gaussian', kappa, nu, scaling: 'ntk', kind: 'full', seeds: [seed] });
        v.push(m * relativeDifference(H, target) ** 2);
      }
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
      return { mean, se: sd / Math.sqrt(v.length) };
    });
    const [a, b] = stats as [{ mean: number; se: number }, { mean: number; se: number }];
    expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * Math.hypot(a.se, b.se));
    // And the error itself shrinks: 16× the width gives 1/4 of the RMS error (up to the same CLT slack).
    expect(b.mean / 640).toBeLessThan(a.mean / 40);
  });

  it('averaging S seeds divides the squared error by S (mean of seeds vs single draws)', () => {
    const d = 2;
    const n = 5;
    const m = 30;
    const X = new Float64Array(d * n);
    createRng(7, 0).fillNormal(X, 1);
    const hInf = infiniteKernel('enc', X, d, n);
    const seeds = Array.from({ length: 64 }, (_, k) => k + 1);
    const single = seeds.map(
      (s) =>
        relativeDifference(
          empiricalNtkMean({ X, d, n, m, regime: 'weak', init: 'gaussian', kappa: 1, nu: 1, scaling: 'ntk', kind: 'traced', seeds: [s] }),
          hInf,
        ) ** 2,
    );
    const c = single.reduce((s, x) => s + x, 0) / single.length;
    const meanErr2 =
      relativeDifference(empiricalNtkMean({ X, d, n, m, regime: 'weak', init: 'gaussian', kappa: 1, nu: 1, scaling: 'ntk', kind: 'traced', seeds }), hInf) ** 2;
    // E[meanErr2] = c/S; a χ²-like quantity with many degrees of freedom stays below 4× its mean.
    expect(meanErr2).toBeLessThan((4 * c) / seeds.length);
    expect(meanErr2).toBeGreaterThan(c / seeds.length / 20);
  });
});
