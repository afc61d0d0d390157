/**
 * The k largest or k smallest eigenpairs of a symmetric (typically PSD kernel) operator, SPEC §5.5, §8:
 * thick-restarted Lanczos with full reorthogonalization for the largest, Lanczos on the Cholesky
 * shift-invert operator (A − σI)⁻¹ for the smallest of a dense matrix, matrix-free where only products exist.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { choleskySolver } from './cholesky';
import { checkAborted, relativeAsymmetry, ROUNDOFF_FACTOR, symmetrize, type AbortFlag, type EigDiagnostics } from './diagnostics';
import { householderTridiagonalVectors } from './householderTridiagonal';
import { createSimdSymmetricMatvec } from './simdSymv';
import { createSimdBasis, type SimdBasis, type SimdCholeskySolve } from './simdTriangular';
import { symmetricEigen } from './symmetricEigen';
import { tridiagonalQl } from './tridiagonalQl';
import { symvUpper } from './symv';

/** A symmetric n×n operator, given densely, as products, or both. */
export interface SymOperator {
  n: number;
  /** [n, n] row-major, when available (symmetrized on a copy). */
  matrix?: Float64Array;
  /** y = A x for x, y [n]; must not keep references to x or y. */
  matvec?: (x: Float64Array, y: Float64Array) => void;
  /** diag(A) [n], optional: a Jacobi preconditioner for the matrix-free smallest eigenpairs (LOBPCG). */
  diagonal?: Float64Array;
}

/** Options of {@link extremeEigen}. */
export interface ExtremeEigenOptions {
  /** How many eigenpairs, 1 ≤ k ≤ n. */
  k: number;
  which: 'largest' | 'smallest';
  /** Convergence: ‖B y − θ y‖ ≤ tol·max|θ| for the operator B iterated on (default 1e-10). */
  tol?: number;
  /** Most operator applications before giving up with 'not-converged' (default max(500, 60k)). */
  maxIter?: number;
  /**
   * Smallest pairs without a Cholesky factor (matrix-free, or indefinite): 'lanczos' (default, Lanczos on
   * −A) or 'lobpcg' (block LOBPCG, Jacobi-preconditioned when op.diagonal or the matrix is given). On the
   * joint traced NTK (near-constant diagonal) Lanczos needs ~10× fewer products; LOBPCG pays off only with
   * a preconditioner that separates the bottom of the spectrum.
   */
  matrixFreeSmallest?: 'lanczos' | 'lobpcg';
  /** Previous eigenvectors [n] each; they seed the search space. */
  warmStart?: Float64Array[];
  /**
   * 'smallest' of a dense matrix: a shift σ believed to lie below the spectrum (a fraction of an earlier λ_min,
   * say). The iteration then runs on (A − σI)⁻¹, whose top eigenvalues 1/(λ − σ) stand apart the more the
   * closer σ is to λ_min: a tight cluster at the bottom (the traced NTK's) needs several times fewer solves.
   * Where A − σI has no Cholesky factor (σ not below the spectrum after all) the solve goes on as without it.
   * The values and residuals are A's either way.
   */
  shift?: number;
  signal?: AbortFlag;
}

/** Diagnostics of {@link extremeEigen}: the shared ones plus the iteration's record. */
export interface ExtremeEigenDiagnostics extends EigDiagnostics {
  /** Operator applications (matrix–vector products or shift-invert solves). */
  iterations: number;
  converged: boolean;
  /** 'lanczos', 'shift-invert-cholesky', 'shift-invert-cholesky(σ=…)', 'lanczos-negated', 'lobpcg', 'lobpcg-jacobi' or 'dense'. */
  method: string;
  /** ‖A v_j − λ_j v_j‖₂ per returned pair, measured with A itself. */
  residuals: number[];
}

/** Result of {@link extremeEigen}. */
export interface ExtremeEigenResult {
  /** Ascending for 'smallest', descending for 'largest'. */
  values: Float64Array;
  /** Unit eigenvectors [n], vectors[j] belongs to values[j]. */
  vectors: Float64Array[];
  diagnostics: ExtremeEigenDiagnostics;
}

type Apply = (x: Float64Array, y: Float64Array) => void;

