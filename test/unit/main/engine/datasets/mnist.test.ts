import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, prepareDataset } from '../../../../../src/main/engine/datasets/index';
import { loadMnist, MNIST_PIXELS } from '../../../../../src/main/engine/datasets/mnist';
import { defaultConfig } from '../../../../../src/shared/config/schema';

describe('loadMnist()', () => {
  it('loads the 10 000 digits of the mnist package with labels and pixels in [0, 1]', async () => {
    const m = await loadMnist();
    expect(m.count).toBe(10_000);
    expect(m.pixels.length).toBe(10_000 * MNIST_PIXELS);
    expect(m.labels[0]).toBe(0);
    expect(m.labels[9_999]).toBe(9);
    let lo = Infinity,
      hi = -Infinity;
    for (const p of m.pixels) {
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    expect([lo, hi]).toEqual([0, 1]);
    expect(await loadMnist()).toBe(m);
  });
});

describe('buildDataset() mnist', () => {
  const base = { ...defaultConfig(), dataset: 'mnist' as const, samples: 12, testSamples: 4, seed: 2, inputDim: 5 };
  beforeAll(() => prepareDataset(base));

  it('gives [784, n] and [784, nTest] with unit-norm columns when normalize is on', () => {
    const ds = buildDataset(base);
    expect([ds.d, ds.n, ds.nTest, ds.X.length, ds.Xtest.length]).toEqual([784, 12, 4, 784 * 12, 784 * 4]);
    for (let i = 0; i < 12; i++) {
      let s = 0;
      for (let a = 0; a < 784; a++) s += ds.X[a * 12 + i]! ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 13);
    }
    expect(ds.labels?.train.length).toBe(12);
  });

  it('keeps raw pixels without normalize, and the same digits per seed', () => {
    const raw = buildDataset({ ...base, normalize: false });
    const norm = buildDataset(base);
    expect(Math.max(...raw.X)).toBeLessThanOrEqual(1);
    expect(raw.labels).toEqual(norm.labels);
    // Column 0 of the normalized set is column 0 of the raw set divided by its norm.
    let s = 0;
    for (let a = 0; a < 784; a++) s += raw.X[a * 12]! ** 2;
    for (let a = 0; a < 784; a += 97) expect(norm.X[a * 12]).toBeCloseTo(raw.X[a * 12]! / Math.sqrt(s), 14);
    expect(buildDataset({ ...base, seed: 3 }).labels).not.toEqual(norm.labels);
  });
});
