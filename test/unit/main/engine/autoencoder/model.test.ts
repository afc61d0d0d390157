import { describe, expect, it } from 'vitest';
import { forward, forwardOutputs, gdStep, gradients, lossOf, outputScale, tiedGradient } from '../../../../../src/main/engine/autoencoder/model';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { createRng } from '../../../../../src/main/engine/random';

/** Central finite differences have O(h²) truncation error; with h = 1e-5 and O(1) curvature this is ≲ 1e-8. */
const FD_STEP = 1e-5;
const FD_REL_TOL = 1e-6;

function setup(seed: number, d = 3, n = 4, m = 6) {
  const rng = createRng(seed, 9);
  const X = new Float64Array(d * n);
  rng.fillNormal(X, 1);
  const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1, nu: 1, tied: false }, createRng(seed, 2));
  return { X, W, V, dims: { d, n, m } };
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++) {
    num += (a[k]! - b[k]!) ** 2;
    den += b[k]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

describe('forwardOutputs()', () => {
  it('is bit for bit forward().U: gaussian and antisymmetric inits, odd widths, zero decoder weights', () => {
    for (const [seed, d, n, m] of [
      [1, 3, 4, 6],
      [2, 5, 1, 7],
      [3, 10, 8, 301],
    ] as const) {
      const { X, W, V, dims } = setup(seed, d, n, m);
      V[0] = 0;
      const s = outputScale('ntk', m);
      expect(Array.from(forwardOutputs(W, V, X, dims, s))).toEqual(Array.from(forward(W, V, X, dims, s).U));
    }
    // antisymmetric: the two halves cancel exactly, in both
    const d = 4;
    const n = 5;
    const m = 40;
    const X = new Float64Array(d * n);
    createRng(4, 9).fillNormal(X, 1);
    const { W, V } = initParams({ m, d, init: 'antisymmetric', kappa: 1, nu: 1, tied: false }, createRng(4, 2));
    const U = forwardOutputs(W, V, X, { d, n, m }, outputScale('ntk', m));
    expect(Array.from(U)).toEqual(Array.from(forward(W, V, X, { d, n, m }, outputScale('ntk', m)).U));
    expect(U.every((u) => u === 0)).toBe(true);
  });

  it('checks the shapes like forward()', () => {
    const { X, W, V } = setup(1);
    expect(() => forwardOutputs(W, V, X, { d: 3, n: 5, m: 6 }, 1)).toThrow(/forwardOutputs.*X/);
  });
});

describe('gradients()', () => {
  it('matches central finite differences of the loss in W and V (both loss normalizations)', () => {
    for (const lossWeight of [1, 1 / 4]) {
      const { X, W, V, dims } = setup(3);
      const s = outputScale('ntk', dims.m);
      const L = (w: Float64Array, v: Float64Array) => lossOf(forward(w, v, X, dims, s).U, X, lossWeight);
      const g = gradients(W, V, X, dims, s, lossWeight);
      expect(g.loss).toBeCloseTo(L(W, V), 12);
      const fdW = new Float64Array(W.length);
      for (let k = 0; k < W.length; k++) {
        const p = Float64Array.from(W);
        const q = Float64Array.from(W);
        p[k]! += FD_STEP;
        q[k]! -= FD_STEP;
        fdW[k] = (L(p, V) - L(q, V)) / (2 * FD_STEP);
      }
      const fdV = new Float64Array(V.length);
      for (let k = 0; k < V.length; k++) {
        const p = Float64Array.from(V);
        const q = Float64Array.from(V);
        p[k]! += FD_STEP;
        q[k]! -= FD_STEP;
        fdV[k] = (L(W, p) - L(W, q)) / (2 * FD_STEP);
      }
      expect(relErr(g.gW, fdW)).toBeLessThan(FD_REL_TOL);
      expect(relErr(g.gV, fdV)).toBeLessThan(FD_REL_TOL);
    }
  });

  it('matches finite differences for mean-field scaling', () => {
    const { X, W, V, dims } = setup(5);
    const s = outputScale('mean-field', dims.m);
    const L = (v: Float64Array) => lossOf(forward(W, v, X, dims, s).U, X, 1);
    const g = gradients(W, V, X, dims, s, 1);
    const fdV = new Float64Array(V.length);
    for (let k = 0; k < V.length; k++) {
      const p = Float64Array.from(V);
      const q = Float64Array.from(V);
      p[k]! += FD_STEP;
      q[k]! -= FD_STEP;
      fdV[k] = (L(p) - L(q)) / (2 * FD_STEP);
    }
    expect(relErr(g.gV, fdV)).toBeLessThan(FD_REL_TOL);
  });
});

describe('tiedGradient()', () => {
  it('equals finite differences of L(W, Wᵀ) in W', () => {
    const d = 3;
    const n = 4;
    const m = 6;
    const dims = { d, n, m };
    const X = new Float64Array(d * n);
    createRng(1, 9).fillNormal(X, 1);
    const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1, nu: 1, tied: true }, createRng(1, 2));
    const s = outputScale('ntk', m);
    const tr = (w: Float64Array) => {
      const v = new Float64Array(d * m);
      for (let r = 0; r < m; r++) for (let a = 0; a < d; a++) v[a * m + r] = w[r * d + a]!;
      return v;
    };
    const L = (w: Float64Array) => lossOf(forward(w, tr(w), X, dims, s).U, X, 1);
    const g = gradients(W, V, X, dims, s, 1);
    const gt = tiedGradient(g.gW, g.gV, m, d);
    const fd = new Float64Array(W.length);
    for (let k = 0; k < W.length; k++) {
      const p = Float64Array.from(W);
      const q = Float64Array.from(W);
      p[k]! += FD_STEP;
      q[k]! -= FD_STEP;
      fd[k] = (L(p) - L(q)) / (2 * FD_STEP);
    }
    expect(relErr(gt, fd)).toBeLessThan(FD_REL_TOL);
  });
});