/** Reorthogonalize again when a pass leaves less than this fraction of the vector (Daniel–Gragg–Kaufman–Stewart). */
const DGKS_ETA = Math.SQRT1_2;

/** Lanczos products between Rayleigh–Ritz convergence checks (each costs an m×m eigensolve). */
const CHECK_EVERY = 4;

/** Below this order the copy into WebAssembly memory and per-row calls cost more than they save. */
const SIMD_MIN_N = 128;

/**
 * The k extreme eigenpairs of the symmetric operator A (SPEC §5.5: λ₀, λ_dec, λ_J are smallest, the stable
 * step 1/λ_max needs the largest). Largest: thick-restarted Lanczos (Rayleigh–Ritz over a basis with full
 * reorthogonalization). Smallest with a dense matrix: the same iteration on (A − σI)⁻¹ from a Cholesky
 * factor, σ = 0 or, when A is numerically singular, a small negative σ; smallest matrix-free, or when A is
 * indefinite: Lanczos on −A. Values come back as Rayleigh quotients vᵀAv; residuals ‖Av − λv‖ are measured
 * with A. Throws 'not-converged' (residuals in details) after maxIter operator applications, 'cancelled'
 * when the signal is raised, 'invalid-data' for non-finite matrices.
 */
export function extremeEigen(op: SymOperator, opts: ExtremeEigenOptions): ExtremeEigenResult {
  const { n } = op;
  const { k, which } = opts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`extremeEigen: op.n must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`extremeEigen: k must be an integer in [1, ${n}], got ${k}`);
  if (op.matrix === undefined && op.matvec === undefined) {
    throw new RangeError('extremeEigen: op needs a matrix [n, n] or a matvec');
  }
  if (op.diagonal !== undefined && op.diagonal.length !== n) {
    throw new RangeError(`extremeEigen: op.diagonal has shape [${op.diagonal.length}], expected [${n}]`);
  }
  if (op.matrix !== undefined && op.matrix.length !== n * n) {
    throw new RangeError(`extremeEigen: op.matrix has ${op.matrix.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  }
  for (const [i, w] of (opts.warmStart ?? []).entries()) {
    if (w.length !== n) throw new RangeError(`extremeEigen: warmStart[${i}] has shape [${w.length}], expected [${n}]`);
  }
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? Math.max(500, 60 * k);

  let asymmetry = 0;
  let sym: Float64Array | undefined;
  if (op.matrix !== undefined) {
    asymmetry = relativeAsymmetry(op.matrix, n);
    if (!Number.isFinite(asymmetry)) {
      throw new WorkbenchException('invalid-data', 'extremeEigen: op.matrix has non-finite entries');
    }
    // Exactly symmetric input (kernels built symmetric) is used in place: nothing below writes to it.
    sym = asymmetry === 0 ? op.matrix : symmetrize(op.matrix, n).sym;
  }
  // The WebAssembly kernels this solve owns (their memories hold A or its factor), handed back at the end.
  const kernels: { release(): void }[] = [];
  try {
    // Dense products for 'largest' (the Lanczos operator itself): WebAssembly SIMD past small orders, reading
    // the upper triangle once per product (half the memory traffic of row dots, which bounds them at large n);
    // 'smallest' needs only k products of A, not worth copying A into WebAssembly memory.
    const simd = sym !== undefined && which === 'largest' && n >= SIMD_MIN_N ? createSimdSymmetricMatvec(sym, n) : null;
    if (simd !== null) kernels.push(simd);
    const applyA: Apply = sym !== undefined ? (simd?.apply ?? denseApply(sym, n)) : op.matvec!;

    const basisMax = Math.min(n, Math.max(2 * k + 10, 30));
    if (n <= 2 * basisMax) return denseFallback(sym ?? materialize(applyA, n), n, k, which, asymmetry, opts.signal);

    let method = 'lanczos';
    let applyB: Apply;
    let solver: SimdCholeskySolve | null = null;
    if (which === 'largest') {
      method = 'lanczos';
      applyB = applyA;
    } else {
      if (sym !== undefined) {
        // The factor is computed in the WebAssembly memory its SIMD solves then run in, for every iteration.
        const shift = opts.shift;
        if (shift !== undefined && Number.isFinite(shift) && shift > 0) {
          solver = choleskySolver(sym, n, shift, opts.signal);
          method = `shift-invert-cholesky(σ=${shift.toExponential(2)})`;
        }
        if (solver === null) {
          solver = choleskySolver(sym, n, 0, opts.signal);
          method = 'shift-invert-cholesky';
        }
        if (solver === null) {
          // Numerically singular PSD kernels: shift just past round-off so the factor exists.
          const sigma = -Math.sqrt(n) * 1e3 * ROUNDOFF_FACTOR * normInf(sym, n);
          solver = choleskySolver(sym, n, sigma, opts.signal);
          method = `shift-invert-cholesky(σ=${sigma.toExponential(2)})`;
        }
      }
      if (solver !== null) {
        const factored = solver;
        kernels.push(factored);
        applyB = (x, y) => {
          y.set(x);
          factored.solve(y);
        };
      } else if (opts.matrixFreeSmallest === 'lobpcg') {
        method = op.diagonal !== undefined || sym !== undefined ? 'lobpcg-jacobi' : 'lobpcg';
        applyB = applyA;
      } else {
        method = 'lanczos-negated';
        applyB = (x, y) => {
          applyA(x, y);
          for (let i = 0; i < n; i++) y[i] = -y[i]!;
        };
      }
    }

    let diagonal = op.diagonal;
    if (diagonal === undefined && sym !== undefined) diagonal = Float64Array.from({ length: n }, (_, i) => sym[i * n + i]!);
    const run = method.startsWith('lobpcg')
      ? lobpcgSmallest(applyA, n, k, tol, maxIter, opts.warmStart ?? [], opts.signal, diagonal)
      : thickRestartLanczos(applyB, n, k, basisMax, tol, maxIter, opts.warmStart ?? [], opts.signal);
    const vectors = run.vectors;
    const images = vectors.map(() => new Float64Array(n));
    for (let j = 0; j < vectors.length; j++) applyA(vectors[j]!, images[j]!);
    const values = new Float64Array(vectors.length);
    const residuals: number[] = [];
    for (let j = 0; j < vectors.length; j++) {
      const v = vectors[j]!;
      const ax = images[j]!;
      const lam = dot(v, ax);
      values[j] = lam;
      let r2 = 0;
      for (let i = 0; i < n; i++) r2 += (ax[i]! - lam * v[i]!) ** 2;
      residuals.push(Math.sqrt(r2));
    }
    // B's largest θ first is the wanted order in every branch (largest λ, or smallest via 1/λ or −λ).
    if (!run.converged) {
      throw new WorkbenchException('not-converged', `extremeEigen: ${method} did not converge in ${run.iterations} operator applications`, {
        method,
        iterations: run.iterations,
        maxIter,
        tol,
        values: Array.from(values),
        residuals,
        relativeResiduals: run.relativeResiduals,
      });
    }
    // 'largest': max|θ| is λ_max itself; 'smallest' needs ‖A‖ from the matrix when it has one.
    const scale = sym !== undefined && which === 'smallest' ? normInf(sym, n) : run.scale;
    return {
      values,
      vectors,
      diagnostics: {
        asymmetry,
        ...partialSpectrumDiagnostics(values, n, scale, which),
        iterations: run.iterations,
        converged: true,
        method,
        residuals,
      },
    };
  } finally {
    for (const kernel of kernels) kernel.release();
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * y = S x for the symmetric S whose upper triangle is stored in a [n, n]: each stored entry is read once and
 * used twice (half the memory traffic of a plain product), four rows per pass.
 */
function denseApply(a: Float64Array, n: number): Apply {
  return (x, y) => {
    y.fill(0);
    symvUpper(a, n, 0, x, 0, y);
  };
}

function materialize(apply: Apply, n: number): Float64Array {
  const a = new Float64Array(n * n);
  const e = new Float64Array(n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    apply(e, col);
    for (let i = 0; i < n; i++) a[i * n + j] = col[i]!;
  }
  return symmetrize(a, n).sym;
}

function normInf(a: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(a[i * n + j]!);
    m = Math.max(m, s);
  }
  return m;
}

function partialSpectrumDiagnostics(
  values: Float64Array,
  n: number,
  scale: number,
  which: 'largest' | 'smallest',
): Pick<EigDiagnostics, 'negativeCount' | 'conditionNumber' | 'conditionNote'> {
  const tol = n * ROUNDOFF_FACTOR * scale;
  let negativeCount = 0;
  for (const v of values) if (v < -tol) negativeCount++;
  if (which === 'smallest' && Math.abs(values[0]!) <= tol) {
    return { negativeCount, conditionNumber: null, conditionNote: 'infinite: singular' };
  }
  return {
    negativeCount,
    conditionNumber: null,
    conditionNote: `not computed: only the ${values.length} ${which} eigenvalues are known`,
  };
}

function denseFallback(
  a: Float64Array,
  n: number,
  k: number,
  which: 'largest' | 'smallest',
  asymmetry: number,
  signal: AbortFlag | undefined,
): ExtremeEigenResult {
  const r = symmetricEigen(a, n, { vectors: true, signal });
  const idx = Array.from({ length: k }, (_, j) => (which === 'largest' ? n - 1 - j : j));
  const values = Float64Array.from(idx, (i) => r.values[i]!);
  const vectors = idx.map((c) => Float64Array.from({ length: n }, (_, row) => r.vectors![row * n + c]!));
  const apply = denseApply(a, n);
  const y = new Float64Array(n);
  const residuals = vectors.map((v, j) => {
    apply(v, y);
    let s = 0;
    for (let i = 0; i < n; i++) s += (y[i]! - values[j]! * v[i]!) ** 2;
    return Math.sqrt(s);
  });
  return {
    values,
    vectors,
    diagnostics: {
      asymmetry,
      negativeCount: r.diagnostics.negativeCount,
      conditionNumber: r.diagnostics.conditionNumber,
      ...(r.diagnostics.conditionNote !== undefined ? { conditionNote: r.diagnostics.conditionNote } : {}),
      iterations: 0,
      converged: true,
      method: 'dense',
      residuals,
    },
  };
}

/** Deterministic start vectors (no Math.random in the engine): a fixed LCG stream. */
function pseudoRandomUnit(n: number, seed: number): Float64Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 4294967296 - 0.5;
  }
  const norm = Math.sqrt(dot(v, v));
  for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
  return v;
}

