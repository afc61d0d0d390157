/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by divide and conquer (Cuppen's method with
 * Gu and Eisenstat's eigenvectors, as LAPACK's dstedc/dlaed0–dlaed4), SPEC §8. The merges' level-3 work (the
 * eigenvectors of each rank-one update times the halves' eigenvectors) runs in the float64 product the caller
 * gives (the one installed in fastGemm.ts): the ~6n³ flops of the QL rotations become ~4n³/3 flops of products
 * at native speed. Without one the eigensolver keeps implicit QL (our WebAssembly products would make the
 * merges cost about what the rotations do).
 */
import { WorkbenchException } from '../../../shared/api/result';
import { checkAborted, type AbortFlag } from './diagnostics';
import type { Float64Gemm } from './fastGemm';
import { tridiagonalQl } from './tridiagonalQl';

/** Subproblems of at most this order are solved by implicit QL. */
const LEAF_N = 48;
const EPS = 2 ** -52;
/**
 * Iterations of one secular-equation root: the rational steps take 2–6; with a bisection at least every third
 * iteration the bracket is at machine precision well before this.
 */
const MAX_SECULAR_ITERATIONS = 200;

/** n×n arrays that {@link tridiagonalDc} may use: the result goes to `result`, `scratch` and `roots` are spent. */
export interface DcWorkspace {
  result: Float64Array;
  scratch: Float64Array;
  roots: Float64Array;
}

/**
 * Diagonalizes T = tridiag(e, d, e) (d [n], e [n] with e[i] = T[i, i−1], e[0] ignored; both destroyed): on
 * return d holds the eigenvalues (unsorted) and the result [n, n] row-major has the unit eigenvector of d[j]
 * as row j (the layout {@link tridiagonalQl} leaves in Zᵀ). Products run in `gemm`. Its memory is three n×n
 * arrays for the whole recursion (the result, the merges' block-diagonal rows and their roots), given in
 * `work` or made here, and nothing else of that order.
 */
export function tridiagonalDc(d: Float64Array, e: Float64Array, gemm: Float64Gemm, signal?: AbortFlag, work?: DcWorkspace): Float64Array {
  const n = d.length;
  if (e.length !== n) throw new RangeError(`tridiagonalDc: e has shape [${e.length}], expected [${n}] to match d`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(d[i]!) || (i > 0 && !Number.isFinite(e[i]!))) {
      throw new WorkbenchException('invalid-data', `tridiagonalDc: a non-finite entry at index ${i}`, { index: i });
    }
  }
  const ws = work ?? { result: new Float64Array(n * n), scratch: new Float64Array(n * n), roots: new Float64Array(n * n) };
  for (const [name, x] of Object.entries(ws)) {
    if (x.length < n * n) throw new RangeError(`tridiagonalDc: work.${name} has ${x.length} entries, fewer than ${n * n}`);
  }
  d.set(solve(d, e, 0, n, 0, ws, gemm, signal));
  return ws.result.subarray(0, n * n);
}

/**
 * The eigenvalues of T[lo:hi] (returned) and its eigenvectors as the rows of ws.result[at : at + s²], s = hi − lo.
 * The halves put theirs side by side in that range; a merge then builds its rows in ws.scratch.
 */
