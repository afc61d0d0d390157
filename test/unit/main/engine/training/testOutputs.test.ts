import { afterEach, describe, expect, it } from 'vitest';
import { heldOutOutputs } from '../../../../../src/main/engine/training/testOutputs';
import { forwardOutputs } from '../../../../../src/main/engine/autoencoder/model';
import { installFloat64Gemm } from '../../../../../src/main/engine/linalg/fastGemm';
import { loadSyncFloat64Gemm } from '../../../../../src/main/engine/backends/float64Matmul';
import { lcg } from '../linalg/lcg';

function random(len: number, rnd: () => number): Float64Array {
  return Float64Array.from({ length: len }, () => rnd() * 2); // [−1, 1)
}

describe('heldOutOutputs(): the held-out outputs of a tracked step', () => {
  afterEach(() => installFloat64Gemm(null));

  // Large enough (m·d·n ≥ 10⁶ multiply-adds) for the fast product where one is installed.
  const dims = { d: 20, n: 7, m: 9000 };

  for (const product of ['plain', 'onnxruntime'] as const) {
    it(`are the reference forward pass's outputs to round-off (${product} products)`, () => {
      if (product === 'onnxruntime') installFloat64Gemm(() => loadSyncFloat64Gemm(1));
      const rnd = lcg(7);
      const W = random(dims.m * dims.d, rnd);
      const V = random(dims.d * dims.m, rnd);
      const X = random(dims.d * dims.n, rnd);
      const s = 1 / Math.sqrt(dims.m);
      const want = forwardOutputs(W, V, X, dims, s);
      const got = heldOutOutputs(W, V, X, dims, s);
      expect(got).toHaveLength(dims.d * dims.n);
      let scale = 0;
      for (const u of want) scale = Math.max(scale, Math.abs(u));
      for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(1e-13 * scale);
    });
  }

  it('keeps a non-finite pre-activation non-finite (NaN in, NaN out) and checks shapes', () => {
    const d = 2;
    const n = 1;
    const m = 3;
    const W = Float64Array.from([1, 0, Number.NaN, 0, 0, 1]);
    const V = Float64Array.from([1, 1, 1, 1, 1, 1]);
    const U = heldOutOutputs(W, V, Float64Array.from([1, -1]), { d, n, m }, 1);
    expect(Number.isNaN(U[0]!)).toBe(true);
    expect(() => heldOutOutputs(W, V, new Float64Array(3), { d, n, m }, 1)).toThrow(/heldOutOutputs: .*expected 6, 6, 2/);
  });
});
