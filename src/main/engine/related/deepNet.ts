/**
 * A finite-width deep ReLU network in NTK parameterization (SPEC §10.1; the network of ./jacot.ts):
 * its empirical tangent kernel Θ_m(x, x′) = Σ_p ∂_p f(x) ∂_p f(x′), full-batch GD on a least-squares task,
 * and Jacot et al.'s experiment Θ_m(x₀, x(γ)) on the unit circle for several widths and seeds, at
 * initialization and after training, next to the limit Θ∞.
 *
 * Layouts: W⁽ℓ⁾ [n_{ℓ+1}, n_ℓ] and b⁽ℓ⁾ [n_{ℓ+1}] row-major; point sets X [d, n] (columns are points);
 * activations per layer [n_ℓ, n].
 */
import { gemmNT, matmul, matmulTransA, symmetricEigen } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import type { CircleExperiment, CircleWidth, CurveBand } from '../../../shared/related/results';
import { createRng, STREAMS, type Rng } from '../random';
import { checkJacotOptions, jacotKernels, type JacotOptions } from './jacot';

/** Weight initialization of the deep network: i.i.d. N(0, 1), or scaled Haar-orthogonal (SPEC §10.5). */
export type DeepInit = 'gaussian' | 'orthogonal';

/** The parameters of one network: L weight matrices and bias vectors. */
export interface DeepNet {
  /** layer sizes n₀ = d, n₁ … n_{L−1} = width, n_L = 1 */
  sizes: number[];
  W: Float64Array[];
  b: Float64Array[];
  sigmaW: number;
  beta: number;
}

/**
 * Fills a [rows, cols] matrix whose entries have variance 1: i.i.d. N(0, 1), or orthonormal rows/columns
 * (Gram–Schmidt of a Gaussian, which is Haar-distributed) scaled by √max(rows, cols) (Huang et al.'s
 * orthogonal init; SPEC §10.5).
 */
function drawMatrix(rows: number, cols: number, init: DeepInit, rng: Rng): Float64Array {
  const out = new Float64Array(rows * cols);
  if (init === 'gaussian') {
    rng.fillNormal(out, 1);
    return out;
  }
  const big = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const g = new Float64Array(k * big);
  rng.fillNormal(g, 1);
  for (let j = 0; j < k; j++) {
    const gj = j * big;
    // Two passes of modified Gram–Schmidt keep the frame orthonormal at round-off level.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const gi = i * big;
        let p = 0;
        for (let a = 0; a < big; a++) p += g[gj + a]! * g[gi + a]!;
        for (let a = 0; a < big; a++) g[gj + a]! -= p * g[gi + a]!;
      }
    }
    let s = 0;
    for (let a = 0; a < big; a++) s += g[gj + a]! ** 2;
    const f = 1 / Math.sqrt(s);
    for (let a = 0; a < big; a++) g[gj + a]! *= f;
  }
  const scale = Math.sqrt(big);
  for (let k2 = 0; k2 < g.length; k2++) g[k2]! *= scale;
  if (rows <= cols) out.set(g);
  else for (let j = 0; j < k; j++) for (let a = 0; a < big; a++) out[a * cols + j] = g[j * big + a]!;
  return out;
}

/**
 * Draws a network with `opts.layers` weight layers, input dimension d, hidden width `width` and one output
 * (biases N(0, 1) in both inits). Generator: (seed, STREAMS.init).
 */
export function initDeepNet(d: number, width: number, opts: JacotOptions & { init?: DeepInit }, seed: number): DeepNet {
  checkJacotOptions(opts);
  if (!Number.isInteger(width) || width < 1) throw new WorkbenchException('invalid-request', `width: expected an integer ≥ 1, got ${width}`);
  const sizes = [d];
  for (let l = 1; l < opts.layers; l++) sizes.push(width);
  sizes.push(1);
  const rng = createRng(seed, STREAMS.init);
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l < opts.layers; l++) {
    W.push(drawMatrix(sizes[l + 1]!, sizes[l]!, opts.init ?? 'gaussian', rng));
    const bias = new Float64Array(sizes[l + 1]!);
    rng.fillNormal(bias, 1);
    b.push(bias);
  }
  return { sizes, W, b, sigmaW: opts.sigmaW ?? 1, beta: opts.beta };
}

