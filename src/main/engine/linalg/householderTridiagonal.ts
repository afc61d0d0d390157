/**
 * Householder reduction of a symmetric matrix to tridiagonal form, A = Q T Qᵀ (SPEC §8).
 */
import { checkAborted, type AbortFlag } from './diagnostics';
import type { Float64Gemm } from './fastGemm';
import { gemmNT, gemmNTAdd } from './gemm';
import { createSimdSymvWorkspace, type SimdSymvWorkspace } from './simdSymv';

/**
 * Unblocked Householder tridiagonalization (EISPACK tred2, as in JAMA) for small orders, working in place on V [n, n]
 * (row-major, symmetric on entry). On return d [n] is the diagonal of T, e [n] its subdiagonal with
 * e[i] = T[i, i−1] (e[0] = 0); with `accumulate` V holds Q, otherwise V is destroyed.
 */
function householderTridiagonalPlain(v: Float64Array, n: number, d: Float64Array, e: Float64Array, accumulate: boolean, signal?: AbortFlag): void {
  if (n === 0) return;
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    checkAborted(signal, 'Householder tridiagonalization');
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // y = A u over the lower triangle of the leading i×i block, each stored entry used twice.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[j * n + i] = f;
        g = e[j]! + v[j * n + j]! * f;
        for (let k = j + 1; k < i; k++) {
          const vkj = v[k * n + j]!;
          g += vkj * d[k]!;
          e[k] = e[k]! + vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k < i; k++) v[k * n + j] = v[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }

  if (!accumulate) {
    for (let i = 0; i < n; i++) d[i] = v[i * n + i]!;
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    checkAborted(signal, 'Householder accumulation');
    v[(n - 1) * n + i] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1]! * v[k * n + j]!;
        for (let k = 0; k <= i; k++) v[k * n + j] = v[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j]!;
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Panel width of the blocked reduction: rank-2·NB updates amortize the trailing-matrix traffic, but the
 * in-panel corrections are scalar and cost ∝ NB·n², while the SIMD rank-2k kernel is already fast at
 * depth 2·16 (measured at n = 2000: NB = 16 about 30% faster than 32, 8 and 24 slower).
 */
const NB = 16;
/** Below this order the blocking overhead outweighs its gain. */
const BLOCKED_MIN_N = 96;

/**
 * Blocked Householder tridiagonalization on the upper triangle (LAPACK dsytrd/dlatrd scheme): per panel of
 * NB rows, reflectors H_i = I − τ_i v_i v_iᵀ are built with symmetric matrix–vector products corrected by
 * the panel's pending updates, and the trailing matrix gets one rank-2·NB update A ← A − V Wᵀ − W Vᵀ
 * ({@link SimdSymvWorkspace.syr2kUpper}). A [n, n] row-major, only the upper triangle is read and it is destroyed. On return
 * d [n] is the diagonal of T = Qᵀ A Q and e[i] = T[i, i−1] (e[0] = 0). With `tau` [n] (only for n ≥ the
 * blocking threshold, see {@link householderTridiagonalVectors}) the reflectors are kept: Q = H_0 ⋯ H_{n−2},
 * H_i = I − τ_i v_i v_iᵀ with v_i = A[i, i+1:] (A[i, i+1] = 1) and τ_i = tau[i].
 */
export function householderTridiagonalBlocked(a: Float64Array, n: number, d: Float64Array, e: Float64Array, signal?: AbortFlag, tau?: Float64Array): void {
  if (n < BLOCKED_MIN_N) {
    mirrorUpperToLower(a, n);
    householderTridiagonalPlain(a, n, d, e, false, signal);
    return;
  }
  // The caller may need the reflectors stored in A: copied back from WebAssembly memory.
  reduceInSimdMemory(a, n, d, e, signal, tau, true);
}

/**
 * d, e of the tridiagonal T = Qᵀ A Q as {@link householderTridiagonalBlocked} computes them, leaving A [n, n]
 * (upper triangle read) untouched: the blocked reduction works on the copy in a symmetric-product kernel's
 * memory and nothing is copied back, so an eigenvalues-only solve needs no n×n scratch array of its own.
 */
export function householderTridiagonalValues(a: Float64Array, n: number, d: Float64Array, e: Float64Array, signal?: AbortFlag): void {
  if (n >= BLOCKED_MIN_N) reduceInSimdMemory(a, n, d, e, signal, undefined, false);
  else householderTridiagonalBlocked(new Float64Array(a), n, d, e, signal);
}

/**
 * The blocked reduction of A [n, n] on a copy in the memory of a symmetric-product kernel, where the level-2
 * products (which read the whole trailing triangle each step) run in SIMD; the reduced matrix is copied back
 * into A only with `copyBack`.
 */
function reduceInSimdMemory(
  a: Float64Array,
  n: number,
  d: Float64Array,
  e: Float64Array,
  signal: AbortFlag | undefined,
  tau: Float64Array | undefined,
  copyBack: boolean,
): void {
  const ws = createSimdSymvWorkspace(n, false, NB);
  ws.a.set(a);
  try {
    reduceBlocked(ws, n, d, e, signal, tau);
  } finally {
    if (copyBack) a.set(ws.a);
    ws.release();
  }
}

/** The body of {@link householderTridiagonalBlocked} on the matrix ws.a, with ws.y for the products y = S v. */
function reduceBlocked(ws: SimdSymvWorkspace, n: number, d: Float64Array, e: Float64Array, signal: AbortFlag | undefined, tau: Float64Array | undefined): void {
  const { a, y } = ws;
  e[0] = 0;
  const vp = new Float64Array(n * NB);
  const wp = new Float64Array(n * NB);
  const tmp1 = new Float64Array(NB);
  const tmp2 = new Float64Array(NB);
  // The loops over rows are functions of their own, each small and run whole every time: V8 then optimizes
  // each once, instead of compiling this whole function again and again on the stack (each time it reached
  // code it had not run yet, seconds of compiling in all at n = 1000).
  for (let k = 0; k < n; k += NB) {
    checkAborted(signal, 'Householder tridiagonalization');
    const nb = Math.min(NB, n - k);
    vp.fill(0);
    wp.fill(0);
    for (let j = 0; j < nb; j++) {
      const i = k + j;
      const rowI = i * n;
      if (j > 0) updateRow(a, n, i, vp, wp, j);
      d[i] = a[rowI + i]!;
      if (i === n - 1) break;
      const tauI = reflectRow(a, n, i, e);
      if (tau !== undefined) tau[i] = tauI;
      const vOff = i + 1;
      // v lives in A[i, i+1:]; mirror it into the panel store.
      for (let c = vOff; c < n; c++) vp[c * NB + j] = a[rowI + c]!;
      if (tauI === 0) continue;
      // y = A22 v over the upper triangle of the not-yet-updated trailing block, each entry used twice.
      y.fill(0, vOff, n);
      ws.symvUpper(vOff, rowI);
      if (j > 0) correctProduct(a, n, i, vp, wp, j, y, tmp1, tmp2);
      panelColumn(a, n, i, j, tauI, y, wp);
    }
    const k2 = k + nb;
    if (k2 < n) ws.syr2kUpper(k2, vp.subarray(k2 * NB), wp.subarray(k2 * NB), NB);
  }
}

/** Brings row i up to date with the panel's earlier reflectors: A[i, i:] −= V[i,:j] W[i:, :j]ᵀ + W[i,:j] V[i:, :j]ᵀ. */
function updateRow(a: Float64Array, n: number, i: number, vp: Float64Array, wp: Float64Array, j: number): void {
  const rowI = i * n;
  const oi = i * NB;
  for (let c = i; c < n; c++) {
    const oc = c * NB;
    let s = 0;
    for (let t = 0; t < j; t++) s += vp[oi + t]! * wp[oc + t]! + wp[oi + t]! * vp[oc + t]!;
    a[rowI + c] = a[rowI + c]! - s;
  }
}

/**
 * The Householder vector of x = A[i, i+1:]: (I − τ v vᵀ) x = β e₁ with v[0] = 1, v written over x; sets
 * e[i + 1] = β and returns τ.
 */
function reflectRow(a: Float64Array, n: number, i: number, e: Float64Array): number {
  const rowI = i * n;
  const alpha = a[rowI + i + 1]!;
  let xnorm2 = 0;
  for (let c = i + 2; c < n; c++) xnorm2 += a[rowI + c]! * a[rowI + c]!;
  let tauI = 0;
  let beta = alpha;
  if (xnorm2 > 0) {
    beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
    tauI = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let c = i + 2; c < n; c++) a[rowI + c] = a[rowI + c]! * scale;
  }
  a[rowI + i + 1] = 1;
  e[i + 1] = beta;
  return tauI;
}

