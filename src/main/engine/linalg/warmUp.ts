/**
 * A warm-up of the eigensolvers (issue 13): the first solve in a fresh thread compiles the WebAssembly
 * kernels and the TypeScript around them, which at n = 1000 costs the step-0 extreme eigenvalues about
 * 0.2 s. A thread with nothing to do yet (a standby engine worker) pays that here instead, on small matrices
 * that take the same code paths: the blocked Householder reduction, QL with SIMD rotations, the Cholesky
 * factor and its triangular solves, Lanczos with the SIMD products, and the installed fast float64 product.
 */
import { extremeEigen } from './extremeEigen';
import { symmetricEigen } from './symmetricEigen';
import { fastFloat64Gemm } from './fastGemm';

/** Order of the warm-up matrices: above every kernel's threshold (SIMD, blocked reduction), still milliseconds. */
const WARM_N = 160;

/** Runs small solves through every eigensolver path once. */
export function warmUpEigensolvers(): void {
  const n = WARM_N;
  // A symmetric positive definite matrix with a spread spectrum: exp(−|i − j|/8) plus a ridge.
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = Math.exp(-Math.abs(i - j) / 8) + (i === j ? 0.01 : 0);
  symmetricEigen(a, n, { vectors: true, vectorChecks: false });
  extremeEigen({ n, matrix: a }, { k: 2, which: 'smallest' });
  extremeEigen({ n, matrix: a }, { k: 2, which: 'largest' });
  // The installed fast product (onnxruntime's, loaded at its first call: ~60 ms in a fresh thread), which the
  // Cholesky factor of a large matrix multiplies in, loaded and run once.
  fastFloat64Gemm()?.(a, a, n, n, n, new Float64Array(n * n));
}
