import { describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { choleskyLower } from './reference';
import { createTileKernel, type TileKernel } from '../../../../../src/main/engine/linalg/simdGemm';
import { gramUpperAdd, syr2kRoom, syr2kUpper, syr2kUpperInMemory, syrkUpperFromRows } from '../../../../../src/main/engine/linalg/syr2k';
import { choleskyUpperBlocked } from '../../../../../src/main/engine/linalg/cholesky';
import { createSimdSymvWorkspace } from '../../../../../src/main/engine/linalg/simdSymv';

/** Sums of k products in another order: agreement to k·ε relative to Σ|terms|. */
const REL = 4e-16;

/** Runs f with a tile kernel of its own, released afterwards. */
function withTiles<T>(f: (kernel: TileKernel) => T): T {
  const kernel = createTileKernel();
  try {
    return f(kernel);
  } finally {
    kernel.release();
  }
}

describe('createTileKernel().load()', () => {
  it('returns the 4×4 products of packed panels as the naive triple loop does, for odd depths and ranges', () => {
    const r = lcg(17);
    for (const [blocks, kk] of [
      [1, 1],
      [3, 5],
      [9, 64],
      [6, 67],
    ] as const) {
      const pk = Float64Array.from({ length: blocks * kk * 4 }, r);
      const qk = Float64Array.from({ length: blocks * kk * 4 }, r);
      for (const q of [qk, pk]) {
        const kernel = createTileKernel();
        const tiles = kernel.load(pk, q, kk, blocks);
        for (let ib = 0; ib < blocks; ib++) {
          const jb0 = ib % 2;
          const count = blocks - jb0;
          const out = tiles.rowTiles(ib, jb0, count);
          expect(out.length).toBe(count * 16);
          for (let t = 0; t < count; t++) {
            for (let a = 0; a < 4; a++) {
              for (let b = 0; b < 4; b++) {
                let want = 0;
                let mag = 0;
                for (let p = 0; p < kk; p++) {
                  const term = pk[(ib * kk + p) * 4 + a]! * q[((jb0 + t) * kk + p) * 4 + b]!;
                  want += term;
                  mag += Math.abs(term);
                }
                expect(Math.abs(out[t * 16 + a * 4 + b]! - want)).toBeLessThanOrEqual(REL * kk * mag);
              }
            }
          }
        }
        kernel.release();
      }
    }
  });

  it('rejects short panels and out-of-range tiles by name', () => {
    withTiles((kernel) => {
      expect(() => kernel.load(new Float64Array(7), new Float64Array(8), 2, 1)).toThrow(/pk\/qk have 7\/8 entries, expected ≥ 8 for shape \[1, 2, 4\]/);
      const tiles = kernel.load(new Float64Array(16), new Float64Array(16), 2, 2);
      expect(() => tiles.rowTiles(0, 1, 2)).toThrow(/columns \[1, 3\) outside \[0, 2\)/);
      // Different block counts for P and Q: columns are bounded by Q's, rows by P's.
      expect(() => kernel.load(new Float64Array(8), new Float64Array(16), 2, 1, 3)).toThrow(/expected ≥ 8\/24 for shapes \[1, 2, 4\]\/\[3, 2, 4\]/);
      const wide = kernel.load(new Float64Array(8), new Float64Array(24), 2, 1, 3);
      expect(wide.rowTiles(0, 0, 3)).toHaveLength(48);
      expect(() => wide.rowTiles(1, 0, 1)).toThrow(/block row 1 of \[0, 1\)/);
    });
  });

  it('gives each owner a memory of its own, and throws after release()', () => {
    const one = Float64Array.from({ length: 8 }, (_, i) => i + 1);
    const a = createTileKernel();
    const b = createTileKernel();
    const ta = a.load(one, one, 2, 1);
    const first = Array.from(ta.rowTiles(0, 0, 1));
    // Another kernel loading other panels leaves a's panels alone.
    b.load(new Float64Array(8), new Float64Array(8), 2, 1).rowTiles(0, 0, 1);
    expect(Array.from(ta.rowTiles(0, 0, 1))).toEqual(first);
    // T[r, s] = Σ_p P[p, r]·P[p, s] for P = [[1, 2, 3, 4], [5, 6, 7, 8]]: T[0, 0] = 1 + 25, T[3, 2] = 12 + 56.
    expect(first[0]).toBe(26);
    expect(first[14]).toBe(68);
    b.release();
    a.release();
    expect(() => ta.rowTiles(0, 0, 1)).toThrow(/simd tiles: used after release\(\)/);
    expect(() => a.load(one, one, 2, 1)).toThrow(/simd tiles: used after release\(\)/);
  });
});

describe('syr2kUpper()', () => {
  it('subtracts V Wᵀ + W Vᵀ on the upper triangle only, on both kernels, for sizes not multiples of 4', () => {
    const r = lcg(5);
    // [20, 2, 13, 5]: 4 blocks, 10 tiles, on the TypeScript micro-kernel; the others on the SIMD tiles.
    for (const [ld, r0, m, k] of [
      [70, 3, 67, 9],
      [41, 0, 41, 32],
      [300, 37, 262, 33],
      [20, 2, 13, 5],
    ] as const) {
      const c0 = Float64Array.from({ length: ld * ld }, r);
      const v = Float64Array.from({ length: m * k }, r);
      const w = Float64Array.from({ length: m * k }, r);
      const c = new Float64Array(c0);
      syr2kUpper(c, ld, r0, m, v, w, k);
      for (let i = 0; i < ld; i++) {
        for (let j = 0; j < ld; j++) {
          const inside = i >= r0 && j >= r0 && i < r0 + m && j < r0 + m && j >= i;
          let want = c0[i * ld + j]!;
          let mag = Math.abs(want);
          if (inside) {
            for (let p = 0; p < k; p++) {
              const t = v[(i - r0) * k + p]! * w[(j - r0) * k + p]! + w[(i - r0) * k + p]! * v[(j - r0) * k + p]!;
              want -= t;
              mag += Math.abs(t);
            }
          }
          expect(Math.abs(c[i * ld + j]! - want)).toBeLessThanOrEqual(REL * (2 * k + 1) * mag);
        }
      }
    }
  });
});

describe('syr2kUpperInMemory()', () => {
  it("gives syr2kUpper's result bit for bit on a matrix in a WebAssembly memory, whatever a larger update left in the room", () => {
    // NaN in the room: the rows of a ragged last block past m are never zeroed, and must reach no entry of C.
    const r = lcg(31);
    const ldMax = 600;
    const roomAt = ldMax * ldMax;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    memory.grow(Math.ceil(((roomAt + syr2kRoom(ldMax, 32)) * 8) / 65536));
    const mem = new Float64Array(memory.buffer);
    mem.fill(NaN);
    // The first (ragged) update finds NaN in the room, each later one the panels of a larger one before it. 600:
    // columns in three cache blocks of the kernel; 262 and 67 ragged; 13: four blocks, most tiles on the edge path.
    for (const [ld, r0, m, k] of [
      [300, 37, 262, 16],
      [600, 0, 600, 16],
      [70, 3, 67, 9],
      [41, 0, 41, 32],
      [20, 2, 13, 5],
    ] as const) {
      const c0 = Float64Array.from({ length: ld * ld }, r);
      const v = Float64Array.from({ length: m * k }, r);
      const w = Float64Array.from({ length: m * k }, r);
      const want = new Float64Array(c0);
      syr2kUpper(want, ld, r0, m, v, w, k);
      mem.set(c0);
      syr2kUpperInMemory(memory, mem, roomAt, ld, r0, m, v, w, k);
      expect(mem.subarray(0, ld * ld)).toEqual(want);
    }
  });

  it('refuses a room that overlaps the matrix or runs past the memory, and a workspace without room, by name', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const mem = new Float64Array(memory.buffer);
    const v = new Float64Array(8 * 2);
    expect(() => syr2kUpperInMemory(memory, mem, 63, 8, 0, 8, v, v, 2)).toThrow(
      /syr2kUpperInMemory: 80 doubles from 63 do not fit between the matrix and the end of its memory \(8192\)/,
    );
    expect(() => syr2kUpperInMemory(memory, mem, 8150, 8, 0, 8, v, v, 2)).toThrow(/80 doubles from 8150 do not fit/);
    expect(() => syr2kUpperInMemory(memory, mem, 64, 8, 1, 8, v, v, 2)).toThrow(/syr2kUpperInMemory: block \[1, 9\) does not fit c of shape \[8, 8\]/);
    const ws = createSimdSymvWorkspace(8, true, 1);
    try {
      expect(() => ws.syr2kUpper(0, v, v, 2)).toThrow(/a rank-2k update of depth 2 in a workspace with room for depth 1/);
    } finally {
      ws.release();
    }
    expect(() => createSimdSymvWorkspace(8, true, 1.5)).toThrow(/rank2kDepth must be a non-negative integer, got 1.5/);
  });
});

