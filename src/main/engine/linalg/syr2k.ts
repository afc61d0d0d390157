/**
 * Cache-blocked float64 symmetric rank-2k update on the upper triangle, the level-3 kernel of the blocked
 * Householder tridiagonalization (SPEC §8).
 */
import { createTileKernel, tilesOnMemory, type PackedTiles } from './simdGemm';

/** Rows (and columns) handled per micro-kernel call. */
const MR = 4;
/** Columns of C per cache block, so that the packed panel of Z stays in L2. */
const NC = 256;
/** Below this many 4×4 tiles the copy into WebAssembly memory is not worth it. */
const SIMD_MIN_TILES = 16;

/**
 * Symmetric rank-2k update of the upper triangle: C ← C − (V Wᵀ + W Vᵀ), computed as C − [V W]·[W V]ᵀ
 * with 4×4 register micro-kernels over packed panels; entries below the diagonal are not touched.
 * Shapes: c [ldc, ldc] row-major, updated in the block starting at (r0, r0) of size m; v, w [m, k]
 * row-major (row i belongs to C row r0 + i).
 */
export function syr2kUpper(c: Float64Array, ldc: number, r0: number, m: number, v: Float64Array, w: Float64Array, k: number): void {
  checkRank2k('syr2kUpper', c, ldc, r0, m, v, w, k);
  if (m === 0 || k === 0) return;
  const kk = 2 * k;
  const blocks = Math.ceil(m / MR);
  // Packed so that the micro-kernel reads 4 consecutive values per p: pk[(b·kk + p)·4 + r].
  const pk = new Float64Array(blocks * kk * MR);
  const qk = new Float64Array(blocks * kk * MR);
  packPair(pk, qk, v, w, m, k);
  kernelUpper(c, ldc, r0, m, pk, qk, kk, blocks);
}

/** Doubles of room {@link syr2kUpperInMemory} needs for updates of at most m rows at depth k: two packed panels and a tile. */
export function syr2kRoom(m: number, k: number): number {
  return 2 * Math.ceil(m / MR) * 2 * k * MR + MR * MR;
}

/**
 * {@link syr2kUpper} on a matrix that lies in a WebAssembly memory (a symmetric-product workspace's): C [ldc, ldc]
 * at the start of `memory` (viewed by `mem`), with {@link syr2kRoom} doubles free from `roomAt` on for the packed
 * panels. The kernel subtracts the full tiles from C where it lies; only the diagonal and ragged tiles go through
 * this thread's code. The same operations in the same order as {@link syr2kUpper}: the same result bit for bit.
 */
export function syr2kUpperInMemory(
  memory: WebAssembly.Memory,
  mem: Float64Array,
  roomAt: number,
  ldc: number,
  r0: number,
  m: number,
  v: Float64Array,
  w: Float64Array,
  k: number,
): void {
  checkRank2k('syr2kUpperInMemory', mem, ldc, r0, m, v, w, k);
  if (roomAt < ldc * ldc || roomAt + syr2kRoom(m, k) > mem.length) {
    throw new RangeError(
      `syr2kUpperInMemory: ${syr2kRoom(m, k)} doubles from ${roomAt} do not fit between the matrix and the end of its memory (${mem.length})`,
    );
  }
  if (m === 0 || k === 0) return;
  const kk = 2 * k;
  const panel = Math.ceil(m / MR) * kk * MR;
  const qAt = roomAt + panel;
  const tileAt = qAt + panel;
  const pk = mem.subarray(roomAt, qAt);
  const qk = mem.subarray(qAt, tileAt);
  // A ragged last block's rows past m keep what an earlier update left there: they only reach the entries of its
  // tiles past m (an entry of a tile takes one row of each panel), which subtractTile skips.
  packPair(pk, qk, v, w, m, k);
  const tiles = tilesOnMemory(memory);
  const stride = kk * MR * 8;
  forUpperTileRuns(m, (ib, jb0, count, full) => {
    const p = roomAt * 8 + ib * stride;
    const q = qAt * 8 + jb0 * stride;
    if (full) tiles(p, q, kk, ((r0 + ib * MR) * ldc + r0 + jb0 * MR) * 8, count, MR * 8, ldc * 8, 1);
    else {
      tiles(p, q, kk, tileAt * 8, 1, 128, 32, 0);
      subtractTile(mem, ldc, r0, m, ib * MR, jb0 * MR, mem, tileAt);
    }
  });
}

