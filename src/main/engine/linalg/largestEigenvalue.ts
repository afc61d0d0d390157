/**
 * λ_max of a symmetric matrix, by the solver that fits its size: the full symmetric eigensolver up to
 * {@link FULL_EIG_MAX_N}, the extreme eigensolver (Lanczos) above.
 */
import { symmetricEigen } from './symmetricEigen';
import { extremeEigen } from './extremeEigen';

/** Full symmetric eigensolver up to this N, extreme eigensolver above (also the tracked eigenvalues' switch). */
export const FULL_EIG_MAX_N = 300;

/** λ_max of a symmetric matrix H [N, N]. */
export function largestEigenvalue(H: Float64Array, N: number): number {
  if (N <= FULL_EIG_MAX_N) {
    const v = symmetricEigen(H, N).values;
    return v[N - 1]!;
  }
  return extremeEigen({ n: N, matrix: H }, { k: 1, which: 'largest' }).values[0]!;
}

/** ‖A‖₂ of a symmetric matrix from its eigenvalues in ascending order: the larger of |λ_min| and |λ_max|. */
export function spectralNormOfValues(values: Float64Array): number {
  return Math.max(Math.abs(values[0]!), Math.abs(values[values.length - 1]!));
}

/**
 * ‖A‖₂ of a symmetric A [n, n] that may be indefinite (a difference of kernels), from the full solver's
 * eigenvalues: its norm can lie at either end of the spectrum, where Lanczos may converge slowly at a clustered
 * end. For a positive semi-definite matrix {@link largestEigenvalue} is the norm.
 */
export function symmetricSpectralNorm(A: Float64Array, n: number): number {
  return spectralNormOfValues(symmetricEigen(A, n).values);
}