describe('syrkUpperFromRows()', () => {
  it('subtracts PᵀP from the upper triangle with the SIMD kernel as the naive loop does', () => {
    const r = lcg(23);
    const ld = 150;
    const r0 = 13;
    const m = 133;
    const p0 = 1;
    const kb = 11;
    const u = Float64Array.from({ length: ld * ld }, r);
    const c0 = Float64Array.from({ length: ld * ld }, r);
    const simd = new Float64Array(c0);
    syrkUpperFromRows(simd, ld, r0, m, u, ld, p0, kb);
    for (let i = 0; i < ld; i++) {
      for (let j = 0; j < ld; j++) {
        const inside = i >= r0 && j >= r0 && i < r0 + m && j < r0 + m && j >= i;
        let want = c0[i * ld + j]!;
        let mag = Math.abs(want);
        if (inside) {
          for (let p = 0; p < kb; p++) {
            const t = u[(p0 + p) * ld + i]! * u[(p0 + p) * ld + j]!;
            want -= t;
            mag += Math.abs(t);
          }
        }
        expect(Math.abs(simd[i * ld + j]! - want)).toBeLessThanOrEqual(REL * (kb + 1) * mag);
      }
    }
  });
});

describe('gramUpperAdd()', () => {
  it('adds BᵀB on the upper triangle with the SIMD kernel as the naive loop does', () => {
    const r = lcg(31);
    const m = 90;
    const kRows = 300;
    const b = Float64Array.from({ length: kRows * m }, r);
    const simd = new Float64Array(m * m);
    gramUpperAdd(simd, m, 0, m, b, kRows);
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        let want = 0;
        let mag = 0;
        for (let p = 0; p < kRows; p++) {
          want += b[p * m + i]! * b[p * m + j]!;
          mag += Math.abs(b[p * m + i]! * b[p * m + j]!);
        }
        expect(Math.abs(simd[i * m + j]! - want)).toBeLessThanOrEqual(REL * kRows * mag);
      }
    }
  });

  it('adds Bᵀ diag(w) B with row weights (zero and negative ones too), on top of what C holds, and leaves the lower triangle', () => {
    const r = lcg(37);
    // 67: a ragged last block; 300 rows: two depth panels.
    const m = 67;
    const kRows = 300;
    const b = Float64Array.from({ length: kRows * m }, (_, k) => (k % 7 === 0 ? 0 : r()));
    const w = Float64Array.from({ length: kRows }, (_, p) => (p % 5 === 0 ? 0 : r() - 0.5));
    const c0 = Float64Array.from({ length: m * m }, r);
    const c = new Float64Array(c0);
    gramUpperAdd(c, m, 0, m, b, kRows, w);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (j < i) {
          expect(c[i * m + j]).toBe(c0[i * m + j]);
          continue;
        }
        let want = c0[i * m + j]!;
        let mag = Math.abs(want);
        for (let p = 0; p < kRows; p++) {
          const t = w[p]! * b[p * m + i]! * b[p * m + j]!;
          want += t;
          mag += Math.abs(t);
        }
        expect(Math.abs(c[i * m + j]! - want)).toBeLessThanOrEqual(REL * (kRows + 1) * mag);
      }
    }
    expect(() => gramUpperAdd(c, m, 0, m, b, kRows, new Float64Array(kRows - 1))).toThrow(/gramUpperAdd: rowWeights has 299 entries, expected 300/);
  });
});