interface LanczosRun {
  vectors: Float64Array[];
  iterations: number;
  converged: boolean;
  relativeResiduals: number[];
  scale: number;
}

/**
 * Largest k eigenpairs of the symmetric operator B by thick-restarted Lanczos (Krylov–Schur form, Wu & Simon):
 * the basis V [m, n] (rows orthonormal, full reorthogonalization by CGS2) satisfies B V = V H + f e_mᵀ, so
 * the residual of a Ritz pair (θ_j, V s_j) is ‖f‖·|s_{m,j}| and needs no vector work; Ritz vectors are formed
 * only at restarts (keep the best ones, H becomes diagonal plus the coupling that the next projection
 * recreates) and at the end. Converged when ‖B y − θ y‖ ≤ tol·max|θ| for all k.
 */
function thickRestartLanczos(
  applyB: Apply,
  n: number,
  k: number,
  basisMax: number,
  tol: number,
  maxIter: number,
  warm: Float64Array[],
  signal: AbortFlag | undefined,
): LanczosRun {
  // Past small orders the basis and the work vector live in WebAssembly memory, for SIMD projections.
  const basis = n >= SIMD_MIN_N ? createSimdBasis(basisMax, n) : null;
  try {
    return lanczosIterate(applyB, n, k, basisMax, tol, maxIter, warm, signal, basis);
  } finally {
    basis?.release();
  }
}