/** Activations of a batch: pre-activations α̃⁽ℓ⁾ (ℓ = 1..L) and activations α⁽ℓ⁾ (ℓ = 0..L−1). */
interface Pass {
  /** pre[ℓ−1] = α̃⁽ℓ⁾ [n_ℓ, n]; pre[L−1] is the output f [1, n] */
  pre: Float64Array[];
  /** act[ℓ] = α⁽ℓ⁾ [n_ℓ, n]; act[0] = X */
  act: Float64Array[];
  n: number;
}

function forwardPass(net: DeepNet, X: Float64Array, n: number): Pass {
  const L = net.W.length;
  const d = net.sizes[0]!;
  if (X.length !== d * n) throw new RangeError(`deep net forward: X has ${X.length} entries, expected [d=${d}, n=${n}] = ${d * n}`);
  const pre: Float64Array[] = [];
  const act: Float64Array[] = [X];
  for (let l = 0; l < L; l++) {
    const nIn = net.sizes[l]!;
    const nOut = net.sizes[l + 1]!;
    const z = matmul(net.W[l]!, act[l]!, nOut, nIn, n);
    const f = net.sigmaW / Math.sqrt(nIn);
    const bias = net.b[l]!;
    for (let r = 0; r < nOut; r++) {
      const br = net.beta * bias[r]!;
      for (let i = 0; i < n; i++) z[r * n + i] = f * z[r * n + i]! + br;
    }
    pre.push(z);
    if (l < L - 1) act.push(z.map((v) => (v > 0 ? v : 0)));
  }
  return { pre, act, n };
}

/** Network outputs f(x_i) for the columns of X [d, n]. */
export function deepNetOutput(net: DeepNet, X: Float64Array, n: number): Float64Array {
  const p = forwardPass(net, X, n);
  return p.pre[p.pre.length - 1]!;
}

/** Back-propagated δ⁽ℓ⁾ = ∂f/∂α̃⁽ℓ⁾ for ℓ = 1..L (index ℓ−1), each [n_ℓ, n]; δ⁽ᴸ⁾ = 1. */
function backward(net: DeepNet, p: Pass): Float64Array[] {
  const L = net.W.length;
  const delta: Float64Array[] = new Array<Float64Array>(L);
  delta[L - 1] = new Float64Array(p.n).fill(1);
  for (let l = L - 1; l >= 1; l--) {
    const nIn = net.sizes[l]!;
    const nOut = net.sizes[l + 1]!;
    const back = matmulTransA(net.W[l]!, delta[l]!, nOut, nIn, p.n);
    const f = net.sigmaW / Math.sqrt(nIn);
    const z = p.pre[l - 1]!;
    for (let k = 0; k < back.length; k++) back[k] = z[k]! >= 0 ? f * back[k]! : 0;
    delta[l - 1] = back;
  }
  return delta;
}

/**
 * Empirical NTK Θ_m between the columns of X [d, n] and Y [d, nY] (Y defaults to X) → [n, nY]:
 *   Θ_m = Σ_ℓ (δ⁽ℓ⁺¹⁾ᵀδ′⁽ℓ⁺¹⁾) ∘ (σ_w² α⁽ℓ⁾ᵀα′⁽ℓ⁾/n_ℓ + β²),
 * the sum over layers of the weight and bias parts of Σ_p ∂_p f(x) ∂_p f(x′).
 */
export function deepNetNtk(net: DeepNet, X: Float64Array, n: number, Y?: Float64Array, nY?: number): Float64Array {
  const px = forwardPass(net, X, n);
  const dx = backward(net, px);
  const same = Y === undefined;
  const m = same ? n : (nY ?? 0);
  const py = same ? px : forwardPass(net, Y, m);
  const dy = same ? dx : backward(net, py);
  const out = new Float64Array(n * m);
  const sw2 = net.sigmaW * net.sigmaW;
  const b2 = net.beta * net.beta;
  for (let l = 0; l < net.W.length; l++) {
    const nIn = net.sizes[l]!;
    const nOut = net.sizes[l + 1]!;
    const dd = matmulTransA(dx[l]!, dy[l]!, nOut, n, m);
    const aa = matmulTransA(px.act[l]!, py.act[l]!, nIn, n, m);
    for (let k = 0; k < n * m; k++) out[k]! += dd[k]! * ((sw2 * aa[k]!) / nIn + b2);
  }
  if (same) for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j]!;
  return out;
}