describe('choleskyUpperBlocked()', () => {
  it('gives the same factor (to round-off) with the SIMD trailing update as the unblocked TypeScript reference, Uᵀ U = A', () => {
    const r = lcg(41);
    const n = 203;
    const g = Float64Array.from({ length: n * n }, r);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? n : 0;
        for (let p = 0; p < n; p++) s += g[i * n + p]! * g[j * n + p]!;
        a[i * n + j] = s;
      }
    }
    const simd = choleskyUpperBlocked(a, n)!;
    const lower = choleskyLower(a, n)!;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        worst = Math.max(worst, Math.abs(simd[i * n + j]! - lower[j * n + i]!));
        scale = Math.max(scale, Math.abs(lower[j * n + i]!));
      }
    }
    // Both are backward stable: the factors differ by a modest multiple of ε·κ(A)·‖U‖ (κ ≈ 5 here).
    expect(worst).toBeLessThan(1e-12 * scale);
    for (const [i, j] of [
      [0, 0],
      [5, 150],
      [202, 202],
      [100, 101],
    ] as const) {
      let s = 0;
      for (let p = 0; p <= Math.min(i, j); p++) s += simd[p * n + i]! * simd[p * n + j]!;
      expect(Math.abs(s - a[i * n + j]!)).toBeLessThan(1e-12 * a[0]!);
    }
  });
});
