/**
 * NNGP and NTK of a single-layer ReLU Elman RNN in the infinite-width limit (SPEC §10.2–§10.3), float64:
 *   g_t = (σ_w/√N) W h_{t−1} + (σ_u/√p) U x_t + σ_b b,  h_t = φ(g_t),  h₀ = 0,  weights N(0, 1),
 * readout f = (σ_v/√N) vᵀh_T (last state) or (σ_v/√N) vᵀ(1/T)Σ_t h_t (average pooling).
 *
 * For sequences x (length T) and x′ (length T′):
 *   q_{t,s} = σ_w² K_{t−1,s−1} + (σ_u²/p) x_tᵀx′_s + σ_b²   (K_{0,·} = K_{·,0} = 0),
 *   K_{t,s} = E[φ(a)φ(b)],  K̇_{t,s} = E[φ′(a)φ′(b)],  (a, b) ~ N(0, [[q_{t,t}(x,x), q_{t,s}], [q_{t,s}, q_{s,s}(x′,x′)]]).
 * The backward kernel Π of SPEC §10.2/§10.3 is never stored: along a diagonal t − s = c the sum Σ Π q equals
 * a forward accumulation S_{t,s} = K̇_{t,s}(q_{t,s} + σ_w² S_{t−1,s−1}) (the tangent kernel of the hidden
 * state), so that
 *   last:  NNGP = σ_v² K_{T,T′},  RNTK = σ_v² (K_{T,T′} + S_{T,T′})           (one end-aligned diagonal)
 *   avg:   NNGP = σ_v²/(TT′) Σ_{t,s} K_{t,s},  RNTK = σ_v²/(TT′) Σ_{t,s} (K_{t,s} + S_{t,s})   (every diagonal)
 * — the same numbers as Π_{t,s} = σ_w² Π_{t+1,s+1} K̇_{t,s} resp. K̇_{t,s}(σ_v²/(TT′) + σ_w² Π_{t+1,s+1}).
 * Bidirectional (independent RNNs on x and on reversed x, readout over the 2N units with 1/√(2N)):
 * ½[Θ(x, x′) + Θ(rev x, rev x′)].
 *
 * Wavefront evaluation: every diagonal of every sequence pair is a chain in which (t, s) needs only
 * (t − 1, s − 1). The chains of all pairs are laid out as lanes in typed arrays, sorted by length, and step j
 * advances every lane still running by one entry in one loop — O(Σ TT′) (avg) or O(Σ min(T, T′)) (last) work,
 * no per-pair T×T′ table.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { reverseSequences, type SequenceSet } from './sequences';

/** Readout of the RNN: the last hidden state, or the average over time. */
export type RntkReadout = 'last' | 'avg';

/** Hyper-parameters of the RNN and of its kernels (SPEC §10.2's σ's). */
export interface RntkOptions {
  readout: RntkReadout;
  bidirectional: boolean;
  sigmaW: number;
  sigmaU: number;
  sigmaB: number;
  sigmaV: number;
}

/** NTK and NNGP Grams [nA, nB] row-major. */
export interface RntkKernels {
  ntk: Float64Array;
  nngp: Float64Array;
}

/** Lanes per block: bounds the working memory (~40 bytes a lane) whatever the data size. */
const LANE_BLOCK = 1 << 20;
const INV_2PI = 1 / (2 * Math.PI);