function solve(
  d: Float64Array,
  e: Float64Array,
  lo: number,
  hi: number,
  at: number,
  ws: DcWorkspace,
  gemm: Float64Gemm,
  signal: AbortFlag | undefined,
): Float64Array {
  const s = hi - lo;
  if (s <= LEAF_N) {
    const dd = d.slice(lo, hi);
    const ee = new Float64Array(s);
    for (let i = 1; i < s; i++) ee[i] = e[lo + i]!;
    const rows = ws.result.subarray(at, at + s * s);
    rows.fill(0);
    for (let i = 0; i < s; i++) rows[i * s + i] = 1;
    tridiagonalQl(dd, ee, rows, signal);
    return dd;
  }
  checkAborted(signal, 'divide-and-conquer eigensolver');
  const mid = lo + (s >> 1);
  // T = diag(T1, T2) + ρ v vᵀ with v = e_last(T1) + σ e_first(T2), ρ = |β|, σ = sign β: the halves' touching
  // diagonal entries lose ρ.
  const beta = e[mid]!;
  const rho = Math.abs(beta);
  const sigma = beta < 0 ? -1 : 1;
  d[mid - 1] = d[mid - 1]! - rho;
  d[mid] = d[mid]! - rho;
  const n1 = mid - lo;
  const n2 = hi - mid;
  const left = solve(d, e, lo, mid, at, ws, gemm, signal);
  const right = solve(d, e, mid, hi, at + n1 * n1, ws, gemm, signal);
  return merge(left, right, n1, n2, at, rho, sigma, ws, gemm);
}

/**
 * The eigen-decomposition of diag(T1, T2) + ρ v vᵀ from those of T1 [n1] and T2 [n2] (their vectors in
 * ws.result from `at`, where the merged ones go): z = (last components of T1's eigenvectors, σ × first
 * components of T2's), deflation, the secular equation, Gu–Eisenstat vectors.
 */
function merge(
  leftValues: Float64Array,
  rightValues: Float64Array,
  n1: number,
  n2: number,
  at: number,
  rho: number,
  sigma: number,
  ws: DcWorkspace,
  gemm: Float64Gemm,
): Float64Array {
  const n = n1 + n2;
  const left = ws.result.subarray(at, at + n1 * n1);
  const right = ws.result.subarray(at + n1 * n1, at + n1 * n1 + n2 * n2);
  // Eb: the halves' eigenvectors as rows of length n (block diagonal); D and z in the same order.
  const eb = ws.scratch.subarray(0, n * n);
  eb.fill(0);
  const D = new Float64Array(n);
  const z = new Float64Array(n);
  for (let i = 0; i < n1; i++) {
    eb.set(left.subarray(i * n1, i * n1 + n1), i * n);
    D[i] = leftValues[i]!;
    z[i] = left[i * n1 + n1 - 1]!;
  }
  for (let i = 0; i < n2; i++) {
    eb.set(right.subarray(i * n2, i * n2 + n2), (n1 + i) * n + n1);
    D[n1 + i] = rightValues[i]!;
    z[n1 + i] = sigma * right[i * n2]!;
  }
  // ‖z‖² = 2 (two unit vectors' components): ρ zzᵀ = (2ρ) ẑẑᵀ with ẑ = z/√2.
  const r = 2 * rho;
  const invNorm = Math.SQRT1_2;
  for (let i = 0; i < n; i++) z[i] = z[i]! * invNorm;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => D[i]! - D[j]!);

  let dmax = 0;
  let zmax = 0;
  for (let i = 0; i < n; i++) {
    dmax = Math.max(dmax, Math.abs(D[i]!));
    zmax = Math.max(zmax, Math.abs(z[i]!));
  }
  const tol = 8 * EPS * Math.max(dmax, zmax);
  // Deflation (dlaed2): a tiny ρ z_i leaves (D_i, e_i) an eigenpair; two close D's are rotated so that one of
  // them has z = 0. `kept` lists the others in ascending D.
  const kept: number[] = [];
  const deflated: number[] = [];
  if (r * zmax > tol) {
    let prev = -1;
    for (const j of order) {
      if (r * Math.abs(z[j]!) <= tol) {
        deflated.push(j);
        continue;
      }
      if (prev < 0) {
        prev = j;
        continue;
      }
      const s0 = z[prev]!;
      const c0 = z[j]!;
      const tau = Math.hypot(c0, s0);
      const c = c0 / tau;
      const s = -s0 / tau;
      const t = D[j]! - D[prev]!;
      if (Math.abs(t * c * s) <= tol) {
        z[j] = tau;
        z[prev] = 0;
        rotateRows(eb, n, prev, j, c, s);
        const dp = D[prev]!;
        const dj = D[j]!;
        D[prev] = dp * c * c + dj * s * s;
        D[j] = dp * s * s + dj * c * c;
        deflated.push(prev);
      } else {
        kept.push(prev);
      }
      prev = j;
    }
    if (prev >= 0) kept.push(prev);
    // A rotation may have moved D[j] past its neighbours: keep the list ascending.
    kept.sort((i, j) => D[i]! - D[j]!);
  } else {
    deflated.push(...order);
  }

  const K = kept.length;
  const values = new Float64Array(n);
  for (let q = 0; q < deflated.length; q++) values[K + q] = D[deflated[q]!]!;
  // The rows of Eb in the order kept, then deflated, moved in place (one cycle of the permutation at a time).
  permuteRows(eb, n, [...kept, ...deflated]);
  const rows = ws.result.subarray(at, at + n * n);
  rows.set(eb.subarray(K * n), K * n);
  if (K === 0) return values;

  const dl = Float64Array.from(kept, (i) => D[i]!);
  const zl = Float64Array.from(kept, (i) => z[i]!);
  // delta[k·K + i] = dl[i] − λ_k, formed from the root's offset to its nearer pole (accurate near that pole).
  const delta = ws.roots.subarray(0, K * K);
  const base = new Float64Array(K);
  for (let k = 0; k < K; k++) values[k] = secularRoot(dl, zl, r, k, delta.subarray(k * K, k * K + K), base);

  // Gu–Eisenstat: the ẑ for which the computed roots are exact, then u_k ∝ ẑ_i / (dl_i − λ_k), written over
  // delta's row k (row k of Uᵀ).
  const zh = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    let w = delta[i * K + i]!;
    for (let j = 0; j < K; j++) if (j !== i) w *= delta[j * K + i]! / (dl[i]! - dl[j]!);
    zh[i] = Math.sqrt(Math.max(0, -w)) * (zl[i]! < 0 ? -1 : 1);
  }
  const ut = delta;
  for (let k = 0; k < K; k++) {
    const o = k * K;
    const onPole = delta.subarray(o, o + K).indexOf(0);
    if (onPole >= 0) {
      // A root that rounds onto a pole: its vector is that pole's unit vector (the limit of ẑ_i/(d_i − λ)).
      ut.fill(0, o, o + K);
      ut[o + onPole] = 1;
      continue;
    }
    let s2 = 0;
    for (let i = 0; i < K; i++) {
      const u = zh[i]! / delta[o + i]!;
      ut[o + i] = u;
      s2 += u * u;
    }
    const inv = 1 / Math.sqrt(s2);
    for (let i = 0; i < K; i++) ut[o + i] = ut[o + i]! * inv;
  }
  gemm(ut, eb.subarray(0, K * n), K, K, n, rows.subarray(0, K * n));
  return values;
}

