import { describe, expect, it } from 'vitest';
import { infiniteKernel, infiniteKernels, regimeKernel, sharedInfiniteKernels } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { createRng } from '../../../../../src/main/engine/random';
import { symmetricEigenFallback } from './eigenHelper';

/** |z| above this fails a Monte-Carlo check (≈ 6e-7 per check under the null). */
const Z_MAX = 5;
/** Monte-Carlo draws per check. */
const N_MC = 200_000;
/** Round-off tolerance for exact properties in float64. */
const EXACT = 1e-14;

/** Columns → X [d, n] row-major. */
function fromColumns(cols: number[][]): { X: Float64Array; d: number; n: number } {
  const n = cols.length;
  const d = cols[0]!.length;
  const X = new Float64Array(d * n);
  cols.forEach((c, i) => c.forEach((v, a) => (X[a * n + i] = v)));
  return { X, d, n };
}

/**
 * Monte-Carlo means and standard errors of 1[wᵀx ≥ 0]1[wᵀy ≥ 0]·xᵀy and σ(wᵀx)σ(wᵀy) over w ~ N(0, I_d).
 */
function monteCarlo(x: number[], y: number[], seed: number) {
  const d = x.length;
  const rng = createRng(seed, 5);
  const w = new Float64Array(d);
  const xy = x.reduce((s, v, a) => s + v * y[a]!, 0);
  let se = 0,
    se2 = 0,
    sd = 0,
    sd2 = 0;
  for (let t = 0; t < N_MC; t++) {
    rng.fillNormal(w, 1);
    let zx = 0,
      zy = 0;
    for (let a = 0; a < d; a++) {
      zx += w[a]! * x[a]!;
      zy += w[a]! * y[a]!;
    }
    const e = zx >= 0 && zy >= 0 ? xy : 0;
    const h = Math.max(zx, 0) * Math.max(zy, 0);
    se += e;
    se2 += e * e;
    sd += h;
    sd2 += h * h;
  }
  const stat = (s: number, s2: number) => {
    const mean = s / N_MC;
    const variance = Math.max(0, s2 / N_MC - mean * mean);
    return { mean, se: Math.sqrt(variance / N_MC) };
  };
  return { enc: stat(se, se2), dec: stat(sd, sd2) };
}

function kernelPair(x: number[], y: number[]) {
  const { X, d } = fromColumns([x, y]);
  const k = infiniteKernels(X, d, 2);
  return { enc: k.enc[1]!, dec: k.dec[1]!, encDiag: k.enc[0]!, decDiag: k.dec[0]! };
}

function expectWithinCLT(closed: number, mc: { mean: number; se: number }, what: string) {
  // The additive 1e-12 covers degenerate pairs whose Monte-Carlo variance is exactly 0.
  const bound = Z_MAX * mc.se + 1e-12;
  expect(Math.abs(mc.mean - closed), `${what}: closed ${closed}, MC ${mc.mean} ± ${mc.se}`).toBeLessThanOrEqual(bound);
}

