import { describe, expect, it } from 'vitest';
import { relativeAsymmetry, symmetrize } from '../../../../../src/main/engine/linalg/diagnostics';

describe('relativeAsymmetry()', () => {
  it('equals the asymmetry symmetrize() reports, is 0 for symmetric and NaN for non-finite input', () => {
    // 141: two full 64-tiles plus a ragged one of odd width.
    const n = 141;
    let s = 12345;
    const a = Float64Array.from({ length: n * n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296 - 0.5;
    });
    const ref = symmetrize(a, n).asymmetry;
    expect(ref).toBeGreaterThan(0.1);
    expect(Math.abs(relativeAsymmetry(a, n) - ref)).toBeLessThan(1e-14);
    // Hand example: A = [[1, 2], [0, 1]]: ‖A − Aᵀ‖_F = √8, ‖A‖_F = √6.
    expect(relativeAsymmetry(Float64Array.of(1, 2, 0, 1), 2)).toBeCloseTo(Math.sqrt(8 / 6), 15);
    const sym = symmetrize(a, n).sym;
    expect(relativeAsymmetry(sym, n)).toBe(0);
    sym[5 * n + 3] = Number.POSITIVE_INFINITY;
    expect(relativeAsymmetry(sym, n)).toBeNaN();
    sym[5 * n + 3] = Number.NaN;
    expect(relativeAsymmetry(sym, n)).toBeNaN();
    expect(() => relativeAsymmetry(a, n + 1)).toThrow(/a has 19881 entries, expected 20164 for shape \[142, 142\]/);
  });
});

describe('symmetrize()', () => {
  it('returns (A + Aᵀ)/2 as a new array and ‖A − Aᵀ‖_F/‖A‖_F, leaving A as it was', () => {
    const a = new Float64Array([1, 2, 4, 3]);
    const expected = Math.sqrt(2 * 4) / Math.sqrt(1 + 4 + 16 + 9);
    const { sym, asymmetry } = symmetrize(a, 2);
    expect(asymmetry).toBeCloseTo(expected, 14);
    expect(Array.from(sym)).toEqual([1, 3, 3, 3]);
    expect(Array.from(a)).toEqual([1, 2, 4, 3]);
    expect(symmetrize(sym, 2).asymmetry).toBe(0);
    expect(symmetrize(new Float64Array(4), 2).asymmetry).toBe(0);
  });

  it('relativeAsymmetry() handles finite entries whose squares overflow (a kernel just before divergence): same ratio, no NaN', () => {
    const big = 1e200;
    // Hand example scaled: A = 1e200·[[1, 2], [0, 1]] has the ratio √(8/6) of the unscaled one.
    expect(relativeAsymmetry(Float64Array.of(big, 2 * big, 0, big), 2)).toBeCloseTo(Math.sqrt(8 / 6), 14);
    expect(relativeAsymmetry(Float64Array.of(big, big, big, 3 * big), 2)).toBe(0);
    expect(relativeAsymmetry(Float64Array.of(big, Number.NaN, big, big), 2)).toBeNaN();
  });
});
