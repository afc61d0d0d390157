/**
 * Random features of the two-layer ReLU NTK Θ = H_enc∞ + H_dec∞ (SPEC §10.4; Zandieh et al., Han et al.):
 *   Φ(x) = [ m₀^{−1/2} vec(1[Ω₀x ≥ 0] ⊗ x) ; m₁^{−1/2} σ(Ω₁x) ],  Ω₀ [m₀, d], Ω₁ [m₁, d] i.i.d. N(0, 1),
 * so that E[Φ(x)ᵀΦ(y)] = Θ(x, y) (arc-cosine features of orders 0 and 1), dimension D = m₀d + m₁. The
 * tensor block z ⊗ x (z = 1[Ω₀x ≥ 0]/√m₀) can be compressed to k coordinates by an unbiased sketch S
 * (E[⟨S u, S u′⟩] = ⟨u, u′⟩), then D = k + m₁:
 *   gaussian     Gaussian JL, S [k, m₀d] with entries N(0, 1/k);
 *   countsketch  each coordinate hashed to one of k buckets with a random sign;
 *   tensorsrht   (1/√k)·(H D₁ z)_{r_j} (H D₂ x)_{q_j}, j = 1..k: H the ±1 Walsh–Hadamard matrix, D₁, D₂ random
 *                signs, r_j, q_j uniform indices — applied to z and x separately, never forming z ⊗ x.
 * Layouts: X [d, n] (columns are points), features [D, n].
 */
import { gramUpperAdd, matmulTransA, mirrorUpperToLower, spectralNormOfValues, symmetricEigen, symmetricSpectralNorm } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import type { MeanStd, RfSweep, RfSweepRow } from '../../../shared/related/results';
import { infiniteKernels } from '../ntk/infiniteKernels';
import { createRng, STREAMS, type Rng } from '../random';
import { fitKernelRegression } from './kernelRegression';

/** How the tensor block is compressed. */
export type RfSketch = 'none' | 'gaussian' | 'countsketch' | 'tensorsrht';

/** Sizes and randomness of the feature map. */
export interface RfOptions {
  /** features of the order-0 (tensor) block */
  m0: number;
  /** features of the order-1 (ReLU) block */
  m1: number;
  sketch: RfSketch;
  /** sketch size k of the tensor block; default ⌈m₀d/4⌉ (SPEC §10.4: a quarter of its size) */
  sketchDim?: number;
  seed: number;
}

/** A drawn feature map: the same randomness for every point set it is applied to. */
export interface RfFeatureMap {
  /** D: rows of the feature matrix */
  dim: number;
  /** size of the (possibly sketched) tensor block */
  tensorDim: number;
  /** Φ(X) for X [d, n] → [dim, n] */
  apply(X: Float64Array, n: number): Float64Array;
}

function checkOptions(d: number, o: RfOptions): number {
  for (const [k, v] of [
    ['m0', o.m0],
    ['m1', o.m1],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new WorkbenchException('invalid-request', `${k}: expected an integer ≥ 0, got ${v}`);
  }
  if (o.m0 + o.m1 === 0) throw new WorkbenchException('invalid-request', 'm0, m1: at least one block needs features');
  if (!['none', 'gaussian', 'countsketch', 'tensorsrht'].includes(o.sketch)) {
    throw new WorkbenchException('invalid-request', `sketch: expected none, gaussian, countsketch or tensorsrht, got ${String(o.sketch)}`);
  }
  const k = o.sketch === 'none' ? o.m0 * d : (o.sketchDim ?? Math.ceil((o.m0 * d) / 4));
  if (!Number.isInteger(k) || k < 1) throw new WorkbenchException('invalid-request', `sketchDim: expected an integer ≥ 1, got ${k}`);
  return k;
}

/** Entries of the largest Gaussian sketch matrix kept in memory (256 MiB). */
const GAUSSIAN_SKETCH_MAX = 2 ** 25;

function nextPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}

/** In-place unnormalized fast Walsh–Hadamard transform of a power-of-two-length vector. */
function fwht(a: Float64Array): void {
  for (let h = 1; h < a.length; h *= 2) {
    for (let i = 0; i < a.length; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const x = a[j]!;
        const y = a[j + h]!;
        a[j] = x + y;
        a[j + h] = x - y;
      }
    }
  }
}