describe('infiniteKernel() against Monte Carlo (SPEC §5.4, §11a)', () => {
  const d = 6;
  const u = [1, 0, 0, 0, 0, 0];
  const v = [0.3, -0.5, 0.2, 0.7, -0.1, 0.35];
  const cases: [string, number[], number[]][] = [
    ['unit pair', u, v.map((t) => t / Math.hypot(...v))],
    ['non-unit pair', [2, 0.5, -1, 0, 0.3, 0.1], [-0.4, 1.5, 0.2, 0.9, 0, -2]],
    ['near-parallel pair', [1, 2, 3, 0, 0, 0], [1, 2, 3.01, 0.01, 0, 0]],
    ['anti-parallel pair', [1, -2, 0.5, 0, 1, 0], [-2, 4, -1, 0, -2, 0]],
    ['orthogonal pair', u, [0, 3, 0, 0, 0, 0]],
    ['diagonal', v, v],
  ];
  cases.forEach(([name, x, y], idx) => {
    it(`matches the Monte-Carlo mean for a ${name}`, () => {
      expect(x.length).toBe(d);
      const closed = kernelPair(x, y);
      const mc = monteCarlo(x, y, 100 + idx);
      expectWithinCLT(closed.enc, mc.enc, `${name} H_enc`);
      expectWithinCLT(closed.dec, mc.dec, `${name} H_dec`);
    });
  });

  it('E[w σ(wᵀx)] = x/2 (SPEC §7.6 D1) within CLT bounds per coordinate', () => {
    const x = [0.5, -1, 2, 0, 0.25, 1];
    const rng = createRng(77, 5);
    const w = new Float64Array(x.length);
    const s = new Float64Array(x.length);
    const s2 = new Float64Array(x.length);
    for (let t = 0; t < N_MC; t++) {
      rng.fillNormal(w, 1);
      let z = 0;
      for (let a = 0; a < x.length; a++) z += w[a]! * x[a]!;
      const r = Math.max(z, 0);
      for (let a = 0; a < x.length; a++) {
        const v = w[a]! * r;
        s[a]! += v;
        s2[a]! += v * v;
      }
    }
    for (let a = 0; a < x.length; a++) {
      const mean = s[a]! / N_MC;
      const se = Math.sqrt((s2[a]! / N_MC - mean * mean) / N_MC);
      expect(Math.abs(mean - x[a]! / 2)).toBeLessThanOrEqual(Z_MAX * se);
    }
  });
});

describe('infiniteKernel() exact properties (SPEC §5.4)', () => {
  const rng = createRng(3, 0);
  const d = 5;
  const n = 12;
  const X = new Float64Array(d * n);
  rng.fillNormal(X, 1);
  // Column 3 is the negative of column 1 scaled, column 5 is zero, column 7 is parallel to column 2.
  for (let a = 0; a < d; a++) {
    X[a * n + 3] = -2.5 * X[a * n + 1]!;
    X[a * n + 5] = 0;
    X[a * n + 7] = 0.3 * X[a * n + 2]!;
  }
  const enc = infiniteKernel('enc', X, d, n);
  const dec = infiniteKernel('dec', X, d, n);

  it('is exactly symmetric with diagonal ‖x‖²/2', () => {
    for (let i = 0; i < n; i++) {
      let nrm2 = 0;
      for (let a = 0; a < d; a++) nrm2 += X[a * n + i]! ** 2;
      expect(enc[i * n + i]).toBeCloseTo(nrm2 / 2, 13);
      expect(dec[i * n + i]).toBeCloseTo(nrm2 / 2, 13);
      for (let j = 0; j < n; j++) {
        expect(enc[i * n + j]).toBe(enc[j * n + i]);
        expect(dec[i * n + j]).toBe(dec[j * n + i]);
      }
    }
  });

  it('has H_dec ≥ H_enc entrywise, zeros for anti-parallel pairs and zero vectors', () => {
    for (let k = 0; k < n * n; k++) expect(dec[k]! - enc[k]!).toBeGreaterThanOrEqual(-EXACT);
    expect(Math.abs(enc[1 * n + 3]!)).toBeLessThan(EXACT);
    expect(Math.abs(dec[1 * n + 3]!)).toBeLessThan(EXACT);
    for (let j = 0; j < n; j++) {
      expect(enc[5 * n + j]).toBe(0);
      expect(dec[5 * n + j]).toBe(0);
    }
  });

  it('treats parallel pairs as angle 0: H = ‖x‖‖y‖/2', () => {
    let n2 = 0,
      n7 = 0;
    for (let a = 0; a < d; a++) {
      n2 += X[a * n + 2]! ** 2;
      n7 += X[a * n + 7]! ** 2;
    }
    const expected = Math.sqrt(n2 * n7) / 2;
    expect(enc[2 * n + 7]! / expected).toBeCloseTo(1, 13);
    expect(dec[2 * n + 7]! / expected).toBeCloseTo(1, 13);
  });

  it('gives H_enc = 0 and H_dec = ‖x‖‖y‖/(2π) for orthogonal inputs', () => {
    const { X: O, d: dO } = fromColumns([
      [2, 0, 0],
      [0, 3, 0],
    ]);
    expect(infiniteKernel('enc', O, dO, 2)[1]).toBe(0);
    expect(infiniteKernel('dec', O, dO, 2)[1]).toBeCloseTo(6 / (2 * Math.PI), 15);
  });

  it('resolves tiny angles stably (no arccos cancellation)', () => {
    const eps = 1e-9;
    const { X: P, d: dP } = fromColumns([
      [1, 0],
      [Math.cos(eps), Math.sin(eps)],
    ]);
    const enc = infiniteKernel('enc', P, dP, 2)[1]!;
    const dec = infiniteKernel('dec', P, dP, 2)[1]!;
    // arccos(cos ε) would be off by ~1e-8 here, moving H_enc by ~2e-9.
    expect(Math.abs(enc - (Math.cos(eps) * (Math.PI - eps)) / (2 * Math.PI))).toBeLessThan(EXACT);
    // H_dec − H_enc = sin θ/(2π) for unit inputs.
    expect((dec - enc) / (Math.sin(eps) / (2 * Math.PI))).toBeCloseTo(1, 5);
  });

  it('computes cross-kernels to test inputs with the same formula', () => {
    const Y = new Float64Array(d * 3);
    createRng(4, 1).fillNormal(Y, 1);
    const both = new Float64Array(d * (n + 3));
    for (let a = 0; a < d; a++) {
      for (let i = 0; i < n; i++) both[a * (n + 3) + i] = X[a * n + i]!;
      for (let j = 0; j < 3; j++) both[a * (n + 3) + n + j] = Y[a * 3 + j]!;
    }
    const full = infiniteKernel('dec', both, d, n + 3);
    const cross = infiniteKernel('dec', X, d, n, Y, 3);
    expect(cross.length).toBe(n * 3);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) expect(cross[i * 3 + j]).toBeCloseTo(full[i * (n + 3) + n + j]!, 14);
  });

  it('checks shapes', () => {
    expect(() => infiniteKernel('enc', new Float64Array(5), 2, 3)).toThrow(/X has 5 entries, expected 6/);
  });
  it('sharedInfiniteKernels() gives infiniteKernels() of X with itself bit for bit, in shared memory', () => {
    const here = infiniteKernels(X, d, n);
    const shared = sharedInfiniteKernels(X, d, n);
    expect(shared.enc.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.dec.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(here.enc.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(shared.enc)).toEqual(Array.from(here.enc));
    expect(Array.from(shared.dec)).toEqual(Array.from(here.dec));
  });
});

