/**
 * Full symmetric eigen-decomposition in float64 (SPEC §5.5, §8): symmetrize, Householder-reduce to
 * tridiagonal form, then implicit QL; eigenvectors on request by accumulating the transforms (or, at larger
 * orders where a fast float64 product is installed, by divide and conquer and one product with Qᵀ).
 */
import { WorkbenchException } from '../../../shared/api/result';
import {
  checkSquare,
  maxResidual,
  orthogonalityError,
  relativeAsymmetry,
  spectrumDiagnostics,
  symmetrize,
  type AbortFlag,
  type EigDiagnostics,
} from './diagnostics';
import { householderTridiagonalValues, householderTridiagonalVectors } from './householderTridiagonal';
import { fastFloat64Gemm } from './fastGemm';
import { tridiagonalDc } from './tridiagonalDc';
import { tridiagonalQl } from './tridiagonalQl';

/**
 * From this order on, eigenvectors come from divide and conquer where a fast float64 product is installed (at
 * n = 1000 its merges and the back-transformation took ~0.2 s against ~0.4–0.55 s of QL rotations).
 */
const DC_MIN_N = 200;

/** Eigenvalues in ascending order, optional eigenvectors, and diagnostics. */
export interface EigResult {
  /** Ascending. */
  values: Float64Array;
  /** [n, n] row-major; column j is the unit eigenvector of values[j]. */
  vectors?: Float64Array;
  diagnostics: EigDiagnostics;
}

/** Options of {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /**
   * Also compute eigenvectors: about 10× the values-only time (the QL rotations on n vectors are ~6n³ flops,
   * the residual and orthogonality diagnostics another ~3n³).
   */
  vectors?: boolean;
  /** Checked inside the long loops; when set the solve throws WorkbenchException('cancelled'). */
  signal?: AbortFlag;
  /**
   * With vectors: measure maxResidual and orthogonalityError (default true). They cost about half the
   * decomposition again (an n×n×n product and a Gram matrix); callers that report no diagnostics skip them.
   */
  vectorChecks?: boolean;
}

/**
 * All eigenvalues (ascending) and optionally eigenvectors of the symmetric part S = (A + Aᵀ)/2 of
 * A [n, n] (row-major; never mutated): S = Q Λ Qᵀ via Householder tridiagonalization and implicit QL
 * (SPEC §8), both through the blocked reduction. Diagnostics report ‖A − Aᵀ‖_F/‖A‖_F, negative count, condition number and, with vectors,
 * max_j ‖S v_j − λ_j v_j‖ and max |VᵀV − I|. Throws 'not-converged' instead of returning an unconverged
 * spectrum, 'invalid-data' for NaN/Inf entries and 'cancelled' when `signal.aborted` is set.
 */
export function symmetricEigen(a: Float64Array, n: number, opts: SymmetricEigenOptions = {}): EigResult {
  checkSquare('symmetricEigen', 'a', a, n);
  // Kernels are built exactly symmetric: then A itself is S, read in place, and no n×n copy is made.
  const asymmetry = relativeAsymmetry(a, n);
  if (!Number.isFinite(asymmetry)) throwNonFinite(a);
  const sym = asymmetry === 0 ? a : symmetrize(a, n).sym;
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const wantVectors = opts.vectors === true;
  // Blocked reduction (rank-2k updates as matrix products); for vectors also Qᵀ, whose rows the QL
  // rotations update contiguously.
  const gemm = wantVectors && n >= DC_MIN_N ? fastFloat64Gemm() : null;
  let qt: Float64Array | undefined;
  /** an n×n array free for the result, where one is at hand */
  let spare: Float64Array | undefined;
  if (wantVectors) {
    const work = new Float64Array(sym);
    if (gemm !== null) {
      // Four n×n arrays in all: the reduction's copy of S, Qᵀ and two more, each used again once spent.
      const [s1, s2] = [new Float64Array(n * n), new Float64Array(n * n)];
      const q = householderTridiagonalVectors(work, n, d, e, opts.signal, { gemm, scratch: s1 });
      // T = Z Λ Zᵀ by divide and conquer, then the eigenvectors of S = Q T Qᵀ as rows: (QZ)ᵀ = Zᵀ Qᵀ.
      const zt = tridiagonalDc(d, e, gemm, opts.signal, { result: work, scratch: s1, roots: s2 });
      gemm(zt, q, n, n, n, s1);
      qt = s1;
      spare = s2;
    } else {
      qt = householderTridiagonalVectors(work, n, d, e, opts.signal);
      tridiagonalQl(d, e, qt, opts.signal);
    }
  } else {
    householderTridiagonalValues(sym, n, d, e, opts.signal);
    tridiagonalQl(d, e, undefined, opts.signal);
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const diagnostics: EigDiagnostics = { asymmetry, ...spectrumDiagnostics(values, n) };
  if (qt === undefined) return { values, diagnostics };

  // Column j of the result is row order[j] of Qᵀ, copied in blocks of rows so that reads and writes both stay in cache.
  const vectors = spare ?? new Float64Array(n * n);
  const B = 32;
  for (let k0 = 0; k0 < n; k0 += B) {
    const k1 = Math.min(n, k0 + B);
    for (let j = 0; j < n; j++) {
      const src = order[j]! * n;
      for (let k = k0; k < k1; k++) vectors[k * n + j] = qt[src + k]!;
    }
  }
  if (opts.vectorChecks !== false) {
    const cols = order.map((src) => qt.subarray(src * n, src * n + n));
    diagnostics.maxResidual = maxResidual(sym, n, values, cols);
    diagnostics.orthogonalityError = orthogonalityError(cols);
  }
  return { values, vectors, diagnostics };
}

function throwNonFinite(a: Float64Array): never {
  const index = a.findIndex((x) => !Number.isFinite(x));
  throw new WorkbenchException('invalid-data', `symmetricEigen: a has a non-finite entry at index ${index}`, {
    index,
    value: String(a[index]),
  });
}