/** The panel's pending updates in y = A22 v: y −= V (Wᵀ v) + W (Vᵀ v), v = A[i, i+1:]. */
function correctProduct(
  a: Float64Array,
  n: number,
  i: number,
  vp: Float64Array,
  wp: Float64Array,
  j: number,
  y: Float64Array,
  tmp1: Float64Array,
  tmp2: Float64Array,
): void {
  const rowI = i * n;
  tmp1.fill(0);
  tmp2.fill(0);
  for (let r = i + 1; r < n; r++) {
    const vr = a[rowI + r]!;
    const o = r * NB;
    for (let t = 0; t < j; t++) {
      tmp1[t] = tmp1[t]! + wp[o + t]! * vr;
      tmp2[t] = tmp2[t]! + vp[o + t]! * vr;
    }
  }
  for (let r = i + 1; r < n; r++) {
    const o = r * NB;
    let s = 0;
    for (let t = 0; t < j; t++) s += vp[o + t]! * tmp1[t]! + wp[o + t]! * tmp2[t]!;
    y[r] = y[r]! - s;
  }
}

/** Column j of the panel's W: w = τ y − (τ²/2)(yᵀ v) v for y = A22 v (y is scaled by τ in place). */
function panelColumn(a: Float64Array, n: number, i: number, j: number, tauI: number, y: Float64Array, wp: Float64Array): void {
  const rowI = i * n;
  let yv = 0;
  for (let r = i + 1; r < n; r++) {
    y[r] = tauI * y[r]!;
    yv += y[r]! * a[rowI + r]!;
  }
  const half = -0.5 * tauI * yv;
  for (let r = i + 1; r < n; r++) wp[r * NB + j] = y[r]! + half * a[rowI + r]!;
}