/**
 * One full-batch GD step on L = ½ Σ_i (f(x_i) − y_i)² with step η (X [d, n], y [n]); returns the new
 * network (parameters replaced, never mutated) and the loss before the step.
 */
function deepNetGdStep(net: DeepNet, X: Float64Array, y: Float64Array, n: number, eta: number): { net: DeepNet; loss: number } {
  const p = forwardPass(net, X, n);
  const delta = backward(net, p);
  const f = p.pre[p.pre.length - 1]!;
  const r = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    r[i] = f[i]! - y[i]!;
    loss += 0.5 * r[i]! ** 2;
  }
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l < net.W.length; l++) {
    const nIn = net.sizes[l]!;
    const nOut = net.sizes[l + 1]!;
    const dr = delta[l]!.slice();
    for (let o = 0; o < nOut; o++) for (let i = 0; i < n; i++) dr[o * n + i]! *= r[i]!;
    // ∂L/∂W⁽ℓ⁾ = σ_w n_ℓ^{−1/2} (δ diag(r)) α⁽ℓ⁾ᵀ, ∂L/∂b⁽ℓ⁾ = β Σ_i r_i δ_i
    const gW = gemmNT(dr, p.act[l]!, nOut, nIn, n);
    const scale = (eta * net.sigmaW) / Math.sqrt(nIn);
    const w = net.W[l]!.slice();
    for (let k = 0; k < w.length; k++) w[k]! -= scale * gW[k]!;
    const bias = net.b[l]!.slice();
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += dr[o * n + i]!;
      bias[o]! -= eta * net.beta * s;
    }
    W.push(w);
    b.push(bias);
  }
  return { net: { ...net, W, b }, loss };
}

/** Options of {@link circleExperiment}. */
export interface CircleOptions extends JacotOptions {
  widths: number[];
  seeds: number;
  init?: DeepInit;
  /** points on the circle at which Θ_m(x₀, x(γ)) is evaluated, γ ∈ [−π, π] */
  gridPoints: number;
  /** GD steps of the training phase (0: init only) */
  steps: number;
  /** training inputs: this many equally spaced angles; targets sin(2γ) (a toy least-squares task) */
  trainPoints: number;
  /** step size; default 1/λ_max of the limit kernel on the training points */
  learningRate?: number;
  /** first seed; network k uses seed + k */
  seed: number;
}

/** Multiply–adds of the experiment, for the up-front refusal of runs that would take minutes. */
function circleWork(o: CircleOptions): number {
  let work = 0;
  for (const m of o.widths) {
    const perPoint = 2 * m + m * m * Math.max(0, o.layers - 2) + m;
    work += o.seeds * 3 * perPoint * (2 * (o.gridPoints + 1) + o.steps * o.trainPoints);
  }
  return work;
}

/** Above this many multiply–adds the circle experiment is refused (≈ 10–30 s of one core). */
const CIRCLE_MAX_WORK = 2e10;

function band(curves: number[][]): CurveBand {
  const g = curves[0]?.length ?? 0;
  const mean = new Array<number>(g).fill(0);
  const std = new Array<number>(g).fill(0);
  const r = curves.length;
  for (const c of curves) for (let k = 0; k < g; k++) mean[k]! += c[k]! / r;
  if (r > 1) {
    for (const c of curves) for (let k = 0; k < g; k++) std[k]! += (c[k]! - mean[k]!) ** 2 / (r - 1);
    for (let k = 0; k < g; k++) std[k] = Math.sqrt(std[k]!);
  }
  return { mean, std, curves };
}

function circlePoints(gammas: number[]): Float64Array {
  const n = gammas.length;
  const X = new Float64Array(2 * n);
  gammas.forEach((g, i) => {
    X[i] = Math.cos(g);
    X[n + i] = Math.sin(g);
  });
  return X;
}

