/**
 * Jacot, Gabriel & Hongler's limiting NTK of a deep fully connected ReLU network in NTK parameterization
 * (SPEC §10.1), float64. The network (L weight layers, widths n₀ = d, n₁ … n_{L−1}, n_L = 1):
 *   α⁽⁰⁾ = x,  α̃⁽ℓ⁺¹⁾ = σ_w n_ℓ^{−1/2} W⁽ℓ⁾ α⁽ℓ⁾ + β b⁽ℓ⁾,  α⁽ℓ⁾ = σ(α̃⁽ℓ⁾),  f(x) = α̃⁽ᴸ⁾,
 * all weights and biases N(0, 1). As the hidden widths grow the kernels converge to
 *   Σ⁽¹⁾ = σ_w² xᵀx′/n₀ + β²,   Θ⁽¹⁾ = Σ⁽¹⁾,
 *   Σ⁽ℓ⁺¹⁾ = σ_w² E[σ(f(x))σ(f(x′))] + β²,   Σ̇⁽ℓ⁺¹⁾ = σ_w² E[σ′(f(x))σ′(f(x′))],   f ~ N(0, Σ⁽ℓ⁾),
 *   Θ⁽ℓ⁺¹⁾ = Θ⁽ℓ⁾ Σ̇⁽ℓ⁺¹⁾ + Σ⁽ℓ⁺¹⁾.
 * σ_w = 1 is SPEC §10.1 exactly; σ_w ≠ 1 scales every weight layer (the panel's σ_w slider).
 */
import { WorkbenchException } from '../../../shared/api/result';
import { reluMoments } from './reluGaussian';

/** Hyper-parameters of the deep ReLU network and of its limit kernels. */
export interface JacotOptions {
  /** L ≥ 1 weight layers (L − 1 hidden layers) */
  layers: number;
  /** bias scale β ≥ 0 */
  beta: number;
  /** weight scale σ_w > 0 (1 in Jacot et al.) */
  sigmaW?: number;
}

/** Both limits between two point sets: Θ⁽ᴸ⁾ (`ntk`) and Σ⁽ᴸ⁾ (`nngp`), [n, nY] row-major. */
export interface JacotKernels {
  ntk: Float64Array;
  nngp: Float64Array;
}

/** Throws 'invalid-request' naming the option when the hyper-parameters are out of range. */
export function checkJacotOptions(o: JacotOptions): void {
  if (!Number.isInteger(o.layers) || o.layers < 1) {
    throw new WorkbenchException('invalid-request', `layers: expected an integer ≥ 1, got ${o.layers}`);
  }
  if (!Number.isFinite(o.beta) || o.beta < 0) throw new WorkbenchException('invalid-request', `beta: expected a number ≥ 0, got ${o.beta}`);
  const sw = o.sigmaW ?? 1;
  if (!Number.isFinite(sw) || sw <= 0) throw new WorkbenchException('invalid-request', `sigmaW: expected a number > 0, got ${sw}`);
}

function checkData(name: string, a: Float64Array, d: number, n: number): void {
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(n) || n < 0 || a.length !== d * n) {
    throw new RangeError(`jacotKernels: ${name} has ${a.length} entries, expected [d=${d}, n=${n}] = ${d * n}`);
  }
}

/** Σ⁽ℓ⁾(x, x) for every column of X [d, n] and ℓ = 1..L: [L, n] (row ℓ−1 = layer ℓ). */
function diagonalSigma(X: Float64Array, d: number, n: number, o: Required<JacotOptions>): Float64Array {
  const out = new Float64Array(o.layers * n);
  const sw2 = o.sigmaW * o.sigmaW;
  const b2 = o.beta * o.beta;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += X[a * n + i]! ** 2;
    let sigma = (sw2 * s) / d + b2;
    out[i] = sigma;
    // E[σ(f)²] = Σ/2 for f ~ N(0, Σ): the diagonal needs no angle.
    for (let l = 1; l < o.layers; l++) {
      sigma = sw2 * (sigma / 2) + b2;
      out[l * n + i] = sigma;
    }
  }
  return out;
}

/**
 * Θ⁽ᴸ⁾ and Σ⁽ᴸ⁾ (SPEC §10.1, see the module doc) between the columns of X [d, n] and of Y [d, nY]
 * (Y defaults to X; then the result is exactly symmetric) → each [n, nY] row-major. O(n·nY·(d + L)).
 */
export function jacotKernels(X: Float64Array, d: number, n: number, opts: JacotOptions, Y?: Float64Array, nY?: number): JacotKernels {
  checkJacotOptions(opts);
  const o: Required<JacotOptions> = { layers: opts.layers, beta: opts.beta, sigmaW: opts.sigmaW ?? 1 };
  const same = Y === undefined || Y === X;
  const Yv = Y ?? X;
  const m = same ? n : (nY ?? Math.floor(Yv.length / d));
  checkData('X', X, d, n);
  if (!same) checkData('Y', Yv, d, m);
  const dx = diagonalSigma(X, d, n, o);
  const dy = same ? dx : diagonalSigma(Yv, d, m, o);
  const sw2 = o.sigmaW * o.sigmaW;
  const b2 = o.beta * o.beta;
  const ntk = new Float64Array(n * m);
  const nngp = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = same ? i : 0; j < m; j++) {
      let xy = 0;
      for (let a = 0; a < d; a++) xy += X[a * n + i]! * Yv[a * m + j]!;
      let sigma = (sw2 * xy) / d + b2;
      let theta = sigma;
      for (let l = 1; l < o.layers; l++) {
        // On the diagonal the pair is one Gaussian: correlation exactly 1 (no round-off in the angle).
        const c = same && i === j ? dx[(l - 1) * n + i]! : sigma;
        const r = reluMoments(dx[(l - 1) * n + i]!, dy[(l - 1) * m + j]!, c);
        sigma = sw2 * r.k + b2;
        theta = theta * sw2 * r.kdot + sigma;
      }
      ntk[i * m + j] = theta;
      nngp[i * m + j] = sigma;
      if (same) {
        ntk[j * m + i] = theta;
        nngp[j * m + i] = sigma;
      }
    }
  }
  return { ntk, nngp };
}
