import { describe, expect, it } from 'vitest';
import { bandOf, groupBands } from '../../../../src/shared/runs/bands';

describe('bandOf()', () => {
  it('gives the mean ± the sample standard deviation', () => {
    const ys = [1, 2, 3, 4];
    const b = bandOf(ys, 'std');
    const sd = Math.sqrt(((1.5 ** 2 + 0.5 ** 2) * 2) / 3);
    expect(b.mean).toBe(2.5);
    expect(b.lower).toBeCloseTo(2.5 - sd, 14);
    expect(b.upper).toBeCloseTo(2.5 + sd, 14);
    expect(b.count).toBe(4);
  });
  it('gives a zero-width band for one run, and min–max on request', () => {
    expect(bandOf([7], 'std')).toEqual({ mean: 7, lower: 7, upper: 7, count: 1 });
    expect(bandOf([3, -1, 5], 'minmax')).toEqual({ mean: 7 / 3, lower: -1, upper: 5, count: 3 });
  });
});

describe('groupBands()', () => {
  const runs = [
    { runId: 'a', x: [0, 1, 2], y: [1, 0.5, 0.25] },
    { runId: 'b', x: [0, 1, 2], y: [1, 0.7, null] },
    { runId: 'c', x: [0, 1], y: [2, 1] },
    { runId: 'd', x: [0, 2], y: [3, Number.NaN] },
  ];
  const regime: Record<string, string> = { a: 'joint', b: 'joint', c: 'weak', d: 'joint' };

  it('groups by key in order of appearance and averages the finite values at each x', () => {
    const g = groupBands(runs, (id) => regime[id]!, 'minmax');
    expect(g.map((x) => x.key)).toEqual(['joint', 'weak']);
    expect(g[0]!.runIds).toEqual(['a', 'b', 'd']);
    const joint = g[0]!.points;
    expect(joint.map((p) => p.x)).toEqual([0, 1, 2]);
    expect(joint[0]).toEqual({ x: 0, mean: 5 / 3, lower: 1, upper: 3, count: 3 });
    expect(joint[1]).toMatchObject({ mean: 0.6, lower: 0.5, upper: 0.7, count: 2 });
    // b's null and d's NaN at x = 2 are missing, not zero
    expect(joint[2]).toEqual({ x: 2, mean: 0.25, lower: 0.25, upper: 0.25, count: 1 });
  });

  it('drops x values with fewer than minCount runs', () => {
    const g = groupBands(runs, (id) => regime[id]!, 'std', 2);
    expect(g[0]!.points.map((p) => p.x)).toEqual([0, 1]);
    expect(g[1]!.points).toEqual([]);
  });

  it('refuses a series whose x and y differ in length', () => {
    expect(() => groupBands([{ runId: 'z', x: [0, 1], y: [1] }], () => 'k', 'std')).toThrow(/run z has 2 x values but 1 y values/);
  });
});
