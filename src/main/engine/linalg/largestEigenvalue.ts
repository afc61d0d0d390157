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
