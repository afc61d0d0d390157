import { describe, expect, it } from 'vitest';
import { FULL_EIG_MAX_N, largestEigenvalue, spectralNormOfValues, symmetricSpectralNorm } from '../../../../../src/main/engine/linalg/largestEigenvalue';
import { lcg } from './lcg';

/** Q diag(λ) Qᵀ [n, n] for a random orthogonal Q (Householder reflections of seeded vectors). */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) A[i * n + i] = lambda[i]!;
  const rand = lcg(seed);
  for (let h = 0; h < 3; h++) {
    const v = Float64Array.from({ length: n }, rand);
    const vv = v.reduce((s, x) => s + x * x, 0);
    // A ← H A H with H = I − 2vvᵀ/vᵀv, both sides.
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i]! * A[pass === 0 ? i * n + j : j * n + i]!;
        const f = (2 * dot) / vv;
        for (let i = 0; i < n; i++) A[pass === 0 ? i * n + j : j * n + i]! -= f * v[i]!;
      }
    }
  }
  // Exactly symmetric, as the kernels are.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[j * n + i] = A[i * n + j] = (A[i * n + j]! + A[j * n + i]!) / 2;
  return A;
}

describe('spectral norms of symmetric matrices', () => {
  it('symmetricSpectralNorm takes the larger |λ| at either end of an indefinite spectrum', () => {
    const n = 40;
    const lowEnd = Array.from({ length: n }, (_, i) => -7 + (9 * i) / (n - 1)); // −7 … 2: the norm at the bottom
    const highEnd = lowEnd.map((x) => -x); // −2 … 7: at the top
    expect(symmetricSpectralNorm(withSpectrum(lowEnd, 5), n)).toBeCloseTo(7, 10);
    expect(symmetricSpectralNorm(withSpectrum(highEnd, 6), n)).toBeCloseTo(7, 10);
    expect(spectralNormOfValues(Float64Array.of(-3, 0.5, 2))).toBe(3);
    expect(spectralNormOfValues(Float64Array.of(-1, 4))).toBe(4);
  });

  it('largestEigenvalue is the norm of a positive semi-definite matrix on both sides of the full/Lanczos switch', () => {
    for (const n of [FULL_EIG_MAX_N - 10, FULL_EIG_MAX_N + 20]) {
      const lambda = Array.from({ length: n }, (_, i) => (i < 3 ? 0 : 1 + i / n));
      lambda[n - 1] = 5; // a separated top eigenvalue
      const A = withSpectrum(lambda, n);
      expect(largestEigenvalue(A, n)).toBeCloseTo(5, 8);
      expect(symmetricSpectralNorm(A, n)).toBeCloseTo(5, 10);
    }
  });
});
