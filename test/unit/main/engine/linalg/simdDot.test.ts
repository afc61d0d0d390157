import { describe, expect, it } from 'vitest';
import { createSimdMatvec } from '../../../../../src/main/engine/linalg/simdDot';

/** Row dot products summed in another order: agreement to n·ε relative to Σ|a||x|. */
const REL = 1e-15;

describe('createSimdMatvec()', () => {
  it('computes A x as the naive loop does, for orders that are and are not multiples of 4, reusable and rebuildable', () => {
    let s = 4242;
    const r = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296 - 0.5;
    };
    for (const n of [1, 5, 8, 131]) {
      const a = Float64Array.from({ length: n * n }, r);
      const mv = createSimdMatvec(a, n);
      // Node 20 has WebAssembly SIMD; null here would mean the hand-assembled module failed to validate.
      expect(mv).not.toBeNull();
      for (let rep = 0; rep < 2; rep++) {
        const x = Float64Array.from({ length: n }, r);
        const y = new Float64Array(n);
        mv!(x, y);
        for (let i = 0; i < n; i++) {
          let want = 0;
          let mag = 0;
          for (let j = 0; j < n; j++) {
            want += a[i * n + j]! * x[j]!;
            mag += Math.abs(a[i * n + j]! * x[j]!);
          }
          expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(REL * n * mag);
        }
      }
    }
  });

  it('gives a hand example exactly and rejects bad shapes by name', () => {
    const mv = createSimdMatvec(Float64Array.of(1, 2, 3, 4), 2)!;
    const y = new Float64Array(2);
    mv(Float64Array.of(5, 6), y);
    expect(Array.from(y)).toEqual([17, 39]);
    expect(() => mv(new Float64Array(3), y)).toThrow(/x, y have shapes \[3\], \[2\], expected \[2\]/);
    expect(() => createSimdMatvec(new Float64Array(5), 2)).toThrow(/a has 5 entries, expected 4 for shape \[2, 2\]/);
  });
});
