// E4, E5 at their quick sizes: training sweeps (run under flock: a few minutes on two cores).
import { afterAll, describe, expect, it } from 'vitest';
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
