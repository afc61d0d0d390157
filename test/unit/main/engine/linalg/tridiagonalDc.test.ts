import { afterEach, describe, expect, it } from 'vitest';
import { tridiagonalDc } from '../../../../../src/main/engine/linalg/tridiagonalDc';
import { fastFloat64Gemm, installFloat64Gemm, matmulFast, type Float64Gemm } from '../../../../../src/main/engine/linalg/fastGemm';
import { tridiagonalQl } from '../../../../../src/main/engine/linalg/tridiagonalQl';
import { householderTridiagonalVectors } from '../../../../../src/main/engine/linalg/householderTridiagonal';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import { loadSyncFloat64Gemm } from '../../../../../src/main/engine/backends/float64Matmul';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import { lcg } from './lcg';

const EPS = 2 ** -52;

/** The product by its definition (i-k-j loops), counting its calls: the merges must run in the product given. */
function plainGemm(): Float64Gemm & { calls: number } {
  const f = ((a, b, m, k, n, out, c) => {
    f.calls++;
    for (let i = 0; i < m; i++) {
      const row = new Float64Array(n);
      if (c !== undefined) row.set(c.subarray(i * n, i * n + n));
      for (let p = 0; p < k; p++) {
        const x = a[i * k + p]!;
        for (let j = 0; j < n; j++) row[j]! += x * b[p * n + j]!;
      }
      out.set(row, i * n);
    }
  }) as Float64Gemm & { calls: number };
  f.calls = 0;
  return f;
}

/** d, e (e[i] = T[i, i−1]) of a family of test tridiagonals. */
function family(name: string, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const r = lcg(n * 7 + name.length);
  for (let i = 0; i < n; i++) {
    switch (name) {
      case 'random':
        d[i] = r();
        e[i] = r();
        break;
      case 'toeplitz':
        d[i] = 2;
        e[i] = 1;
        break;
      case 'wilkinson':
        // W⁺: pairs of eigenvalues equal to many digits.
        d[i] = Math.abs(i - (n - 1) / 2);
        e[i] = 1;
        break;
      case 'glued-wilkinson': {
        // Copies of W⁺₂₁ glued by 1e-10: clusters of near-equal eigenvalues across the blocks.
        const j = i % 21;
        d[i] = Math.abs(j - 10);
        e[i] = j === 0 ? 1e-10 : 1;
        break;
      }
      case 'split':
        // Exact zeros in e: independent blocks (ρ = 0 merges).
        d[i] = (i % 5) + r();
        e[i] = i % 9 === 0 ? 0 : r();
        break;
      case 'repeated':
        // Many equal diagonal entries with tiny couplings: nearly everything deflates.
        d[i] = i % 3;
        e[i] = i % 4 === 0 ? 0 : 1e-14;
        break;
      case 'graded':
        d[i] = 10 ** -(i % 12);
        e[i] = 10 ** -((i + 5) % 12);
        break;
      default:
        throw new Error(name);
    }
  }
  return { d, e };
}

