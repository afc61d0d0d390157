import { afterAll, describe, expect, it } from 'vitest';
import { loadFloat64Matmul, type Float64Matmul } from '../../../../../src/main/engine/backends/float64Matmul';

/** Both sides sum k float64 products; the orders differ, so agreement is to k·ε relative to Σ|a||b|. */
const REL = 1e-14;

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

let helper: Float64Matmul | null = null;
afterAll(async () => {
  await helper?.dispose();
});

describe('loadFloat64Matmul()', () => {
  it('multiplies in float64 exactly as the naive triple loop does, on ragged shapes', async () => {
    helper = await loadFloat64Matmul({ threads: 1 });
    // onnxruntime-node is installed here; null would mean the optional library failed to load.
    expect(helper).not.toBeNull();
    const r = lcg(5);
    for (const [m, k, n] of [
      [1, 1, 1],
      [7, 13, 5],
      [33, 70, 19],
    ] as const) {
      const a = Float64Array.from({ length: m * k }, r);
      const b = Float64Array.from({ length: k * n }, r);
      const c = await helper!.matmul(a, b, m, k, n);
      expect(c).toBeInstanceOf(Float64Array);
      expect(c.length).toBe(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          let sa = 0;
          for (let p = 0; p < k; p++) {
            s += a[i * k + p]! * b[p * n + j]!;
            sa += Math.abs(a[i * k + p]! * b[p * n + j]!);
          }
          expect(Math.abs(c[i * n + j]! - s)).toBeLessThanOrEqual(REL * k * sa);
        }
      }
    }
  });

  it('keeps float64 precision where float32 would lose it', async () => {
    helper ??= await loadFloat64Matmul({ threads: 1 });
    // (1 + 2⁻⁴⁰)·1 − 1·1 = 2⁻⁴⁰: zero in float32.
    const c = await helper!.matmul(Float64Array.of(1 + 2 ** -40, 1), Float64Array.of(1, -1), 1, 2, 1);
    expect(c[0]).toBe(2 ** -40);
  });

  it('rejects bad shapes naming the argument and both shapes', async () => {
    helper ??= await loadFloat64Matmul({ threads: 1 });
    await expect(helper!.matmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).rejects.toThrow(/a has 5 entries, expected 6 for shape \[2, 3\]/);
    await expect(helper!.matmul(new Float64Array(6), new Float64Array(5), 2, 3, 2)).rejects.toThrow(/b has 5 entries, expected 6 for shape \[3, 2\]/);
    await expect(loadFloat64Matmul({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