/** The body of {@link thickRestartLanczos}, with the basis in `basis`'s memory when it is given. */
function lanczosIterate(
  applyB: Apply,
  n: number,
  k: number,
  basisMax: number,
  tol: number,
  maxIter: number,
  warm: Float64Array[],
  signal: AbortFlag | undefined,
  basis: SimdBasis | null,
): LanczosRun {
  const V = basis?.V ?? new Float64Array(basisMax * n);
  const H = new Float64Array(basisMax * basisMax);
  const f = basis?.x ?? new Float64Array(n);
  const projectF = (from: number, to: number, coef: Float64Array): void => {
    if (basis !== null) basis.projectOut(from, to, coef);
    else projectOut(V, from, to, n, f, coef);
  };
  const h = new Float64Array(basisMax);
  const c = new Float64Array(basisMax);
  let m = 0;
  let iterations = 0;
  let scale = 0;
  let seed = 1;

  // The loops over n live in functions of their own (warmStart, scaledInto and the products): this loop's body
  // then stays short, and V8 optimizes it once instead of compiling the whole function again on its stack at
  // each first run of a branch (issue 13).
  V.set(warmStart(warm, n) ?? pseudoRandomUnit(n, seed++), 0);
  m = 1;

  const ritz = (s: Float64Array, mm: number, cols: number[]): Float64Array[] =>
    cols.map((col) => {
      const y = new Float64Array(n);
      combineRows(V, s, mm, col, 0, mm, n, y, 1);
      return y;
    });

  for (;;) {
    checkAborted(signal, 'extreme eigensolver');
    const last = (m - 1) * n;
    applyB(V.subarray(last, last + n), f);
    iterations++;
    // f ← (I − V Vᵀ) B v_m: first against v_{m−1}, v_m only (the three-term recurrence removes what exact
    // arithmetic would), then against the whole basis, and once more when that pass removed more than
    // 1/√2 of f (the DGKS criterion: after a restart, where v_m couples to every kept Ritz vector, or where
    // orthogonality was being lost). The summed coefficients are the new column of H.
    const lo = Math.max(0, m - 2);
    h.fill(0, 0, lo);
    projectF(lo, m, h);
    let beta = Math.sqrt(dot(f, f));
    for (let pass = 0; pass < 2; pass++) {
      projectF(0, m, c);
      for (let i = 0; i < m; i++) h[i] = h[i]! + c[i]!;
      const before = beta;
      beta = Math.sqrt(dot(f, f));
      if (beta >= DGKS_ETA * before) break;
    }
    for (let i = 0; i < m; i++) {
      H[i * basisMax + m - 1] = h[i]!;
      H[(m - 1) * basisMax + i] = h[i]!;
    }
    scale = Math.max(scale, Math.abs(H[(m - 1) * basisMax + m - 1]!));

    // Rayleigh–Ritz (an m×m eigenproblem) only where it can end or restart the iteration: every
    // CHECK_EVERY products once k Ritz values exist, before a restart, and at the product limit.
    const due = m >= basisMax || iterations >= maxIter || (m >= k && iterations % CHECK_EVERY === 0);
    if (due) {
      const hm = new Float64Array(m * m);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) hm[i * m + j] = H[i * basisMax + j]!;
      const small = smallEigen(hm, m);
      const theta = small.values;
      const s = small.vectors;
      for (const t of theta) scale = Math.max(scale, Math.abs(t));
      const kk = Math.min(k, m);
      const relativeResiduals: number[] = [];
      let allConverged = kk === k;
      for (let j = 0; j < kk; j++) {
        const rel = (beta * Math.abs(s[(m - 1) * m + m - 1 - j]!)) / (scale || 1);
        relativeResiduals.push(rel);
        if (!(rel <= tol)) allConverged = false;
      }
      const wanted = Array.from({ length: kk }, (_, j) => m - 1 - j);
      if (allConverged) return { vectors: ritz(s, m, wanted), iterations, converged: true, relativeResiduals, scale };
      if (iterations >= maxIter) return { vectors: ritz(s, m, wanted), iterations, converged: false, relativeResiduals, scale };

      if (m >= basisMax) {
        const keep = Math.min(m - 1, Math.max(k + 2, Math.floor(basisMax / 2)));
        const kept = ritz(
          s,
          m,
          Array.from({ length: keep }, (_, j) => m - 1 - j),
        );
        H.fill(0);
        for (let j = 0; j < keep; j++) {
          V.set(kept[j]!, j * n);
          H[j * basisMax + j] = theta[m - 1 - j]!;
        }
        m = keep;
      }
    }
    const next = m * n;
    if (beta > 1e-12 * (scale || 1)) {
      scaledInto(V, next, f, n, beta);
    } else {
      // B V ⊂ span V: an invariant subspace; continue with a fresh direction (no coupling to the old basis).
      const x = pseudoRandomUnit(n, seed++);
      projectOut(V, 0, m, n, x, c);
      projectOut(V, 0, m, n, x, c);
      scaledInto(V, next, x, n, Math.sqrt(dot(x, x)));
    }
    m++;
  }
}

