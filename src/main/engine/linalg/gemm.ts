/**
 * General float64 matrix product with both operands' inner dimension contiguous, on the same 4×4
 * register-blocked micro-kernel over packed panels as the symmetric updates in syr2k.ts (SPEC §8).
 */

import { createTileKernel, type PackedTiles } from './simdGemm';

/** Below this many 4×4 tiles the copy into WebAssembly memory is not worth it. */
const SIMD_MIN_TILES = 16;

/** Rows of A (and of B) per micro-kernel call. */
const MR = 4;
/** Depth of one packed panel, so that a 4-row panel of A and of B (2·4·KC doubles) stays in L1/L2. */
const KC = 256;

/**
 * C = A Bᵀ for A [m, k] and B [n, k] (row-major, so both read along contiguous rows): C[i, j] = Σ_p A[i, p]·B[j, p].
 * Returns C [m, n] row-major. With B = S symmetric this is A·S; with B = A it is the Gram matrix A Aᵀ.
 */
export function gemmNT(a: Float64Array, b: Float64Array, m: number, n: number, k: number): Float64Array {
  checkDims('gemmNT', m, n, k);
  if (a.length !== m * k) throw new RangeError(`gemmNT: a has ${a.length} entries, expected ${m * k} for shape [${m}, ${k}]`);
  if (b.length !== n * k) throw new RangeError(`gemmNT: b has ${b.length} entries, expected ${n * k} for shape [${n}, ${k}]`);
  const c = new Float64Array(m * n);
  accumulate({ x: c, at: 0, ld: n }, { x: a, at: 0, ld: k }, { x: b, at: 0, ld: k }, m, n, k);
  return c;
}

/** A matrix inside a larger array: entry (i, j) is x[at + i·ld + j] (row-major with leading dimension ld). */
export interface StridedMatrix {
  x: Float64Array;
  at: number;
  ld: number;
}

/**
 * C += A Bᵀ in place for strided A [m, k], B [n, k] and C [m, n] ({@link StridedMatrix}), by the same kernel
 * and in the same order of operations as {@link gemmNT}: on a C that is a block of a larger matrix no copy
 * of the block is made, and no m×n result is allocated (fresh arrays of that size cost page faults).
 */
export function gemmNTAdd(c: StridedMatrix, a: StridedMatrix, b: StridedMatrix, m: number, n: number, k: number): void {
  checkDims('gemmNTAdd', m, n, k);
  for (const [name, v, rows, cols] of [
    ['c', c, m, n],
    ['a', a, m, k],
    ['b', b, n, k],
  ] as const) {
    if (rows > 0 && cols > 0 && (v.at < 0 || v.ld < cols || v.at + (rows - 1) * v.ld + cols > v.x.length)) {
      throw new RangeError(`gemmNTAdd: ${name} [${rows}, ${cols}] at ${v.at} with leading dimension ${v.ld} does not fit its ${v.x.length} entries`);
    }
  }
  accumulate(c, a, b, m, n, k);
}

function checkDims(fn: string, m: number, n: number, k: number): void {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
  }
}

function accumulate(c: StridedMatrix, a: StridedMatrix, b: StridedMatrix, m: number, n: number, k: number): void {
  if (m === 0 || n === 0 || k === 0) return;
  const mb = Math.ceil(m / MR);
  const nb = Math.ceil(n / MR);
  const ap = new Float64Array(mb * KC * MR);
  const bp = new Float64Array(nb * KC * MR);
  const simd = mb * nb >= SIMD_MIN_TILES ? createTileKernel() : null;
  try {
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packRows(a, m, p0, kc, ap);
      packRows(b, n, p0, kc, bp);
      if (simd !== null) addTiles(c, m, n, mb, nb, simd.load(ap, bp, kc, mb, nb));
      else microKernel(c, m, n, mb, nb, kc, ap, bp);
    }
  } finally {
    simd?.release();
  }
}

