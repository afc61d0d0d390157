import { describe, expect, it } from 'vitest';
import { cellKey, expandSweep, parseGridArg, parseSeedsArg, SweepSpecError } from '../../../../src/shared/sweeps/spec';
import { defaultConfig } from '../../../../src/shared/config/schema';

describe('parseGridArg()', () => {
  it('reads numbers, booleans, null, quoted and bare strings, and integer ranges', () => {
    expect(parseGridArg('hiddenWidth=16,64,256')).toEqual(['hiddenWidth', [16, 64, 256]]);
    expect(parseGridArg('regime=weak,joint')).toEqual(['regime', ['weak', 'joint']]);
    expect(parseGridArg('learningRate=null,0.5')).toEqual(['learningRate', [null, 0.5]]);
    expect(parseGridArg('normalize=true,false')).toEqual(['normalize', [true, false]]);
    expect(parseGridArg('samples=3..5')).toEqual(['samples', [3, 4, 5]]);
    expect(parseGridArg('csvName="ab",cd')).toEqual(['csvName', ['ab', 'cd']]);
  });
  it('refuses unknown keys, missing values and empty ranges with the flag named', () => {
    expect(() => parseGridArg('width=1,2')).toThrow(/--grid: unknown config key 'width'/);
    expect(() => parseGridArg('hiddenWidth=')).toThrow(/--grid hiddenWidth: expected at least one value/);
    expect(() => parseGridArg('hiddenWidth')).toThrow(/expected KEY=v1,v2/);
    expect(() => parseGridArg('hiddenWidth=1,,2')).toThrow(/empty value/);
    expect(() => parseGridArg('seed=5..3')).toThrow(/empty range 5..3/);
  });
});

describe('parseSeedsArg()', () => {
  it('reads inclusive ranges and lists', () => {
    expect(parseSeedsArg('0..3')).toEqual([0, 1, 2, 3]);
    expect(parseSeedsArg('1,5,9')).toEqual([1, 5, 9]);
    expect(() => parseSeedsArg('a..b')).toThrow(SweepSpecError);
    expect(() => parseSeedsArg('-1')).toThrow(/--seeds/);
  });
});

describe('expandSweep()', () => {
  it('takes the Cartesian product in key order (last key fastest), times the seeds', () => {
    const cells = expandSweep({ base: { steps: 5 }, grid: { regime: ['weak', 'joint'], hiddenWidth: [8, 16] }, seeds: [1, 2] });
    expect(cells).toHaveLength(8);
    expect(cells.map((c) => `${c.config.regime}/${c.config.hiddenWidth}/${c.config.seed}`)).toEqual([
      'weak/8/1',
      'weak/8/2',
      'weak/16/1',
      'weak/16/2',
      'joint/8/1',
      'joint/8/2',
      'joint/16/1',
      'joint/16/2',
    ]);
    expect(cells.every((c) => c.config.steps === 5)).toBe(true);
    expect(cells[3]!.point).toEqual({ regime: 'weak', hiddenWidth: 16, seed: 2 });
  });

  it('draws random axes reproducibly from the sweep seed, within their ranges', () => {
    const spec = {
      random: { samples: 20, seed: 7, axes: { hiddenWidth: { min: 8, max: 512, log: true, integer: true }, regime: { choices: ['weak', 'joint'] } } },
    };
    const a = expandSweep(spec);
    const b = expandSweep(spec);
    expect(a.map((c) => c.config)).toEqual(b.map((c) => c.config));
    expect(a.every((c) => Number.isInteger(c.config.hiddenWidth) && c.config.hiddenWidth >= 8 && c.config.hiddenWidth <= 512)).toBe(true);
    expect(new Set(a.map((c) => c.config.regime))).toEqual(new Set(['weak', 'joint']));
    const other = expandSweep({ random: { ...spec.random, seed: 8 } });
    expect(other.map((c) => c.config.hiddenWidth)).not.toEqual(a.map((c) => c.config.hiddenWidth));
  });

  it('names the key or the cell and rule when a sweep does not expand', () => {
    expect(() => expandSweep({ grid: { width: [1] } })).toThrow(/unknown config key 'width'/);
    expect(() => expandSweep({ grid: { hiddenWidth: [8, 0] } })).toThrow(/sweep cell 1 \(hiddenWidth=0\):\nhiddenWidth: expected an integer ≥ 1, got 0/);
    expect(() => expandSweep({ grid: { hiddenWidth: [] } })).toThrow(SweepSpecError);
  });
});

describe('cellKey()', () => {
  it('ignores keys that cannot change the numbers and orders keys canonically', () => {
    const c = defaultConfig();
    expect(cellKey({ ...c, memoryLimitMiB: 64, checkpointEvery: 7 })).toBe(cellKey(c));
    expect(cellKey({ ...c, seed: 1 })).not.toBe(cellKey(c));
    const reordered = Object.fromEntries(Object.entries(c).reverse()) as typeof c;
    expect(cellKey(reordered)).toBe(cellKey(c));
  });
});
