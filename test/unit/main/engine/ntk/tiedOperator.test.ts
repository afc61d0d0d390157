import { describe, expect, it } from 'vitest';
import { fullEmpiricalNtk } from '../../../../../src/main/engine/ntk/empiricalNtk';
import { tiedNtkOperatorF64 } from '../../../../../src/main/engine/ntk/tiedOperator';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { outputScale } from '../../../../../src/main/engine/autoencoder/model';
import { createOnnxBackend } from '../../../../../src/main/engine/backends/onnxBackend';
import { lanczosLargestAsync, symmetricEigen } from '../../../../../src/main/engine/linalg';
import { createRng } from '../../../../../src/main/engine/random';
import { empiricalLambdaMax, TIED_FULL_NTK_MAX_ND } from '../../../../../src/main/engine/training/learningRates';
import { relativeDifference } from '../../../../support/relative';

function tiedNetwork(seed: number, d: number, n: number, m: number) {
  const X = new Float64Array(d * n);
  createRng(seed, 0).fillNormal(X, 1);
  const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1.1, nu: 1.1, tied: true }, createRng(seed, 2));
  return { X, d, n, m, W, V, scale: outputScale('ntk', m) };
}

/** H x by the dense matrix. */
function denseApply(H: Float64Array, x: Float64Array): Float64Array {
  const N = x.length;
  const y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += H[i * N + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

describe('tied full-NTK operator (J Jᵀ x without the nd×nd matrix)', () => {
  const net = tiedNetwork(3, 4, 9, 23);
  const { d, n } = net;
  const H = fullEmpiricalNtk({ ...net, regime: 'tied' }, 1024);
  const xs = [0, 1, 2].map((s) => {
    const x = new Float64Array(n * d);
    createRng(40 + s, 0).fillNormal(x, 1);
    return x;
  });

  it('float64: equals the dense full kernel times x to round-off', async () => {
    const op = tiedNtkOperatorF64(net);
    expect(op.N).toBe(n * d);
    for (const x of xs) expect(relativeDifference(await op.apply(x), denseApply(H, x))).toBeLessThan(1e-12);
  });

  it('onnx graph: float64 to round-off, float32 to float32 accuracy', async () => {
    const backend = createOnnxBackend({ threads: 1 });
    for (const [dtype, tol] of [
      ['float64', 1e-12],
      ['float32', 1e-5],
    ] as const) {
      const op = backend.tiedNtkOperator!({ X: net.X, d, n, m: net.m, W: net.W, scale: net.scale, dtype });
      try {
        for (const x of xs) expect(relativeDifference(await op.apply(x), denseApply(H, x))).toBeLessThan(tol);
      } finally {
        op.dispose();
      }
    }
  });

  it('Lanczos on the operator gives λ_max of the dense kernel', async () => {
    const op = tiedNtkOperatorF64(net);
    const r = await lanczosLargestAsync((x) => op.apply(x), op.N, { tol: 1e-10 });
    const dense = symmetricEigen(H, n * d).values[n * d - 1]!;
    expect(Math.abs(r.value - dense) / dense).toBeLessThan(1e-9);
    // The Ritz vector is an eigenvector: ‖Hv − λv‖ ≤ the reported residual (plus round-off).
    const Hv = denseApply(H, r.vector);
    let res = 0;
    for (let k = 0; k < Hv.length; k++) res += (Hv[k]! - r.value * r.vector[k]!) ** 2;
    expect(Math.sqrt(res)).toBeLessThan(r.residual + 1e-9 * dense);
  });
});

describe('empiricalLambdaMax for weight-tied networks above the dense limit', () => {
  it('uses the full kernel (matrix-free), not the traced one that underestimates it', async () => {
    // nd = 620 > 600: the matrix-free path; the dense nd×nd kernel is still affordable here as the check.
    const d = 20;
    const n = 31;
    expect(n * d).toBeGreaterThan(TIED_FULL_NTK_MAX_ND);
    const net = tiedNetwork(5, d, n, 64);
    const config = { regime: 'tied' as const, hiddenWidth: net.m, scaling: 'ntk' as const, memoryLimitMiB: 2048, dtype: 'float64' as const };
    const data = { X: net.X, d, n };
    const dense = symmetricEigen(fullEmpiricalNtk({ ...net, regime: 'tied' }, 2048), n * d).values[n * d - 1]!;
    const js = await empiricalLambdaMax(config, data, net, { etaW: 1, etaV: 1 });
    expect(js.kernel).toContain('full');
    expect(Math.abs(js.lambdaMax - dense) / dense).toBeLessThan(2e-4);
    expect(js.lambdaMax).toBeLessThanOrEqual(dense * (1 + 1e-12)); // a Ritz value: from below
    const onnx = await empiricalLambdaMax({ ...config, dtype: 'float32' }, data, net, { etaW: 1, etaV: 1 }, createOnnxBackend({ threads: 1 }));
    expect(Math.abs(onnx.lambdaMax - dense) / dense).toBeLessThan(3e-4);
  });
});