/**
 * One Lanczos start vector Σ w_i/‖w_i‖, normalized, from the warm-start vectors: it lies close to the wanted
 * invariant subspace, so the first k Krylov vectors nearly span it. Null without a usable one.
 */
function warmStart(warm: Float64Array[], n: number): Float64Array | null {
  if (warm.length === 0) return null;
  const x = new Float64Array(n);
  for (const w0 of warm) {
    const norm = Math.sqrt(dot(w0, w0));
    if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < n; i++) x[i] = x[i]! + w0[i]! / norm;
  }
  const norm = Math.sqrt(dot(x, x));
  if (!(norm > 0)) return null;
  for (let i = 0; i < n; i++) x[i] = x[i]! / norm;
  return x;
}

/** V[at : at + n] = x / divisor. */
function scaledInto(V: Float64Array, at: number, x: Float64Array, n: number, divisor: number): void {
  for (let i = 0; i < n; i++) V[at + i] = x[i]! / divisor;
}

/**
 * x ← x − Vᵀ(V x) over rows [from, to) of V [·, n]; coef[from:to] receives V x. Four rows per sweep over x
 * (x is read once per four rows of V in both halves), the level-2 cost of full reorthogonalization.
 */
function projectOut(V: Float64Array, from: number, to: number, n: number, x: Float64Array, coef: Float64Array): void {
  let p = from;
  for (; p + 4 <= to; p += 4) {
    const o0 = p * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      s0 += V[o0 + i]! * xi;
      s1 += V[o1 + i]! * xi;
      s2 += V[o2 + i]! * xi;
      s3 += V[o3 + i]! * xi;
    }
    coef[p] = s0;
    coef[p + 1] = s1;
    coef[p + 2] = s2;
    coef[p + 3] = s3;
  }
  for (; p < to; p++) {
    const o = p * n;
    let s0 = 0;
    for (let i = 0; i < n; i++) s0 += V[o + i]! * x[i]!;
    coef[p] = s0;
  }
  combineRows(V, coef, 1, 0, from, to, n, x, -1);
}

