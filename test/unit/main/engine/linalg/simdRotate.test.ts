import { describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { createSimdRowRotator } from '../../../../../src/main/engine/linalg/simdRotate';
import { tridiagonalQl } from '../../../../../src/main/engine/linalg/tridiagonalQl';

/** The scalar formula: rows i and i+1 of z [·, n] ← (c·x − s·y, s·x + c·y). */
function rotateRows(z: Float64Array, n: number, i: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const x = z[i * n + k]!;
    const y = z[(i + 1) * n + k]!;
    z[i * n + k] = c * x - s * y;
    z[(i + 1) * n + k] = s * x + c * y;
  }
}

describe('createSimdRowRotator()', () => {
  it('rotates adjacent rows exactly as the scalar formula, for even and odd row lengths', () => {
    const r = lcg(3);
    for (const n of [1, 2, 7, 64, 65]) {
      const rows = 4;
      const z = Float64Array.from({ length: rows * n }, r);
      const ref = Float64Array.from(z);
      const rot = createSimdRowRotator(z, rows, n);
      const steps: Array<[number, number]> = [
        [0, 0.3],
        [2, -1.1],
        [1, 2.5],
      ];
      for (const [i, angle] of steps) {
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        rot.rotate(i, c, s);
        rotateRows(ref, n, i, c, s);
      }
      expect(() => rot.rotate(3, 1, 0)).toThrow(/rows 3, 4 outside \[0, 4\)/);
      rot.finish();
      for (let k = 0; k < z.length; k++) expect(Math.abs(z[k]! - ref[k]!)).toBeLessThan(1e-15);
      // finish() hands the kernel back.
      expect(() => rot.rotate(0, 1, 0)).toThrow(/simd rotator: used after release\(\)/);
    }
  });

  it('applies a long sequence in batches of column blocks bit for bit as one rotation at a time (more than a batch, odd and even widths)', () => {
    const r = lcg(5);
    for (const [rows, n] of [
      [6, 129],
      [9, 300],
    ] as const) {
      const z = Float64Array.from({ length: rows * n }, r);
      const ref = Float64Array.from(z);
      const rot = createSimdRowRotator(z, rows, n);
      for (let t = 0; t < 10000; t++) {
        const i = Math.floor((r() + 0.5) * (rows - 1));
        const angle = 6 * r();
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        rot.rotate(i, c, s);
        rotateRows(ref, n, i, c, s);
      }
      rot.finish();
      expect(Array.from(z)).toEqual(Array.from(ref));
    }
  });

  it('makes tridiagonalQl accumulate orthonormal eigenvectors of T and leaves its eigenvalues bit for bit (n = 63 in TypeScript; 101, 128 in SIMD)', () => {
    const r = lcg(11);
    for (const n of [63, 101, 128]) {
      const d0 = Float64Array.from({ length: n }, r);
      const e0 = Float64Array.from({ length: n }, r);
      const d = Float64Array.from(d0);
      const z = new Float64Array(n * n);
      for (let i = 0; i < n; i++) z[i * n + i] = 1;
      tridiagonalQl(d, Float64Array.from(e0), z);
      // The rotations never feed back into d: the values-only run gives the same bits.
      const values = Float64Array.from(d0);
      tridiagonalQl(values, Float64Array.from(e0));
      expect(Array.from(d)).toEqual(Array.from(values));
      // Rows of Zᵀ are eigenvectors of T: T z_j = d_j z_j, for every j ...
      let res = 0;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          let t = d0[i]! * z[j * n + i]!;
          if (i > 0) t += e0[i]! * z[j * n + i - 1]!;
          if (i + 1 < n) t += e0[i + 1]! * z[j * n + i + 1]!;
          res = Math.max(res, Math.abs(t - d[j]! * z[j * n + i]!));
        }
      }
      expect(res).toBeLessThan(1e-12);
      // ... and orthonormal: Z Zᵀ = I.
      let orth = 0;
      for (let a = 0; a < n; a++) {
        for (let b = a; b < n; b++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += z[a * n + i]! * z[b * n + i]!;
          orth = Math.max(orth, Math.abs(s - (a === b ? 1 : 0)));
        }
      }
      expect(orth).toBeLessThan(1e-12);
    }
  });
});