/** Throws 'invalid-request' naming the σ that is out of range. */
function checkRntkOptions(o: RntkOptions): void {
  if (o.readout !== 'last' && o.readout !== 'avg') throw new WorkbenchException('invalid-request', `readout: expected last or avg, got ${String(o.readout)}`);
  for (const [k, v] of [
    ['sigmaW', o.sigmaW],
    ['sigmaU', o.sigmaU],
    ['sigmaV', o.sigmaV],
    ['sigmaB', o.sigmaB],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new WorkbenchException('invalid-request', `${k}: expected a number ≥ 0, got ${v}`);
  }
}

/**
 * RNTK and NNGP (SPEC §10.2–§10.3; see the module doc) between the sequences of A and of B (B defaults to
 * A; then the Grams are exactly symmetric) → each [nA, nB]. Lengths may differ; A and B need the same p.
 */
export function rntkKernels(A: SequenceSet, o: RntkOptions, B?: SequenceSet, signal?: { readonly aborted: boolean }): RntkKernels {
  checkRntkOptions(o);
  if (B && B.p !== A.p) throw new WorkbenchException('invalid-data', `the sequences have ${A.p} and ${B.p} features per step; they must match`);
  const fwd = forwardKernels(A, B, o, signal);
  if (!o.bidirectional) return fwd;
  const bwd = forwardKernels(reverseSequences(A), B ? reverseSequences(B) : undefined, o, signal);
  for (let k = 0; k < fwd.ntk.length; k++) {
    fwd.ntk[k] = 0.5 * (fwd.ntk[k]! + bwd.ntk[k]!);
    fwd.nngp[k] = 0.5 * (fwd.nngp[k]! + bwd.nngp[k]!);
  }
  return fwd;
}

interface Flat {
  x: Float64Array;
  /** q_{t,t}(x, x) per flat step */
  selfQ: Float64Array;
  offset: Int32Array;
  length: Int32Array;
}

/** Concatenates the sequences and computes each one's self variances q_{t,t} (K_{t,t} = q_{t,t}/2 for ReLU). */
function flatten(s: SequenceSet, o: RntkOptions): Flat {
  const n = s.data.length;
  const offset = new Int32Array(n);
  const length = new Int32Array(n);
  let total = 0;
  s.data.forEach((x, i) => {
    offset[i] = total;
    length[i] = x.length / s.p;
    total += length[i]!;
  });
  const x = new Float64Array(total * s.p);
  const selfQ = new Float64Array(total);
  const sw2 = o.sigmaW ** 2;
  const su2p = o.sigmaU ** 2 / s.p;
  const sb2 = o.sigmaB ** 2;
  s.data.forEach((seq, i) => {
    x.set(seq, offset[i]! * s.p);
    let k = 0;
    for (let t = 0; t < length[i]!; t++) {
      let xx = 0;
      for (let a = 0; a < s.p; a++) xx += seq[t * s.p + a]! ** 2;
      const q = sw2 * k + su2p * xx + sb2;
      selfQ[offset[i]! + t] = q;
      k = q / 2;
    }
  });
  return { x, selfQ, offset, length };
}

/** One block of lanes: chains (pair, start steps, length), sorted by decreasing length. */
interface Lanes {
  count: number;
  a: Int32Array;
  b: Int32Array;
  len: Int32Array;
  pair: Int32Array;
  exact: Uint8Array;
}

function forwardKernels(A: SequenceSet, B: SequenceSet | undefined, o: RntkOptions, signal?: { readonly aborted: boolean }): RntkKernels {
  const same = B === undefined;
  const fa = flatten(A, o);
  const fb = same ? fa : flatten(B, o);
  const nA = A.data.length;
  const nB = same ? nA : B.data.length;
  const ntk = new Float64Array(nA * nB);
  const nngp = new Float64Array(nA * nB);
  const avg = o.readout === 'avg';

  // Pairs in row order; lanes are cut into blocks of at most LANE_BLOCK (a pair's lanes never split).
  const pairs: number[] = [];
  let lanesInBlock = 0;
  const flush = (): void => {
    if (pairs.length === 0) return;
    runBlock(buildLanes(pairs, fa, fb, nB, same, avg), fa, fb, A.p, o, ntk, nngp, signal);
    pairs.length = 0;
    lanesInBlock = 0;
  };
  for (let i = 0; i < nA; i++) {
    for (let j = same ? i : 0; j < nB; j++) {
      const lanes = avg ? fa.length[i]! + fb.length[j]! - 1 : 1;
      if (lanesInBlock + lanes > LANE_BLOCK) flush();
      pairs.push(i * nB + j);
      lanesInBlock += lanes;
    }
  }
  flush();

  for (let i = 0; i < nA; i++) {
    for (let j = same ? i : 0; j < nB; j++) {
      const f = avg ? o.sigmaV ** 2 / (fa.length[i]! * fb.length[j]!) : o.sigmaV ** 2;
      const k = i * nB + j;
      ntk[k]! *= f;
      nngp[k]! *= f;
      if (same) {
        ntk[j * nB + i] = ntk[k]!;
        nngp[j * nB + i] = nngp[k]!;
      }
    }
  }
  return { ntk, nngp };
}

function buildLanes(pairs: number[], fa: Flat, fb: Flat, nB: number, same: boolean, avg: boolean): Lanes {
  let count = 0;
  for (const pr of pairs) count += avg ? fa.length[Math.floor(pr / nB)]! + fb.length[pr % nB]! - 1 : 1;
  const raw = { a: new Int32Array(count), b: new Int32Array(count), len: new Int32Array(count), pair: new Int32Array(count), exact: new Uint8Array(count) };
  let k = 0;
  let maxLen = 0;
  for (const pr of pairs) {
    const i = Math.floor(pr / nB);
    const j = pr % nB;
    const Ti = fa.length[i]!;
    const Tj = fb.length[j]!;
    const push = (t0: number, s0: number, len: number, exact: boolean): void => {
      raw.a[k] = fa.offset[i]! + t0;
      raw.b[k] = fb.offset[j]! + s0;
      raw.len[k] = len;
      raw.pair[k] = pr;
      raw.exact[k] = exact ? 1 : 0;
      if (len > maxLen) maxLen = len;
      k++;
    };
    if (avg) {
      for (let c = -(Tj - 1); c <= Ti - 1; c++) {
        const t0 = Math.max(0, c);
        const s0 = Math.max(0, -c);
        push(t0, s0, Math.min(Ti - t0, Tj - s0), same && i === j && c === 0);
      }
    } else {
      const len = Math.min(Ti, Tj);
      push(Ti - len, Tj - len, len, same && i === j);
    }
  }
  // Counting sort by decreasing length: the lanes still running at step j are then a prefix.
  const byLen = new Int32Array(maxLen + 2);
  for (let l = 0; l < count; l++) byLen[maxLen - raw.len[l]! + 1]!++;
  for (let v = 1; v < byLen.length; v++) byLen[v]! += byLen[v - 1]!;
  const out: Lanes = {
    count,
    a: new Int32Array(count),
    b: new Int32Array(count),
    len: new Int32Array(count),
    pair: new Int32Array(count),
    exact: new Uint8Array(count),
  };
  for (let l = 0; l < count; l++) {
    const dst = byLen[maxLen - raw.len[l]!]!++;
    out.a[dst] = raw.a[l]!;
    out.b[dst] = raw.b[l]!;
    out.len[dst] = raw.len[l]!;
    out.pair[dst] = raw.pair[l]!;
    out.exact[dst] = raw.exact[l]!;
  }
  return out;
}

function runBlock(
  lanes: Lanes,
  fa: Flat,
  fb: Flat,
  p: number,
  o: RntkOptions,
  ntk: Float64Array,
  nngp: Float64Array,
  signal?: { readonly aborted: boolean },
): void {
  const { count, a: la, b: lb, len, pair, exact } = lanes;
  const kPrev = new Float64Array(count);
  const S = new Float64Array(count);
  const sw2 = o.sigmaW ** 2;
  const su2p = o.sigmaU ** 2 / p;
  const sb2 = o.sigmaB ** 2;
  const avg = o.readout === 'avg';
  const xa = fa.x;
  const xb = fb.x;
  const qa = fa.selfQ;
  const qb = fb.selfQ;
  let active = count;
  for (let j = 0; active > 0; j++) {
    if (signal?.aborted) throw new WorkbenchException('cancelled', 'the RNTK computation was cancelled');
    while (active > 0 && len[active - 1]! <= j) active--;
    for (let l = 0; l < active; l++) {
      const ta = la[l]! + j;
      const tb = lb[l]! + j;
      let dot = 0;
      for (let f = 0; f < p; f++) dot += xa[ta * p + f]! * xb[tb * p + f]!;
      const q = sw2 * kPrev[l]! + su2p * dot + sb2;
      let k: number;
      let kd: number;
      const va = qa[ta]!;
      const vb = qb[tb]!;
      if (exact[l] === 1) {
        // A sequence against itself at the same step: one Gaussian, correlation exactly 1.
        k = q > 0 ? q / 2 : 0;
        kd = q > 0 ? 0.5 : 1;
      } else if (!(va > 0) || !(vb > 0)) {
        // φ′(0) = 1: a unit that is constantly 0 has derivative 1 (engine convention 1[z ≥ 0]).
        k = 0;
        kd = (va > 0 ? 0.5 : 1) * (vb > 0 ? 0.5 : 1);
      } else {
        const norm = Math.sqrt(va * vb);
        let rho = q / norm;
        if (rho > 1) rho = 1;
        else if (rho < -1) rho = -1;
        const psi = Math.acos(rho);
        k = norm * (Math.sqrt(1 - rho * rho) + (Math.PI - psi) * rho) * INV_2PI;
        kd = (Math.PI - psi) * INV_2PI;
      }
      const s = kd * (q + sw2 * S[l]!);
      S[l] = s;
      kPrev[l] = k;
      const pr = pair[l]!;
      if (avg) {
        nngp[pr]! += k;
        ntk[pr]! += k + s;
      } else if (j === len[l]! - 1) {
        nngp[pr] = k;
        ntk[pr] = k + s;
      }
    }
  }
}
