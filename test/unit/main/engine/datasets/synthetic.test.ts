import { describe, expect, it } from 'vitest';
import { buildDataset, parallelPairWarnings } from '../../../../../src/main/engine/datasets/index';
import { sharedInfiniteKernels } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';

const cfg = (over: Partial<Config>): Config => ({ ...defaultConfig(), ...over });

function column(X: Float64Array, d: number, n: number, i: number): number[] {
  return Array.from({ length: d }, (_, a) => X[a * n + i]!);
}

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe('buildDataset() synthetic sets (SPEC §2)', () => {
  it('halfcircle: x_i = (cos πi/n, sin πi/n) exactly, test points at the half-way angles', () => {
    const n = 7;
    const ds = buildDataset(cfg({ dataset: 'halfcircle', samples: n, testSamples: 3, inputDim: 99 }));
    expect([ds.d, ds.n, ds.nTest]).toEqual([2, n, 3]);
    for (let i = 0; i < n; i++) {
      expect(ds.X[i]).toBe(Math.cos((Math.PI * i) / n));
      expect(ds.X[n + i]).toBe(Math.sin((Math.PI * i) / n));
    }
    for (let j = 0; j < 3; j++) {
      expect(ds.Xtest[j]).toBe(Math.cos((Math.PI * (j + 0.5)) / n));
      expect(ds.Xtest[3 + j]).toBe(Math.sin((Math.PI * (j + 0.5)) / n));
    }
  });

  it('trig: g_i[a] = sin(1.3(i+1)(a+1) + 0.7(a+1)²) normalized, bit-exact; test indices n..n+nTest−1', () => {
    const n = 5,
      d = 4,
      t = 2;
    const ds = buildDataset(cfg({ dataset: 'trig', samples: n, testSamples: t, inputDim: d }));
    const expected = (i: number) => {
      const g = Array.from({ length: d }, (_, a) => Math.sin(1.3 * (i + 1) * (a + 1) + 0.7 * (a + 1) ** 2));
      const s = Math.sqrt(g.reduce((acc, v) => acc + v * v, 0));
      return g.map((v) => v / s);
    };
    for (let i = 0; i < n; i++) expect(column(ds.X, d, n, i)).toEqual(expected(i));
    for (let j = 0; j < t; j++) expect(column(ds.Xtest, d, t, j)).toEqual(expected(n + j));
    // Spot value computed by hand: i = 0, a = 0 → sin(2.0) before normalization.
    expect(Math.sin(1.3 * 1 * 1 + 0.7 * 1)).toBe(Math.sin(2));
  });

  it('trig_scaled: trig sample i times 0.5 + 1.5·i/(n−1), norms 0.5 … 2', () => {
    const n = 6,
      d = 5;
    const base = buildDataset(cfg({ dataset: 'trig', samples: n, testSamples: 0, inputDim: d }));
    const ds = buildDataset(cfg({ dataset: 'trig_scaled', samples: n, testSamples: 4, inputDim: d }));
    for (let i = 0; i < n; i++) {
      const f = 0.5 + (1.5 * i) / (n - 1);
      expect(column(ds.X, d, n, i)).toEqual(column(base.X, d, n, i).map((v) => v * f));
    }
    expect(norm(column(ds.X, d, n, 0))).toBeCloseTo(0.5, 14);
    expect(norm(column(ds.X, d, n, n - 1))).toBeCloseTo(2, 14);
    for (let j = 0; j < 4; j++) {
      const r = norm(column(ds.Xtest, d, 4, j));
      expect(r).toBeGreaterThan(0.5);
      expect(r).toBeLessThan(2);
    }
    expect(ds.warnings.some((w) => w.startsWith('info: the samples do not have unit norm'))).toBe(true);
  });

  it('sphere: unit norms, deterministic per seed, test samples from another stream', () => {
    const c = cfg({ dataset: 'sphere', samples: 20, testSamples: 5, inputDim: 6, seed: 3 });
    const a = buildDataset(c);
    const b = buildDataset(c);
    expect(Array.from(a.X)).toEqual(Array.from(b.X));
    expect(Array.from(a.Xtest)).toEqual(Array.from(b.Xtest));
    for (let i = 0; i < 20; i++) expect(norm(column(a.X, 6, 20, i))).toBeCloseTo(1, 14);
    for (let j = 0; j < 5; j++) expect(norm(column(a.Xtest, 6, 5, j))).toBeCloseTo(1, 14);
    expect(column(a.Xtest, 6, 5, 0)).not.toEqual(column(a.X, 6, 20, 0));
    const other = buildDataset({ ...c, seed: 4 });
    expect(Array.from(other.X)).not.toEqual(Array.from(a.X));
    // More training samples keep the first ones (sample-by-sample draws).
    const more = buildDataset({ ...c, samples: 25 });
    expect(column(more.X, 6, 25, 7)).toEqual(column(a.X, 6, 20, 7));
    expect(a.warnings).toEqual([]);
  });

  it('gaussian: N(0, I/d), so the mean squared norm is 1 within CLT bounds', () => {
    const n = 4000,
      d = 5;
    const ds = buildDataset(cfg({ dataset: 'gaussian', samples: n, testSamples: 0, inputDim: d, seed: 1 }));
    let s = 0;
    for (let k = 0; k < d * n; k++) s += ds.X[k]! ** 2;
    // ‖x‖² has mean 1 and variance 2/d.
    expect(Math.abs(s / n - 1) / Math.sqrt(2 / d / n)).toBeLessThan(5);
  });
});

