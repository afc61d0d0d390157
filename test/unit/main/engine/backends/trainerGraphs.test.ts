import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
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
const nodes = (model: Uint8Array) => onnx.ModelProto.decode(model).graph?.node ?? [];

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
      expect(nodes(model).filter((n) => n.opType === 'Slice' && (n.input?.[0] === 'X' || n.input?.[0] === 'Xt'))).toHaveLength(2 * k);
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

describe("a step graph's order in onnxruntime", () => {
  /** The nodes of `model` in the order onnxruntime ran them (its profile of one run). */
  async function executed(model: Uint8Array, dims: GraphDims): Promise<string[]> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-order-'));
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        enableMemPattern: false,
        enableProfiling: true,
        profileFilePrefix: path.join(dir, 'profile'),
      });
      const { d, n, m } = dims;
      const rnd = (k: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.7 + k));
      const X = rnd(d * n);
      const Xt = new Float32Array(n * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < n; j++) Xt[j * d + i] = X[i * n + j]!;
      const all: Record<string, ort.Tensor> = {
        X: new ort.Tensor('float32', X, [d, n]),
        Xt: new ort.Tensor('float32', Xt, [n, d]),
        W: new ort.Tensor('float32', rnd(m * d), [m, d]),
        V: new ort.Tensor('float32', rnd(d * m), [d, m]),
        s: new ort.Tensor('float32', [0.1], []),
        cW: new ort.Tensor('float32', [0.01], []),
        cV: new ort.Tensor('float32', [0.01], []),
        cL: new ort.Tensor('float32', [0.5], []),
      };
      await session.run(Object.fromEntries(session.inputNames.map((k) => [k, all[k]!])));
      session.endProfiling();
      await session.release();
      const file = readdirSync(dir).find((f) => f.startsWith('profile'));
      const events = JSON.parse(readFileSync(path.join(dir, file!), 'utf8')) as { cat: string; name: string }[];
      return events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).map((e) => e.name.replace(/_kernel_time$/, ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each(['joint', 'weak', 'decoder', 'tied'] as const)(
    "%s: a block's hidden products come after the previous block's updates (one block's [nb, m] values live at a time)",
    { timeout: 30_000 },
    async (regime) => {
      const dims: GraphDims = { d: 4, n: 256, m: 64, regime, dtype: 'float32', decoderWeight: 1 };
      const k = rowBlocks(dims.n, dims.m);
      expect(k).toBeGreaterThan(1);
      const model = buildStepGraph(dims, false);
      // In the graph: block a's hidden product Zᵀ = XₐᵀWᵀ (a Gemm of W with transA), then its updates (Gemms
      // with a C input: W' or V' so far), before block a + 1's.
      const blocks: { hidden: string; updates: string[] }[] = [];
      for (const node of nodes(model)) {
        if (node.opType !== 'Gemm') continue;
        const transA = node.attribute?.some((a) => a.name === 'transA' && Number(a.i) === 1) ?? false;
        if (node.input?.[1] === 'W' && node.input.length === 2 && transA) blocks.push({ hidden: node.name!, updates: [] });
        else if (node.input?.length === 3) blocks[blocks.length - 1]!.updates.push(node.name!);
      }
      expect(blocks).toHaveLength(k);
      const order = await executed(model, dims);
      const at = (name: string): number => {
        const i = order.indexOf(name);
        expect(i, name).toBeGreaterThanOrEqual(0);
        return i;
      };
      for (let a = 0; a + 1 < k; a++) {
        expect(blocks[a]!.updates.length).toBeGreaterThan(0);
        for (const u of blocks[a]!.updates) expect(at(u), `${u} before ${blocks[a + 1]!.hidden}`).toBeLessThan(at(blocks[a + 1]!.hidden));
      }
    },
  );
});