/**
 * y ← y + sign·Σ_{from≤p<to} coef[p·stride + col]·V[p] for rows V[p] = V[p·n .. p·n + n): four rows per
 * sweep over y.
 */
function combineRows(
  V: Float64Array,
  coef: Float64Array,
  stride: number,
  col: number,
  from: number,
  to: number,
  n: number,
  y: Float64Array,
  sign: number,
): void {
  let p = from;
  for (; p + 4 <= to; p += 4) {
    const o0 = p * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const c0 = sign * coef[p * stride + col]!;
    const c1 = sign * coef[(p + 1) * stride + col]!;
    const c2 = sign * coef[(p + 2) * stride + col]!;
    const c3 = sign * coef[(p + 3) * stride + col]!;
    for (let i = 0; i < n; i++) y[i] = y[i]! + c0 * V[o0 + i]! + c1 * V[o1 + i]! + c2 * V[o2 + i]! + c3 * V[o3 + i]!;
  }
  for (; p < to; p++) {
    const o = p * n;
    const c0 = sign * coef[p * stride + col]!;
    for (let i = 0; i < n; i++) y[i] = y[i]! + c0 * V[o + i]!;
  }
}

/** Orthonormalizes the block in place (CGS2 against `against`, then within), applying the same linear
 * operations to its images; returns the indices kept (columns whose norm collapsed are dropped). */
