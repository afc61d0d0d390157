/**
 * The empirical (finite-width) neural tangent kernel of the current parameters (SPEC §5.2), for every
 * regime including weight-tied, traced (n×n) and full (nd×nd, output-major: index (a, i) = a·n + i),
 * by structured contraction over the hidden units — never through the P×nd Jacobian.
 *
 * Layouts: X [d, n], W [m, d] (rows w_r), V [d, m] (columns v_r); Z = WX, A = 1[Z ≥ 0], S = σ(Z), [m, n].
 */
import type { InitFamily, Regime, Scaling } from '../../../shared/config/schema';
import { initParams } from '../autoencoder/init';
import { checkShape, outputScale } from '../autoencoder/model';
import { assertFits, matrixBytes } from '../memory';
import { createRng, STREAMS } from '../random';
import { gemmNTAdd, gramUpperAdd, mirrorUpperToLower, transpose } from '../linalg';

/** Hidden units per block of {@link forPreactivationBlocks} (a block's Z [NTK_ROWS, n] stays a few MB). */
const NTK_ROWS = 256;

/** The network and data an empirical NTK is evaluated at. */
export interface NtkInput {
  X: Float64Array;
  d: number;
  n: number;
  m: number;
  W: Float64Array;
  V: Float64Array;
  /** output scale s */
  scale: number;
  regime: Regime;
  /** η_W and η_V: for joint training with η_W ≠ η_V the kernel is (η_W H^W + η_V H^V)/η_W; default equal */
  etaW?: number;
  etaV?: number;
}

/** 'traced': H̄ = (1/d) Σ_a H[(a,·),(a,·)], n×n; 'full': H, nd×nd output-major. */
export type NtkKind = 'traced' | 'full';

/** Weights of the encoder and decoder blocks in the regime's kernel (SPEC §5.2, §10.6). */
export function regimeBlockWeights(regime: Regime, etaW?: number, etaV?: number): { enc: number; dec: number } {
  switch (regime) {
    case 'weak':
      return { enc: 1, dec: 0 };
    case 'decoder':
      return { enc: 0, dec: 1 };
    case 'joint':
      if (etaW !== undefined && etaV !== undefined && etaW > 0) return { enc: 1, dec: etaV / etaW };
      return { enc: 1, dec: 1 };
    case 'tied':
      return { enc: 1, dec: 1 };
  }
}

function checkInput(fn: string, p: NtkInput): void {
  checkShape(fn, 'X', p.X, p.d, p.n);
  checkShape(fn, 'W', p.W, p.m, p.d);
  checkShape(fn, 'V', p.V, p.d, p.m);
}

/** XᵀX [n, n], by the Gram kernel, mirrored. */
function inputGram(X: Float64Array, d: number, n: number): Float64Array {
  const G = new Float64Array(n * n);
  gramUpperAdd(G, n, 0, n, X, d);
  mirrorUpperToLower(G, n);
  return G;
}

/**
 * Calls `visit(z, r0, rows)` for the hidden units r0 … r0 + rows − 1, {@link NTK_ROWS} at a time, with z = their
 * rows of the pre-activations Z = W X ([rows, n], by the blocked product, the same bit for bit as gemmNT; the
 * visitor may overwrite it). W [m, d], X [d, n]. The empirical kernels and the tracker's float64 activation
 * pattern read Z this way, never all of it at once.
 */
export function forPreactivationBlocks(
  W: Float64Array,
  X: Float64Array,
  d: number,
  n: number,
  m: number,
  visit: (z: Float64Array, r0: number, rows: number) => void,
): void {
  const Xt = transpose(X, d, n);
  const Z = new Float64Array(Math.min(NTK_ROWS, m) * n);
  for (let r0 = 0; r0 < m; r0 += NTK_ROWS) {
    const rows = Math.min(NTK_ROWS, m - r0);
    const z = Z.subarray(0, rows * n);
    z.fill(0);
    gemmNTAdd({ x: z, at: 0, ld: n }, { x: W, at: r0 * d, ld: d }, { x: Xt, at: 0, ld: d }, rows, n, d);
    visit(z, r0, rows);
  }
}

