/**
 * The k largest or k smallest eigenpairs of a symmetric (typically PSD kernel) operator, SPEC §5.5, §8:
 * thick-restarted Lanczos with full reorthogonalization for the largest, Lanczos on the Cholesky
 * shift-invert operator (A − σI)⁻¹ for the smallest of a dense matrix, matrix-free where only products exist.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { choleskyLower, choleskySolve } from './cholesky';
import {
  checkAborted,
  ROUNDOFF_FACTOR,
  symmetrize,
  type AbortFlag,
  type EigDiagnostics,
} from './diagnostics';
import { symmetricEigen } from './symmetricEigen';

/** A symmetric n×n operator, given densely, as products, or both. */
export interface SymOperator {
  n: number;
  /** [n, n] row-major, when available (symmetrized on a copy). */
  matrix?: Float64Array;
  /** y = A x for x, y [n]; must not keep references to x or y. */
  matvec?: (x: Float64Array, y: Float64Array) => void;
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
  /** Previous eigenvectors [n] each; they seed the search space. */
  warmStart?: Float64Array[];
  signal?: AbortFlag;
}

/** Diagnostics of {@link extremeEigen}: the shared ones plus the iteration's record. */
export interface ExtremeEigenDiagnostics extends EigDiagnostics {
  /** Operator applications (matrix–vector products or shift-invert solves). */
  iterations: number;
  converged: boolean;
  /** 'lanczos', 'shift-invert-cholesky', 'shift-invert-cholesky(σ=…)', 'lanczos-negated' or 'dense'. */
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
    const s = symmetrize(op.matrix, n);
    if (!Number.isFinite(s.asymmetry)) {
      throw new WorkbenchException('invalid-data', 'extremeEigen: op.matrix has non-finite entries');
    }
    asymmetry = s.asymmetry;
    sym = s.sym;
  }
  const applyA: Apply = sym !== undefined ? denseApply(sym, n) : op.matvec!;

  const basisMax = Math.min(n, Math.max(2 * k + 10, 30));
  if (n <= 2 * basisMax) return denseFallback(sym ?? materialize(applyA, n), n, k, which, asymmetry, opts.signal);

  let method = 'lanczos';
  let applyB: Apply;
  let factor: Float64Array | null = null;
  if (which === 'largest') {
    method = 'lanczos';
    applyB = applyA;
  } else {
    if (sym !== undefined) {
      factor = choleskyLower(sym, n, 0, opts.signal);
      method = 'shift-invert-cholesky';
      if (factor === null) {
        // Numerically singular PSD kernels: shift just past round-off so the factor exists.
        const sigma = -Math.sqrt(n) * 1e3 * ROUNDOFF_FACTOR * normInf(sym, n);
        factor = choleskyLower(sym, n, sigma, opts.signal);
        method = `shift-invert-cholesky(σ=${sigma.toExponential(2)})`;
      }
    }
    if (factor !== null) {
      const l = factor;
      applyB = (x, y) => {
        y.set(x);
        choleskySolve(l, n, y);
      };
    } else {
      method = 'lanczos-negated';
      applyB = (x, y) => {
        applyA(x, y);
        for (let i = 0; i < n; i++) y[i] = -y[i]!;
      };
    }
  }

  const run = thickRestartLanczos(applyB, n, k, basisMax, tol, maxIter, opts.warmStart ?? [], opts.signal);
  const vectors = run.vectors;
  const ax = new Float64Array(n);
  const values = new Float64Array(vectors.length);
  const residuals: number[] = [];
  for (let j = 0; j < vectors.length; j++) {
    const v = vectors[j]!;
    applyA(v, ax);
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
  const scale = sym !== undefined ? normInf(sym, n) : run.scale;
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
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function denseApply(a: Float64Array, n: number): Apply {
  return (x, y) => {
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      for (; j + 2 <= n; j += 2) {
        s0 += a[row + j]! * x[j]!;
        s1 += a[row + j + 1]! * x[j + 1]!;
      }
      if (j < n) s0 += a[row + j]! * x[j]!;
      y[i] = s0 + s1;
    }
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

/** Orthogonalizes x against the basis twice (CGS2); returns the norm left. */
function orthogonalize(x: Float64Array, basis: Float64Array[]): number {
  for (let pass = 0; pass < 2; pass++) {
    for (const b of basis) {
      const c = dot(b, x);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! - c * b[i]!;
    }
  }
  return Math.sqrt(dot(x, x));
}

interface LanczosRun {
  vectors: Float64Array[];
  iterations: number;
  converged: boolean;
  relativeResiduals: number[];
  scale: number;
}

/**
 * Largest k eigenpairs of the symmetric operator B by Rayleigh–Ritz over a Krylov basis V (full
 * reorthogonalization), expanded by the residual of the least converged wanted Ritz vector — exactly
 * Lanczos for a single start vector — and thick-restarted to the best Ritz vectors when V reaches
 * basisMax. Converged when ‖B y − θ y‖ ≤ tol·max|θ| for all k.
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
  let V: Float64Array[] = [];
  let W: Float64Array[] = [];
  let H: number[][] = [];
  let iterations = 0;
  let scale = 0;
  let seed = 1;

  const append = (x: Float64Array): void => {
    const w = new Float64Array(n);
    applyB(x, w);
    iterations++;
    const row: number[] = [];
    for (let i = 0; i < V.length; i++) {
      const h = dot(V[i]!, w);
      row.push(h);
      H[i]!.push(h);
    }
    row.push(dot(x, w));
    H.push(row);
    V.push(x);
    W.push(w);
  };

  // Warm start: one Lanczos start vector Σ w_i lies close to the wanted invariant subspace, so the first
  // k Krylov vectors nearly span it and later ones refine all k pairs at once (a block of the w_i would
  // refine one pair per product).
  if (warm.length > 0) {
    const x = new Float64Array(n);
    for (const w0 of warm) {
      const norm = Math.sqrt(dot(w0, w0));
      if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < n; i++) x[i] = x[i]! + w0[i]! / norm;
    }
    const norm = Math.sqrt(dot(x, x));
    if (norm > 0) {
      for (let i = 0; i < n; i++) x[i] = x[i]! / norm;
      append(x);
    }
  }
  if (V.length === 0) append(pseudoRandomUnit(n, seed++));

  const y = new Float64Array(n);
  const r = new Float64Array(n);
  let relativeResiduals: number[] = [];
  for (;;) {
    checkAborted(signal, 'extreme eigensolver');
    const m = V.length;
    const h = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) h[i * m + j] = H[i]![j]!;
    const small = symmetricEigen(h, m, { vectors: true });
    const theta = small.values;
    const s = small.vectors!;
    for (const t of theta) scale = Math.max(scale, Math.abs(t));
    const kk = Math.min(k, m);
    relativeResiduals = [];
    let worst = -1;
    let worstRes = 0;
    const ritz: Float64Array[] = [];
    for (let j = 0; j < kk; j++) {
      const col = m - 1 - j;
      const th = theta[col]!;
      y.fill(0);
      r.fill(0);
      for (let p = 0; p < m; p++) {
        const c = s[p * m + col]!;
        const vp = V[p]!;
        const wp = W[p]!;
        for (let i = 0; i < n; i++) {
          y[i] = y[i]! + c * vp[i]!;
          r[i] = r[i]! + c * wp[i]!;
        }
      }
      let r2 = 0;
      for (let i = 0; i < n; i++) {
        r[i] = r[i]! - th * y[i]!;
        r2 += r[i]! * r[i]!;
      }
      const rel = Math.sqrt(r2) / (scale || 1);
      relativeResiduals.push(rel);
      ritz.push(new Float64Array(y));
      if (rel > tol && rel > worstRes) {
        worstRes = rel;
        worst = j;
      }
    }
    if (kk === k && worst < 0) {
      return { vectors: ritz, iterations, converged: true, relativeResiduals, scale };
    }
    if (iterations >= maxIter) {
      return { vectors: ritz, iterations, converged: false, relativeResiduals, scale };
    }
    // Expansion direction: B y − θ y of the worst wanted Ritz vector (any y when fewer than k exist yet).
    const pick = worst < 0 ? 0 : worst;
    const x = new Float64Array(n);
    applyResidualDirection(x, V, W, s, m, m - 1 - pick, theta[m - 1 - pick]!);

    if (m >= basisMax) {
      // Thick restart: keep the best Ritz vectors, their images, and a diagonal projected matrix.
      const keep = Math.min(m - 1, Math.max(k + 2, Math.floor(basisMax / 2)));
      const nv: Float64Array[] = [];
      const nw: Float64Array[] = [];
      const nh: number[][] = [];
      for (let j = 0; j < keep; j++) {
        const col = m - 1 - j;
        const a = new Float64Array(n);
        const b = new Float64Array(n);
        for (let p = 0; p < m; p++) {
          const c = s[p * m + col]!;
          const vp = V[p]!;
          const wp = W[p]!;
          for (let i = 0; i < n; i++) {
            a[i] = a[i]! + c * vp[i]!;
            b[i] = b[i]! + c * wp[i]!;
          }
        }
        nv.push(a);
        nw.push(b);
        nh.push(Array.from({ length: keep }, (_, q) => (q === j ? theta[col]! : 0)));
      }
      V = nv;
      W = nw;
      H = nh;
    }
    const before = Math.sqrt(dot(x, x));
    let left = orthogonalize(x, V);
    if (!(left > 1e-10 * Math.max(before, 1e-300))) {
      // The basis spans an invariant subspace; continue with a fresh direction.
      x.set(pseudoRandomUnit(n, seed++));
      left = orthogonalize(x, V);
    }
    for (let i = 0; i < n; i++) x[i] = x[i]! / left;
    append(x);
  }
}

/** x = W s_col − θ V s_col, the residual of a Ritz vector, built from stored images (no extra product). */
function applyResidualDirection(
  x: Float64Array,
  V: Float64Array[],
  W: Float64Array[],
  s: Float64Array,
  m: number,
  col: number,
  theta: number,
): void {
  const n = x.length;
  for (let p = 0; p < m; p++) {
    const c = s[p * m + col]!;
    const vp = V[p]!;
    const wp = W[p]!;
    for (let i = 0; i < n; i++) x[i] = x[i]! + c * (wp[i]! - theta * vp[i]!);
  }
}
