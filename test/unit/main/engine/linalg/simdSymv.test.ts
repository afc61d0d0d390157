import { describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { createSimdSymmetricMatvec, createSimdSymvWorkspace } from '../../../../../src/main/engine/linalg/simdSymv';
import { SYMV_MAX_PAGES, symvKernel } from '../../../../../src/main/engine/linalg/symvRows';
import { householderTridiagonalBlocked } from '../../../../../src/main/engine/linalg/householderTridiagonal';

/** Sums of n products in another order: agreement to n·ε relative to Σ|terms|. */
const REL = 4e-16;

describe('createSimdSymvWorkspace()', () => {
  it('adds S v over the trailing block from the upper triangle only, as the naive loop does, for any r0 and order', () => {
    const r = lcg(3);
    for (const n of [1, 4, 9, 30, 67]) {
      const ws = createSimdSymvWorkspace(n);
      for (const r0 of new Set([0, 1, Math.floor(n / 2), n - 1])) {
        for (let i = 0; i < n * n; i++) ws.a[i] = r();
        const vRow = (n - 1) * n;
        const y0 = Float64Array.from({ length: n }, r);
        ws.y.set(y0);
        ws.symvUpper(r0, vRow);
        for (let row = 0; row < n; row++) {
          let want = y0[row]!;
          let mag = Math.abs(want);
          if (row >= r0) {
            for (let c = r0; c < n; c++) {
              const s = row <= c ? ws.a[row * n + c]! : ws.a[c * n + row]!;
              const t = s * ws.a[vRow + c]!;
              want += t;
              mag += Math.abs(t);
            }
          }
          expect(Math.abs(ws.y[row]! - want)).toBeLessThanOrEqual(REL * (n + 1) * mag);
        }
      }
      ws.release();
    }
  });

  it('rejects bad arguments by name, keeps its matrix while another workspace exists, and throws after release()', () => {
    expect(() => createSimdSymvWorkspace(-1)).toThrow(/n must be a non-negative integer, got -1/);
    const ws = createSimdSymvWorkspace(5);
    expect(() => ws.symvUpper(0, 7)).toThrow(/r0 = 0, vRow = 7 do not fit a of shape \[5, 5\]/);
    ws.a.fill(1);
    // A second workspace (a reduction inside a Lanczos solve) owns a memory of its own.
    const other = createSimdSymvWorkspace(5);
    other.a.fill(2);
    ws.symvUpper(0, 20);
    expect(Array.from(ws.y)).toEqual([5, 5, 5, 5, 5]);
    other.release();
    ws.release();
    expect(() => ws.symvUpper(0, 0)).toThrow(/simd symv: used after release\(\)/);
  });
});

describe('householderTridiagonalBlocked()', () => {
  it('gives T = Qᵀ A Q with Q rebuilt from the stored reflectors, and keeps the trace (SIMD products, order 157)', () => {
    const r = lcg(11);
    const n = 157;
    const a0 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a0[i * n + j] = a0[j * n + i] = r();
    const a = new Float64Array(a0);
    const d = new Float64Array(n);
    const e = new Float64Array(n);
    const tau = new Float64Array(n);
    householderTridiagonalBlocked(a, n, d, e, undefined, tau);
    // Q = H_0 ⋯ H_{n−2}, H_i = I − τ_i v_i v_iᵀ with v_i = A[i, i+1:] (v_i[i+1] = 1), applied to I from the right.
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    for (let i = 0; i < n - 1; i++) {
      const t = tau[i]!;
      if (t === 0) continue;
      const v = (c: number): number => (c === i + 1 ? 1 : a[i * n + c]!);
      for (let row = 0; row < n; row++) {
        let s = 0;
        for (let c = i + 1; c < n; c++) s += q[row * n + c]! * v(c);
        s *= t;
        for (let c = i + 1; c < n; c++) q[row * n + c] = q[row * n + c]! - s * v(c);
      }
    }
    // Qᵀ A Q against tridiag(e, d, e): ‖A‖₂ ≤ n/2 for entries in [−½, ½], and the reduction is backward
    // stable, so the entries agree to O(n ε ‖A‖).
    const aq = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let p = 0; p < n; p++) {
        const aip = a0[i * n + p]!;
        for (let j = 0; j < n; j++) aq[i * n + j] = aq[i * n + j]! + aip * q[p * n + j]!;
      }
    const tol = 1e-12 * n;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0; p < n; p++) t += q[p * n + i]! * aq[p * n + j]!;
        const want = i === j ? d[i]! : i === j + 1 ? e[i]! : j === i + 1 ? e[j]! : 0;
        worst = Math.max(worst, Math.abs(t - want));
      }
    }
    expect(worst).toBeLessThanOrEqual(tol);
    let trace = 0;
    let sumD = 0;
    for (let i = 0; i < n; i++) {
      trace += a0[i * n + i]!;
      sumD += d[i]!;
    }
    expect(Math.abs(sumD - trace)).toBeLessThanOrEqual(tol);
  });
});

describe('the symv kernel', () => {
  it('computes a hand example on a shared memory, as helper threads run it', () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: SYMV_MAX_PAGES, shared: true });
    const kernel = symvKernel(mem);
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
      for (let rep = 0; rep < 2; rep++) {
        const x = Float64Array.from({ length: n }, r);
        const y = Float64Array.from({ length: n }, r);
        mv.apply(x, y);
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
      mv.release();
    }
  });

  it('survives a Householder reduction in between (separate memory), rejects bad shapes, throws after release()', () => {
    const a = Float64Array.of(2, 1, 1, 3);
    const mv = createSimdSymmetricMatvec(a, 2);
    const reduction = createSimdSymvWorkspace(4);
    reduction.a.fill(9);
    const y = new Float64Array(2);
    mv.apply(Float64Array.of(1, -1), y);
    expect(Array.from(y)).toEqual([1, -2]);
    expect(() => mv.apply(new Float64Array(3), y)).toThrow(/x, y have shapes \[3\], \[2\], expected \[2\]/);
    expect(() => createSimdSymmetricMatvec(new Float64Array(3), 2)).toThrow(/a has 3 entries, expected 4 for shape \[2, 2\]/);
    reduction.release();
    mv.release();
    expect(() => mv.apply(Float64Array.of(1, 1), y)).toThrow(/simd symv: used after release\(\)/);
  });
});
