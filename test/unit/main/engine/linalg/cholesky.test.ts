import { describe, expect, it } from 'vitest';
import { CHOLESKY_GEMM_MIN_N, choleskySolver, choleskyUpperBlocked } from '../../../../../src/main/engine/linalg/cholesky';
import { createSimdCholeskySolve } from '../../../../../src/main/engine/linalg/simdTriangular';
import { choleskyLower, choleskySolve } from './reference';
import { syrkUpperFromRows } from '../../../../../src/main/engine/linalg/syr2k';
import { installFloat64Gemm, type Float64Gemm } from '../../../../../src/main/engine/linalg';
import { matmul } from '../../../../../src/main/engine/linalg/dense';
import { loadSyncFloat64Gemm } from '../../../../../src/main/engine/backends/float64Matmul';

/** Both factorizations are backward stable: entries agree to a few ulps of the largest entry of U. */
const FACTOR_TOL = 1e-13;

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/** A = GᵀG/m + δI for G [m, n] uniform: symmetric positive definite, condition controlled by δ. */
function spd(n: number, m: number, delta: number, seed: number): Float64Array {
  const r = lcg(seed);
  const g = Float64Array.from({ length: m * n }, r);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let p = 0; p < m; p++) s += g[p * n + i]! * g[p * n + j]!;
      a[i * n + j] = s / m + (i === j ? delta : 0);
      a[j * n + i] = a[i * n + j]!;
    }
  }
  return a;
}

/** U [n, n] is zero below its diagonal and equals Lᵀ to a few ulps of its largest entry. */
function expectTransposeOf(u: Float64Array, l: Float64Array, n: number): void {
  let maxU = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      maxU = Math.max(maxU, Math.abs(u[i * n + j]!));
      diff = Math.max(diff, Math.abs(u[i * n + j]! - l[j * n + i]!));
      if (j < i) expect(u[i * n + j]).toBe(0);
    }
  }
  expect(diff).toBeLessThan(FACTOR_TOL * maxU);
}

/** choleskySolver(a, n, sigma) solves three right-hand sides bit for bit as the SIMD solve on the factor u. */
function expectSameSolves(a: Float64Array, n: number, sigma: number, u: Float64Array, seed: number): void {
  const viaCopy = createSimdCholeskySolve(u, n);
  const inPlace = choleskySolver(a, n, sigma)!;
  const r = lcg(seed);
  for (let t = 0; t < 3; t++) {
    const b = Float64Array.from({ length: n }, r);
    const x1 = new Float64Array(b);
    const x2 = new Float64Array(b);
    viaCopy.solve(x1);
    inPlace.solve(x2);
    expect(Array.from(x2)).toEqual(Array.from(x1));
  }
  viaCopy.release();
  inPlace.release();
}

describe('choleskyUpperBlocked()', () => {
  // 150 and 193: several panels of 64 plus a ragged last panel and micro-kernel edge blocks.
  it.each([5, 64, 150, 193])('equals the transpose of the unblocked lower factor at n = %i', (n) => {
    const a = spd(n, n + 20, 0.05, n);
    expectTransposeOf(choleskyUpperBlocked(a, n)!, choleskyLower(a, n)!, n);
  });

  it('reconstructs A − σI as UᵀU and solves (A − σI)x = b to a small backward error', () => {
    const n = 170;
    const sigma = -0.3;
    const a = spd(n, 60, 0, 7); // rank 60: singular, made definite by the negative shift
    const u = choleskyUpperBlocked(a, n, sigma)!;
    let err = 0;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p <= Math.min(i, j); p++) s += u[p * n + i]! * u[p * n + j]!;
        const want = a[i * n + j]! - (i === j ? sigma : 0);
        err = Math.max(err, Math.abs(s - want));
        norm = Math.max(norm, Math.abs(want));
      }
    }
    expect(err).toBeLessThan(1e-14 * n * norm);
    const r = lcg(3);
    const b = Float64Array.from({ length: n }, r);
    const x = new Float64Array(b);
    const solver = createSimdCholeskySolve(u, n);
    solver.solve(x);
    solver.release();
    let res = 0;
    let bn = 0;
    for (let i = 0; i < n; i++) {
      let s = -sigma * x[i]!;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j]!;
      res = Math.max(res, Math.abs(s - b[i]!));
      bn = Math.max(bn, Math.abs(b[i]!));
    }
    expect(res).toBeLessThan(1e-12 * bn);
    const xl = new Float64Array(b);
    choleskySolve(choleskyLower(a, n, sigma)!, n, xl);
    for (let i = 0; i < n; i++) expect(Math.abs(x[i]! - xl[i]!)).toBeLessThan(1e-10 * Math.max(1, Math.abs(xl[i]!)));
  });

  it('returns null for an indefinite or singular matrix instead of a factor with NaNs', () => {
    const n = 100;
    const a = spd(n, n + 10, 0.01, 11);
    expect(choleskyUpperBlocked(a, n, 1e3)).toBeNull();
    expect(choleskyUpperBlocked(spd(n, 30, 0, 5), n)).toBeNull();
  });

  it('stops when the cancellation flag is raised and rejects bad shapes by name', () => {
    const n = 130;
    const a = spd(n, n, 0.1, 2);
    expect(() => choleskyUpperBlocked(a, n, 0, { aborted: true })).toThrow(/cancelled/);
    expect(() => choleskyUpperBlocked(a, n + 1)).toThrow(/a has 16900 entries, expected 17161 for shape \[131, 131\]/);
    expect(() => createSimdCholeskySolve(new Float64Array(4), 2).solve(new Float64Array(3))).toThrow(/b has shape \[3\]/);
  });
});