/**
 * Θ_m(x₀, x(γ)) with x₀ = (1, 0), x(γ) = (cos γ, sin γ) on a grid of γ ∈ [−π, π], for each width and
 * `seeds` networks, at init and after `steps` GD steps on the toy task (SPEC §10.1), with the limit
 * Θ∞(x₀, x(γ)). Wider networks show a narrower band and less movement. Refused with 'too-large' above
 * {@link CIRCLE_MAX_WORK} multiply–adds.
 */
export function circleExperiment(o: CircleOptions, signal?: { readonly aborted: boolean }): CircleExperiment {
  checkJacotOptions(o);
  for (const [k, v, min] of [
    ['seeds', o.seeds, 1],
    ['gridPoints', o.gridPoints, 2],
    ['steps', o.steps, 0],
    ['trainPoints', o.trainPoints, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new WorkbenchException('invalid-request', `${k}: expected an integer ≥ ${min}, got ${v}`);
  }
  if (o.widths.length === 0) throw new WorkbenchException('invalid-request', 'widths: expected at least one width');
  const work = circleWork(o);
  if (work > CIRCLE_MAX_WORK) {
    throw new WorkbenchException(
      'too-large',
      `the circle experiment needs ~${(work / 1e9).toFixed(0)}·10⁹ multiply–adds, above the limit of ${CIRCLE_MAX_WORK / 1e9}·10⁹ (fewer widths, seeds, steps or grid points)`,
      { work },
    );
  }
  const gammas = Array.from({ length: o.gridPoints }, (_, k) => -Math.PI + (2 * Math.PI * k) / (o.gridPoints - 1));
  const grid = circlePoints(gammas);
  const x0 = circlePoints([0]);
  const limit = Array.from(jacotKernels(x0, 2, 1, o, grid, o.gridPoints).ntk);
  const trainGammas = Array.from({ length: o.trainPoints }, (_, k) => -Math.PI + (2 * Math.PI * (k + 0.5)) / o.trainPoints);
  const targets = trainGammas.map((g) => Math.sin(2 * g));
  const Xtr = circlePoints(trainGammas);
  const y = Float64Array.from(targets);
  let eta = o.learningRate;
  if (eta === undefined) {
    const K = jacotKernels(Xtr, 2, o.trainPoints, o).ntk;
    eta = 1 / symmetricEigen(K, o.trainPoints).values[o.trainPoints - 1]!;
  }
  if (!(eta > 0) || !Number.isFinite(eta)) throw new WorkbenchException('invalid-request', `learningRate: expected a number > 0, got ${eta}`);
  const widths: CircleWidth[] = [];
  for (const width of o.widths) {
    const initCurves: number[][] = [];
    const trainedCurves: number[][] = [];
    let movement = 0;
    let finalLoss = 0;
    for (let s = 0; s < o.seeds; s++) {
      if (signal?.aborted) throw new WorkbenchException('cancelled', 'the circle experiment was cancelled');
      let net = initDeepNet(2, width, o, o.seed + s);
      const k0 = deepNetNtk(net, x0, 1, grid, o.gridPoints);
      initCurves.push(Array.from(k0));
      if (o.steps > 0) {
        for (let t = 0; t < o.steps; t++) net = deepNetGdStep(net, Xtr, y, o.trainPoints, eta).net;
        const out = deepNetOutput(net, Xtr, o.trainPoints);
        let l = 0;
        for (let i = 0; i < o.trainPoints; i++) l += 0.5 * (out[i]! - y[i]!) ** 2;
        finalLoss += l / o.seeds;
        const kT = deepNetNtk(net, x0, 1, grid, o.gridPoints);
        trainedCurves.push(Array.from(kT));
        let num = 0;
        let den = 0;
        for (let k = 0; k < o.gridPoints; k++) {
          num += (kT[k]! - k0[k]!) ** 2;
          den += k0[k]! ** 2;
        }
        movement += Math.sqrt(num / den) / o.seeds;
      }
    }
    widths.push({
      width,
      init: band(initCurves),
      trained: o.steps > 0 ? band(trainedCurves) : null,
      relativeMovement: o.steps > 0 ? movement : null,
      finalLoss: o.steps > 0 ? finalLoss : null,
    });
  }
  return { gammas, limit, widths, learningRate: eta, train: { gammas: trainGammas, targets } };
}
