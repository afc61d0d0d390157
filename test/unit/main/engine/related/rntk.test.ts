import { symmetricEigen } from '../../../../../src/main/engine/linalg';
import { describe, expect, it } from 'vitest';
import { rntkKernels, type RntkOptions } from '../../../../../src/main/engine/related/rntk';
import { initRnn, rnnNtk, rnnOutput, type Rnn } from '../../../../../src/main/engine/related/rnnEmpirical';
import type { SequenceSet } from '../../../../../src/main/engine/related/sequences';
import { reluMoments } from '../../../../../src/main/engine/related/reluGaussian';
import { createRng } from '../../../../../src/main/engine/random';
import { MeanEstimate, expectMeanNear, upperTriangle } from './monteCarlo';

/** Round-off tolerance between two float64 evaluations of the same kernel (relative). */
const F64 = 1e-13;
const FD_STEP = 1e-6;
const FD_TOL = 1e-6;

function randomSet(lengths: number[], p: number, seed: number): SequenceSet {
  const rng = createRng(seed, 0);
  return {
    p,
    data: lengths.map((T) => {
      const x = new Float64Array(T * p);
      rng.fillNormal(x, 1);
      return x;
    }),
  };
}

const OPTS: Omit<RntkOptions, 'readout'> = { bidirectional: false, sigmaW: 1.1, sigmaU: 0.9, sigmaB: 0.3, sigmaV: 1.2 };

/**
 * SPEC §10.2–§10.3 written out literally, one pair at a time: the T×T′ tables of q, K, K̇, then the backward
 * kernel Π (end-aligned only for `last`, every (t, s) for `avg`) and RNTK = NNGP + Σ Π q. An independent
 * re-derivation of what the wavefront computes with its forward accumulation.
 */
function referencePair(x: Float64Array, y: Float64Array, p: number, o: RntkOptions): { ntk: number; nngp: number } {
  const T = x.length / p;
  const U = y.length / p;
  const sw2 = o.sigmaW ** 2;
  const su2 = o.sigmaU ** 2;
  const sb2 = o.sigmaB ** 2;
  const dot = (a: Float64Array, t: number, b: Float64Array, s: number) => {
    let v = 0;
    for (let f = 0; f < p; f++) v += a[t * p + f]! * b[s * p + f]!;
    return v;
  };
  const selfQ = (a: Float64Array, len: number) => {
    const q: number[] = [];
    let k = 0;
    for (let t = 0; t < len; t++) {
      q.push(sw2 * k + (su2 / p) * dot(a, t, a, t) + sb2);
      k = reluMoments(q[t]!, q[t]!, q[t]!).k;
    }
    return q;
  };
  const qx = selfQ(x, T);
  const qy = selfQ(y, U);
  const q = Array.from({ length: T + 1 }, () => new Array<number>(U + 1).fill(0));
  const K = Array.from({ length: T + 1 }, () => new Array<number>(U + 1).fill(0));
  const Kd = Array.from({ length: T + 1 }, () => new Array<number>(U + 1).fill(0));
  for (let t = 1; t <= T; t++) {
    for (let s = 1; s <= U; s++) {
      q[t]![s] = sw2 * K[t - 1]![s - 1]! + (su2 / p) * dot(x, t - 1, y, s - 1) + sb2;
      const r = reluMoments(qx[t - 1]!, qy[s - 1]!, q[t]![s]!);
      K[t]![s] = r.k;
      Kd[t]![s] = r.kdot;
    }
  }
  const Pi = Array.from({ length: T + 2 }, () => new Array<number>(U + 2).fill(0));
  let ntk = 0;
  let nngp = 0;
  if (o.readout === 'last') {
    nngp = o.sigmaV ** 2 * K[T]![U]!;
    for (let k = 0; k < Math.min(T, U); k++) {
      const t = T - k;
      const s = U - k;
      Pi[t]![s] = k === 0 ? o.sigmaV ** 2 * Kd[T]![U]! : sw2 * Pi[t + 1]![s + 1]! * Kd[t]![s]!;
      ntk += Pi[t]![s]! * q[t]![s]!;
    }
  } else {
    const a = o.sigmaV ** 2 / (T * U);
    for (let t = T; t >= 1; t--) {
      for (let s = U; s >= 1; s--) {
        Pi[t]![s] = Kd[t]![s]! * (a + sw2 * Pi[t + 1]![s + 1]!);
        ntk += Pi[t]![s]! * q[t]![s]!;
        nngp += a * K[t]![s]!;
      }
    }
  }
  return { ntk: nngp + ntk, nngp };
}

function reverse(x: Float64Array, p: number): Float64Array {
  const T = x.length / p;
  const r = new Float64Array(x.length);
  for (let t = 0; t < T; t++) for (let f = 0; f < p; f++) r[(T - 1 - t) * p + f] = x[t * p + f]!;
  return r;
}