describe('choleskySolver()', () => {
  it.each([7, 150, 193])('solves bit for bit as createSimdCholeskySolve on choleskyUpperBlocked at n = %i, shifted or not', (n) => {
    const a = spd(n, n + 20, 0.05, 40 + n);
    for (const sigma of [0, -0.2]) {
      expectSameSolves(a, n, sigma, choleskyUpperBlocked(a, n, sigma)!, n);
    }
  });

  it('gives null without a factor, stops when cancelled, and hands its kernel back either way', () => {
    const n = 100;
    const a = spd(n, n + 10, 0.01, 11);
    expect(choleskySolver(a, n, 1e3)).toBeNull();
    expect(() => choleskySolver(a, n, 0, { aborted: true })).toThrow(/cancelled/);
    expect(() => choleskySolver(a, n + 1)).toThrow(/a has 10000 entries, expected 10201 for shape \[101, 101\]/);
    // The kernels went back: a solver made now works, and after release() its solves are refused.
    const s = choleskySolver(a, n)!;
    const x = new Float64Array(n).fill(1);
    s.solve(x);
    expect(x.every(Number.isFinite)).toBe(true);
    s.release();
    expect(() => s.solve(x)).toThrow(/after release/);
  });
});

describe('syrkUpperFromRows()', () => {
  it('subtracts PᵀP on the upper triangle only, matching the naive triple loop', () => {
    const ld = 23;
    const r = lcg(9);
    const c = Float64Array.from({ length: ld * ld }, r);
    const before = new Float64Array(c);
    const u = Float64Array.from({ length: ld * ld }, r);
    const r0 = 3;
    const m = 18; // not a multiple of the 4-row micro-kernel
    const p0 = 2;
    const kb = 7;
    syrkUpperFromRows(c, ld, r0, m, u, ld, p0, kb);
    for (let i = 0; i < ld; i++) {
      for (let j = 0; j < ld; j++) {
        const inside = i >= r0 && j >= r0 && i < r0 + m && j < r0 + m && j >= i;
        let want = before[i * ld + j]!;
        if (inside) for (let p = 0; p < kb; p++) want -= u[(p0 + p) * ld + i]! * u[(p0 + p) * ld + j]!;
        expect(Math.abs(c[i * ld + j]! - want)).toBeLessThan(1e-14);
      }
    }
  });
});

describe('the Cholesky factor with a fast float64 product installed (issue 13)', () => {
  // From CHOLESKY_GEMM_MIN_N on the trailing updates go to the installed product (onnxruntime's in the engine's
  // threads). Two products: the reference matmul (always here) and onnxruntime's where it loads.
  const n = CHOLESKY_GEMM_MIN_N + 37;
  const a = spd(n, 40, 0.02, 5);
  const reference: Float64Gemm = (x, y, m, k, c, out, add) => {
    const p = matmul(x, y, m, k, c);
    for (let i = 0; i < out.length; i++) out[i] = p[i]! + (add?.[i] ?? 0);
  };
  const onnx = loadSyncFloat64Gemm(1);
  if (onnx === null) console.log('[skip] onnxruntime-node does not load here: the factor is checked with the reference product only');
  const products: [string, Float64Gemm][] = [['reference', reference], ...(onnx !== null ? [['onnxruntime', onnx] as [string, Float64Gemm]] : [])];

  it.each(products)('equals the unblocked factor with the %s product, which does the trailing updates', (_name, product) => {
    const calls: [number, number, number][] = [];
    installFloat64Gemm(() => (x, y, m, k, c, out, add) => {
      calls.push([m, k, c]);
      product(x, y, m, k, c, out, add);
    });
    try {
      for (const sigma of [0, -0.1]) {
        calls.length = 0;
        const u = choleskyUpperBlocked(a, n, sigma)!;
        expectTransposeOf(u, choleskyLower(sigma === 0 ? a : a.map((v, k) => (k % (n + 1) === 0 ? v - sigma : v)), n)!, n);
        // Every panel but the last downdates its trailing matrix (r rows) through the product, row block by row
        // block, each block from its diagonal on (its product's width: r less the rows above it): per panel the
        // blocks' rows add up to r, the first block's width, and the panels' r step down by the panel height.
        const panels: { r: number; rows: number }[] = [];
        for (const [m, , c] of calls) {
          const last = panels.at(-1);
          if (last === undefined || last.rows === last.r) panels.push({ r: c, rows: m });
          else {
            expect(c).toBe(last.r - last.rows);
            last.rows += m;
          }
        }
        expect(panels.length).toBeGreaterThan(3);
        for (const p of panels) expect(p.rows).toBe(p.r);
        const height = panels[0]!.r - panels[1]!.r;
        expect(panels.map((p) => p.r)).toEqual(panels.map((_, i) => n - height * (i + 1)));
        expect(panels.at(-1)!.r).toBeLessThanOrEqual(height);
        // The solver factors in its own memory the same way: its solves match the factor's.
        expectSameSolves(a, n, sigma, u, 3);
      }
    } finally {
      installFloat64Gemm(null);
    }
  });

  it('below CHOLESKY_GEMM_MIN_N the product is not asked for', () => {
    let asked = 0;
    installFloat64Gemm(() => {
      asked++;
      return reference;
    });
    try {
      const m = CHOLESKY_GEMM_MIN_N - 1;
      expect(choleskyUpperBlocked(spd(m, 30, 0.02, 9), m)).not.toBeNull();
      expect(asked).toBe(0);
    } finally {
      installFloat64Gemm(null);
    }
  });
});
