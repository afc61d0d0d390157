/**
 * The weighted NTK of Tan, Wu, Zhou & Huang (SPEC §10.6) for the two-layer autoencoder: GD with per-layer
 * step sizes η_W = η·ω_W, η_V = η·ω_V has the tangent kernel
 *   Θ_ω = I_d ⊗ (ω_W ν² H_enc∞ + ω_V κ² H_dec∞),
 * a continuum through weak (ω_V = 0), joint (1, 1) and decoder-only (ω_W = 0) training. The panel's
 * experiment compares its frozen-kernel loss curve with a finite network trained by exactly those steps.
 */
import { symmetricEigen } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import { infiniteKernels } from '../ntk/infiniteKernels';
import { initParams } from '../autoencoder/init';
import { forwardOutputs, gdStep, outputScale } from '../autoencoder/model';
import { linearizedModel } from '../theory/linearized';
import { createRng, STREAMS } from '../random';
import type { InitFamily } from '../../../shared/config/schema';
import type { WeightedExperiment } from '../../../shared/related/results';

/** Layer weights and init scales of Θ_ω. */
export interface WeightedOptions {
  omegaW: number;
  omegaV: number;
  kappa: number;
  nu: number;
}

function checkWeights(o: WeightedOptions): void {
  for (const [k, v] of [
    ['omegaW', o.omegaW],
    ['omegaV', o.omegaV],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new WorkbenchException('invalid-request', `${k}: expected a number ≥ 0, got ${v}`);
  }
  for (const [k, v] of [
    ['kappa', o.kappa],
    ['nu', o.nu],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new WorkbenchException('invalid-request', `${k}: expected a number > 0, got ${v}`);
  }
}

/**
 * Θ_ω = ω_W ν² H_enc∞ + ω_V κ² H_dec∞ (SPEC §10.6) between the columns of X [d, n] and Y [d, nY]
 * (default X) → [n, nY]. At (1, 0), (0, 1), (1, 1) it is the weak, decoder-only and joint kernel of §5.4.
 */
export function weightedKernel(X: Float64Array, d: number, n: number, o: WeightedOptions, Y?: Float64Array, nY?: number): Float64Array {
  checkWeights(o);
  const { enc, dec } = infiniteKernels(X, d, n, Y, nY);
  const a = o.omegaW * o.nu * o.nu;
  const b = o.omegaV * o.kappa * o.kappa;
  const out = new Float64Array(enc.length);
  for (let i = 0; i < out.length; i++) out[i] = a * enc[i]! + b * dec[i]!;
  return out;
}

/**
 * The weak → joint → decoder-only continuum on one slider t ∈ [0, 2]: (ω_W, ω_V) = (1, t) for t ≤ 1 and
 * (2 − t, 1) above, so t = 0 is weak, 1 joint and 2 decoder-only training.
 */
export function continuumWeights(t: number): { omegaW: number; omegaV: number } {
  if (!Number.isFinite(t) || t < 0 || t > 2) throw new WorkbenchException('invalid-request', `t: expected a number in [0, 2], got ${t}`);
  return t <= 1 ? { omegaW: 1, omegaV: t } : { omegaW: 2 - t, omegaV: 1 };
}

/** Options of {@link weightedExperiment}: data X [d, n], a finite network and the step weights. */
export interface WeightedExperimentOptions extends WeightedOptions {
  width: number;
  init: InitFamily;
  /** base step η; default 0.5/λ_max(H∞_joint), stable up to ω = (2, 2) */
  learningRate?: number;
  steps: number;
  seed: number;
  /** slider positions t ∈ [0, 2] at which λ_min(Θ_ω(t)) is tabulated */
  continuumPoints: number;
}

/**
 * Θ_ω's extreme eigenvalues, the linearized loss L(k) = ½‖E(0)(I − ηΘ_ω)^k‖² from the network's own u₀,
 * and the loss of that network trained by GD with η_W = η·ω_W, η_V = η·ω_V (NTK scaling, ½‖·‖² loss), plus
 * λ_min along the weak → joint → decoder continuum. X [d, n].
 */
export function weightedExperiment(
  X: Float64Array,
  d: number,
  n: number,
  o: WeightedExperimentOptions,
  signal?: { readonly aborted: boolean },
): WeightedExperiment {
  checkWeights(o);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new WorkbenchException('invalid-request', `steps: expected an integer ≥ 1, got ${o.steps}`);
  if (!Number.isInteger(o.continuumPoints) || o.continuumPoints < 2) {
    throw new WorkbenchException('invalid-request', `continuumPoints: expected an integer ≥ 2, got ${o.continuumPoints}`);
  }
  const { enc, dec } = infiniteKernels(X, d, n);
  const nu2 = o.nu * o.nu;
  const k2 = o.kappa * o.kappa;
  const combine = (w: number, v: number): Float64Array => {
    const K = new Float64Array(n * n);
    for (let i = 0; i < K.length; i++) K[i] = w * nu2 * enc[i]! + v * k2 * dec[i]!;
    return K;
  };
  let eta = o.learningRate;
  if (eta === undefined) {
    const lmaxJoint = symmetricEigen(combine(1, 1), n).values[n - 1]!;
    if (!(lmaxJoint > 0)) throw new WorkbenchException('invalid-data', 'the joint kernel is zero (all samples are zero vectors)');
    eta = 0.5 / lmaxJoint;
  }
  if (!(eta > 0) || !Number.isFinite(eta)) throw new WorkbenchException('invalid-request', `learningRate: expected a number > 0, got ${eta}`);
  const K = combine(o.omegaW, o.omegaV);

  const m = o.width;
  const params = initParams({ m, d, init: o.init, kappa: o.kappa, nu: o.nu, tied: false }, createRng(o.seed, STREAMS.init));
  const dims = { d, n, m };
  const s = outputScale('ntk', m);
  const U0 = forwardOutputs(params.W, params.V, X, dims, s);
  const E0 = new Float64Array(d * n);
  for (let i = 0; i < E0.length; i++) E0[i] = U0[i]! - X[i]!;
  const eig = symmetricEigen(K, n, { vectors: true, signal }) as { values: Float64Array; vectors: Float64Array };
  const model = linearizedModel(K, n, E0, d, eta, eig);

  const steps: number[] = [];
  const predictedLoss: number[] = [];
  const actualLoss: number[] = [];
  let W = params.W;
  let V = params.V;
  const every = Math.max(1, Math.floor(o.steps / 200));
  for (let k = 0; k <= o.steps; k++) {
    if (signal?.aborted) throw new WorkbenchException('cancelled', 'the weighted-NTK experiment was cancelled');
    const step = gdStep(W, V, X, dims, { regime: 'joint', scale: s, etaW: eta * o.omegaW, etaV: eta * o.omegaV, lossWeight: 1 });
    if (k % every === 0 || k === o.steps) {
      steps.push(k);
      predictedLoss.push(model.lossAt(k));
      actualLoss.push(step.loss);
    }
    if (!Number.isFinite(step.loss)) break;
    W = step.W;
    V = step.V;
  }

  const t: number[] = [];
  const ow: number[] = [];
  const ov: number[] = [];
  const lmin: number[] = [];
  for (let j = 0; j < o.continuumPoints; j++) {
    const tj = (2 * j) / (o.continuumPoints - 1);
    const w = continuumWeights(tj);
    t.push(tj);
    ow.push(w.omegaW);
    ov.push(w.omegaV);
    lmin.push(symmetricEigen(combine(w.omegaW, w.omegaV), n).values[0]!);
  }
  const lambdaMax = eig.values[n - 1]!;
  return {
    lambdaMin: eig.values[0]!,
    lambdaMax,
    learningRate: eta,
    stable: eta * lambdaMax < 2,
    steps,
    predictedLoss,
    actualLoss,
    continuum: { t, omegaW: ow, omegaV: ov, lambdaMin: lmin },
  };
}