/** G [n, n] += SᵀS on the upper triangle for a block's features S = σ(z) [rows, n], z overwritten by S. */
function addFeatureGram(G: Float64Array, z: Float64Array, n: number, rows: number): void {
  for (let k = 0; k < z.length; k++) z[k] = z[k]! > 0 ? z[k]! : 0;
  gramUpperAdd(G, n, 0, n, z, rows);
}

/**
 * c_r = weight·‖v_r‖²/d for every hidden unit r (tied: ‖w_r‖²/d), each sum over the outputs in order; V's columns
 * summed by rows of V (contiguous), not one strided column at a time.
 */
function unitWeights(p: NtkInput, weight: number): Float64Array {
  const { d, m, V, W } = p;
  const c = new Float64Array(m);
  if (p.regime === 'tied') {
    for (let r = 0; r < m; r++) for (let b = 0; b < d; b++) c[r]! += W[r * d + b]! ** 2;
  } else {
    for (let b = 0; b < d; b++) for (let r = 0; r < m; r++) c[r]! += V[b * m + r]! ** 2;
  }
  for (let r = 0; r < m; r++) c[r] = (c[r]! / d) * weight;
  return c;
}

/**
 * Traced empirical NTK H̄ [n, n] of the regime (SPEC §5.2):
 *   H̄^W_ij = s²(x_iᵀx_j) Σ_r (‖v_r‖²/d) A_ri A_rj,   H̄^V = G = s² SᵀS,
 *   weak H̄^W; decoder H̄^V; joint H̄^W + (η_V/η_W) H̄^V;
 *   tied (V = Wᵀ): s²[(1 + 2/d) SᵀS + (XᵀX) ∘ Σ_r (‖w_r‖²/d) A_r A_rᵀ]
 * (the tied cross terms S_ri A_rj w_rᵀx_j collapse to S_ri S_rj because σ(z) = z·1[z ≥ 0]). Cost O(n²m).
 */
export function tracedEmpiricalNtk(p: NtkInput): Float64Array {
  checkInput('tracedEmpiricalNtk', p);
  const wts = regimeBlockWeights(p.regime, p.etaW, p.etaV);
  const decWeight = p.regime === 'tied' ? 1 + 2 / p.d : wts.dec;
  return combineTraced(tracedParts(p, wts.enc, decWeight), p.n, p.scale * p.scale, decWeight);
}

/** The untied regimes whose traced kernels {@link tracedEmpiricalNtks} forms from one pass. */
export type UntiedRegime = 'weak' | 'decoder' | 'joint';

/**
 * The traced empirical NTKs of several untied regimes (η_V = η_W) at the same network, from one pass over the
 * hidden units (E2 compares all three with their limits): each the same bit for bit as
 * {@link tracedEmpiricalNtk} of that regime, at the cost of one joint kernel instead of one per regime.
 */
export function tracedEmpiricalNtks(p: Omit<NtkInput, 'regime' | 'etaW' | 'etaV'>, regimes: readonly UntiedRegime[]): Map<UntiedRegime, Float64Array> {
  const q: NtkInput = { ...p, regime: 'joint' };
  checkInput('tracedEmpiricalNtks', q);
  const wantEnc = regimes.some((r) => r !== 'decoder');
  const wantDec = regimes.some((r) => r !== 'weak');
  const parts = tracedParts(q, wantEnc ? 1 : 0, wantDec ? 1 : 0);
  const s2 = p.scale * p.scale;
  const out = new Map<UntiedRegime, Float64Array>();
  for (const r of regimes) {
    if (out.has(r)) continue;
    const w = regimeBlockWeights(r);
    out.set(r, combineTraced({ enc: w.enc !== 0 ? parts.enc : null, dec: w.dec !== 0 ? parts.dec : null, XtX: parts.XtX }, p.n, s2, w.dec));
  }
  return out;
}

