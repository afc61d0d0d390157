import { describe, expect, it } from 'vitest';
import { assertFits, matrixBytes } from '../../../../src/main/engine/memory';
import { WorkbenchException, exitCodeFor } from '../../../../src/shared/api/result';

describe('matrixBytes()', () => {
  it('counts 8 bytes per float64 entry by default and honours bytesPerEntry', () => {
    expect(matrixBytes(1000, 1000)).toBe(8_000_000);
    expect(matrixBytes(10, 3, 4)).toBe(120);
  });
});

describe('assertFits()', () => {
  it('accepts sizes up to the limit', () => {
    expect(() => assertFits(16 * 1024 * 1024, 16, 'the matrix')).not.toThrow();
  });

  it('refuses above the limit with the estimate, the limit and the config key', () => {
    const bytes = matrixBytes(40_000, 40_000); // 12207 MiB
    let caught: unknown;
    try {
      assertFits(bytes, 2048, 'the full empirical NTK (40000×40000 float64)');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkbenchException);
    const e = caught as WorkbenchException;
    expect(e.code).toBe('too-large');
    expect(e.message).toBe('the full empirical NTK (40000×40000 float64) needs ~12208 MiB, above the limit of 2048 MiB (memoryLimitMiB)');
    expect(e.details).toEqual({ bytes, limitMiB: 2048 });
    expect(exitCodeFor(e.code)).toBe(4);
  });
});