/**
 * The upper triangle's 4×4 tiles of an m-row block in the order of the rank-k kernels: NC columns at a time (the
 * packed panel of Q stays in cache), every block row ib up to the cache block's end. `run(ib, jb0, count, full)`
 * gets consecutive tiles jb0 … jb0 + count − 1 of row ib: the diagonal tile and a ragged last tile alone
 * (full = false: only some of their entries are C's), the full tiles strictly above the diagonal between them as
 * one run (full = true).
 */
function forUpperTileRuns(m: number, run: (ib: number, jb0: number, count: number, full: boolean) => void): void {
  const blocks = Math.ceil(m / MR);
  const fullBlocks = Math.floor(m / MR);
  const ncBlocks = NC / MR;
  for (let jc = 0; jc < blocks; jc += ncBlocks) {
    const jcEnd = Math.min(blocks, jc + ncBlocks);
    for (let ib = 0; ib < jcEnd; ib++) {
      let jb = Math.max(ib, jc);
      if (jb === ib) run(ib, jb++, 1, false);
      const jEnd = Math.min(jcEnd, fullBlocks);
      if (jEnd > jb) {
        run(ib, jb, jEnd - jb, true);
        jb = jEnd;
      }
      if (jb < jcEnd) run(ib, jb, 1, false);
    }
  }
}

/** The argument checks of the rank-2k updates. */
function checkRank2k(name: string, c: Float64Array, ldc: number, r0: number, m: number, v: Float64Array, w: Float64Array, k: number): void {
  if (v.length < m * k || w.length < m * k) {
    throw new RangeError(`${name}: v/w have ${v.length}/${w.length} entries, expected ≥ ${m * k} for shape [${m}, ${k}]`);
  }
  checkBlock(name, c, ldc, r0, m);
}

/** The check every update of this file makes: the block [r0, r0 + m) of C lies inside c [ldc, ldc]. */
function checkBlock(name: string, c: Float64Array, ldc: number, r0: number, m: number): void {
  if (r0 + m > ldc || c.length < ldc * ldc) {
    throw new RangeError(`${name}: block [${r0}, ${r0 + m}) does not fit c of shape [${ldc}, ${ldc}]`);
  }
}

/**
 * C[r0 + i, r0 + j] −= T[i − i0, j − j0] for the entries of the 4×4 tile T (at t[o16 ..], row-major) that lie in the
 * block and on or above the diagonal: the diagonal and ragged tiles of the rank-k updates.
 */
function subtractTile(c: Float64Array, ldc: number, r0: number, m: number, i0: number, j0: number, t: Float64Array, o16: number): void {
  for (let r = 0; r < MR; r++) {
    const i = i0 + r;
    if (i >= m) break;
    for (let s = 0; s < MR; s++) {
      const j = j0 + s;
      if (j >= m || j < i) continue;
      const o = (r0 + i) * ldc + r0 + j;
      c[o] = c[o]! - t[o16 + r * MR + s]!;
    }
  }
}

/**
 * pk ← [V W], qk ← [W V] in the micro-kernel's layout. A function of its own (as every hot loop of the
 * eigensolvers): a loop optimized on the stack of a caller that goes on to code it has not run yet is thrown
 * away there, and V8 compiled and discarded the caller's again at every panel (issue 13: seconds of compiling).
 */
function packPair(pk: Float64Array, qk: Float64Array, v: Float64Array, w: Float64Array, m: number, k: number): void {
  const kk = 2 * k;
  for (let i = 0; i < m; i++) {
    const b = (i / MR) | 0;
    const r = i - b * MR;
    const base = b * kk * MR + r;
    const row = i * k;
    for (let p = 0; p < k; p++) {
      pk[base + p * MR] = v[row + p]!;
      pk[base + (p + k) * MR] = w[row + p]!;
      qk[base + p * MR] = w[row + p]!;
      qk[base + (p + k) * MR] = v[row + p]!;
    }
  }
}

/**
 * C[r0:r0+m, r0:r0+m] += Bᵀ B on the upper triangle, for B [kRows, m] row-major (a Gram matrix of the
 * columns of B, e.g. AᵀA for ReLU features A [m_hidden, n]); with `rowWeights` w [kRows], C += Bᵀ diag(w) B
 * (Σ_p w_p·B[p, i]·B[p, j], e.g. a kernel's sum over hidden units of weighted activation products). Same
 * micro-kernel as {@link syr2kUpper}.
 */