/** The traced kernel's blocks before scaling: upper triangles of Σ_r c_r A_r A_rᵀ (enc) and SᵀS (dec), and XᵀX. */
interface TracedParts {
  enc: Float64Array | null;
  dec: Float64Array | null;
  XtX: Float64Array | null;
}

/**
 * Upper triangles of Σ_r c_r A_r A_rᵀ (c_r = encWeight·‖v_r‖²/d, tied ‖w_r‖²/d; absent when encWeight is 0) and of
 * SᵀS (absent when decWeight is 0), NTK_ROWS hidden units at a time: the block's Z = W_block X, then its activations
 * and features through the Gram kernel; XᵀX with the encoder's block.
 */
function tracedParts(p: NtkInput, encWeight: number, decWeight: number): TracedParts {
  const { d, n, m } = p;
  const enc = encWeight !== 0 ? new Float64Array(n * n) : null;
  const dec = decWeight !== 0 ? new Float64Array(n * n) : null;
  const A = enc === null ? null : new Float64Array(Math.min(NTK_ROWS, m) * n);
  const c = enc === null ? null : unitWeights(p, encWeight);
  forPreactivationBlocks(p.W, p.X, d, n, m, (z, r0, rows) => {
    if (enc !== null) {
      const a = A!.subarray(0, rows * n);
      for (let k = 0; k < a.length; k++) a[k] = z[k]! >= 0 ? 1 : 0;
      gramUpperAdd(enc, n, 0, n, a, rows, c!.subarray(r0, r0 + rows));
    }
    if (dec !== null) addFeatureGram(dec, z, n, rows);
  });
  return { enc, dec, XtX: enc === null ? null : inputGram(p.X, d, n) };
}

/** K = s²(enc ∘ XᵀX + decWeight·dec) [n, n], symmetric, from the upper triangles of {@link tracedParts}. */
function combineTraced(parts: TracedParts, n: number, s2: number, decWeight: number): Float64Array {
  const { enc, dec, XtX } = parts;
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const o = i * n + j;
      const v = s2 * ((enc === null ? 0 : enc[o]! * XtX![o]!) + (dec === null ? 0 : decWeight * dec[o]!));
      K[o] = v;
      K[j * n + i] = v;
    }
  }
  return K;
}

/** One block of hidden units' share of the tied cross term's C_b (see {@link fullEmpiricalNtk}), z = the block's Z. */
function crossTermBlock(
  C: Float64Array,
  Pb: Float64Array,
  Q: Float64Array,
  z: Float64Array,
  W: Float64Array,
  r0: number,
  rows: number,
  n: number,
  d: number,
): void {
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) Q[i * rows + r] = z[r * n + i]! >= 0 ? 1 : 0;
  for (let b = 0; b < d; b++) {
    for (let r = 0; r < rows; r++) {
      const w = W[(r0 + r) * d + b]!;
      for (let i = 0; i < n; i++) {
        const zi = z[r * n + i]!;
        Pb[i * rows + r] = zi > 0 ? w * zi : 0;
      }
    }
    gemmNTAdd({ x: C, at: b * n * n, ld: n }, { x: Pb, at: 0, ld: rows }, { x: Q, at: 0, ld: rows }, n, n, rows);
  }
}

/** Bytes of the full nd×nd empirical NTK (float64), for the up-front refusal. */
export function fullNtkBytes(n: number, d: number): number {
  return matrixBytes(n * d, n * d);
}