/** Row p of `a` [n, n] becomes the former row src[p] (src a permutation of 0…n−1), with one spare row. */
function permuteRows(a: Float64Array, n: number, src: readonly number[]): void {
  const done = new Uint8Array(n);
  const spare = new Float64Array(n);
  for (let start = 0; start < n; start++) {
    if (done[start] || src[start] === start) continue;
    spare.set(a.subarray(start * n, start * n + n));
    let p = start;
    for (;;) {
      done[p] = 1;
      const from = src[p]!;
      if (from === start) {
        a.set(spare, p * n);
        break;
      }
      a.copyWithin(p * n, from * n, from * n + n);
      p = from;
    }
  }
}

function rotateRows(a: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  const op = p * n;
  const oq = q * n;
  for (let k = 0; k < n; k++) {
    const x = a[op + k]!;
    const y = a[oq + k]!;
    a[op + k] = c * x + s * y;
    a[oq + k] = c * y - s * x;
  }
}

/**
 * Root k (ascending) of 1/r + Σ z_i²/(d_i − λ) = 0 for d ascending and distinct, z_i ≠ 0, r > 0: it lies in
 * (d_k, d_{k+1}), or (d_{K−1}, d_{K−1} + r‖z‖²] for the last. Written λ = d_o + τ from the nearer pole d_o,
 * solved by the two-pole rational iteration (Bunch, Nielsen and Sorensen) kept inside a shrinking bracket,
 * bisecting when a step leaves it. Fills delta[i] = d_i − λ and returns λ; `base` [K] is scratch.
 */