/** Copies the upper triangle of A [n, n] onto the lower one. */
export function mirrorUpperToLower(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j]!;
}

/**
 * Householder tridiagonalization for eigenvectors: A [n, n] (row-major, symmetric; destroyed) = Q T Qᵀ with
 * d, e as in {@link householderTridiagonalBlocked}; returns Qᵀ [n, n] row-major (row r is column r of Q), the
 * layout in which the QL rotations touch contiguous rows. Large n: the blocked reduction, then Qᵀ =
 * H_{n−2} ⋯ H_0 accumulated in blocks of reflectors ({@link accumulateReflectors}; with `fast`, in its product
 * and with its n×n scratch array, {@link accumulateContiguous}); small n: the unblocked reduction with
 * accumulation.
 */
export function householderTridiagonalVectors(
  a: Float64Array,
  n: number,
  d: Float64Array,
  e: Float64Array,
  signal?: AbortFlag,
  fast?: { gemm: Float64Gemm; scratch?: Float64Array },
): Float64Array {
  const qt = new Float64Array(n * n);
  if (n < BLOCKED_MIN_N) {
    householderTridiagonalPlain(a, n, d, e, true, signal);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[j * n + i] = a[i * n + j]!;
    return qt;
  }
  const tau = new Float64Array(n);
  householderTridiagonalBlocked(a, n, d, e, signal, tau);
  if (fast !== undefined) accumulateContiguous(a, n, tau, qt, fast.gemm, fast.scratch ?? new Float64Array(n * n), signal);
  else accumulateReflectors(a, n, tau, qt, signal);
  return qt;
}

/** Reflectors per block of {@link accumulateReflectors} (the depth of its two matrix products). */
const ACC_NB = 32;

/** A block of reflectors H_hi ⋯ H_lo in compact WY form I − U T Uᵀ, restricted to the columns c0 = lo + 1 … n − 1. */
interface ReflectorBlock {
  /** reflectors in the block */
  k: number;
  /** first column they touch, and the number of columns from there */
  c0: number;
  s: number;
  /** U as rows [k, s]: row j is u_j = v_{hi−j} on columns c0…n−1 (a reflector with τ = 0: a zero row) */
  ub: Float64Array;
  /** T [k, k] upper triangular */
  T: Float64Array;
}

/**
 * The reflectors hi, hi − 1, …, lo that the blocked reduction leaves in the rows of `a` (v_i[c] = a[i, c] for
 * c > i) with their τ, as U and T (LAPACK's dlarft): T_jj = τ_j, T[0:j, j] = −τ_j T[0:j, 0:j] (U[0:j] u_j).
 */
function reflectorBlock(a: Float64Array, n: number, tau: Float64Array, hi: number, lo: number): ReflectorBlock {
  const k = hi - lo + 1;
  const c0 = lo + 1;
  const s = n - c0;
  const ub = new Float64Array(k * s);
  const t = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const i = hi - j;
    t[j] = tau[i]!;
    if (t[j] === 0) continue;
    const src = i * n;
    const dst = j * s - c0;
    for (let c = i + 1; c < n; c++) ub[dst + c] = a[src + c]!;
  }
  const g = gemmNT(ub, ub, k, k, s);
  const T = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    T[j * k + j] = t[j]!;
    for (let p = 0; p < j; p++) {
      let sum = 0;
      for (let l = p; l < j; l++) sum += T[p * k + l]! * g[l * k + j]!;
      T[p * k + j] = -t[j]! * sum;
    }
  }
  return { k, c0, s, ub, T };
}

