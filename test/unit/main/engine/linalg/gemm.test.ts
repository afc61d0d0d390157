import { describe, expect, it } from 'vitest';
import { gemmNT, gemmNTAdd } from '../../../../../src/main/engine/linalg/gemm';
import { lcg } from './lcg';

/** Same k products summed in a different order: agreement to k·ε relative to Σ|a||b|. */
const REL = 1e-15;

describe('gemmNT()', () => {
  it('equals the naive A Bᵀ on ragged shapes, across several packed depth panels', () => {
    const r = lcg(99);
    // k = 600 spans three 256-deep panels; m, n not multiples of the 4×4 micro-kernel.
    // [6, 70, 300] and [70, 6, 300]: the SIMD tiles with different block counts for the two operands.
    for (const [m, n, k] of [
      [1, 1, 1],
      [5, 3, 7],
      [13, 18, 600],
      [4, 8, 256],
      [6, 70, 300],
      [70, 6, 300],
    ] as const) {
      const a = Float64Array.from({ length: m * k }, r);
      const b = Float64Array.from({ length: n * k }, r);
      const c = gemmNT(a, b, m, n, k);
      expect(c.length).toBe(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let want = 0;
          let mag = 0;
          for (let p = 0; p < k; p++) {
            want += a[i * k + p]! * b[j * k + p]!;
            mag += Math.abs(a[i * k + p]! * b[j * k + p]!);
          }
          expect(Math.abs(c[i * n + j]! - want)).toBeLessThanOrEqual(REL * k * mag);
        }
      }
    }
  });

  it('gives the naive products with the WebAssembly SIMD tiles, as with the TypeScript micro-kernel on small shapes', () => {
    const r = lcg(5);
    // 10 × 12 tiles over three depth panels on the SIMD kernel; 3 × 2 tiles (below 16) on the TypeScript one.
    for (const [m, n, k] of [
      [37, 45, 513],
      [9, 6, 300],
    ] as const) {
      const a = Float64Array.from({ length: m * k }, r);
      const b = Float64Array.from({ length: n * k }, r);
      const c = gemmNT(a, b, m, n, k);
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let want = 0;
          for (let p = 0; p < k; p++) want += a[i * k + p]! * b[j * k + p]!;
          worst = Math.max(worst, Math.abs(c[i * n + j]! - want));
        }
      }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it('gives a hand example exactly and rejects bad shapes by name', () => {
    // [[1, 2], [3, 4]] · [[5, 6], [7, 8]]ᵀ = [[17, 23], [39, 53]].
    expect(Array.from(gemmNT(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2, 2, 2))).toEqual([17, 23, 39, 53]);
    expect(gemmNT(new Float64Array(0), new Float64Array(0), 0, 0, 3).length).toBe(0);
    expect(() => gemmNT(new Float64Array(5), new Float64Array(6), 2, 2, 3)).toThrow(/a has 5 entries, expected 6 for shape \[2, 3\]/);
    expect(() => gemmNT(new Float64Array(6), new Float64Array(5), 2, 2, 3)).toThrow(/b has 5 entries, expected 6 for shape \[2, 3\]/);
  });
});

describe('gemmNTAdd()', () => {
  const r = lcg(17);

  it('adds A Bᵀ into a block of a larger matrix, reading blocks of larger operands, exactly as gemmNT computes it', () => {
    // A small shape (TypeScript micro-kernel) and one past the SIMD threshold, each within one depth panel
    // (over several the old entry is added panel by panel, so only round-off agreement is owed).
    for (const [m, n, k] of [
      [3, 5, 7],
      [29, 34, 250],
    ] as const) {
      const a = Float64Array.from({ length: m * k }, r);
      const b = Float64Array.from({ length: n * k }, r);
      const want = gemmNT(a, b, m, n, k);
      // The operands as blocks at an offset inside wider arrays, C inside a wider matrix that has entries of its own.
      const lda = k + 3;
      const ldb = k + 5;
      const ldc = n + 4;
      const A = Float64Array.from({ length: 2 + m * lda }, r);
      const B = Float64Array.from({ length: 1 + n * ldb }, r);
      for (let i = 0; i < m; i++) A.set(a.subarray(i * k, i * k + k), 2 + i * lda);
      for (let j = 0; j < n; j++) B.set(b.subarray(j * k, j * k + k), 1 + j * ldb);
      const C = Float64Array.from({ length: 3 + (m + 1) * ldc }, r);
      const before = C.slice();
      gemmNTAdd({ x: C, at: 3 + ldc, ld: ldc }, { x: A, at: 2, ld: lda }, { x: B, at: 1, ld: ldb }, m, n, k);
      for (let q = 0; q < C.length; q++) {
        const o = q - 3 - ldc;
        const i = Math.floor(o / ldc);
        const j = o - i * ldc;
        const inside = o >= 0 && i < m && j < n;
        // Added in the same order as gemmNT's C = 0 + tiles: the old entry plus the same sum.
        expect(C[q], `entry ${q}`).toBe(inside ? before[q]! + want[i * n + j]! : before[q]!);
      }
    }
  });

  it('refuses a block that does not fit its array, naming it', () => {
    const x = new Float64Array(12);
    expect(() => gemmNTAdd({ x, at: 0, ld: 4 }, { x, at: 0, ld: 2 }, { x, at: 0, ld: 2 }, 3, 4, 2)).not.toThrow();
    expect(() => gemmNTAdd({ x, at: 1, ld: 4 }, { x, at: 0, ld: 2 }, { x, at: 0, ld: 2 }, 3, 4, 2)).toThrow(/c \[3, 4\] at 1 with leading dimension 4/);
    expect(() => gemmNTAdd({ x, at: 0, ld: 4 }, { x, at: 0, ld: 1 }, { x, at: 0, ld: 2 }, 3, 4, 2)).toThrow(/a \[3, 2\]/);
    expect(() => gemmNTAdd({ x, at: 0, ld: 4 }, { x, at: 0, ld: 2 }, { x, at: 0, ld: 2 }, 3, 4, 1.5)).toThrow(/k must be a non-negative integer/);
  });
});
