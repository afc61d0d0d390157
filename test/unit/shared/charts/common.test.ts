import { describe, expect, it } from 'vitest';
import {
  LOG_AXIS_DECADES,
  downsampleXY,
  emaSmooth,
  fmt,
  logAxisMin,
  plottable,
  valueAxis,
  roundNumbers,
  logTickLabel,
  stepTooltip,
} from '../../../../src/shared/charts/common';
import type { XY } from '../../../../src/shared/charts/common';
import { seeded } from './seeded';

describe('downsampleXY()', () => {
  it('reduces a long series to the requested count, keeping both ends and the largest spike', () => {
    const rnd = seeded(1);
    const pts: XY[] = Array.from({ length: 10_000 }, (_, i) => [i, rnd()]);
    pts[5000] = [5000, 50];
    const out = downsampleXY(pts, 2000);
    expect(out).toHaveLength(2000);
    expect(out[0]).toEqual(pts[0]);
    expect(out.at(-1)).toEqual(pts.at(-1));
    expect(out.some(([x, y]) => x === 5000 && y === 50)).toBe(true);
    for (let i = 1; i < out.length; i++) expect(out[i]![0]).toBeGreaterThan(out[i - 1]![0]);
  });

  it('returns short series unchanged', () => {
    const pts: XY[] = [
      [0, 1],
      [1, 2],
    ];
    expect(downsampleXY(pts, 2000)).toEqual(pts);
  });
});

describe('emaSmooth()', () => {
  it('leaves a constant series constant (debiased from the first point)', () => {
    const out = emaSmooth([3, 3, 3, 3], 0.9);
    for (const v of out) expect(v).toBeCloseTo(3, 12);
  });

  it('matches the debiased recurrence s_k = α s_{k−1} + (1−α) y_k over 1 − α^{k+1}', () => {
    const a = 0.5;
    const out = emaSmooth([1, 0], a);
    expect(out[0]).toBeCloseTo(1, 12);
    // s1 = 0.5·0.5 + 0 = 0.25, debiased by 1 − 0.25 = 0.75
    expect(out[1]).toBeCloseTo(0.25 / 0.75, 12);
  });

  it('rejects α outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/alpha/);
  });
});

describe('plottable()', () => {
  it('drops non-finite values, and non-positive ones for a log axis', () => {
    const pts: XY[] = [
      [0, 1],
      [1, 0],
      [2, -1],
      [3, NaN],
      [4, 2],
    ];
    expect(plottable(pts, true)).toEqual([
      [0, 1],
      [4, 2],
    ]);
    expect(plottable(pts, false)).toEqual([
      [0, 1],
      [1, 0],
      [2, -1],
      [4, 2],
    ]);
  });
});

describe('log axes', () => {
  it("keep ECharts' own lower end unless the data reach more than LOG_AXIS_DECADES below the largest value", () => {
    expect(LOG_AXIS_DECADES).toBe(30);
    expect(logAxisMin({ min: 1e-13, max: 33 })).toBeUndefined();
    expect(logAxisMin({ min: 0.11, max: 4.5 })).toBeUndefined();
    // a linearized prediction that decays to 1e-300 in a long run: the axis stops 30 decades below 10¹
    expect(logAxisMin({ min: 1e-300, max: 33 })).toBeCloseTo(1e-29, 40);
    expect(logAxisMin({ min: 0, max: 1 })).toBeUndefined();
    expect(valueAxis('light', 'loss', true)['min']).toBe(logAxisMin);
    expect(valueAxis('light', 'loss', false)['min']).toBeUndefined();
    expect(valueAxis('light', 'loss', true, { min: 1 })['min']).toBe(1);
  });
});

describe('fmt()', () => {
  it('shows missing values as a dash and tiny ones in exponent form', () => {
    expect(fmt(null)).toBe('—');
    expect(fmt(1.23456e-7)).toBe('1.23e-7');
    expect(fmt(0.5)).toBe('0.5');
  });
});

describe('roundNumbers()', () => {
  it('rounds long decimals in a reason and leaves integers, short decimals and dotted versions alone', () => {
    expect(roundNumbers('reached the target loss ratio 1e-12 (L/L₀ = 9.887455473855786e-13 at step 287)')).toBe(
      'reached the target loss ratio 1e-12 (L/L₀ = 9.887e-13 at step 287)',
    );
    expect(roundNumbers('diverged at step 12 with learning rate 0.6000000000000001; try η ≤ 0.263')).toBe(
      'diverged at step 12 with learning rate 0.6; try η ≤ 0.263',
    );
    expect(roundNumbers('v0.1.0 on 127.0.0.1, 3.14159265 rad')).toBe('v0.1.0 on 127.0.0.1, 3.142 rad');
  });
});

describe('logTickLabel()', () => {
  it('writes every power of ten as 10ᵏ (one form per axis) and other ticks compactly', () => {
    expect([1e10, 1, 1e-10, 1e-20, 10, 0.001].map(logTickLabel)).toEqual(['10¹⁰', '10⁰', '10⁻¹⁰', '10⁻²⁰', '10¹', '10⁻³']);
    expect(logTickLabel(5e-7)).toBe('5.0e-7');
    expect(logTickLabel(0.5)).toBe('0.5');
  });
});

describe('stepTooltip()', () => {
  it('heads the tooltip with the integer step and rounds the values', () => {
    const f = stepTooltip().formatter as (p: unknown) => string;
    expect(
      f([
        { marker: '', seriesName: 'train loss', value: [1250, 0.123456789] },
        { marker: '', seriesName: 'test loss', value: [1250, 2e-9] },
      ]),
    ).toBe('step 1,250<br/>train loss: 0.1235<br/>test loss: 2.000e-9');
    expect((stepTooltip('wall').formatter as (p: unknown) => string)([{ seriesName: 'x', value: [1.23456, 1] }])).toBe('1.235 s<br/>x: 1');
  });
});