function signs(rng: Rng, n: number): Float64Array {
  const s = new Float64Array(n);
  rng.fillRademacher(s, 1);
  return s;
}

/**
 * Draws the feature map for inputs of dimension d (see the module doc). Ω₀, Ω₁ come from (seed,
 * STREAMS.init), the sketch from (seed, STREAMS.sketch).
 */
export function rfFeatureMap(d: number, o: RfOptions): RfFeatureMap {
  const k = checkOptions(d, o);
  const { m0, m1 } = o;
  const init = createRng(o.seed, STREAMS.init);
  const omega0 = new Float64Array(m0 * d);
  init.fillNormal(omega0, 1);
  const omega1 = new Float64Array(m1 * d);
  init.fillNormal(omega1, 1);
  const sk = createRng(o.seed, STREAMS.sketch);
  const tensorDim = k;
  const dim = tensorDim + m1;

  let sketchInto: ((z: Float64Array, x: Float64Array, out: Float64Array, col: number, n: number) => void) | null = null;
  if (o.sketch === 'countsketch') {
    const bucket = new Int32Array(m0 * d);
    for (let i = 0; i < bucket.length; i++) bucket[i] = sk.int(k);
    const sign = signs(sk, m0 * d);
    sketchInto = (z, x, out, col, n) => {
      for (let r = 0; r < m0; r++) {
        if (z[r] === 0) continue;
        for (let a = 0; a < d; a++) {
          const idx = r * d + a;
          out[bucket[idx]! * n + col]! += sign[idx]! * z[r]! * x[a]!;
        }
      }
    };
  } else if (o.sketch === 'tensorsrht') {
    const M0 = nextPow2(m0);
    const Dd = nextPow2(d);
    const s1 = signs(sk, M0);
    const s2 = signs(sk, Dd);
    const ri = new Int32Array(k);
    const qi = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      ri[j] = sk.int(M0);
      qi[j] = sk.int(Dd);
    }
    const zt = new Float64Array(M0);
    const xt = new Float64Array(Dd);
    const f = 1 / Math.sqrt(k);
    sketchInto = (z, x, out, col, n) => {
      zt.fill(0);
      xt.fill(0);
      for (let r = 0; r < m0; r++) zt[r] = s1[r]! * z[r]!;
      for (let a = 0; a < d; a++) xt[a] = s2[a]! * x[a]!;
      fwht(zt);
      fwht(xt);
      for (let j = 0; j < k; j++) out[j * n + col] = f * zt[ri[j]!]! * xt[qi[j]!]!;
    };
  } else if (o.sketch === 'gaussian') {
    if (k * m0 * d > GAUSSIAN_SKETCH_MAX) {
      throw new WorkbenchException(
        'too-large',
        `a Gaussian sketch [${k}, ${m0 * d}] needs ~${Math.ceil((k * m0 * d * 8) / 2 ** 20)} MiB, above ${(GAUSSIAN_SKETCH_MAX * 8) / 2 ** 20} MiB: use countsketch or tensorsrht, or a smaller m0`,
        { k, m0, d },
      );
    }
    // S [k, m₀d] is drawn once and kept as its column blocks S_r [k, d] (r = 1..m₀): S(z ⊗ x) = Σ_r z_r S_r x.
    const S = new Float64Array(k * m0 * d);
    sk.fillNormal(S, 1 / Math.sqrt(k));
    const sx = new Float64Array(k);
    sketchInto = (z, x, out, col, n) => {
      sx.fill(0);
      for (let r = 0; r < m0; r++) {
        if (z[r] === 0) continue;
        const base = r * k * d;
        for (let j = 0; j < k; j++) {
          let s = 0;
          const row = base + j * d;
          for (let a = 0; a < d; a++) s += S[row + a]! * x[a]!;
          sx[j]! += z[r]! * s;
        }
      }
      for (let j = 0; j < k; j++) out[j * n + col] = sx[j]!;
    };
  }

  return {
    dim,
    tensorDim,
    apply(X: Float64Array, n: number): Float64Array {
      if (X.length !== d * n) throw new RangeError(`rfFeatureMap.apply: X has ${X.length} entries, expected [d=${d}, n=${n}] = ${d * n}`);
      const out = new Float64Array(dim * n);
      const x = new Float64Array(d);
      const z = new Float64Array(m0);
      const f0 = m0 > 0 ? 1 / Math.sqrt(m0) : 0;
      const f1 = m1 > 0 ? 1 / Math.sqrt(m1) : 0;
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < d; a++) x[a] = X[a * n + i]!;
        for (let r = 0; r < m0; r++) {
          let s = 0;
          for (let a = 0; a < d; a++) s += omega0[r * d + a]! * x[a]!;
          z[r] = s >= 0 ? f0 : 0;
        }
        if (sketchInto) sketchInto(z, x, out, i, n);
        else for (let r = 0; r < m0; r++) if (z[r] !== 0) for (let a = 0; a < d; a++) out[(r * d + a) * n + i] = z[r]! * x[a]!;
        for (let r = 0; r < m1; r++) {
          let s = 0;
          for (let a = 0; a < d; a++) s += omega1[r * d + a]! * x[a]!;
          out[(tensorDim + r) * n + i] = s > 0 ? f1 * s : 0;
        }
      }
      return out;
    },
  };
}

