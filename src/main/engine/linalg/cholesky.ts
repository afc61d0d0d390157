/**
 * Dense blocked Cholesky factorization in float64, for shift-invert spectra (SPEC §8); the solves with the
 * factor are simdTriangular.ts's. The eigensolvers take {@link choleskySolver} (the factor made in the memory its
 * solves run in); {@link choleskyUpperBlocked} gives the same factor as an array, which the tests check against
 * the unblocked reference.
 */
import { checkAborted, checkSquare, type AbortFlag } from './diagnostics';
import { createSimdCholeskySolveFrom, createSimdRowWorkspace, type SimdCholeskySolve, type SimdRowWorkspace } from './simdTriangular';
import { syrkUpperFromRows } from './syr2k';
import { fastFloat64Gemm, type Float64Gemm } from './fastGemm';

/** Panel height of the blocked factorization: the trailing update is a rank-NB product at micro-kernel speed. */
const CHOL_NB = 64;
/**
 * From this order on the trailing updates go to the installed fast float64 product (onnxruntime's, several times
 * our kernels' speed; linalg/fastGemm.ts) where there is one, in panels of {@link GEMM_NB} rows. It does 4/3 of a
 * symmetric update's flops (in {@link GEMM_ROW_BLOCKS} row blocks, each multiplied from its diagonal on), yet at
 * n = 1000 the factor took 20–25 ms against 43–47 ms in our kernels (panels of 48–128 rows and 2–6 blocks alike);
 * below n ≈ 500 the two were level.
 */
export const CHOLESKY_GEMM_MIN_N = 600;
const GEMM_NB = 128;
/** The trailing matrix's rows in this many blocks, each multiplied from its diagonal on: 2/3 of the full product. */
const GEMM_ROW_BLOCKS = 3;

/**
 * Upper Cholesky factor of (A − σI) = Uᵀ U for symmetric A [n, n] (row-major; upper triangle read, A not
 * modified), blocked right-looking (LAPACK dpotrf scheme): per panel of NB rows the panel is factored with
 * contiguous row operations, then the trailing matrix gets one rank-NB downdate A₂₂ ← A₂₂ − U₁₂ᵀ U₁₂ through
 * the register-blocked kernel of {@link syrkUpperFromRows}, so n³/3 of the n³/3 + O(n²·NB) flops run at
 * matrix-product speed. Returns U [n, n] (row-major, strictly lower part zero), or null when a pivot is
 * not positive beyond round-off, i.e. A − σI is not numerically positive definite.
 */
export function choleskyUpperBlocked(a: Float64Array, n: number, shift = 0, signal?: AbortFlag): Float64Array | null {
  checkSquare('choleskyUpperBlocked', 'a', a, n);
  // The panel's row updates run in WebAssembly SIMD on the factor kept in that kernel's memory.
  const ws = createSimdRowWorkspace(n * n);
  try {
    return factorInPlace(a, n, shift, signal, ws) ? ws.mem.slice() : null;
  } finally {
    ws.release();
  }
}

/**
 * Solves of (A − σI) x = b by the factor of {@link choleskyUpperBlocked}, computed in the memory its solves run
 * in (the same U, bit for bit); null when there is no factor. Owned by the caller until release().
 */
export function choleskySolver(a: Float64Array, n: number, shift = 0, signal?: AbortFlag): SimdCholeskySolve | null {
  checkSquare('choleskySolver', 'a', a, n);
  return createSimdCholeskySolveFrom(n, (ws) => factorInPlace(a, n, shift, signal, ws));
}

/** The body of {@link choleskyUpperBlocked} on ws.mem; false when a pivot is not positive beyond round-off. */
function factorInPlace(a: Float64Array, n: number, shift: number, signal: AbortFlag | undefined, ws: SimdRowWorkspace): boolean {
  const u = ws.mem;
  // Each loop over a row is a function of its own, small and run whole every time, so that V8 optimizes it
  // once; this driver's loops are short (issue 13: the whole function compiled again and again on its stack).
  const pivotFloor = n * 2 ** -52 * copyShifted(a, u, n, shift);
  const gemm = n >= CHOLESKY_GEMM_MIN_N ? fastFloat64Gemm() : null;
  const nb = gemm !== null ? GEMM_NB : CHOL_NB;
  const scratch = gemm !== null ? trailingScratch(n, nb) : null;
  for (let k0 = 0; k0 < n; k0 += nb) {
    checkAborted(signal, 'Cholesky factorization');
    const k1 = Math.min(n, k0 + nb);
    for (let r = k0; r < k1; r++) {
      downdateRow(u, n, k0, r, ws);
      const rr = r * n;
      const drr = u[rr + r]!;
      if (!(drr > pivotFloor)) return false;
      const urr = Math.sqrt(drr);
      u[rr + r] = urr;
      scaleRow(u, rr + r + 1, rr + n, 1 / urr);
    }
    if (k1 < n) {
      if (gemm !== null) downdateTrailing(u, n, k0, k1, gemm, scratch!);
      else syrkUpperFromRows(u, n, k1, n - k1, u, n, k0, k1 - k0);
    }
  }
  return true;
}

