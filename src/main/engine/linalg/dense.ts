/**
 * Dense float64 helpers used across the engine. Matrices are row-major Float64Arrays; shapes are given
 * explicitly and checked on entry.
 */
import { gemmNT } from './gemm';

function checkLength(fn: string, name: string, a: ArrayLike<number>, expected: number, shape: string): void {
  if (a.length !== expected) {
    throw new RangeError(`${fn}: ${name} has ${a.length} entries, expected ${expected} for shape ${shape}`);
  }
}

/** C = A·B for A [m, k], B [k, n] → C [m, n] (i-k-j loop order, cache-friendly). */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  checkLength('matmul', 'a', a, m * k, `[${m}, ${k}]`);
  checkLength('matmul', 'b', b, k * n, `[${k}, ${n}]`);
  // Large products go to the register-blocked gemm (Bᵀ's rows are B's columns); the copy is O(kn).
  if (m * k * n >= BLOCKED_MIN_WORK) return gemmNT(a, transpose(b, k, n), m, n, k);
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b[bp + j]!;
    }
  }
  return c;
}

/** Above this many multiply–adds matmulTransA transposes its operands for the register-blocked gemmNT. */
const BLOCKED_MIN_WORK = 1 << 20;

/**
 * C = Aᵀ·B for A [k, m], B [k, n] → C [m, n]. Columns of A against columns of B (e.g. XᵀY for X [d, n]).
 * Large products go through gemmNT on the transposes (the rank-1 loop below streams all of C k times).
 */
export function matmulTransA(a: Float64Array, b: Float64Array, k: number, m: number, n: number): Float64Array {
  checkLength('matmulTransA', 'a', a, k * m, `[${k}, ${m}]`);
  checkLength('matmulTransA', 'b', b, k * n, `[${k}, ${n}]`);
  if (k * m * n >= BLOCKED_MIN_WORK && k > 1) {
    const at = transpose(a, k, m);
    return gemmNT(at, b === a ? at : transpose(b, k, n), m, n, k);
  }
  const c = new Float64Array(m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i]!;
      if (api === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j]! += api * b[bp + j]!;
    }
  }
  return c;
}

/** Gram matrix of the columns, XᵀX for X [rows, cols] → [cols, cols], computed once per pair (exactly symmetric). */
export function gramCols(x: Float64Array, rows: number, cols: number): Float64Array {
  checkLength('gramCols', 'x', x, rows * cols, `[${rows}, ${cols}]`);
  const g = new Float64Array(cols * cols);
  for (let p = 0; p < rows; p++) {
    const xp = p * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[xp + i]!;
      if (xi === 0) continue;
      const gi = i * cols;
      for (let j = i; j < cols; j++) g[gi + j]! += xi * x[xp + j]!;
    }
  }
  for (let i = 0; i < cols; i++) for (let j = i + 1; j < cols; j++) g[j * cols + i] = g[i * cols + j]!;
  return g;
}

/** Gram matrix of the rows, XXᵀ for X [rows, cols] → [rows, rows] (exactly symmetric). */
export function gramRows(x: Float64Array, rows: number, cols: number): Float64Array {
  checkLength('gramRows', 'x', x, rows * cols, `[${rows}, ${cols}]`);
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let s = 0;
      for (let p = 0; p < cols; p++) s += x[i * cols + p]! * x[j * cols + p]!;
      g[i * rows + j] = s;
      g[j * rows + i] = s;
    }
  }
  return g;
}

/** Transpose of A [rows, cols] → [cols, rows]. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  checkLength('transpose', 'a', a, rows * cols, `[${rows}, ${cols}]`);
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/** ‖A‖_F = √(Σ a²), scaled to avoid overflow/underflow. */
export function frobeniusNorm(a: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]! / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** Euclidean norms of the columns of X [rows, cols] → [cols]. */
export function columnNorms(x: Float64Array, rows: number, cols: number): Float64Array {
  checkLength('columnNorms', 'x', x, rows * cols, `[${rows}, ${cols}]`);
  const s = new Float64Array(cols);
  for (let p = 0; p < rows; p++) {
    const xp = p * cols;
    for (let i = 0; i < cols; i++) {
      const v = x[xp + i]!;
      s[i]! += v * v;
    }
  }
  for (let i = 0; i < cols; i++) s[i] = Math.sqrt(s[i]!);
  return s;
}