describe('rntkKernels() (SPEC §10.2–§10.3)', () => {
  const set = randomSet([3, 5, 4, 1, 6], 2, 7);
  const n = set.data.length;

  for (const readout of ['last', 'avg'] as const) {
    for (const bidirectional of [false, true]) {
      it(`equals the literal Π recursion for every pair (${readout}, ${bidirectional ? 'bidirectional' : 'unidirectional'}, different lengths)`, () => {
        const o = { ...OPTS, readout, bidirectional };
        const k = rntkKernels(set, o);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const x = set.data[i]!;
            const y = set.data[j]!;
            let want = referencePair(x, y, 2, o);
            if (bidirectional) {
              const back = referencePair(reverse(x, 2), reverse(y, 2), 2, o);
              want = { ntk: (want.ntk + back.ntk) / 2, nngp: (want.nngp + back.nngp) / 2 };
            }
            expect(Math.abs(k.ntk[i * n + j]! - want.ntk)).toBeLessThanOrEqual(F64 * Math.abs(want.ntk));
            expect(Math.abs(k.nngp[i * n + j]! - want.nngp)).toBeLessThanOrEqual(F64 * Math.abs(want.nngp));
          }
        }
      });
    }

    it(`gives symmetric positive semi-definite Grams, and the cross Gram is their block (${readout})`, () => {
      const o = { ...OPTS, readout };
      const k = rntkKernels(set, o);
      for (const g of [k.ntk, k.nngp]) {
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g[i * n + j]).toBe(g[j * n + i]);
        const ev = symmetricEigen(g, n).values;
        expect(ev[0]!).toBeGreaterThanOrEqual(-n * 2 ** -52 * ev[n - 1]!);
      }
      const A = { p: 2, data: set.data.slice(0, 2) };
      const B = { p: 2, data: set.data.slice(2) };
      const cross = rntkKernels(A, o, B);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(cross.ntk[i * 3 + j]).toBeCloseTo(k.ntk[i * n + 2 + j]!, 12);
    });

    it(`is unchanged by the bidirectional readout for palindromic sequences (${readout})`, () => {
      const pal = (xs: number[][]) => Float64Array.from([...xs, ...xs.slice(0, -1).reverse()].flat());
      const palindromes: SequenceSet = {
        p: 2,
        data: [
          pal([
            [1, 0.5],
            [-0.3, 2],
            [0.7, -1],
          ]),
          pal([
            [0.2, 0.1],
            [1.5, -0.4],
          ]),
          pal([[-1, 1]]),
        ],
      };
      const uni = rntkKernels(palindromes, { ...OPTS, readout, bidirectional: false });
      const bi = rntkKernels(palindromes, { ...OPTS, readout, bidirectional: true });
      for (let k = 0; k < 9; k++) expect(bi.ntk[k]).toBeCloseTo(uni.ntk[k]!, 13);
      // …while for ordinary sequences the two differ.
      const plain = rntkKernels(set, { ...OPTS, readout, bidirectional: true }).ntk;
      const one = rntkKernels(set, { ...OPTS, readout, bidirectional: false }).ntk;
      expect(Math.abs(plain[1]! - one[1]!)).toBeGreaterThan(1e-6);
    });
  }
});

function parameters(net: Rnn): Float64Array[] {
  return [net.W, net.U, net.b, net.v];
}

describe('rnnNtk()', () => {
  const set = randomSet([3, 2, 4], 2, 3);
  for (const readout of ['last', 'avg'] as const) {
    it(`equals J Jᵀ of the RNN's Jacobian taken by central differences (${readout})`, () => {
      const net = initRnn(4, 2, OPTS, 5);
      const n = set.data.length;
      const J: number[][] = Array.from({ length: n }, () => []);
      for (const arr of parameters(net)) {
        for (let k = 0; k < arr.length; k++) {
          const keep = arr[k]!;
          arr[k] = keep + FD_STEP;
          const up = set.data.map((x) => rnnOutput(net, x, readout));
          arr[k] = keep - FD_STEP;
          const down = set.data.map((x) => rnnOutput(net, x, readout));
          arr[k] = keep;
          for (let i = 0; i < n; i++) J[i]!.push((up[i]! - down[i]!) / (2 * FD_STEP));
        }
      }
      const K = rnnNtk(net, set, readout);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const want = J[i]!.reduce((s, v, q) => s + v * J[j]![q]!, 0);
          expect(Math.abs(K[i * n + j]! - want)).toBeLessThanOrEqual(FD_TOL * Math.max(1, Math.abs(want)));
        }
      }
    });

    // The finite-width bias is O(1/N): at N = 600 it is several times below one standard error of 24 inits.
    it(`has a mean over wide RNNs (N = 600) within the CLT bound of the RNTK (${readout})`, () => {
      const data = randomSet([3, 5, 1, 4], 2, 9);
      const n = data.data.length;
      const o = { ...OPTS, readout };
      const limit = rntkKernels(data, o).ntk;
      const est = new MeanEstimate(n * n);
      for (let s = 0; s < 24; s++) est.add(rnnNtk(initRnn(600, 2, o, 100 + s), data, readout));
      expectMeanNear(est, limit, `RNN NTK ${readout}`, upperTriangle(n));
    });
  }
});