function orthonormalizeBlock(
  block: Float64Array[],
  images: Float64Array[] | null,
  against: Float64Array[],
  againstImages: Float64Array[] | null,
): { block: Float64Array[]; images: Float64Array[] | null } {
  const keptB: Float64Array[] = [];
  const keptI: Float64Array[] = [];
  for (let j = 0; j < block.length; j++) {
    const x = block[j]!;
    const ax = images?.[j];
    const before = Math.sqrt(dot(x, x));
    if (!(before > 0)) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const [bs, is] of [
        [against, againstImages],
        [keptB, images ? keptI : null],
      ] as const) {
        for (let q = 0; q < bs.length; q++) {
          const c = dot(bs[q]!, x);
          const b = bs[q]!;
          for (let i = 0; i < x.length; i++) x[i] = x[i]! - c * b[i]!;
          if (ax !== undefined && is !== null) {
            const bi = is[q]!;
            for (let i = 0; i < x.length; i++) ax[i] = ax[i]! - c * bi[i]!;
          }
        }
      }
    }
    const norm = Math.sqrt(dot(x, x));
    if (!(norm > 1e-10 * before)) continue;
    for (let i = 0; i < x.length; i++) x[i] = x[i]! / norm;
    if (ax !== undefined) for (let i = 0; i < x.length; i++) ax[i] = ax[i]! / norm;
    keptB.push(x);
    if (ax !== undefined) keptI.push(ax);
  }
  return { block: keptB, images: images ? keptI : null };
}

/** Σ_p coef[p·stride + col]·vs[p] into a new vector. */
function combine(vs: Float64Array[], coef: Float64Array, stride: number, col: number, from: number, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let p = from; p < vs.length; p++) {
    const c = coef[p * stride + col]!;
    if (c === 0) continue;
    const v = vs[p]!;
    for (let i = 0; i < n; i++) y[i] = y[i]! + c * v[i]!;
  }
  return y;
}

/**
 * Smallest k eigenpairs of the symmetric operator A by block LOBPCG (Knyazev 2001; basis [X, W, P] kept
 * orthonormal with images tracked, so each iteration applies A only to the new block W): W = T(A x − θ x)
 * with the Jacobi preconditioner T = diag(A)⁻¹ when the diagonal is known, Rayleigh–Ritz on span[X, W, P],
 * P = the W/P part of the new X. Block size k + max(3, k) so that a cluster at the bottom is resolved as a
 * block. Converged when ‖A x − θ x‖ ≤ tol·‖A‖ for the k smallest, ‖A‖ estimated by max ‖A q‖ over the
 * orthonormal vectors applied. Vectors come back ascending in θ.
 */