/** Work arrays of {@link downdateTrailing}, at their largest (the first panel's). */
interface TrailingScratch {
  /** the panel's block U₁₂ transposed [r, kb] */
  left: Float64Array;
  /** U₁₂'s columns from a row block's diagonal on [kb, w] */
  right: Float64Array;
  /** a row block's product [rows, w] */
  product: Float64Array;
}

function trailingScratch(n: number, nb: number): TrailingScratch {
  const r = Math.max(0, n - nb);
  return { left: new Float64Array(r * nb), right: new Float64Array(nb * r), product: new Float64Array(Math.ceil(r / GEMM_ROW_BLOCKS) * r) };
}

/**
 * The trailing downdate A₂₂ ← A₂₂ − U₁₂ᵀ U₁₂ of the panel rows [k0, k1) by the fast product `gemm`: U₁₂ᵀ packed
 * once, then per row block [i0, i1) of the trailing matrix its rows times U₁₂'s columns from i0 on (the product
 * needs contiguous operands), subtracted on and above the diagonal.
 */
function downdateTrailing(u: Float64Array, n: number, k0: number, k1: number, gemm: Float64Gemm, s: TrailingScratch): void {
  const r = n - k1;
  const kb = k1 - k0;
  const left = s.left.subarray(0, r * kb);
  for (let p = 0; p < kb; p++) packColumn(u, (k0 + p) * n + k1, left, p, kb, r);
  for (let b = 0; b < GEMM_ROW_BLOCKS; b++) {
    const i0 = Math.floor((b * r) / GEMM_ROW_BLOCKS);
    const i1 = Math.floor(((b + 1) * r) / GEMM_ROW_BLOCKS);
    if (i1 === i0) continue;
    const w = r - i0;
    const right = s.right.subarray(0, kb * w);
    for (let p = 0; p < kb; p++) {
      const row = (k0 + p) * n + k1 + i0;
      right.set(u.subarray(row, row + w), p * w);
    }
    const product = s.product.subarray(0, (i1 - i0) * w);
    gemm(left.subarray(i0 * kb, i1 * kb), right, i1 - i0, kb, w, product);
    for (let i = i0; i < i1; i++) subtractRow(u, (k1 + i) * n + k1 + i0, product, (i - i0) * w, i - i0, w);
  }
}

/** Row `from` of u (r entries) as column p of the row-major [r, kb] `out`. */
function packColumn(u: Float64Array, from: number, out: Float64Array, p: number, kb: number, r: number): void {
  for (let j = 0; j < r; j++) out[j * kb + p] = u[from + j]!;
}

/** u[at + j] −= product[pAt + j] for j in [from, to). */
function subtractRow(u: Float64Array, at: number, product: Float64Array, pAt: number, from: number, to: number): void {
  for (let j = from; j < to; j++) u[at + j] = u[at + j]! - product[pAt + j]!;
}

/** The upper triangle of A − shift·I into u; returns the largest |diagonal entry| of the shifted matrix. */
function copyShifted(a: Float64Array, u: Float64Array, n: number, shift: number): number {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = i; j < n; j++) u[ri + j] = a[ri + j]!;
    u[ri + i] = u[ri + i]! - shift;
    maxDiag = Math.max(maxDiag, Math.abs(u[ri + i]!));
  }
  return maxDiag;
}

/**
 * Left-looking inside the panel: row r takes the downdates of the panel's earlier rows k0 … r − 1 four at a
 * time, so each pass over the row does 8 flops per load/store pair instead of 2.
 */
function downdateRow(u: Float64Array, n: number, k0: number, r: number, ws: SimdRowWorkspace): void {
  const rr = r * n;
  let i = k0;
  for (; i + 4 <= r; i += 4) {
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    ws.axpy4(rr + r, o0 + r, n, n - r, u[o0 + r]!, u[o1 + r]!, u[o2 + r]!, u[o3 + r]!);
  }
  for (; i < r; i++) {
    const oi = i * n;
    const f = u[oi + r]!;
    for (let c = r; c < n; c++) u[rr + c] = u[rr + c]! - f * u[oi + c]!;
  }
}

function scaleRow(u: Float64Array, from: number, to: number, factor: number): void {
  for (let c = from; c < to; c++) u[c] = u[c]! * factor;
}