/**
 * The random-feature approximation Φ(X)ᵀΦ(Y) [n, nY] of Θ = H_enc∞ + H_dec∞ (Y defaults to X), with one
 * draw of the feature map, and the feature dimension D.
 */
export function rfNtkGram(X: Float64Array, d: number, n: number, o: RfOptions, Y?: Float64Array, nY?: number): { gram: Float64Array; dim: number } {
  const map = rfFeatureMap(d, o);
  const fx = map.apply(X, n);
  if (Y === undefined) {
    // Symmetric: the upper triangle on the packed SIMD tiles (half the work of a general product), then mirrored.
    const gram = new Float64Array(n * n);
    gramUpperAdd(gram, n, 0, n, fx, map.dim);
    mirrorUpperToLower(gram, n);
    return { gram, dim: map.dim };
  }
  const m = nY ?? Math.floor(Y.length / d);
  return { gram: matmulTransA(fx, map.apply(Y, m), map.dim, n, m), dim: map.dim };
}

/** Options of {@link rfSweep}: the feature sizes, sketch and repetitions. */
export interface RfSweepOptions {
  m0s: number[];
  /** m₁ = m1Factor·m₀ (default d: both blocks the same size) */
  m1Factor?: number;
  sketch: RfSketch;
  /** k = ⌈sketchFraction·m₀d⌉ (default ¼) */
  sketchFraction?: number;
  seeds: number;
  seed: number;
  /** kernel-regression ridge (absolute) */
  ridge: number;
  /** the last nTest columns of X are held out for the prediction error (autoencoder targets Y = X) */
  nTest: number;
}