describe('regimeKernel()', () => {
  const d = 4;
  const n = 10;
  const X = new Float64Array(d * n);
  createRng(8, 0).fillNormal(X, 1);
  const opts = { kappa: 0.7, nu: 1.3 };
  const enc = infiniteKernel('enc', X, d, n);
  const dec = infiniteKernel('dec', X, d, n);

  it('is ν²H_enc (weak), κ²H_dec (decoder), ν²H_enc + κ²H_dec (joint)', () => {
    const weak = regimeKernel('weak', X, d, n, opts);
    const decoder = regimeKernel('decoder', X, d, n, opts);
    const joint = regimeKernel('joint', X, d, n, opts);
    for (let k = 0; k < n * n; k++) {
      expect(weak[k]).toBeCloseTo(1.69 * enc[k]!, 14);
      expect(decoder[k]).toBeCloseTo(0.49 * dec[k]!, 14);
      expect(joint[k]).toBeCloseTo(1.69 * enc[k]! + 0.49 * dec[k]!, 14);
    }
  });

  it('satisfies λ_J ≥ ν²λ₀ + κ²λ_dec (Weyl) and is positive semi-definite', () => {
    const l0 = symmetricEigenFallback(enc, n)[0]!;
    const ld = symmetricEigenFallback(dec, n)[0]!;
    const lj = symmetricEigenFallback(regimeKernel('joint', X, d, n, opts), n)[0]!;
    expect(l0).toBeGreaterThan(-EXACT);
    expect(ld).toBeGreaterThan(-EXACT);
    expect(lj).toBeGreaterThanOrEqual(1.69 * l0 + 0.49 * ld - 1e-12);
  });

  it('refuses the weight-tied regime with invalid-request', () => {
    expect(() => regimeKernel('tied', X, d, n, opts)).toThrow(expect.objectContaining({ code: 'invalid-request' }));
  });
});
