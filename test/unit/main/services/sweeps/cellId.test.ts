import { describe, expect, it } from 'vitest';
import { cellId } from '../../../../../src/main/services/sweeps/cellId';
import { defaultConfig } from '../../../../../src/shared/config/schema';

describe('cellId()', () => {
  it('is a stable 64-bit hex id that changes with any numeric key', () => {
    const c = defaultConfig();
    expect(cellId(c)).toMatch(/^c-[0-9a-f]{16}$/);
    expect(cellId({ ...c })).toBe(cellId(c));
    expect(cellId({ ...c, checkpointEvery: 5 })).toBe(cellId(c));
    const ids = new Set([
      cellId(c),
      cellId({ ...c, seed: 1 }),
      cellId({ ...c, hiddenWidth: 257 }),
      cellId({ ...c, regime: 'weak' }),
      cellId({ ...c, learningRate: 0.1 }),
    ]);
    expect(ids.size).toBe(5);
  });
});
