import { afterEach, describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { createSimdRowRotator } from '../../../../../src/main/engine/linalg/simdRotate';
import { setSimdKernels } from '../../../../../src/main/engine/linalg/simdGemm';
import { tridiagonalQl } from '../../../../../src/main/engine/linalg/tridiagonalQl';

afterEach(() => {
  setSimdKernels(true);
});

describe('createSimdRowRotator()', () => {
  it('rotates adjacent rows exactly as the scalar formula, for even and odd row lengths', () => {
    const r = lcg(3);
    for (const n of [1, 2, 7, 64, 65]) {
      const rows = 4;
      const z = Float64Array.from({ length: rows * n }, r);
      const ref = Float64Array.from(z);
      const rot = createSimdRowRotator(z, rows, n)!;
      expect(rot).not.toBeNull();
      const steps: Array<[number, number]> = [[0, 0.3], [2, -1.1], [1, 2.5]];
      for (const [i, angle] of steps) {
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        rot.rotate(i, c, s);
        for (let k = 0; k < n; k++) {
          const x = ref[i * n + k]!;
          const y = ref[(i + 1) * n + k]!;
          ref[i * n + k] = c * x - s * y;
          ref[(i + 1) * n + k] = s * x + c * y;
        }
      }
      rot.finish();
      for (let k = 0; k < z.length; k++) expect(Math.abs(z[k]! - ref[k]!)).toBeLessThan(1e-15);
      expect(() => rot.rotate(3, 1, 0)).toThrow(/rows 3, 4 outside \[0, 4\)/);
    }
  });

  it('makes tridiagonalQl accumulate the same eigenvectors as its TypeScript loop (n = 101, 128)', () => {
    const r = lcg(11);
    for (const n of [101, 128]) {
      const d0 = Float64Array.from({ length: n }, r);
      const e0 = Float64Array.from({ length: n }, r);
      const run = (simd: boolean): { d: Float64Array; z: Float64Array } => {
        setSimdKernels(simd);
        const d = Float64Array.from(d0);
        const e = Float64Array.from(e0);
        const z = new Float64Array(n * n);
        for (let i = 0; i < n; i++) z[i * n + i] = 1;
        tridiagonalQl(d, e, z, undefined, true);
        return { d, z };
      };
      const a = run(true);
      const b = run(false);
      for (let i = 0; i < n; i++) expect(Math.abs(a.d[i]! - b.d[i]!)).toBeLessThan(1e-13);
      let worst = 0;
      for (let k = 0; k < n * n; k++) worst = Math.max(worst, Math.abs(a.z[k]! - b.z[k]!));
      expect(worst).toBeLessThan(1e-12);
      // Rows of Zᵀ are eigenvectors of T: T z_j = d_j z_j.
      const j = 17;
      let res = 0;
      for (let i = 0; i < n; i++) {
        let t = d0[i]! * a.z[j * n + i]!;
        if (i > 0) t += e0[i]! * a.z[j * n + i - 1]!;
        if (i + 1 < n) t += e0[i + 1]! * a.z[j * n + i + 1]!;
        res = Math.max(res, Math.abs(t - a.d[j]! * a.z[j * n + i]!));
      }
      expect(res).toBeLessThan(1e-12);
    }
  });

  it('returns null when SIMD kernels are switched off', () => {
    setSimdKernels(false);
    expect(createSimdRowRotator(new Float64Array(4), 2, 2)).toBeNull();
  });
});