/**
 * Full empirical NTK H [nd, nd], output-major (index (a, i) = a·n + i), SPEC §5.1–§5.2:
 *   H^W[(a,i),(b,j)] = s²(x_iᵀx_j) Σ_r V_ar V_br A_ri A_rj   (= s²(B Bᵀ) ∘ (1_{d×d} ⊗ XᵀX), B[(a,i),r] = V_ar A_ri)
 *   H^V = I_d ⊗ G,  G = s² SᵀS  (cross-output blocks exactly 0)
 *   weak H^W; decoder H^V; joint H^W + (η_V/η_W) H^V;
 *   tied: Σ_r J_r(x_i) J_r(x_j)ᵀ with J_r(x) = s[σ(w_rᵀx) I_d + 1[w_rᵀx ≥ 0] w_r xᵀ]
 *        = I_d ⊗ G + H^W(V = Wᵀ) + T + Tᵀ,  T[(a,i),(b,j)] = s² x_j[a] Σ_r S_ri A_rj W_rb.
 * Cost O((nd)²m). Refuses up front (WorkbenchException 'too-large') when nd×nd float64 exceeds
 * `memoryLimitMiB`.
 */
export function fullEmpiricalNtk(p: NtkInput, memoryLimitMiB: number): Float64Array {
  checkInput('fullEmpiricalNtk', p);
  const { d, n, m, V, W, X } = p;
  const N = n * d;
  // The tied cross term also needs d n×n blocks (n²d entries), below the nd×nd matrix itself.
  assertFits(fullNtkBytes(n, d) + (p.regime === 'tied' ? matrixBytes(n * d, n) : 0), memoryLimitMiB, 'full empirical NTK (nd×nd)');
  const s2 = p.scale * p.scale;
  const wts = regimeBlockWeights(p.regime, p.etaW, p.etaV);
  const tied = p.regime === 'tied';
  const K = new Float64Array(N * N);
  const decWeight = tied ? 1 : wts.dec;
  const G = decWeight !== 0 ? new Float64Array(n * n) : null;
  // Per block of hidden units: H^W's factor Bt[r, (a, i)] = v_ra·A_ri (tied: w_ra) into K's upper triangle, σ's
  // rows into G = SᵀS, both by the Gram kernel.
  const Bt = wts.enc !== 0 ? new Float64Array(Math.min(NTK_ROWS, m) * N) : null;
  // Tied: C_b[i,j] = Σ_r W_rb S_ri A_rj, stored [d][n][n]; per block, d products C_b += P_b Qᵀ with
  // P_b[i, r] = W_rb·S_ri and Q[j, r] = A_rj ([n, rows] each).
  const C = tied ? new Float64Array(d * n * n) : null;
  const Q = tied ? new Float64Array(n * Math.min(NTK_ROWS, m)) : null;
  const Pb = tied ? new Float64Array(n * Math.min(NTK_ROWS, m)) : null;
  forPreactivationBlocks(p.W, p.X, d, n, m, (z, r0, rows) => {
    if (Bt !== null) {
      const bt = Bt.subarray(0, rows * N);
      for (let r = 0; r < rows; r++) {
        for (let a = 0; a < d; a++) {
          const v = tied ? W[(r0 + r) * d + a]! : V[a * m + r0 + r]!;
          const o = r * N + a * n;
          for (let i = 0; i < n; i++) bt[o + i] = z[r * n + i]! >= 0 ? v : 0;
        }
      }
      gramUpperAdd(K, N, 0, N, bt, rows);
    }
    if (C !== null) crossTermBlock(C, Pb!, Q!, z, W, r0, rows, n, d);
    if (G !== null) addFeatureGram(G, z, n, rows);
  });
  if (Bt !== null) {
    const XtX = inputGram(X, d, n);
    for (let p1 = 0; p1 < N; p1++) {
      const i = p1 % n;
      for (let p2 = p1; p2 < N; p2++) K[p1 * N + p2] = wts.enc * K[p1 * N + p2]! * XtX[i * n + (p2 % n)]!;
    }
  }
  if (G !== null) {
    for (let a = 0; a < d; a++) {
      for (let i = 0; i < n; i++) {
        const rowBase = (a * n + i) * N + a * n;
        for (let j = i; j < n; j++) K[rowBase + j]! += decWeight * G[i * n + j]!;
      }
    }
  }
  if (C !== null) {
    // K[(a,i),(b,j)] += T[(a,i),(b,j)] + T[(b,j),(a,i)] = x_j[a] C_b[i,j] + x_i[b] C_a[j,i], upper triangle only.
    for (let a = 0; a < d; a++) {
      for (let i = 0; i < n; i++) {
        const p1 = a * n + i;
        for (let b = a; b < d; b++) {
          const j0 = b === a ? i : 0;
          const rowBase = p1 * N + b * n;
          for (let j = j0; j < n; j++) {
            K[rowBase + j]! += X[a * n + j]! * C[(b * n + i) * n + j]! + X[b * n + i]! * C[(a * n + j) * n + i]!;
          }
        }
      }
    }
  }
  for (let p1 = 0; p1 < N; p1++) {
    for (let p2 = p1; p2 < N; p2++) {
      const v = K[p1 * N + p2]! * s2;
      K[p1 * N + p2] = v;
      K[p2 * N + p1] = v;
    }
  }
  return K;
}