/** −W T for W [s, k] (row-major) and T [k, k] upper triangular. */
function timesMinusT(w: Float64Array, T: Float64Array, s: number, k: number): Float64Array {
  const wt = new Float64Array(s * k);
  for (let r = 0; r < s; r++) {
    const o = r * k;
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let p = 0; p <= j; p++) sum += w[o + p]! * T[p * k + j]!;
      wt[o + j] = -sum;
    }
  }
  return wt;
}

/** Uᵀ [s, k] of U [k, s]. */
function transposeBlock(ub: Float64Array, k: number, s: number): Float64Array {
  const ubt = new Float64Array(s * k);
  for (let j = 0; j < k; j++) for (let c = 0; c < s; c++) ubt[c * k + j] = ub[j * s + c]!;
  return ubt;
}

/**
 * Qᵀ = H_{n−2} ⋯ H_1 H_0 into `qt` [n, n] (zero on entry) from the reflectors H_i = I − τ_i v_i v_iᵀ that
 * the blocked reduction leaves in the rows of `a` (v_i[c] = a[i, c] for c > i, 0 elsewhere). Blocks of
 * {@link ACC_NB} reflectors, from the last one down, are applied in the compact WY form
 * H_hi ⋯ H_lo = I − U T Uᵀ: M ← M − (M U) T Uᵀ, two matrix products on the trailing block of M that the
 * reflectors touch (rows and columns > lo; the rows above are still unit rows there), so the ~4n³/3 flops run
 * in the register-blocked gemm rather than one reflector at a time ({@link accumulateContiguous}: the same in a
 * fast float64 product of contiguous arrays).
 */
function accumulateReflectors(a: Float64Array, n: number, tau: Float64Array, qt: Float64Array, signal?: AbortFlag): void {
  for (let r = 0; r < n; r++) qt[r * n + r] = 1;
  for (let hi = n - 2; hi >= 0; hi -= ACC_NB) {
    checkAborted(signal, 'Householder accumulation');
    const { k, c0, s, ub, T } = reflectorBlock(a, n, tau, hi, Math.max(0, hi - ACC_NB + 1));
    // The trailing block of M, in place: W = M U [s, k], W ← −W T, M += W Uᵀ (the negated W makes the
    // accumulating product a subtraction, entry for entry the same as M − (W T) Uᵀ).
    const block = { x: qt, at: c0 * n + c0, ld: n };
    const w = new Float64Array(s * k);
    gemmNTAdd({ x: w, at: 0, ld: k }, block, { x: ub, at: 0, ld: s }, s, k, s);
    gemmNTAdd(block, { x: timesMinusT(w, T, s, k), at: 0, ld: k }, { x: transposeBlock(ub, k, s), at: 0, ld: k }, s, s, k);
  }
}

/**
 * {@link accumulateReflectors} with the products in `gemm`, on the trailing block as a contiguous [s, s] array:
 * it lives in `qt` itself, the block grown by unit rows in `grown` (n×n, spent), and is spread to `qt`'s rows
 * at the end.
 */
function accumulateContiguous(
  a: Float64Array,
  n: number,
  tau: Float64Array,
  qt: Float64Array,
  gemm: Float64Gemm,
  grown: Float64Array,
  signal?: AbortFlag,
): void {
  let sCur = 0;
  for (let hi = n - 2; hi >= 0; hi -= ACC_NB) {
    checkAborted(signal, 'Householder accumulation');
    const { k, s, ub, T } = reflectorBlock(a, n, tau, hi, Math.max(0, hi - ACC_NB + 1));
    // M on rows and columns c0…: unit rows for the new reflectors' range, the block so far below them.
    const m = grown.subarray(0, s * s);
    m.fill(0);
    const add = s - sCur;
    for (let r = 0; r < add; r++) m[r * s + r] = 1;
    for (let r = 0; r < sCur; r++) m.set(qt.subarray(r * sCur, r * sCur + sCur), (add + r) * s + add);
    const w = new Float64Array(s * k);
    gemm(m, transposeBlock(ub, k, s), s, s, k, w);
    // M − (M U) T Uᵀ = M + (−W T) U.
    gemm(timesMinusT(w, T, s, k), ub, s, k, s, qt.subarray(0, s * s), m);
    sCur = s;
  }
  // Row r of the block becomes row add + r of Qᵀ, from the last row up (each moves to a later place).
  const add = n - sCur;
  for (let r = sCur - 1; r >= 0; r--) {
    qt.copyWithin((add + r) * n + add, r * sCur, r * sCur + sCur);
    qt.fill(0, (add + r) * n, (add + r) * n + add);
  }
  qt.fill(0, 0, add * n);
  for (let r = 0; r < add; r++) qt[r * n + r] = 1;
}
