// E4, E5 at their quick sizes: training sweeps (run under flock: a few minutes on two cores).
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanUp, column, quick } from './helpers';

afterAll(cleanUp);

describe('experiments E4, E5 (quick, fixed seeds)', () => {
  it('E5: joint training’s threshold width is below weak training’s, decoder-only in between or equal', async () => {
    const r = await quick('E5');
    expect(r.header).toEqual(['regime', 'width', 'seed', 'converged', 'loss_ratio']);
    const th = r.summary.numbers.threshold as Record<string, number | null>;
    expect(th.joint).not.toBeNull();
    const inf = (x: number | null | undefined) => (x === null || x === undefined ? Infinity : x);
    expect(inf(th.joint)).toBeLessThan(inf(th.weak));
    expect(inf(th.decoder)).toBeGreaterThanOrEqual(inf(th.joint));
    expect(inf(th.decoder)).toBeLessThanOrEqual(inf(th.weak));
    expect(r.summary.holds).toBe(true);
    // converged is 1 exactly when the recorded L/L0 is below 1e-6
    const conv = column(r, 'converged');
    const ratio = r.rows.map((x) => (x[4] === '' ? NaN : Number(x[4])));
    conv.forEach((c, i) => expect(c).toBe(ratio[i]! < 1e-6 ? 1 : 0));
  }, 900_000);

  it('E5-nm: the (n, m) grid: at every n joint’s threshold is below weak’s, decoder’s in between; a heat map per regime', async () => {
    const r = await quick('E5-nm');
    expect(r.header).toEqual(['regime', 'width', 'seed', 'converged', 'loss_ratio', 'n']);
    expect(new Set(column(r, 'n'))).toEqual(new Set([4, 8, 16]));
    expect(r.rows).toHaveLength(3 * 3 * 5 * 3);
    const by = r.summary.numbers.thresholdByN as Record<string, { threshold: Record<string, number | null>; jointBelowWeak: boolean }>;
    expect(Object.keys(by).sort()).toEqual(['16', '4', '8']);
    const inf = (x: number | null | undefined) => (x === null || x === undefined ? Infinity : x);
    for (const v of Object.values(by)) {
      expect(v.threshold.joint).not.toBeNull();
      expect(inf(v.threshold.joint)).toBeLessThan(inf(v.threshold.weak));
      expect(inf(v.threshold.decoder)).toBeGreaterThanOrEqual(inf(v.threshold.joint));
      expect(inf(v.threshold.decoder)).toBeLessThanOrEqual(inf(v.threshold.weak));
    }
    expect(r.summary.numbers.failsAtN).toEqual([]);
    expect(r.summary.holds).toBe(true);
    expect(r.figures).toEqual(expect.arrayContaining(['e5-nm-weak.svg', 'e5-nm-decoder.svg', 'e5-nm-joint.svg']));
    // the heat map's data: the success probability of each (n, m) is the share of converged seeds in data.csv
    const figs = JSON.parse(readFileSync(path.join(r.dir, 'figures', 'figures.json'), 'utf8')) as {
      name: string;
      heatmap: { xs: number[]; ys: number[]; values: number[][] };
    }[];
    const weak = figs.find((f) => f.name === 'e5-nm-weak')!.heatmap;
    const conv = column(r, 'converged');
    const ns = column(r, 'n');
    const ws = column(r, 'width');
    weak.ys.forEach((n, i) =>
      weak.xs.forEach((m, j) => {
        const idx = r.rows.map((row, k) => k).filter((k) => r.rows[k]![0] === 'weak' && ns[k] === n && ws[k] === m);
        expect(weak.values[i]![j]).toBeCloseTo(idx.filter((k) => conv[k] === 1).length / idx.length, 12);
      }),
    );
    const svg = readFileSync(path.join(r.dir, 'figures', 'e5-nm-joint.svg'), 'utf8');
    expect(svg).toContain('<svg');
  }, 900_000);

  it('E4: the widest network follows the linearized curve below the rate bound; at m = 40 weak stalls, joint converges', async () => {
    const r = await quick('E4');
    expect(r.summary.holds).toBe(true);
    const small = r.summary.numbers['smallestWidth m=40'] as Record<string, { weakFinalLossRatio: number; jointFinalLossRatio: number }>;
    const s0 = small['gaussian/seed0']!;
    expect(s0.jointFinalLossRatio).toBeLessThan(1e-6);
    expect(s0.weakFinalLossRatio).toBeGreaterThanOrEqual(1e-6);
    expect(r.figures).toContain('e4-m4000.svg');
  }, 900_000);
});
