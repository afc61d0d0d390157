import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  buildForwardGraph,
  buildNtkGraph,
  buildStepGraph,
  gramBlocks,
  rowBlocks,
  type GraphDims,
} from '../../../../../src/main/engine/backends/onnx/trainerGraphs';

const { onnx } = onnxProto;

function ops(model: Uint8Array): string[] {
  return (onnx.ModelProto.decode(model).graph?.node ?? []).map((n) => n.opType ?? '');
}
const count = (list: string[], op: string): number => list.filter((o) => o === op).length;

describe('rowBlocks()', () => {
  it('keeps a small batch whole and splits a large [n, m] into blocks of at most ~4·10⁶ entries, each ≥ 64 rows', () => {
    expect(rowBlocks(200, 10_000)).toBe(1);
    expect(rowBlocks(6, 30)).toBe(1);
    // at least the symmetric Gram's blocks
    expect(rowBlocks(400, 12)).toBe(gramBlocks(400));
    expect(rowBlocks(1000, 10_000)).toBe(4);
    for (const [n, m] of [
      [1000, 10_000],
      [2000, 20_000],
      [3000, 5000],
      [640, 100_000],
      [100, 1_000_000],
    ] as const) {
      const k = rowBlocks(n, m);
      expect(k, `${n}×${m}`).toBeGreaterThanOrEqual(1);
      expect(Math.floor(n / k), `${n}×${m}`).toBeGreaterThanOrEqual(Math.min(n, 64));
      if (k < 16 && k < Math.floor(n / 64)) expect(Math.ceil(n / k) * m, `${n}×${m}`).toBeLessThanOrEqual(4 * 1024 * 1024 + m);
    }
  });
});

describe('the trainer graphs in row blocks', () => {
  const dims: GraphDims = { d: 100, n: 1000, m: 10_000, regime: 'joint', dtype: 'float32', decoderWeight: 1 };
  const k = rowBlocks(dims.n, dims.m);

  it('compute the forward products per block: only X and Xᵀ are sliced, one hidden Gemm per block', () => {
    for (const model of [buildStepGraph(dims, false), buildStepGraph(dims, true), buildForwardGraph(dims), buildNtkGraph(dims)]) {
      const o = ops(model);
      expect(count(o, 'Slice')).toBe(2 * k);
      expect(count(o, 'Relu')).toBe(k);
      expect(count(o, 'GreaterOrEqual')).toBe(k);
    }
  });

  it('take the step block by block (one W and one V update per block) and the Gram from the same blocks', () => {
    const step = ops(buildStepGraph(dims, false));
    // per block: Zᵀ, the residual's Yᵀ, the W update and the V update
    expect(count(step, 'Gemm')).toBe(4 * k);
    const fused = ops(buildStepGraph(dims, true));
    // plus XᵀX and two symmetric Grams of k(k+1)/2 block products each
    expect(count(fused, 'Gemm')).toBe(4 * k + 1 + k * (k + 1));
  });
});