function lobpcgSmallest(
  applyA: Apply,
  n: number,
  k: number,
  tol: number,
  maxIter: number,
  warm: Float64Array[],
  signal: AbortFlag | undefined,
  diagonal: Float64Array | undefined,
): LanczosRun {
  const nb = Math.min(Math.floor(n / 3), k + Math.max(3, k));
  let iterations = 0;
  let scale = 0;
  let seed = 1;
  const apply = (xs: Float64Array[]): Float64Array[] =>
    xs.map((x) => {
      const y = new Float64Array(n);
      applyA(x, y);
      iterations++;
      scale = Math.max(scale, Math.sqrt(dot(y, y)));
      return y;
    });
  let precond: Float64Array | null = null;
  if (diagonal !== undefined) {
    let dmax = 0;
    for (const d of diagonal) dmax = Math.max(dmax, Math.abs(d));
    // Floors keep T positive definite when A has zero or negative diagonal entries.
    precond = Float64Array.from(diagonal, (d) => 1 / Math.max(Math.abs(d), 1e-3 * dmax || 1));
  }

  // ‖A‖ for the tolerance: a short power iteration (a lower bound near λ_max), since the block itself only
  // ever sees the bottom of the spectrum and would make the test far stricter than Lanczos's max|θ|.
  {
    let v = pseudoRandomUnit(n, 977);
    const y = new Float64Array(n);
    for (let it = 0; it < 8; it++) {
      applyA(v, y);
      iterations++;
      const norm = Math.sqrt(dot(y, y));
      scale = Math.max(scale, norm);
      if (!(norm > 0)) break;
      v = Float64Array.from(y, (t) => t / norm);
    }
  }
  let X: Float64Array[] = warm
    .filter((w) => w.some((v) => v !== 0 && Number.isFinite(v)))
    .slice(0, nb)
    .map((w) => new Float64Array(w));
  while (X.length < nb) X.push(pseudoRandomUnit(n, seed++));
  X = orthonormalizeBlock(X, null, [], null).block;
  while (X.length < nb) {
    const more = orthonormalizeBlock([pseudoRandomUnit(n, seed++)], null, X, null).block;
    X.push(...more);
  }
  let AX = apply(X);
  let P: Float64Array[] = [];
  let AP: Float64Array[] = [];
  let W: Float64Array[] = [];
  let AW: Float64Array[] = [];
  let relativeResiduals: number[] = [];

  for (;;) {
    checkAborted(signal, 'extreme eigensolver');
    // Rayleigh–Ritz on span[X, P, W] (orthonormal): H = Qᵀ A Q, symmetrized.
    const Q = [...X, ...P, ...W];
    const AQ = [...AX, ...AP, ...AW];
    const q = Q.length;
    const h = new Float64Array(q * q);
    for (let i = 0; i < q; i++) {
      for (let j = i; j < q; j++) {
        const v = 0.5 * (dot(Q[i]!, AQ[j]!) + dot(Q[j]!, AQ[i]!));
        h[i * q + j] = v;
        h[j * q + i] = v;
      }
    }
    const small = smallEigen(h, q);
    const c = small.vectors;
    const theta = small.values;
    const nx = X.length;
    const newX: Float64Array[] = [];
    const newAX: Float64Array[] = [];
    const newP: Float64Array[] = [];
    const newAP: Float64Array[] = [];
    for (let j = 0; j < nx; j++) {
      newX.push(combine(Q, c, q, j, 0, n));
      newAX.push(combine(AQ, c, q, j, 0, n));
      if (q > nx) {
        newP.push(combine(Q, c, q, j, nx, n));
        newAP.push(combine(AQ, c, q, j, nx, n));
      }
    }
    X = newX;
    AX = newAX;
    const ortho = orthonormalizeBlock(newP, newAP, X, AX);
    P = ortho.block;
    AP = ortho.images!;

    // Residuals of the Ritz pairs; the k smallest decide convergence.
    relativeResiduals = [];
    const R: Float64Array[] = [];
    let allConverged = true;
    for (let j = 0; j < nx; j++) {
      const r = new Float64Array(n);
      const x = X[j]!;
      const ax = AX[j]!;
      const th = theta[j]!;
      for (let i = 0; i < n; i++) r[i] = ax[i]! - th * x[i]!;
      const rel = Math.sqrt(dot(r, r)) / (scale || 1);
      if (j < k) {
        relativeResiduals.push(rel);
        if (!(rel <= tol)) allConverged = false;
      }
      // Converged columns stop expanding (soft locking); the rest contribute a preconditioned residual.
      if (rel > tol) R.push(r);
    }
    if (allConverged) return { vectors: X.slice(0, k), iterations, converged: true, relativeResiduals, scale };
    if (iterations >= maxIter) return { vectors: X.slice(0, k), iterations, converged: false, relativeResiduals, scale };
    if (precond !== null) for (const r of R) for (let i = 0; i < n; i++) r[i] = r[i]! * precond[i]!;
    W = orthonormalizeBlock(R, null, [...X, ...P], null).block;
    if (W.length === 0) {
      // Residuals inside span[X, P]: restart the search directions from a fresh vector.
      W = orthonormalizeBlock([pseudoRandomUnit(n, seed++)], null, [...X, ...P], null).block;
    }
    AW = apply(W);
  }
}

/**
 * Eigenpairs of the small projected matrix H [m, m] (symmetric, row-major; not modified): ascending values
 * and S [m, m] with column j the eigenvector of values[j]. The public solver's diagnostics (O(m³) products
 * and allocations per call) would cost as much as the iteration's own vector work, so they are skipped here.
 */
function smallEigen(h: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const d = new Float64Array(m);
  const e = new Float64Array(m);
  const qt = householderTridiagonalVectors(new Float64Array(h), m, d, e);
  tridiagonalQl(d, e, qt);
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const o = order[j]! * m;
    for (let p = 0; p < m; p++) vectors[p * m + j] = qt[o + p]!;
  }
  return { values, vectors };
}