/**
 * Empirical NTK of the current parameters: traced [n, n] or full [nd, nd] output-major (SPEC §5.2).
 * `memoryLimitMiB` guards the full matrix (WorkbenchException 'too-large', with the estimate).
 */
export function empiricalNtk(p: NtkInput, opts: { kind: NtkKind; memoryLimitMiB?: number }): Float64Array {
  if (opts.kind === 'traced') return tracedEmpiricalNtk(p);
  return fullEmpiricalNtk(p, opts.memoryLimitMiB ?? Number.POSITIVE_INFINITY);
}

/** Options of {@link empiricalNtkMean}: the data, the network family and the seeds to average over. */
export interface NtkMeanOptions {
  X: Float64Array;
  d: number;
  n: number;
  m: number;
  regime: Regime;
  init: InitFamily;
  kappa: number;
  nu: number;
  scaling: Scaling;
  kind: NtkKind;
  /** each seed draws W₀, V₀ from createRng(seed, STREAMS.init), as a run with that seed does */
  seeds: readonly number[];
  memoryLimitMiB?: number;
}

/**
 * Monte-Carlo mean of the empirical NTK at initialization over seeds, (1/S) Σ_seed H(θ₀(seed)):
 * estimates E[H(0)] = s²m (ν² I_d ⊗ H_enc^∞ + κ² I_d ⊗ H_dec^∞) for joint training (SPEC §5.3).
 */
export function empiricalNtkMean(o: NtkMeanOptions): Float64Array {
  if (o.seeds.length === 0) throw new RangeError('empiricalNtkMean: seeds is empty');
  const N = o.kind === 'full' ? o.n * o.d : o.n;
  if (o.kind === 'full') assertFits(2 * fullNtkBytes(o.n, o.d), o.memoryLimitMiB ?? Number.POSITIVE_INFINITY, 'full empirical NTK (nd×nd)');
  const mean = new Float64Array(N * N);
  const scale = outputScale(o.scaling, o.m);
  for (const seed of o.seeds) {
    const { W, V } = initParams({ m: o.m, d: o.d, init: o.init, kappa: o.kappa, nu: o.nu, tied: o.regime === 'tied' }, createRng(seed, STREAMS.init));
    const H = empiricalNtk({ X: o.X, d: o.d, n: o.n, m: o.m, W, V, scale, regime: o.regime }, { kind: o.kind, memoryLimitMiB: o.memoryLimitMiB });
    for (let k = 0; k < H.length; k++) mean[k]! += H[k]!;
  }
  const inv = 1 / o.seeds.length;
  for (let k = 0; k < mean.length; k++) mean[k]! *= inv;
  return mean;
}
