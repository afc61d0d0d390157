import { describe, expect, it } from 'vitest';
import { fitLine, fitLogLog, incompleteBeta, studentTCdf, studentTQuantile, successThreshold } from '../../../../src/shared/experiments/stats';

describe('studentTQuantile()', () => {
  it('matches closed forms: df = 1 is Cauchy, df = 2 has t = (2p−1)/√(2p(1−p))', () => {
    for (const p of [0.6, 0.9, 0.975, 0.995]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
  });
  it('tends to the normal quantile 1.959964 for large df and is symmetric', () => {
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    expect(studentTQuantile(0.025, 7)).toBeCloseTo(-studentTQuantile(0.975, 7), 10);
    expect(studentTCdf(studentTQuantile(0.975, 7), 7)).toBeCloseTo(0.975, 11);
  });
  it('has I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b', () => {
    expect(incompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 12);
    expect(incompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 12);
  });
});

describe('fitLine()', () => {
  it('recovers an exact line with a zero-width interval', () => {
    const f = fitLine([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(1, 12);
    expect(f.slopeInterval[1] - f.slopeInterval[0]).toBeLessThan(1e-10);
    expect(f.r2).toBeCloseTo(1, 12);
  });
  it('covers the true slope in about 95% of noisy fits (coverage of the t interval)', () => {
    let s = 12345;
    const gauss = (): number => {
      s = (1103515245 * s + 12345) % 2147483648;
      const u = (s + 1) / 2147483649;
      s = (1103515245 * s + 12345) % 2147483648;
      const v = (s + 1) / 2147483649;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    const trials = 2000;
    let covered = 0;
    const x = [0, 1, 2, 3, 4, 5];
    for (let k = 0; k < trials; k++) {
      const y = x.map((xi) => -0.5 * xi + 0.3 * gauss());
      const f = fitLine(x, y);
      if (f.slopeInterval[0] <= -0.5 && -0.5 <= f.slopeInterval[1]) covered++;
    }
    // binomial(2000, 0.95): sd ≈ 0.0049; 4 sd either side
    expect(Math.abs(covered / trials - 0.95)).toBeLessThan(0.02);
  });
  it('fits log–log slopes and drops non-positive points', () => {
    const m = [500, 2000, 8000, 32000];
    const f = fitLogLog([...m, 0], [...m.map((v) => 3 / Math.sqrt(v)), 1]);
    expect(f.slope).toBeCloseTo(-0.5, 12);
    expect(f.n).toBe(4);
  });
  it('refuses degenerate input', () => {
    expect(() => fitLine([1], [1])).toThrow(/at least 2/);
    expect(() => fitLine([2, 2], [1, 3])).toThrow(/all x values are equal/);
    expect(fitLine([1, 2], [1, 3]).slopeInterval).toEqual([-Infinity, Infinity]);
  });
});

describe('successThreshold()', () => {
  it('is the smallest width from which every larger width succeeds', () => {
    const pts = [
      { x: 8, successes: 0, trials: 4 },
      { x: 16, successes: 4, trials: 4 },
      { x: 32, successes: 3, trials: 4 },
      { x: 64, successes: 4, trials: 4 },
      { x: 128, successes: 4, trials: 4 },
    ];
    expect(successThreshold(pts)).toBe(64);
    expect(successThreshold(pts, 0.75)).toBe(16);
    expect(successThreshold([{ x: 8, successes: 0, trials: 2 }])).toBeNull();
  });
});