/** max |T z_j − λ_j z_j| / ‖T‖₁ and max |Z Zᵀ − I| for eigenvectors as rows. */
function quality(d: Float64Array, e: Float64Array, values: Float64Array, rows: Float64Array): { residual: number; orthogonality: number } {
  const n = d.length;
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i]!) + (i + 1 < n ? Math.abs(e[i + 1]!) : 0));
  let residual = 0;
  let orthogonality = 0;
  for (let j = 0; j < n; j++) {
    const z = rows.subarray(j * n, j * n + n);
    for (let i = 0; i < n; i++) {
      let t = d[i]! * z[i]!;
      if (i > 0) t += e[i]! * z[i - 1]!;
      if (i + 1 < n) t += e[i + 1]! * z[i + 1]!;
      residual = Math.max(residual, Math.abs(t - values[j]! * z[i]!) / (norm || 1));
    }
    for (let k = j; k < n; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += z[i]! * rows[k * n + i]!;
      orthogonality = Math.max(orthogonality, Math.abs(s - (j === k ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

function sorted(a: Float64Array): Float64Array {
  return Float64Array.from(a).sort();
}

describe('tridiagonalDc(): divide-and-conquer eigenpairs of a symmetric tridiagonal matrix', () => {
  it.each([
    ['random', 300],
    ['toeplitz', 250],
    ['wilkinson', 201],
    ['glued-wilkinson', 210],
    ['split', 170],
    ['repeated', 160],
    ['graded', 130],
    ['random', 49],
    ['random', 97],
  ])('%s, n = %i: residuals and orthogonality at round-off, the eigenvalues of implicit QL', (name, n) => {
    const { d, e } = family(name, n);
    const values = d.slice();
    const gemm = plainGemm();
    const rows = tridiagonalDc(values, e.slice(), gemm);
    const q = quality(d, e, values, rows);
    expect(q.residual).toBeLessThan(4 * n * EPS);
    expect(q.orthogonality).toBeLessThan(4 * n * EPS);
    const ql = d.slice();
    tridiagonalQl(ql, e.slice());
    const a = sorted(values);
    const b = sorted(ql);
    let norm = 0;
    for (const x of b) norm = Math.max(norm, Math.abs(x));
    for (let i = 0; i < n; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(8 * n * EPS * norm);
    // Above the leaf order the merges ran in the given product, except where every one of them deflated fully.
    if (name === 'repeated') expect(gemm.calls).toBe(0);
    else expect(gemm.calls).toBeGreaterThan(0);
  });

  it('tridiag(1, 2, 1): the closed-form eigenvalues 2 + 2cos(kπ/(n+1)) and eigenvectors sin(ikπ/(n+1))', () => {
    const n = 180;
    const { d, e } = family('toeplitz', n);
    const values = d.slice();
    const rows = tridiagonalDc(values, e.slice(), plainGemm());
    const order = Array.from({ length: n }, (_, j) => j).sort((i, j) => values[i]! - values[j]!);
    for (let k = 1; k <= n; k++) {
      // ascending: k = n first
      const j = order[n - k]!;
      expect(Math.abs(values[j]! - (2 + 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(n * EPS * 8);
      const exact = Float64Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * k * Math.PI) / (n + 1)));
      const norm = Math.hypot(...exact);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (exact[i]! / norm) * rows[j * n + i]!;
      // distinct eigenvalues: the vector is the closed form up to its sign
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-11);
    }
  });

  it('refuses NaN/Inf entries with invalid-data, and mismatched shapes', () => {
    const { d, e } = family('random', 60);
    e[30] = Number.NaN;
    expect(() => tridiagonalDc(d, e, plainGemm())).toThrow(WorkbenchException);
    expect(() => tridiagonalDc(new Float64Array(5), new Float64Array(4), plainGemm())).toThrow(/e has shape \[4\], expected \[5\]/);
  });
});

describe('installFloat64Gemm(): where the merges multiply', () => {
  afterEach(() => installFloat64Gemm(null));

  it('loads the product once, at the first want, and keeps null when there is none', () => {
    let loads = 0;
    const g = plainGemm();
    installFloat64Gemm(() => {
      loads++;
      return g;
    });
    expect(loads).toBe(0);
    expect(fastFloat64Gemm()).toBe(g);
    expect(fastFloat64Gemm()).toBe(g);
    expect(loads).toBe(1);
    installFloat64Gemm(() => null);
    expect(fastFloat64Gemm()).toBeNull();
    installFloat64Gemm(null);
    expect(fastFloat64Gemm()).toBeNull();
  });

  it('matmulFast: large products in the installed product, small ones and those without one in matmul, the same to round-off', () => {
    const r = lcg(23);
    const [m, k, n] = [40, 150, 200];
    const a = Float64Array.from({ length: m * k }, r);
    const b = Float64Array.from({ length: k * n }, r);
    const ref = new Float64Array(m * n);
    plainGemm()(a, b, m, k, n, ref);
    const without = matmulFast(a, b, m, k, n);
    const g = plainGemm();
    installFloat64Gemm(() => g);
    const withIt = matmulFast(a, b, m, k, n);
    expect(g.calls).toBe(1);
    matmulFast(a.subarray(0, 2 * k), b, 2, k, n);
    expect(g.calls).toBe(1);
    for (let i = 0; i < m * n; i++) {
      expect(withIt[i]).toBe(ref[i]);
      expect(Math.abs(without[i]! - ref[i]!)).toBeLessThan(1e-12);
    }
  });

  it('symmetricEigen with a product installed: divide and conquer from n = 200, the same decomposition as without', () => {
    const n = 260;
    const r = lcg(11);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r() + (i === j ? 0.01 * i : 0);
    const ql = symmetricEigen(a, n, { vectors: true });
    const g = plainGemm();
    installFloat64Gemm(() => g);
    const dc = symmetricEigen(a, n, { vectors: true });
    // the Householder accumulation (8 blocks × 2), the merges and the back-transformation
    expect(g.calls).toBeGreaterThan(16);
    let norm = 0;
    for (const x of ql.values) norm = Math.max(norm, Math.abs(x));
    for (let i = 0; i < n; i++) expect(Math.abs(dc.values[i]! - ql.values[i]!)).toBeLessThan(8 * n * EPS * norm);
    expect(dc.diagnostics.maxResidual!).toBeLessThan(8 * n * EPS * norm);
    expect(dc.diagnostics.orthogonalityError!).toBeLessThan(8 * n * EPS);
    // Random symmetric: distinct eigenvalues, so each vector is QL's up to its sign.
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += dc.vectors![i * n + j]! * ql.vectors![i * n + j]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-9);
    }
    // Below n = 200 implicit QL as before: the product is not asked for.
    const before = g.calls;
    symmetricEigen(
      a.subarray(0, 150 * 150).map((_, k) => a[Math.floor(k / 150) * n + (k % 150)]!),
      150,
      { vectors: true },
    );
    expect(g.calls).toBe(before);
  });

  it('householderTridiagonalVectors: Qᵀ accumulated in the product equals the in-place accumulation to round-off', () => {
    const n = 230;
    const r = lcg(5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r();
    const d1 = new Float64Array(n);
    const e1 = new Float64Array(n);
    const q1 = householderTridiagonalVectors(new Float64Array(a), n, d1, e1);
    const d2 = new Float64Array(n);
    const e2 = new Float64Array(n);
    const q2 = householderTridiagonalVectors(new Float64Array(a), n, d2, e2, undefined, { gemm: plainGemm() });
    expect(d2).toEqual(d1);
    expect(e2).toEqual(e1);
    let diff = 0;
    for (let i = 0; i < n * n; i++) diff = Math.max(diff, Math.abs(q2[i]! - q1[i]!));
    expect(diff).toBeLessThan(64 * EPS);
  });
});

describe('loadSyncFloat64Gemm(): onnxruntime float64 products on the calling thread', () => {
  const gemm = loadSyncFloat64Gemm(1);

  it('loads here (onnxruntime-node is a dependency)', () => {
    expect(gemm).not.toBeNull();
  });

  it('writes A·B (+ C) into the given array, inside a larger buffer, and nowhere else', () => {
    const [m, k, n] = [37, 53, 29];
    const r = lcg(3);
    const a = Float64Array.from({ length: m * k }, r);
    const b = Float64Array.from({ length: k * n }, r);
    const c = Float64Array.from({ length: m * n }, r);
    const ref = new Float64Array(m * n);
    const refC = new Float64Array(m * n);
    plainGemm()(a, b, m, k, n, ref);
    plainGemm()(a, b, m, k, n, refC, c);
    const big = new Float64Array(m * n + 10).fill(7);
    const out = big.subarray(5, 5 + m * n);
    gemm!(a, b, m, k, n, out);
    for (let i = 0; i < m * n; i++) expect(Math.abs(out[i]! - ref[i]!)).toBeLessThan(1e-13);
    gemm!(a, b, m, k, n, out, c);
    for (let i = 0; i < m * n; i++) expect(Math.abs(out[i]! - refC[i]!)).toBeLessThan(1e-13);
    expect([...big.subarray(0, 5), ...big.subarray(5 + m * n)]).toEqual(new Array(10).fill(7));
  });

  it('refuses arrays that do not fit the shape, naming them', () => {
    expect(() => gemm!(new Float64Array(6), new Float64Array(6), 2, 3, 2, new Float64Array(3))).toThrow(
      /\[2, 3\]·\[3, 2\] does not fit arrays of 6, 6, 3 entries/,
    );
    expect(() => loadSyncFloat64Gemm(0)).toThrow(/threads must be a positive integer/);
  });

  it('drives the eigensolver: n = 400 with divide and conquer in onnxruntime matches implicit QL', () => {
    const n = 400;
    const r = lcg(17);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r();
    const ql = symmetricEigen(a, n);
    installFloat64Gemm(() => gemm);
    try {
      const dc = symmetricEigen(a, n, { vectors: true });
      let norm = 0;
      for (const x of ql.values) norm = Math.max(norm, Math.abs(x));
      for (let i = 0; i < n; i++) expect(Math.abs(dc.values[i]! - ql.values[i]!)).toBeLessThan(8 * n * EPS * norm);
      expect(dc.diagnostics.maxResidual!).toBeLessThan(8 * n * EPS * norm);
      expect(dc.diagnostics.orthogonalityError!).toBeLessThan(8 * n * EPS);
    } finally {
      installFloat64Gemm(null);
    }
  });
});
