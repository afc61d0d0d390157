import { describe, expect, it } from 'vitest';
import { lcg } from './lcg';
import { createSimdBasis, createSimdCholeskySolve, createSimdRowWorkspace } from '../../../../../src/main/engine/linalg/simdTriangular';
import { choleskyUpperBlocked } from '../../../../../src/main/engine/linalg/cholesky';
import { choleskyUpperSolve } from './reference';

/** Backward-stable solves of a well-conditioned system (κ ≲ 10): residual relative to ‖A‖‖x‖, times n. */
const REL = 1e-15;

/** A = G Gᵀ/n + I for a random G [n, n]: symmetric positive definite with eigenvalues in [1, ~5]. */
function spd(n: number, r: () => number): Float64Array {
  const g = Float64Array.from({ length: n * n }, r);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += g[i * n + p]! * g[j * n + p]!;
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

describe('createSimdCholeskySolve()', () => {
  it('solves Uᵀ U x = b with a small residual and agrees with the TypeScript solve, for orders mod 4 = 0..3', () => {
    const r = lcg(77);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 41, 130, 131]) {
      const a = spd(n, r);
      const u = choleskyUpperBlocked(a, n)!;
      const solver = createSimdCholeskySolve(u, n);
      let normA = 0;
      for (let i = 0; i < n * n; i++) normA = Math.max(normA, Math.abs(a[i]!));
      for (let rep = 0; rep < 2; rep++) {
        const b = Float64Array.from({ length: n }, r);
        const x = new Float64Array(b);
        solver.solve(x);
        const ref = new Float64Array(b);
        choleskyUpperSolve(u, n, ref);
        let xNorm = 0;
        for (let i = 0; i < n; i++) xNorm = Math.max(xNorm, Math.abs(x[i]!));
        for (let i = 0; i < n; i++) {
          let ax = 0;
          for (let j = 0; j < n; j++) ax += a[i * n + j]! * x[j]!;
          expect(Math.abs(ax - b[i]!)).toBeLessThanOrEqual(REL * n * normA * xNorm * 10);
          expect(Math.abs(x[i]! - ref[i]!)).toBeLessThanOrEqual(REL * n * 10 * xNorm);
        }
      }
      solver.release();
    }
  });

  it('solves a hand example, rejects bad shapes by name, keeps its factor while other solvers exist, and throws after release()', () => {
    expect(() => createSimdCholeskySolve(new Float64Array(5), 2)).toThrow(/u has 5 entries, expected 4 for shape \[2, 2\]/);
    const solver = createSimdCholeskySolve(Float64Array.of(2, 1, 0, 3), 2);
    expect(() => solver.solve(new Float64Array(3))).toThrow(/b has shape \[3\], expected \[2\]/);
    const x = Float64Array.of(4, 11);
    // Uᵀ U = [[4, 2], [2, 10]]; by hand 4x₀ + 2x₁ = 4, 2x₀ + 10x₁ = 11 gives x = (0.5, 1).
    solver.solve(x);
    expect(x[0]).toBeCloseTo(0.5, 14);
    expect(x[1]).toBeCloseTo(1, 14);
    // A second solver owns a kernel of its own: the first one's factor is untouched.
    const other = createSimdCholeskySolve(Float64Array.of(1), 1);
    const x2 = Float64Array.of(4, 11);
    solver.solve(x2);
    expect(Array.from(x2)).toEqual(Array.from(x));
    other.release();
    solver.release();
    expect(() => solver.solve(x)).toThrow(/simd Cholesky solve: used after release\(\)/);
  });
});

describe('createSimdRowWorkspace()', () => {
  it('subtracts four scaled rows from a row as the naive loop does, for even and odd lengths', () => {
    const r = lcg(91);
    const ld = 37;
    const ws = createSimdRowWorkspace(6 * ld);
    for (const len of [0, 1, 2, 7, 30, 37]) {
      for (let i = 0; i < 6 * ld; i++) ws.mem[i] = r();
      const before = new Float64Array(ws.mem);
      const z = [r(), r(), r(), r()] as const;
      const y = 5 * ld;
      const u = ld + (ld - len);
      ws.axpy4(y, u, ld, len, ...z);
      for (let i = 0; i < 6 * ld; i++) {
        let want = before[i]!;
        let mag = Math.abs(want);
        const c = i - y;
        if (c >= 0 && c < len) {
          for (let k = 0; k < 4; k++) {
            const t = z[k]! * before[u + k * ld + c]!;
            want -= t;
            mag += Math.abs(t);
          }
        }
        expect(Math.abs(ws.mem[i]! - want)).toBeLessThanOrEqual(5 * 2 ** -52 * mag);
      }
    }
  });

  it('rejects rows outside the store by name, starts zeroed from a reused kernel, and throws after release()', () => {
    const ws = createSimdRowWorkspace(20);
    expect(() => ws.axpy4(15, 0, 5, 6, 1, 1, 1, 1)).toThrow(/rows at 15 and 0 \(stride 5\) of length 6 do not fit 20 entries/);
    ws.mem.fill(7);
    ws.release();
    expect(() => ws.axpy4(0, 0, 1, 1, 1, 1, 1, 1)).toThrow(/simd axpy4: used after release\(\)/);
    // The next owner gets that kernel back, zeroed.
    const next = createSimdRowWorkspace(20);
    expect(next.mem.every((v) => v === 0)).toBe(true);
    next.release();
  });
});

describe('createSimdBasis()', () => {
  it('projects the work vector out of basis rows [from, to) with the dots as coefficients, for odd n and ragged row counts', () => {
    const r = lcg(21);
    for (const n of [7, 64, 131]) {
      const rows = 11;
      const basis = createSimdBasis(rows, n);
      for (let k = 0; k < rows * n; k++) basis.V[k] = r();
      for (const [from, to] of [
        [0, 11],
        [2, 9],
        [5, 6],
        [3, 3],
      ] as const) {
        const x0 = Float64Array.from({ length: n }, r);
        basis.x.set(x0);
        const coef = new Float64Array(rows).fill(Number.NaN);
        basis.projectOut(from, to, coef);
        const want = Float64Array.from(x0);
        for (let p = from; p < to; p++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += basis.V[p * n + i]! * x0[i]!;
          expect(Math.abs(coef[p]! - dot)).toBeLessThan(1e-12 * n);
          for (let i = 0; i < n; i++) want[i] = want[i]! - dot * basis.V[p * n + i]!;
        }
        for (let i = 0; i < n; i++) expect(Math.abs(basis.x[i]! - want[i]!)).toBeLessThan(1e-12 * n);
        if (from > 0) expect(coef[from - 1]).toBeNaN();
      }
      expect(() => basis.projectOut(0, rows + 1, new Float64Array(rows + 1))).toThrow(/rows \[0, 12\) outside \[0, 11\)/);
      basis.release();
    }
    // Two bases alive at once (a Lanczos solve inside another) keep their own rows.
    const first = createSimdBasis(2, 4);
    first.V.set([1, 0, 0, 0]);
    const second = createSimdBasis(2, 4);
    second.V.set([0, 1, 0, 0]);
    first.x.set([3, 4, 5, 6]);
    const coef = new Float64Array(2);
    first.projectOut(0, 1, coef);
    expect(coef[0]).toBe(3);
    expect(Array.from(first.x)).toEqual([0, 4, 5, 6]);
    second.release();
    first.release();
    expect(() => first.projectOut(0, 1, new Float64Array(2))).toThrow(/simd basis: used after release\(\)/);
  });
});