function meanStd(xs: number[]): MeanStd {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Relative spectral error ‖ΦᵀΦ − Θ‖₂/‖Θ‖₂, the induced error in λ_min and in kernel-regression
 * predictions, for each m₀ (SPEC §10.4 [V g]), `seeds` draws each (seeds seed, seed + 1, …), with the fitted
 * slope of the error against D on log–log axes. `now` times each draw (omit for no timing).
 */
export function rfSweep(X: Float64Array, d: number, n: number, o: RfSweepOptions, now?: () => number, signal?: { readonly aborted: boolean }): RfSweep {
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new WorkbenchException('invalid-request', `seeds: expected an integer ≥ 1, got ${o.seeds}`);
  if (!Number.isInteger(o.nTest) || o.nTest < 0 || o.nTest > n - 2)
    throw new WorkbenchException('invalid-request', `nTest: expected an integer in [0, ${n - 2}], got ${o.nTest}`);
  if (o.m0s.length === 0) throw new WorkbenchException('invalid-request', 'm0s: expected at least one feature size');
  const clock = now ?? (() => NaN);
  const t0 = clock();
  const { enc, dec } = infiniteKernels(X, d, n);
  const theta = new Float64Array(n * n);
  for (let i = 0; i < theta.length; i++) theta[i] = enc[i]! + dec[i]!;
  const exactMs = now ? clock() - t0 : null;
  // One decomposition of Θ for its norm and its smallest eigenvalue.
  const thetaValues = symmetricEigen(theta, n).values;
  const thetaNorm = spectralNormOfValues(thetaValues);
  const lambdaMinExact = thetaValues[0]!;

  const nTr = n - o.nTest;
  const split = (K: Float64Array): { train: Float64Array; cross: Float64Array } => {
    const train = new Float64Array(nTr * nTr);
    const cross = new Float64Array(nTr * o.nTest);
    for (let i = 0; i < nTr; i++) {
      for (let j = 0; j < nTr; j++) train[i * nTr + j] = K[i * n + j]!;
      for (let j = 0; j < o.nTest; j++) cross[i * o.nTest + j] = K[i * n + nTr + j]!;
    }
    return { train, cross };
  };
  const Ytr = new Float64Array(d * nTr);
  for (let a = 0; a < d; a++) for (let i = 0; i < nTr; i++) Ytr[a * nTr + i] = X[a * n + i]!;
  const predict = (K: Float64Array): Float64Array => {
    const { train, cross } = split(K);
    return fitKernelRegression(train, nTr, Ytr, d, o.ridge).predict(cross, o.nTest);
  };
  const exactPred = o.nTest > 0 ? predict(theta) : null;

  const rows: RfSweepRow[] = [];
  for (const m0 of o.m0s) {
    const m1 = Math.round((o.m1Factor ?? d) * m0);
    const k = o.sketch === 'none' ? undefined : Math.max(1, Math.ceil((o.sketchFraction ?? 0.25) * m0 * d));
    const rel: number[] = [];
    const lmin: number[] = [];
    const pred: number[] = [];
    const times: number[] = [];
    let D = 0;
    for (let s = 0; s < o.seeds; s++) {
      if (signal?.aborted) throw new WorkbenchException('cancelled', 'the random-feature sweep was cancelled');
      const t1 = clock();
      const { gram, dim } = rfNtkGram(X, d, n, { m0, m1, sketch: o.sketch, ...(k !== undefined ? { sketchDim: k } : {}), seed: o.seed + s });
      times.push(clock() - t1);
      D = dim;
      const diff = new Float64Array(n * n);
      for (let i = 0; i < diff.length; i++) diff[i] = gram[i]! - theta[i]!;
      rel.push(symmetricSpectralNorm(diff, n) / thetaNorm);
      const lm = symmetricEigen(gram, n).values[0]!;
      lmin.push(Math.abs(lm - lambdaMinExact) / Math.abs(lambdaMinExact));
      if (exactPred) {
        const p = predict(gram);
        let num = 0;
        let den = 0;
        for (let i = 0; i < p.length; i++) {
          num += (p[i]! - exactPred[i]!) ** 2;
          den += exactPred[i]! ** 2;
        }
        pred.push(Math.sqrt(num / den));
      }
    }
    rows.push({
      m0,
      m1,
      D,
      relativeSpectralError: meanStd(rel),
      lambdaMinError: meanStd(lmin),
      predictionError: exactPred ? meanStd(pred) : null,
      ms: now ? median(times) : null,
    });
  }
  const fit = logLogSlope(
    rows.map((r) => r.D),
    rows.map((r) => r.relativeSpectralError),
    o.seeds,
  );
  return { rows, slope: fit.slope, slopeStdError: fit.stdError, exactMs, lambdaMinExact };
}

/**
 * Weighted least-squares slope of log(mean) against log(x). Each point's weight is 1/Var(log mean) ≈
 * (mean √R / std)² (delta method, R draws); with a single draw the fit is unweighted and has no standard error.
 */
export function logLogSlope(x: number[], y: MeanStd[], draws: number): { slope: number; stdError: number | null } {
  const lx = x.map(Math.log);
  const ly = y.map((v) => Math.log(v.mean));
  const weighted = draws > 1 && y.every((v) => v.std > 0);
  const w = y.map((v) => (weighted ? (v.mean * v.mean * draws) / (v.std * v.std) : 1));
  const sw = w.reduce((s, v) => s + v, 0);
  const mx = lx.reduce((s, v, i) => s + w[i]! * v, 0) / sw;
  const my = ly.reduce((s, v, i) => s + w[i]! * v, 0) / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < lx.length; i++) {
    sxx += w[i]! * (lx[i]! - mx) ** 2;
    sxy += w[i]! * (lx[i]! - mx) * (ly[i]! - my);
  }
  if (!(sxx > 0)) return { slope: NaN, stdError: null };
  return { slope: sxy / sxx, stdError: weighted ? Math.sqrt(1 / sxx) : null };
}
