/**
 * A finite-width ReLU Elman RNN (the network of ./rntk.ts, SPEC §10.2) and its empirical tangent kernel
 * Θ_N(x, x′) = Σ_p ∂_p f(x) ∂_p f(x′), the Monte-Carlo counterpart of the RNTK.
 *
 * Layouts: W [N, N], U [N, p], b [N], v [N] row-major; a sequence is [T, p] row-major.
 */
import { gemmNT } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import { createRng, STREAMS } from '../random';
import type { RntkOptions, RntkReadout } from './rntk';
import type { SequenceSet } from './sequences';

/** Parameters of one RNN of width N on p input features, with its σ's. */
export interface Rnn {
  N: number;
  p: number;
  W: Float64Array;
  U: Float64Array;
  b: Float64Array;
  v: Float64Array;
  sigmaW: number;
  sigmaU: number;
  sigmaB: number;
  sigmaV: number;
}

/** Draws W, U, b, v i.i.d. N(0, 1) in that order from (seed, STREAMS.init). */
export function initRnn(N: number, p: number, o: Omit<RntkOptions, 'readout' | 'bidirectional'>, seed: number): Rnn {
  if (!Number.isInteger(N) || N < 1) throw new WorkbenchException('invalid-request', `width: expected an integer ≥ 1, got ${N}`);
  const rng = createRng(seed, STREAMS.init);
  const draw = (k: number): Float64Array => {
    const a = new Float64Array(k);
    rng.fillNormal(a, 1);
    return a;
  };
  return { N, p, W: draw(N * N), U: draw(N * p), b: draw(N), v: draw(N), sigmaW: o.sigmaW, sigmaU: o.sigmaU, sigmaB: o.sigmaB, sigmaV: o.sigmaV };
}

interface Trace {
  /** h_0 … h_T as [T + 1, N] (h_0 = 0) */
  H: Float64Array;
  /** pre-activations g_1 … g_T as [T, N] */
  G: Float64Array;
  T: number;
}

function run(net: Rnn, x: Float64Array): Trace {
  const { N, p } = net;
  const T = x.length / p;
  const H = new Float64Array((T + 1) * N);
  const G = new Float64Array(T * N);
  const fw = net.sigmaW / Math.sqrt(N);
  const fu = net.sigmaU / Math.sqrt(p);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < N; r++) {
      let s = 0;
      const wr = r * N;
      const hPrev = t * N;
      for (let c = 0; c < N; c++) s += net.W[wr + c]! * H[hPrev + c]!;
      let u = 0;
      for (let a = 0; a < p; a++) u += net.U[r * p + a]! * x[t * p + a]!;
      const g = fw * s + fu * u + net.sigmaB * net.b[r]!;
      G[t * N + r] = g;
      H[(t + 1) * N + r] = g > 0 ? g : 0;
    }
  }
  return { H, G, T };
}

/** The network's output f(x) for one sequence x [T, p] with the given readout. */
export function rnnOutput(net: Rnn, x: Float64Array, readout: RntkReadout): number {
  const { H, T } = run(net, x);
  const { N } = net;
  let f = 0;
  for (let r = 0; r < N; r++) {
    let h = 0;
    if (readout === 'last') h = H[T * N + r]!;
    else {
      for (let t = 1; t <= T; t++) h += H[t * N + r]!;
      h /= T;
    }
    f += net.v[r]! * h;
  }
  return (net.sigmaV / Math.sqrt(N)) * f;
}

/** δ_t = ∂f/∂g_t for t = 1..T as [T, N], and the readout vector r (h_T or the mean of h_t). */
function backward(net: Rnn, tr: Trace, readout: RntkReadout): { D: Float64Array; r: Float64Array } {
  const { N } = net;
  const { T, G, H } = tr;
  const D = new Float64Array(T * N);
  const fv = net.sigmaV / Math.sqrt(N);
  const fw = net.sigmaW / Math.sqrt(N);
  const back = new Float64Array(N);
  for (let t = T - 1; t >= 0; t--) {
    const c = readout === 'last' ? (t === T - 1 ? 1 : 0) : 1 / T;
    back.fill(0);
    if (t < T - 1) {
      // (σ_w/√N) Wᵀ δ_{t+1}
      for (let rr = 0; rr < N; rr++) {
        const d = D[(t + 1) * N + rr]!;
        if (d === 0) continue;
        const wr = rr * N;
        for (let q = 0; q < N; q++) back[q]! += net.W[wr + q]! * d;
      }
    }
    for (let q = 0; q < N; q++) D[t * N + q] = G[t * N + q]! >= 0 ? c * fv * net.v[q]! + fw * back[q]! : 0;
  }
  const r = new Float64Array(N);
  if (readout === 'last') r.set(H.subarray(T * N, (T + 1) * N));
  else for (let t = 1; t <= T; t++) for (let q = 0; q < N; q++) r[q]! += H[t * N + q]! / T;
  return { D, r };
}

/**
 * Empirical NTK Gram [n, n] of the sequences of `set` (p must equal the network's):
 *   Θ_N = (σ_v²/N) r·r′ + Σ_{t,s} (δ_t·δ′_s) [σ_w² h_{t−1}·h′_{s−1}/N + σ_u² x_tᵀx′_s/p + σ_b²],
 * the readout, recurrent, input and bias parts of Σ_p ∂_p f(x) ∂_p f(x′).
 */
export function rnnNtk(net: Rnn, set: SequenceSet, readout: RntkReadout): Float64Array {
  if (set.p !== net.p) throw new WorkbenchException('invalid-data', `the sequences have ${set.p} features per step, the network ${net.p}`);
  const { N, p } = net;
  const n = set.data.length;
  const traces = set.data.map((x) => run(net, x));
  const grads = traces.map((tr) => backward(net, tr, readout));
  const K = new Float64Array(n * n);
  const sw2 = net.sigmaW ** 2;
  const su2 = net.sigmaU ** 2;
  const sb2 = net.sigmaB ** 2;
  const sv2 = net.sigmaV ** 2;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const ti = traces[i]!;
      const tj = traces[j]!;
      const DD = gemmNT(grads[i]!.D, grads[j]!.D, ti.T, tj.T, N);
      const HH = gemmNT(ti.H.subarray(0, ti.T * N), tj.H.subarray(0, tj.T * N), ti.T, tj.T, N);
      const xi = set.data[i]!;
      const xj = set.data[j]!;
      let s = 0;
      for (let a = 0; a < N; a++) s += grads[i]!.r[a]! * grads[j]!.r[a]!;
      let k = (sv2 * s) / N;
      for (let t = 0; t < ti.T; t++) {
        for (let u = 0; u < tj.T; u++) {
          let xx = 0;
          for (let a = 0; a < p; a++) xx += xi[t * p + a]! * xj[u * p + a]!;
          k += DD[t * tj.T + u]! * ((sw2 * HH[t * tj.T + u]!) / N + (su2 * xx) / p + sb2);
        }
      }
      K[i * n + j] = k;
      K[j * n + i] = k;
    }
  }
  return K;
}