describe('gdStep()', () => {
  it('moves only the trained layer in each regime and keeps V = Wᵀ when tied', () => {
    const { X, W, V, dims } = setup(7);
    const base = { scale: outputScale('ntk', dims.m), etaW: 0.01, etaV: 0.02, lossWeight: 1 };
    const weak = gdStep(W, V, X, dims, { ...base, regime: 'weak' });
    expect(weak.V).toEqual(V);
    expect(weak.W).not.toEqual(W);
    const dec = gdStep(W, V, X, dims, { ...base, regime: 'decoder' });
    expect(dec.W).toEqual(W);
    expect(dec.V).not.toEqual(V);
    const joint = gdStep(W, V, X, dims, { ...base, regime: 'joint' });
    expect(joint.W).toEqual(weak.W);
    expect(joint.V).toEqual(dec.V);
    const T = initParams({ m: dims.m, d: dims.d, init: 'gaussian', kappa: 1, nu: 1, tied: true }, createRng(7, 2));
    const tied = gdStep(T.W, T.V, X, dims, { ...base, regime: 'tied' });
    for (let r = 0; r < dims.m; r++) for (let a = 0; a < dims.d; a++) expect(tied.V[a * dims.m + r]).toBe(tied.W[r * dims.d + a]);
  });

  it('decoder-only GD equals E(0)(I − ηG)^k to round-off (SPEC §5.2, Prop. C)', () => {
    const { X, W, V, dims } = setup(11, 3, 5, 40);
    const { d, n } = dims;
    const s = outputScale('ntk', dims.m);
    const f0 = forward(W, V, X, dims, s);
    const G = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let r = 0; r < dims.m; r++) acc += f0.S[r * n + i]! * f0.S[r * n + j]!;
        G[i * n + j] = s * s * acc;
      }
    const eta = 0.3;
    let E = new Float64Array(d * n);
    for (let k = 0; k < d * n; k++) E[k] = f0.U[k]! - X[k]!;
    let w = W;
    let v = V;
    const steps = 25;
    for (let k = 0; k < steps; k++) {
      const r = gdStep(w, v, X, dims, { regime: 'decoder', scale: s, etaW: eta, etaV: eta, lossWeight: 1 });
      w = r.W;
      v = r.V;
      const En = new Float64Array(d * n);
      for (let a = 0; a < d; a++)
        for (let j = 0; j < n; j++) {
          let acc = E[a * n + j]!;
          for (let i = 0; i < n; i++) acc -= eta * E[a * n + i]! * G[i * n + j]!;
          En[a * n + j] = acc;
        }
      E = En;
    }
    const U = forward(w, v, X, dims, s).U;
    const Eg = new Float64Array(d * n);
    for (let k = 0; k < d * n; k++) Eg[k] = U[k]! - X[k]!;
    // Round-off accumulates like steps·ε relative to the initial residual.
    expect(relErr(Eg, E)).toBeLessThan(1e-12);
  });
});
