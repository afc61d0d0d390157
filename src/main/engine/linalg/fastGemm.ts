/**
 * Where the synchronous solvers find a fast float64 matrix product: none by default (our WebAssembly kernels
 * then do the work); the engine's threads install onnxruntime's (backends/float64Matmul.ts), which runs at
 * several times their speed.
 */
import { matmul } from './dense';

/**
 * out [m, n] = a [m, k] · b [k, n] (+ c [m, n] when given), all row-major and contiguous, synchronously; out is
 * written in place and shares no memory with a, b or c.
 */
export type Float64Gemm = (a: Float64Array, b: Float64Array, m: number, k: number, n: number, out: Float64Array, c?: Float64Array) => void;

let loadGemm: (() => Float64Gemm | null) | null = null;
let gemm: Float64Gemm | null | undefined;

/**
 * Installs (or with null removes) where the fast float64 product comes from: `load` is called once, at the first
 * product that wants it, and may answer null (no such product here: the callers keep their own kernels, the
 * eigensolver implicit QL).
 */
export function installFloat64Gemm(load: (() => Float64Gemm | null) | null): void {
  loadGemm = load;
  gemm = undefined;
}

/** The installed product (loaded on first call), or null. */
export function fastFloat64Gemm(): Float64Gemm | null {
  if (gemm === undefined) gemm = loadGemm?.() ?? null;
  return gemm;
}

/**
 * Products below this many multiply-adds stay in {@link matmul}'s kernels: onnxruntime's call costs ~0.1 ms,
 * and a tiny product gains nothing from its speed.
 */
const FAST_MIN_WORK = 1_000_000;

/**
 * A·B [m, n] for A [m, k] and B [k, n] (row-major): in the installed fast product where there is one and the
 * product is large enough, else in {@link matmul} (the same product to round-off).
 */
export function matmulFast(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const g = m * k * n >= FAST_MIN_WORK ? fastFloat64Gemm() : null;
  if (g === null) return matmul(a, b, m, k, n);
  const out = new Float64Array(m * n);
  g(a, b, m, k, n, out);
  return out;
}
