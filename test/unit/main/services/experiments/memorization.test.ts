// E6, E8 at their quick sizes: lazy-training diagnostics and memorization (training runs).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cleanUp, column, quick } from './helpers';

afterAll(cleanUp);

describe('experiments E6, E8 (quick, fixed seeds)', () => {
  it('E6: relative weight movement shrinks like m^(−1/2)', async () => {
    const r = await quick('E6');
    expect(r.summary.holds).toBe(true);
    const moves = column(r, 'weight_move_w');
    const widths = column(r, 'width');
    const at = (m: number) => moves.filter((_, i) => widths[i] === m);
    expect(Math.max(...at(6400))).toBeLessThan(Math.min(...at(100)));
  }, 900_000);

  it('E8: the trained wide network’s test outputs lie in span X and close to the kernel predictor', async () => {
    const r = await quick('E8');
    expect(r.summary.holds).toBe(true);
    const share = column(r, 'span_share_network')[0]!;
    const baseline = column(r, 'baseline')[0]!;
    expect(share).toBeGreaterThan(0.95);
    expect(share).toBeGreaterThan(baseline);
    expect(column(r, 'relative_difference')[0]).toBeLessThan(0.1);
    // each cell is a normal run folder with its kept parameters
    const runs = path.join(r.dir, 'runs');
    expect(existsSync(runs)).toBe(true);
  }, 900_000);
});
