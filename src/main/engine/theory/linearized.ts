/**
 * Infinite-width (frozen-kernel) dynamics, predictions and the memorization measure (SPEC §6, §8).
 *
 * With the NTK frozen at I_d ⊗ H, GD on the residual E [d, n] is E(k) = E(0)(I − ηH)^k per output row.
 * One eigendecomposition H = QΛQᵀ gives every k cheaply: with c = E(0)Q [d, n],
 *   L(k) = ½ Σ_a Σ_ℓ (1 − ηλ_ℓ)^{2k} c_{aℓ}².
 */
import { gramCols, gramRows, matmul, matmulFast, matmulTransA, symmetricEigen } from '../linalg';

/** A frozen-kernel model with its eigendecomposition precomputed. */
export interface LinearizedModel {
  /** L(k) = ½‖E(k)‖_F² */
  lossAt(k: number): number;
  /** Σ_a c_{aℓ}(k)² for each eigen-direction ℓ (ascending λ), c(k) = E(k)Q: the spectral-bias picture. */
  residualEnergyAt(k: number): Float64Array;
  /** E(k) = E(0) Q diag((1 − ηλ)^k) Qᵀ, [d, n]. */
  residualAt(k: number): Float64Array;
  /** λ_ℓ(H), ascending */
  eigenvalues: Float64Array;
  /** Q [n, n] row-major, column ℓ is the eigenvector of λ_ℓ */
  eigenvectors: Float64Array;
  /** c = E(0)Q [d, n] */
  coefficients: Float64Array;
  eta: number;
  n: number;
  d: number;
}