describe('buildDataset() warnings', () => {
  it('names parallel and anti-parallel pairs and zero vectors, and flags a singular H∞', () => {
    const csvText = ['x,y,z', '1,0,0', '0,1,0', '2,0,0', '0,-3,0', '0,0,0', '0.5,0.5,0.7'].join('\n');
    const ds = buildDataset(cfg({ dataset: 'csv', csvText, samples: 6, testSamples: 0, seed: 0 }));
    const text = ds.warnings.join('\n');
    expect(ds.warnings.some((w) => w.startsWith('zero vector'))).toBe(true);
    expect(ds.warnings.some((w) => w.startsWith('parallel samples'))).toBe(true);
    expect(ds.warnings.some((w) => w.startsWith('anti-parallel samples'))).toBe(true);
    expect(ds.warnings.some((w) => w.startsWith('near-singular H∞'))).toBe(true);
    // The rows are shuffled: find where the zero row went and check it is named.
    let zeroIndex = -1;
    for (let i = 0; i < 6; i++) if (column(ds.X, 3, 6, i).every((v) => v === 0)) zeroIndex = i;
    expect(text).toContain(`sample ${zeroIndex} (0-based) is 0`);
  });

  it('with skipPairwise leaves out exactly the parallel-sample warnings, which parallelPairWarnings() gives', () => {
    const csvText = ['x,y,z', '1,0,0', '0,1,0', '2,0,0', '0,-3,0', '0,0,0', '0.5,0.5,0.7'].join('\n');
    const config = cfg({ dataset: 'csv', csvText, samples: 6, testSamples: 0, seed: 0 });
    const all = buildDataset(config).warnings;
    const some = buildDataset(config, { skipPairwise: true });
    const pairs = parallelPairWarnings(some.X, 3, 6);
    expect(pairs.map((w) => w.split(' ')[0])).toEqual(['parallel', 'anti-parallel']);
    expect(some.warnings).toEqual(all.filter((w) => !pairs.includes(w)));
    expect(all.filter((w) => pairs.includes(w))).toEqual(pairs);
    // Data without such pairs: nothing to add.
    const plain = buildDataset(cfg({ dataset: 'sphere', samples: 20, testSamples: 0, inputDim: 3, seed: 2 }));
    expect(parallelPairWarnings(plain.X, 3, 20)).toEqual([]);
  });

  it('gives the same parallel-sample warnings from the pairs that the shared kernels screened as from every pair', () => {
    // 60 samples in ℝ⁴: two groups of 14 and 13 multiples (positive and negative) of one direction each (more pairs
    // than the 10 named), pairs at cosines just outside and inside the screen (0.9899, 0.995) and within 1e-7 of
    // parallel (not within 1e-9), two zero vectors and random rest.
    const d = 4;
    const n = 60;
    const X = new Float64Array(d * n);
    const put = (i: number, v: number[]) => v.forEach((x, a) => (X[a * n + i] = x));
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < n; i++) put(i, [rand(), rand(), rand(), rand()]);
    const base = [
      [0.3, -0.2, 0.9, 0.1],
      [0.5, 0.5, -0.5, 0.5],
    ];
    for (let k = 0; k < 27; k++)
      put(
        2 + k,
        base[k % 2]!.map((x) => x * (k < 14 ? 0.5 + k : -(1 + k))),
      );
    const c = 0.9899;
    put(30, [1, 0, 0, 0]);
    put(31, [c, Math.sqrt(1 - c * c), 0, 0]);
    put(32, [0.995, Math.sqrt(1 - 0.995 ** 2), 0, 0]);
    put(33, [1, 1e-7, 0, 0]);
    put(34, [0, 0, 0, 0]);
    put(35, [0, 0, 0, 0]);
    const screened = sharedInfiniteKernels(X, d, n).screenedPairs;
    // pairs (i < j) in ascending order, with both samples non-zero
    expect(screened.length % 2).toBe(0);
    for (let k = 0; k < screened.length; k += 2) expect(screened[k]!).toBeLessThan(screened[k + 1]!);
    // at least every pair within each group
    expect(screened.length / 2).toBeGreaterThanOrEqual((14 * 13) / 2 + (13 * 12) / 2);
    const listed = new Set<string>();
    for (let k = 0; k < screened.length; k += 2) listed.add(`${screened[k]},${screened[k + 1]}`);
    expect([listed.has('30,32'), listed.has('30,31'), listed.has('30,33'), listed.has('34,35')]).toEqual([true, false, true, false]);
    const every = parallelPairWarnings(X, d, n);
    expect(every.map((w) => w.split(' ')[0])).toEqual(['parallel', 'anti-parallel']);
    expect(every[0]).toMatch(/and \d+ more pairs/);
    expect(parallelPairWarnings(X, d, n, screened)).toEqual(every);
    // The screen is what finds them: with no pairs screened there is nothing to name.
    expect(parallelPairWarnings(X, d, n, new Int32Array(0))).toEqual([]);
  });
});