function secularRoot(d: Float64Array, z: Float64Array, r: number, k: number, delta: Float64Array, base: Float64Array): number {
  const K = d.length;
  const last = k === K - 1;
  let origin = k;
  let lo: number;
  let hi: number;
  if (last) {
    let zz = 0;
    for (let i = 0; i < K; i++) zz += z[i]! * z[i]!;
    lo = 0;
    hi = r * zz;
  } else {
    const w = d[k + 1]! - d[k]!;
    // The sign of the secular function at the midpoint says which half holds the root.
    let f = 1 / r;
    for (let i = 0; i < K; i++) f += (z[i]! * z[i]!) / (d[i]! - d[k]! - w / 2);
    if (f >= 0) {
      lo = 0;
      hi = w / 2;
    } else {
      origin = k + 1;
      lo = -w / 2;
      hi = 0;
    }
  }
  const dOrigin = d[origin]!;
  for (let i = 0; i < K; i++) base[i] = d[i]! - dOrigin;
  // The poles that bound the root, relative to the origin.
  const pLeft = base[k]!;
  const pRight = last ? Number.NaN : base[k + 1]!;
  let tau = (lo + hi) / 2;
  let width = hi - lo;
  let stalled = 0;
  for (let iter = 0; iter < MAX_SECULAR_ITERATIONS; iter++) {
    let psi = 0;
    let dpsi = 0;
    let phi = 0;
    let dphi = 0;
    for (let i = 0; i <= k; i++) {
      const t = z[i]! / (base[i]! - tau);
      psi += z[i]! * t;
      dpsi += t * t;
    }
    for (let i = k + 1; i < K; i++) {
      const t = z[i]! / (base[i]! - tau);
      phi += z[i]! * t;
      dphi += t * t;
    }
    const f = 1 / r + psi + phi;
    if (f === 0) break;
    if (f < 0) lo = tau;
    else hi = tau;
    const size = 1 / r + Math.abs(psi) + Math.abs(phi);
    if (Math.abs(f) <= 8 * EPS * K * size || hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) break;
    // Model: ψ ≈ c1 + s1/(pLeft − x), φ ≈ c2 + s2/(pRight − x), matching values and slopes at τ.
    const a1 = pLeft - tau;
    let next: number;
    if (last) {
      const s1 = dpsi * a1 * a1;
      const c = 1 / r + psi - dpsi * a1 + phi;
      next = c > 0 ? pLeft + s1 / c : Number.NaN;
    } else {
      const a2 = pRight - tau;
      const s1 = dpsi * a1 * a1;
      const s2 = dphi * a2 * a2;
      const c = 1 / r + psi - dpsi * a1 + phi - dphi * a2;
      // c η² − b η + f a1 a2 = 0 for the step η = x − τ.
      const b = c * (a1 + a2) + s1 + s2;
      const q = f * a1 * a2;
      const disc = b * b - 4 * c * q;
      if (disc < 0) next = Number.NaN;
      else if (b >= 0) next = tau + (2 * q) / (b + Math.sqrt(disc));
      else next = tau + (2 * q) / (b - Math.sqrt(disc));
    }
    // A step outside the bracket, or a bracket that two steps did not halve, bisects instead.
    if (hi - lo > 0.5 * width) stalled++;
    else {
      stalled = 0;
      width = hi - lo;
    }
    tau = next > lo && next < hi && stalled < 2 ? next : (lo + hi) / 2;
    if (stalled >= 2) {
      stalled = 0;
      width = hi - lo;
    }
  }
  for (let i = 0; i < K; i++) delta[i] = base[i]! - tau;
  return dOrigin + tau;
}