function checkArgs(fn: string, H: Float64Array | null, n: number, E0: Float64Array, d: number, eta: number): void {
  if (H !== null && H.length !== n * n) throw new RangeError(`${fn}: H has ${H.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  if (E0.length !== d * n) throw new RangeError(`${fn}: E0 has ${E0.length} entries, expected ${d * n} for shape [d=${d}, n=${n}]`);
  if (!Number.isFinite(eta) || eta < 0) throw new RangeError(`${fn}: eta must be a finite number ≥ 0, got ${eta}`);
}

/** (1 − ηλ)^{2k} without overflow surprises for negative bases; k must be an integer ≥ 0. */
function decay2(eta: number, lambda: number, k: number): number {
  const b = 1 - eta * lambda;
  return Math.pow(b * b, k);
}

/**
 * Precomputes H = QΛQᵀ (H [n, n] symmetric, E0 [d, n] = U0 − X) for the frozen-kernel dynamics
 * E(k) = E(0)(I − ηH)^k (SPEC §6, §8). Pass an existing decomposition to skip the eigensolve (H may then be
 * null), with c = E(0)Q when it is known too.
 */
export function linearizedModel(
  H: Float64Array | null,
  n: number,
  E0: Float64Array,
  d: number,
  eta: number,
  eig?: { values: Float64Array; vectors: Float64Array; coefficients?: Float64Array },
  signal?: { readonly aborted: boolean },
): LinearizedModel {
  checkArgs('linearizedModel', H, n, E0, d, eta);
  if (H === null && eig === undefined) throw new RangeError('linearizedModel: give H or its eigendecomposition');
  const { values, vectors } = eig ?? (symmetricEigen(H!, n, { vectors: true, signal, vectorChecks: false }) as { values: Float64Array; vectors: Float64Array });
  const c = eig?.coefficients ?? matmulFast(E0, vectors, d, n, n);
  const energy0 = new Float64Array(n);
  for (let a = 0; a < d; a++) for (let l = 0; l < n; l++) energy0[l]! += c[a * n + l]! ** 2;
  const checkK = (k: number) => {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`linearizedModel: k must be an integer ≥ 0, got ${k}`);
  };
  return {
    lossAt(k: number): number {
      checkK(k);
      let s = 0;
      for (let l = 0; l < n; l++) s += decay2(eta, values[l]!, k) * energy0[l]!;
      return 0.5 * s;
    },
    residualEnergyAt(k: number): Float64Array {
      checkK(k);
      const out = new Float64Array(n);
      for (let l = 0; l < n; l++) out[l] = decay2(eta, values[l]!, k) * energy0[l]!;
      return out;
    },
    residualAt(k: number): Float64Array {
      checkK(k);
      const scaled = new Float64Array(d * n);
      for (let l = 0; l < n; l++) {
        const f = Math.pow(1 - eta * values[l]!, k);
        for (let a = 0; a < d; a++) scaled[a * n + l] = c[a * n + l]! * f;
      }
      // E(k) = (c ∘ f) Qᵀ
      const out = new Float64Array(d * n);
      for (let a = 0; a < d; a++) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let l = 0; l < n; l++) s += scaled[a * n + l]! * vectors[i * n + l]!;
          out[a * n + i] = s;
        }
      }
      return out;
    },
    eigenvalues: values,
    eigenvectors: vectors,
    coefficients: c,
    eta,
    n,
    d,
  };
}

/**
 * L(k) = ½ Σ_a Σ_ℓ (1 − ηλ_ℓ)^{2k} c_{aℓ}², c = E(0)Q, for each k in `steps` (SPEC §8), from one
 * eigendecomposition of H [n, n]; E0 [d, n] is the initial residual U0 − X.
 */
export function linearizedLossCurve(H: Float64Array, n: number, E0: Float64Array, d: number, eta: number, steps: number[]): number[] {
  const model = linearizedModel(H, n, E0, d, eta);
  return steps.map((k) => model.lossAt(k));
}

/**
 * (1 − (1 − ηλ)^k)/λ, stable for small ηλ; its limit ηk at λ = 0. k = Infinity gives 1/λ (0 for λ ≤ cutoff),
 * or 1/(λ + ridge) with a ridge > 0 (λ < 0 from round-off counts as 0).
 */
function filterFactor(eta: number, lambda: number, k: number, cutoff: number, ridge: number): number {
  if (k === Infinity) {
    if (ridge > 0) return 1 / (Math.max(lambda, 0) + ridge);
    return lambda > cutoff ? 1 / lambda : 0;
  }
  if (lambda === 0) return eta * k;
  const x = eta * lambda;
  if (x < 1 && x > -1) return -Math.expm1(k * Math.log1p(-x)) / lambda;
  return (1 - Math.pow(1 - x, k)) / lambda;
}

/**
 * Frozen-kernel predictions on test inputs (SPEC §6):
 *   u_k(x) = u₀(x) + (X − U₀)[I − (I − ηH)^k]H⁻¹q(x),   u_∞(x) = u₀(x) + (X − U₀)H⁻¹q(x)
 * with q(x) = [Θ(x₁, x), …, Θ(xₙ, x)]. `Q` is the cross kernel [n, nTest], `Utest0` = u₀ on the test
 * inputs [d, nTest] (omit for u₀ ≡ 0). k = Infinity gives u_∞, with H⁻¹ as the pseudo-inverse that drops
 * eigenvalues ≤ 1e-12·λ_max, or (H + ridge·I)⁻¹ when `ridge` > 0: this is kernel ridge regression
 * (engine/related/kernelRegression.ts), so the memorization predictor and every kernel regression of the
 * app are this one function. Returns [d, nTest].
 */
export function predictLinearized(model: LinearizedModel, Q: Float64Array, nTest: number, k: number, Utest0?: Float64Array, ridge = 0): Float64Array {
  const { n, d, eta, eigenvalues, eigenvectors, coefficients } = model;
  if (Q.length !== n * nTest) throw new RangeError(`predictLinearized: Q has ${Q.length} entries, expected ${n * nTest} for shape [${n}, ${nTest}]`);
  if (Utest0 && Utest0.length !== d * nTest) {
    throw new RangeError(`predictLinearized: Utest0 has ${Utest0.length} entries, expected ${d * nTest} for shape [${d}, ${nTest}]`);
  }
  if (!(k === Infinity || (Number.isInteger(k) && k >= 0))) throw new RangeError(`predictLinearized: k must be an integer ≥ 0 or Infinity, got ${k}`);
  if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new RangeError(`predictLinearized: ridge must be a finite number ≥ 0, got ${ridge}`);
  if (ridge > 0 && k !== Infinity) throw new RangeError(`predictLinearized: a ridge applies to k = Infinity only, got k = ${k}`);
  const lmax = Math.max(0, eigenvalues[n - 1] ?? 0);
  const cutoff = 1e-12 * lmax;
  // B = −E0 Q diag(f)  (X − U0 = −E0), C = Qᵀ q
  const B = new Float64Array(d * n);
  for (let l = 0; l < n; l++) {
    const f = filterFactor(eta, eigenvalues[l]!, k, cutoff, ridge);
    for (let a = 0; a < d; a++) B[a * n + l] = -coefficients[a * n + l]! * f;
  }
  const C = matmulTransA(eigenvectors, Q, n, n, nTest);
  const out = matmul(B, C, d, n, nTest);
  if (Utest0) for (let i = 0; i < out.length; i++) out[i]! += Utest0[i]!;
  return out;
}

/**
 * Orthonormal basis of span{columns of X [d, n]} as [d, r] plus its rank r (relative cutoff 1e-10 on σ²).
 * From the smaller Gram matrix: X Xᵀ [d, d] (its eigenvectors are the basis) when d ≤ n, else Xᵀ X [n, n]
 * (u_l = X v_l/σ_l): at n = 1000, d = 100 the n×n eigendecomposition with vectors took seconds. `side` forces
 * one of the two (tests compare them).
 */
export function spanBasis(X: Float64Array, d: number, n: number, side: 'auto' | 'features' | 'samples' = 'auto'): { basis: Float64Array; rank: number } {
  const features = side === 'features' || (side === 'auto' && d <= n);
  const size = features ? d : n;
  const G = features ? gramRows(X, d, n) : gramCols(X, d, n);
  const { values, vectors } = symmetricEigen(G, size, { vectors: true }) as { values: Float64Array; vectors: Float64Array };
  const top = values[size - 1] ?? 0;
  const keep: number[] = [];
  for (let l = 0; l < size; l++) if (values[l]! > 1e-10 * top && values[l]! > 0) keep.push(l);
  const r = keep.length;
  const basis = new Float64Array(d * r);
  keep.forEach((l, col) => {
    if (features) {
      for (let a = 0; a < d; a++) basis[a * r + col] = vectors[a * d + l]!;
      return;
    }
    const inv = 1 / Math.sqrt(values[l]!);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += X[a * n + i]! * vectors[i * n + l]!;
      basis[a * r + col] = s * inv;
    }
  });
  return { basis, rank: r };
}

/**
 * Memorization measure (SPEC §6, E8): the share of ‖U‖_F² (U [d, count], e.g. predictions on test
 * inputs) that lies in span{x₁,…,xₙ}, and the random-subspace baseline rank(X)/d (= n/d for n < d).
 */
export function spanShare(X: Float64Array, d: number, n: number, U: Float64Array, count: number): { share: number | null; baseline: number; rank: number } {
  if (U.length !== d * count) throw new RangeError(`spanShare: U has ${U.length} entries, expected ${d * count} for shape [${d}, ${count}]`);
  const { basis, rank } = spanBasis(X, d, n);
  const P = matmulTransA(basis, U, d, rank, count);
  let inSpan = 0;
  for (const v of P) inSpan += v * v;
  let total = 0;
  for (const v of U) total += v * v;
  return { share: total > 0 ? inSpan / total : null, baseline: rank / d, rank };
}
