// E1, E2 (and its orthogonal variant), E3, E7, E9 at their quick sizes: measurements without training.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanUp, column, quick } from './helpers';

afterAll(cleanUp);

describe('experiments E1, E2, E3, E7, E9 (quick, fixed seeds)', () => {
  it('E1: Monte Carlo agrees with the closed forms within 4 standard errors', async () => {
    const r = await quick('E1');
    expect(r.summary).toMatchObject({ experiment: 'E1', quick: true, holds: true });
    expect(column(r, 'z').every((z) => z <= 4)).toBe(true);
    expect(r.figures.length).toBeGreaterThan(0);
  }, 300_000);

  it('E2: data.csv has the contract columns and every regime’s slope interval holds −1/2', async () => {
    const r = await quick('E2');
    expect(r.header).toEqual(['regime', 'init', 'width', 'seed', 'rel_error']);
    expect(new Set(r.rows.map((x) => x[0]))).toEqual(new Set(['weak', 'decoder', 'joint']));
    expect(r.summary.holds).toBe(true);
    for (const regime of ['weak', 'decoder', 'joint']) {
      const f = r.summary.numbers[`${regime}/gaussian`] as { ci95Low: number; ci95High: number; slope: number };
      expect(f.ci95Low).toBeLessThanOrEqual(-0.5);
      expect(f.ci95High).toBeGreaterThanOrEqual(-0.5);
    }
    // The summary is computed from the data: refitting the CSV gives the same slope.
    const rows = r.rows.filter((x) => x[0] === 'joint');
    const lx = rows.map((x) => Math.log(Number(x[2])));
    const ly = rows.map((x) => Math.log(Number(x[4])));
    const mx = lx.reduce((a, b) => a + b) / lx.length;
    const my = ly.reduce((a, b) => a + b) / ly.length;
    const slope = lx.reduce((s, x, i) => s + (x - mx) * (ly[i]! - my), 0) / lx.reduce((s, x) => s + (x - mx) ** 2, 0);
    expect(slope).toBeCloseTo((r.summary.numbers['joint/gaussian'] as { slope: number }).slope, 10);
    expect(readFileSync(path.join(r.dir, 'figures', 'e2-gaussian.svg'), 'utf8')).toMatch(/^<svg/);
  }, 300_000);

  it('E2-orth: compares Gaussian with orthogonal init per regime and width', async () => {
    const r = await quick('E2-orth');
    expect(new Set(r.rows.map((x) => x[1]))).toEqual(new Set(['gaussian', 'orthogonal']));
    const ratios = r.summary.numbers.orthogonalOverGaussian as Record<string, Record<string, number>>;
    expect(Object.keys(ratios.decoder!).length).toBe(6);
    expect(r.summary.numbers.orthogonalDecoderFluctuatesLess).toBe(Object.values(ratios.decoder!).every((x) => x < 1));
  }, 300_000);

  it('E3: the λ landscape decreases in n, increases in d, with λ_dec < λ₀', async () => {
    const r = await quick('E3');
    expect(r.summary.holds).toBe(true);
    expect(r.summary.numbers.violations).toEqual([]);
    const enc = column(r, 'lambda_enc');
    expect(enc.every((x) => x > 0)).toBe(true);
  }, 300_000);

  it('E7: the weight-tied output at init grows with slope ½ on log–log axes', async () => {
    const r = await quick('E7');
    expect(r.summary.holds).toBe(true);
    const f = r.summary.numbers.outputAlongX as { slope: number; ci95Low: number; ci95High: number; prefactor: number };
    expect(f.ci95Low).toBeLessThanOrEqual(0.5);
    expect(f.ci95High).toBeGreaterThanOrEqual(0.5);
    expect(f.prefactor).toBeGreaterThan(0.4);
    expect(f.prefactor).toBeLessThan(0.65);
  }, 300_000);

  it('E9: Theorem A’s sufficient width exceeds Theorem B’s by orders of magnitude at every n', async () => {
    const r = await quick('E9');
    expect(r.summary.holds).toBe(true);
    const a = column(r, 'width_theorem_a');
    const b = column(r, 'width_theorem_b');
    a.forEach((x, i) => expect(x / b[i]!).toBeGreaterThan(100));
  }, 300_000);
});