export function gramUpperAdd(c: Float64Array, ldc: number, r0: number, m: number, b: Float64Array, kRows: number, rowWeights?: Float64Array): void {
  if (b.length !== kRows * m) {
    throw new RangeError(`gramUpperAdd: b has ${b.length} entries, expected ${kRows * m} for shape [${kRows}, ${m}]`);
  }
  checkBlock('gramUpperAdd', c, ldc, r0, m);
  if (rowWeights !== undefined && rowWeights.length !== kRows) {
    throw new RangeError(`gramUpperAdd: rowWeights has ${rowWeights.length} entries, expected ${kRows}`);
  }
  const KC = 256;
  const blocks = Math.ceil(m / MR);
  const pk = new Float64Array(blocks * KC * MR);
  const qk = new Float64Array(blocks * KC * MR);
  for (let p0 = 0; p0 < kRows; p0 += KC) {
    const kk = Math.min(KC, kRows - p0);
    packGramPanel(pk, qk, b, m, p0, kk, rowWeights);
    kernelUpper(c, ldc, r0, m, pk, qk, kk, blocks);
  }
}

/**
 * Rows p0 … p0 + kk − 1 of B [·, m] into the micro-kernel's layout: qk from B, pk from −w_p·B (negated because
 * the kernel subtracts; w_p = 1 without weights). The entries of a ragged last block past m are zero. Four
 * columns at a time, each block's four values of a row written side by side.
 */
function packGramPanel(pk: Float64Array, qk: Float64Array, b: Float64Array, m: number, p0: number, kk: number, w: Float64Array | undefined): void {
  const full = Math.floor(m / MR);
  const stride = kk * MR;
  for (let p = 0; p < kk; p++) {
    const row = (p0 + p) * m;
    const wp = w === undefined ? 1 : w[p0 + p]!;
    let o = p * MR;
    let i = row;
    for (let bl = 0; bl < full; bl++, o += stride, i += MR) {
      const x0 = b[i]!;
      const x1 = b[i + 1]!;
      const x2 = b[i + 2]!;
      const x3 = b[i + 3]!;
      qk[o] = x0;
      qk[o + 1] = x1;
      qk[o + 2] = x2;
      qk[o + 3] = x3;
      pk[o] = -(wp * x0);
      pk[o + 1] = -(wp * x1);
      pk[o + 2] = -(wp * x2);
      pk[o + 3] = -(wp * x3);
    }
    if (full * MR < m) {
      for (let r = 0; r < MR; r++) {
        const x = full * MR + r < m ? b[i + r]! : 0;
        qk[o + r] = x;
        pk[o + r] = -(wp * x);
      }
    }
  }
}

/**
 * Symmetric rank-kb downdate of the upper triangle from a row panel: C[r0+i, r0+j] −= Σ_p P[p, i]·P[p, j]
 * for j ≥ i, where P [kb, m] is the row block u[(p0 + p)·ldu + r0 + i] (C ← C − PᵀP, the trailing update of
 * a right-looking upper Cholesky). c [ldc, ldc] row-major; u may be c itself (P is packed first).
 */
export function syrkUpperFromRows(c: Float64Array, ldc: number, r0: number, m: number, u: Float64Array, ldu: number, p0: number, kb: number): void {
  checkBlock('syrkUpperFromRows', c, ldc, r0, m);
  if (u.length < (p0 + kb - 1) * ldu + r0 + m) {
    throw new RangeError(`syrkUpperFromRows: u has ${u.length} entries, too few for rows [${p0}, ${p0 + kb}) × columns [${r0}, ${r0 + m}) at stride ${ldu}`);
  }
  if (m === 0 || kb === 0) return;
  const blocks = Math.ceil(m / MR);
  const pk = new Float64Array(blocks * kb * MR);
  for (let p = 0; p < kb; p++) {
    const row = (p0 + p) * ldu + r0;
    let i = 0;
    for (let b = 0; b < blocks; b++) {
      const o = (b * kb + p) * MR;
      for (let r = 0; r < MR && i < m; r++, i++) pk[o + r] = u[row + i]!;
    }
  }
  kernelUpper(c, ldc, r0, m, pk, pk, kb, blocks);
}

