import { afterEach, describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { createSimdSymmetricMatvec, createSimdSymvWorkspace, moduleBytes } from '../../../../../src/main/engine/linalg/simdSymv';
import { setSimdKernels } from '../../../../../src/main/engine/linalg/simdGemm';
import { householderTridiagonalBlocked } from '../../../../../src/main/engine/linalg/householderTridiagonal';

/** Sums of n products in another order: agreement to n·ε relative to Σ|terms|. */
const REL = 4e-16;

afterEach(() => {
  setSimdKernels(true);
});

describe('createSimdSymvWorkspace()', () => {
  it('adds S v over the trailing block from the upper triangle only, as the naive loop does, for any r0 and order', () => {
    const r = lcg(3);
    for (const n of [1, 4, 9, 30, 67]) {
      const ws = createSimdSymvWorkspace(n);
      // Node 20 has WebAssembly SIMD; null here would mean the hand-assembled module failed to validate.
      expect(ws).not.toBeNull();
      for (const r0 of new Set([0, 1, Math.floor(n / 2), n - 1])) {
        for (let i = 0; i < n * n; i++) ws!.a[i] = r();
        const vRow = (n - 1) * n;
        const y0 = Float64Array.from({ length: n }, r);
        ws!.y.set(y0);
        ws!.symvUpper(r0, vRow);
        for (let row = 0; row < n; row++) {
          let want = y0[row]!;
          let mag = Math.abs(want);
          if (row >= r0) {
            for (let c = r0; c < n; c++) {
              const s = row <= c ? ws!.a[row * n + c]! : ws!.a[c * n + row]!;
              const t = s * ws!.a[vRow + c]!;
              want += t;
              mag += Math.abs(t);
            }
          }
          expect(Math.abs(ws!.y[row]! - want)).toBeLessThanOrEqual(REL * (n + 1) * mag);
        }
      }
    }
  });

  it('rejects bad arguments and stale workspaces by name, and returns null with the SIMD kernels off', () => {
    expect(() => createSimdSymvWorkspace(-1)).toThrow(/n must be a non-negative integer, got -1/);
    const ws = createSimdSymvWorkspace(5)!;
    expect(() => ws.symvUpper(0, 7)).toThrow(/r0 = 0, vRow = 7 do not fit a of shape \[5, 5\]/);
    createSimdSymvWorkspace(3);
    expect(() => ws.symvUpper(0, 0)).toThrow(/later createSimdSymvWorkspace or createSimdSymmetricMatvec call/);
    setSimdKernels(false);
    expect(createSimdSymvWorkspace(3)).toBeNull();
  });
});

describe('householderTridiagonalBlocked()', () => {
  it('gives the same tridiagonal form and reflectors (to round-off) on the SIMD and TypeScript kernels', () => {
    const r = lcg(11);
    const n = 157;
    const a0 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a0[i * n + j] = a0[j * n + i] = r();
    const run = (on: boolean): [Float64Array, Float64Array, Float64Array, Float64Array] => {
      setSimdKernels(on);
      const a = new Float64Array(a0);
      const d = new Float64Array(n);
      const e = new Float64Array(n);
      const tau = new Float64Array(n);
      householderTridiagonalBlocked(a, n, d, e, undefined, tau);
      return [a, d, e, tau];
    };
    const simd = run(true);
    const plain = run(false);
    // ‖A‖₂ ≤ n/2 for entries in [−½, ½]; both reductions are backward stable, so T agrees to O(n ε ‖A‖).
    const tol = 1e-12 * n;
    for (let part = 0; part < 4; part++) {
      const x = simd[part]!;
      const y = plain[part]!;
      for (let i = 0; i < x.length; i++) {
        // Only the upper triangle and the stored reflectors are defined outputs of the matrix.
        if (part === 0 && i % n < Math.floor(i / n)) continue;
        expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(tol);
      }
    }
    let trace = 0;
    let sumD = 0;
    for (let i = 0; i < n; i++) {
      trace += a0[i * n + i]!;
      sumD += simd[1][i]!;
    }
    expect(Math.abs(sumD - trace)).toBeLessThanOrEqual(tol);
  });
});

describe('the symv module', () => {
  it('runs its kernel on a plain memory too (the fallback where shared memories are not available)', () => {
    for (const shared of [true, false]) expect(WebAssembly.validate(moduleBytes(shared))).toBe(true);
    const mem = new WebAssembly.Memory({ initial: 1 });
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(false)), { env: { mem } }).exports.symv4 as (
      ...args: number[]
    ) => void;
    // rows A_r = [r+1, r+2] (r < 4) at byte 0 with ld = 16; v = [1, 2] at byte 128, y = 0 at byte 144, out at 160
    const f = new Float64Array(mem.buffer);
    for (let r = 0; r < 4; r++) f.set([r + 1, r + 2], 2 * r);
    f.set([1, 2], 16);
    kernel(0, 16, 128, 144, 2, 160, 1, 10, 100, 1000);
    // y[c] = Σ_r A_r[c]·v_r; the two lanes of row r's dot with v sum to (r+1)·1 + (r+2)·2
    expect(Array.from(f.subarray(18, 20))).toEqual([1 + 20 + 300 + 4000, 2 + 30 + 400 + 5000]);
    for (let r = 0; r < 4; r++) expect(f[20 + 2 * r]! + f[21 + 2 * r]!).toBe(r + 1 + 2 * (r + 2));
  });
});

describe('createSimdSymmetricMatvec()', () => {
  it('computes A x from the upper triangle as the naive full product does, reusable, for orders mod 4 = 0..3', () => {
    const r = lcg(29);
    for (const n of [1, 2, 3, 8, 41, 130]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r();
      const mv = createSimdSymmetricMatvec(a, n);
      // Node 20 has WebAssembly SIMD; null here would mean the hand-assembled module failed to validate.
      expect(mv).not.toBeNull();
      for (let rep = 0; rep < 2; rep++) {
        const x = Float64Array.from({ length: n }, r);
        const y = Float64Array.from({ length: n }, r);
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

  it('survives a Householder reduction in between (separate memory), rejects bad shapes, throws when stale', () => {
    const a = Float64Array.of(2, 1, 1, 3);
    const mv = createSimdSymmetricMatvec(a, 2)!;
    createSimdSymvWorkspace(4);
    const y = new Float64Array(2);
    mv(Float64Array.of(1, -1), y);
    expect(Array.from(y)).toEqual([1, -2]);
    expect(() => mv(new Float64Array(3), y)).toThrow(/x, y have shapes \[3\], \[2\], expected \[2\]/);
    expect(() => createSimdSymmetricMatvec(new Float64Array(3), 2)).toThrow(/a has 3 entries, expected 4 for shape \[2, 2\]/);
    createSimdSymmetricMatvec(a, 2);
    expect(() => mv(Float64Array.of(1, 1), y)).toThrow(/later createSimdSymvWorkspace or createSimdSymmetricMatvec call/);
  });
});