/** C += the tiles A_ib B_jbᵀ of one depth panel kc of the packed ap, bp, in TypeScript (small products). */
function microKernel(cm: StridedMatrix, m: number, n: number, mb: number, nb: number, kc: number, ap: Float64Array, bp: Float64Array): void {
  const { x: c, at, ld } = cm;
  for (let ib = 0; ib < mb; ib++) {
    const aBase = ib * kc * MR;
    const i0 = ib * MR;
    for (let jb = 0; jb < nb; jb++) {
      const bBase = jb * kc * MR;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < kc; p++) {
        const ao = aBase + p * MR;
        const bo = bBase + p * MR;
        const a0 = ap[ao]!,
          a1 = ap[ao + 1]!,
          a2 = ap[ao + 2]!,
          a3 = ap[ao + 3]!;
        const b0 = bp[bo]!,
          b1 = bp[bo + 1]!,
          b2 = bp[bo + 2]!,
          b3 = bp[bo + 3]!;
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      const j0 = jb * MR;
      if (i0 + MR <= m && j0 + MR <= n) {
        let o = at + i0 * ld + j0;
        c[o] = c[o]! + c00;
        c[o + 1] = c[o + 1]! + c01;
        c[o + 2] = c[o + 2]! + c02;
        c[o + 3] = c[o + 3]! + c03;
        o += ld;
        c[o] = c[o]! + c10;
        c[o + 1] = c[o + 1]! + c11;
        c[o + 2] = c[o + 2]! + c12;
        c[o + 3] = c[o + 3]! + c13;
        o += ld;
        c[o] = c[o]! + c20;
        c[o + 1] = c[o + 1]! + c21;
        c[o + 2] = c[o + 2]! + c22;
        c[o + 3] = c[o + 3]! + c23;
        o += ld;
        c[o] = c[o]! + c30;
        c[o + 1] = c[o + 1]! + c31;
        c[o + 2] = c[o + 2]! + c32;
        c[o + 3] = c[o + 3]! + c33;
      } else {
        const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < MR && i0 + r < m; r++) {
          for (let s = 0; s < MR && j0 + s < n; s++) c[at + (i0 + r) * ld + j0 + s] = c[at + (i0 + r) * ld + j0 + s]! + acc[r * MR + s]!;
        }
      }
    }
  }
}

/** C += the tiles A_ib B_jbᵀ of one depth panel, computed by the WebAssembly SIMD kernel. */
function addTiles(cm: StridedMatrix, m: number, n: number, mb: number, nb: number, simd: PackedTiles): void {
  const { x: c, at, ld } = cm;
  for (let ib = 0; ib < mb; ib++) {
    const t = simd.rowTiles(ib, 0, nb);
    const i0 = ib * MR;
    for (let jb = 0; jb < nb; jb++) {
      const j0 = jb * MR;
      const o16 = jb * 16;
      if (i0 + MR <= m && j0 + MR <= n) {
        let o = at + i0 * ld + j0;
        for (let r = 0; r < MR; r++, o += ld) {
          const tr = o16 + r * MR;
          c[o] = c[o]! + t[tr]!;
          c[o + 1] = c[o + 1]! + t[tr + 1]!;
          c[o + 2] = c[o + 2]! + t[tr + 2]!;
          c[o + 3] = c[o + 3]! + t[tr + 3]!;
        }
      } else {
        for (let r = 0; r < MR && i0 + r < m; r++) {
          for (let q = 0; q < MR && j0 + q < n; q++) c[at + (i0 + r) * ld + j0 + q] = c[at + (i0 + r) * ld + j0 + q]! + t[o16 + r * MR + q]!;
        }
      }
    }
  }
}

/** Packs columns [p0, p0 + kc) of X [rows, ·] (strided) as out[(blk·kc + p)·4 + r] = X[blk·4 + r, p0 + p], zero-padded. */
function packRows(xm: StridedMatrix, rows: number, p0: number, kc: number, out: Float64Array): void {
  const { x, at, ld } = xm;
  const blocks = Math.ceil(rows / MR);
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk * kc * MR;
    for (let r = 0; r < MR; r++) {
      const i = blk * MR + r;
      if (i >= rows) {
        for (let p = 0; p < kc; p++) out[base + p * MR + r] = 0;
        continue;
      }
      const src = at + i * ld + p0;
      for (let p = 0; p < kc; p++) out[base + p * MR + r] = x[src + p]!;
    }
  }
}