/** C −= P Qᵀ on the upper triangle from packed panels pk, qk [blocks, kk, MR]: WebAssembly SIMD past a few tiles. */
function kernelUpper(c: Float64Array, ldc: number, r0: number, m: number, pk: Float64Array, qk: Float64Array, kk: number, blocks: number): void {
  if ((blocks * (blocks + 1)) / 2 >= SIMD_MIN_TILES) {
    const simd = createTileKernel();
    try {
      kernelUpperSimd(c, ldc, r0, m, simd.load(pk, qk, kk, blocks));
    } finally {
      simd.release();
    }
    return;
  }
  const edge = new Float64Array(MR * MR);
  const ncBlocks = NC / MR;
  for (let jc = 0; jc < blocks; jc += ncBlocks) {
    const jcEnd = Math.min(blocks, jc + ncBlocks);
    for (let ib = 0; ib < jcEnd; ib++) {
      const pBase = ib * kk * MR;
      for (let jb = Math.max(ib, jc); jb < jcEnd; jb++) {
        const qBase = jb * kk * MR;
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
        for (let p = 0; p < kk; p++) {
          const po = pBase + p * MR;
          const qo = qBase + p * MR;
          const a0 = pk[po]!,
            a1 = pk[po + 1]!,
            a2 = pk[po + 2]!,
            a3 = pk[po + 3]!;
          const b0 = qk[qo]!,
            b1 = qk[qo + 1]!,
            b2 = qk[qo + 2]!,
            b3 = qk[qo + 3]!;
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
        const i0 = ib * MR;
        const j0 = jb * MR;
        if (i0 + MR <= m && j0 + MR <= m && jb > ib) {
          let o = (r0 + i0) * ldc + r0 + j0;
          c[o] = c[o]! - c00;
          c[o + 1] = c[o + 1]! - c01;
          c[o + 2] = c[o + 2]! - c02;
          c[o + 3] = c[o + 3]! - c03;
          o += ldc;
          c[o] = c[o]! - c10;
          c[o + 1] = c[o + 1]! - c11;
          c[o + 2] = c[o + 2]! - c12;
          c[o + 3] = c[o + 3]! - c13;
          o += ldc;
          c[o] = c[o]! - c20;
          c[o + 1] = c[o + 1]! - c21;
          c[o + 2] = c[o + 2]! - c22;
          c[o + 3] = c[o + 3]! - c23;
          o += ldc;
          c[o] = c[o]! - c30;
          c[o + 1] = c[o + 1]! - c31;
          c[o + 2] = c[o + 2]! - c32;
          c[o + 3] = c[o + 3]! - c33;
        } else {
          edge[0] = c00;
          edge[1] = c01;
          edge[2] = c02;
          edge[3] = c03;
          edge[4] = c10;
          edge[5] = c11;
          edge[6] = c12;
          edge[7] = c13;
          edge[8] = c20;
          edge[9] = c21;
          edge[10] = c22;
          edge[11] = c23;
          edge[12] = c30;
          edge[13] = c31;
          edge[14] = c32;
          edge[15] = c33;
          subtractTile(c, ldc, r0, m, i0, j0, edge, 0);
        }
      }
    }
  }
}

/** {@link kernelUpper} with the tile products from the WebAssembly kernel, subtracted here. */
function kernelUpperSimd(c: Float64Array, ldc: number, r0: number, m: number, simd: PackedTiles): void {
  forUpperTileRuns(m, (ib, jb0, count, full) => {
    const t = simd.rowTiles(ib, jb0, count);
    const i0 = ib * MR;
    if (!full) {
      subtractTile(c, ldc, r0, m, i0, jb0 * MR, t, 0);
      return;
    }
    for (let u = 0; u < count; u++) {
      let o = (r0 + i0) * ldc + r0 + (jb0 + u) * MR;
      for (let r = 0; r < MR; r++, o += ldc) {
        const tr = u * 16 + r * MR;
        c[o] = c[o]! - t[tr]!;
        c[o + 1] = c[o + 1]! - t[tr + 1]!;
        c[o + 2] = c[o + 2]! - t[tr + 2]!;
        c[o + 3] = c[o + 3]! - t[tr + 3]!;
      }
    }
  });
}
