/**
 * Kernel regression next to the trained network (SPEC §6, E8): an autoencoder started at u₀ ≡ 0
 * (antisymmetric init) and trained by GD in the regime of the chosen kernel, against the kernel predictor
 * X (H + ρI)⁻¹ q(x) on fresh test inputs, with the memorization measure (share of the output energy in
 * span{x₁,…,xₙ}). Both kernel predictions come from theory/linearized.ts (through kernelRegression).
 */
import { symmetricEigen } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import type { Regime } from '../../../shared/config/schema';
import type { KrrNetworkResult } from '../../../shared/related/results';
import { regimeKernel } from '../ntk/infiniteKernels';
import { sphereData } from '../datasets/synthetic';
import { initParams } from '../autoencoder/init';
import { forwardOutputs, gdStep, outputScale } from '../autoencoder/model';
import { linearizedModel, predictLinearized, spanShare } from '../theory/linearized';
import { createRng, STREAMS } from '../random';
import { fitKernelRegression } from './kernelRegression';

/** Options: sphere data n × d and nTest test points, an AE kernel, the ridge and the network. */
export interface KrrNetworkOptions {
  n: number;
  d: number;
  nTest: number;
  kernel: 'enc' | 'dec' | 'joint';
  ridge: number;
  width: number;
  steps: number;
  seed: number;
}

function relDiff(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

/** Trains the AE and compares it with kernel regression (see the module doc). */
export function krrVersusNetwork(o: KrrNetworkOptions, signal?: { readonly aborted: boolean }): KrrNetworkResult {
  if (o.width % 2 !== 0) throw new WorkbenchException('invalid-request', `width: the antisymmetric init needs an even width, got ${o.width}`);
  const regime: Regime = o.kernel === 'enc' ? 'weak' : o.kernel === 'dec' ? 'decoder' : 'joint';
  const { X, d, n } = sphereData(createRng(o.seed, STREAMS.data), o.d, o.n);
  const Xt = sphereData(createRng(o.seed, STREAMS.testData), o.d, o.nTest).X;
  const scales = { kappa: 1, nu: 1 };
  const K = regimeKernel(regime, X, d, n, scales);
  const Q = regimeKernel(regime, X, d, n, scales, Xt, o.nTest);
  const krr = fitKernelRegression(K, n, X, d, o.ridge, signal).predict(Q, o.nTest);

  const lmax = symmetricEigen(K, n).values[n - 1]!;
  if (!(lmax > 0)) throw new WorkbenchException('invalid-data', 'the kernel is zero');
  const eta = 1 / lmax;
  const E0 = new Float64Array(d * n);
  for (let i = 0; i < E0.length; i++) E0[i] = -X[i]!;
  const linear = predictLinearized(linearizedModel(K, n, E0, d, eta), Q, o.nTest, o.steps);

  const m = o.width;
  let { W, V } = initParams({ m, d, init: 'antisymmetric', kappa: 1, nu: 1, tied: false }, createRng(o.seed, STREAMS.init));
  const dims = { d, n, m };
  const s = outputScale('ntk', m);
  let initialLoss = NaN;
  let loss = NaN;
  for (let k = 0; k < o.steps; k++) {
    if (signal?.aborted) throw new WorkbenchException('cancelled', 'the comparison was cancelled');
    const step = gdStep(W, V, X, dims, { regime, scale: s, etaW: eta, etaV: eta, lossWeight: 1 });
    if (k === 0) initialLoss = step.loss;
    ({ W, V } = step);
  }
  const U = forwardOutputs(W, V, X, dims, s);
  loss = 0;
  for (let i = 0; i < U.length; i++) loss += 0.5 * (U[i]! - X[i]!) ** 2;
  const net = forwardOutputs(W, V, Xt, { d, n: o.nTest, m }, s);
  const base = spanShare(X, d, n, Xt, o.nTest);
  return {
    regime,
    learningRate: eta,
    initialTrainLoss: initialLoss,
    finalTrainLoss: loss,
    kernelPrediction: Array.from(krr),
    linearizedPrediction: Array.from(linear),
    networkPrediction: Array.from(net),
    relativeDifference: relDiff(net, krr),
    relativeDifferenceLinearized: relDiff(net, linear),
    memorization: {
      network: spanShare(X, d, n, net, o.nTest).share,
      kernel: spanShare(X, d, n, krr, o.nTest).share,
      inputs: base.share,
      baseline: base.baseline,
    },
    n,
    d,
    nTest: o.nTest,
  };
}
