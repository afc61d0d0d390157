import { describe, expect, it } from 'vitest';
import { extremeEigen } from '../../../../../src/main/engine/linalg/extremeEigen';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import { WorkbenchException } from '../../../../../src/shared/api/result';

/** Relative eigenvalue agreement with the full solver: both are backward stable, tol = 1e-10 residuals. */
const REL = 1e-9;

/** Small seeded generator (LCG + Box–Muller) so the test needs nothing beyond the solvers. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** ReLU feature Gram K = relu(W X)ᵀ relu(W X)/m for X [d, n], W [m, d] Gaussian: a PSD kernel, full rank for m ≫ n. */
function reluGram(n: number, d: number, m: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const x = Float64Array.from({ length: d * n }, g);
  const w = Float64Array.from({ length: m * d }, g);
  const a = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let p = 0; p < d; p++) z += w[r * d + p]! * x[p * n + i]!;
      a[r * n + i] = Math.max(z, 0);
    }
  }
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let z = 0;
      for (let r = 0; r < m; r++) z += a[r * n + i]! * a[r * n + j]!;
      k[i * n + j] = z / m;
      k[j * n + i] = z / m;
    }
  }
  return k;
}

function matvecOf(a: Float64Array, n: number): (x: Float64Array, y: Float64Array) => void {
  return (x, y) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j]!;
      y[i] = s;
    }
  };
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!));
  return m;
}

const N = 140;
const K = reluGram(N, 8, 600, 1);
const FULL = symmetricEigen(K, N).values;
const TOP5 = Array.from(FULL).reverse().slice(0, 5);
const BOTTOM5 = Array.from(FULL).slice(0, 5);

describe('extremeEigen()', () => {
  it('finds the 5 largest eigenvalues of a ReLU kernel, descending, as the full solver does', () => {
    const r = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'largest' });
    expect(r.diagnostics.method).toBe('lanczos');
    expect(r.diagnostics.converged).toBe(true);
    expect(maxRelErr(r.values, TOP5)).toBeLessThan(REL);
    for (let j = 0; j < 5; j++) {
      expect(r.diagnostics.residuals[j]!).toBeLessThan(1e-8 * TOP5[0]!);
      expect(Math.hypot(...r.vectors[j]!)).toBeCloseTo(1, 12);
    }
  });

  it('finds the 5 smallest by shift-invert Cholesky, ascending, to relative accuracy 1e-9', () => {
    const r = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest' });
    expect(r.diagnostics.method).toBe('shift-invert-cholesky');
    expect(maxRelErr(r.values, BOTTOM5)).toBeLessThan(REL);
    expect(r.diagnostics.negativeCount).toBe(0);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let p = 0; p < N; p++) dot += r.vectors[i]![p]! * r.vectors[j]![p]!;
        expect(Math.abs(dot)).toBeLessThan(1e-8);
      }
    }
  });

  it('gives the same answer matrix-free as from the dense matrix', () => {
    const op = { n: N, matvec: matvecOf(K, N) };
    const top = extremeEigen(op, { k: 3, which: 'largest' });
    expect(maxRelErr(top.values, TOP5.slice(0, 3))).toBeLessThan(REL);
    const bottom = extremeEigen({ n: N, matvec: matvecOf(K, N) }, { k: 2, which: 'smallest', maxIter: 4000 });
    expect(bottom.diagnostics.method).toBe('lanczos-negated');
    const dense = extremeEigen({ n: N, matrix: K }, { k: 2, which: 'smallest' });
    expect(maxRelErr(bottom.values, dense.values)).toBeLessThan(REL);
  });

  it('finds the smallest pairs matrix-free by block LOBPCG, plain and Jacobi-preconditioned, as the full solver does', () => {
    const diagonal = Float64Array.from({ length: N }, (_, i) => K[i * N + i]!);
    for (const op of [
      { n: N, matvec: matvecOf(K, N) },
      { n: N, matvec: matvecOf(K, N), diagonal },
    ]) {
      const r = extremeEigen(op, { k: 3, which: 'smallest', matrixFreeSmallest: 'lobpcg', maxIter: 20000 });
      expect(r.diagnostics.method).toBe(op.diagonal === undefined ? 'lobpcg' : 'lobpcg-jacobi');
      expect(maxRelErr(r.values, BOTTOM5.slice(0, 3))).toBeLessThan(REL);
      for (let j = 0; j < 3; j++) {
        expect(r.diagnostics.residuals[j]!).toBeLessThan(1e-8 * TOP5[0]!);
        for (let i = 0; i < j; i++) {
          let d = 0;
          for (let p = 0; p < N; p++) d += r.vectors[i]![p]! * r.vectors[j]![p]!;
          expect(Math.abs(d)).toBeLessThan(1e-8);
        }
      }
    }
    expect(() => extremeEigen({ n: N, matvec: matvecOf(K, N), diagonal: new Float64Array(3) }, { k: 1, which: 'smallest' })).toThrow(
      /op\.diagonal has shape \[3\], expected \[140\]/,
    );
  });

  it('needs fewer operator applications when warm-started from the previous eigenvectors', () => {
    const cold = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'largest' });
    // The kernel one training step later: a small symmetric perturbation.
    const g = gaussian(5);
    const next = new Float64Array(K);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j <= i; j++) {
        const e = 1e-7 * g();
        next[i * N + j]! += e;
        if (j !== i) next[j * N + i]! += e;
      }
    }
    const coldNext = extremeEigen({ n: N, matrix: next }, { k: 5, which: 'largest' });
    const warmNext = extremeEigen({ n: N, matrix: next }, { k: 5, which: 'largest', warmStart: cold.vectors });
    expect(warmNext.diagnostics.iterations).toBeLessThan(coldNext.diagnostics.iterations);
    expect(maxRelErr(warmNext.values, coldNext.values)).toBeLessThan(REL);
    const coldBottom = extremeEigen({ n: N, matrix: next }, { k: 5, which: 'smallest' });
    const warmBottom = extremeEigen(
      { n: N, matrix: next },
      { k: 5, which: 'smallest', warmStart: extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest' }).vectors },
    );
    expect(warmBottom.diagnostics.iterations).toBeLessThan(coldBottom.diagnostics.iterations);
    expect(maxRelErr(warmBottom.values, coldBottom.values)).toBeLessThan(REL);
  });

  it('solves for the smallest shifted below the spectrum in fewer solves; a shift that is not below it changes nothing', () => {
    const plain = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest' });
    const shifted = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest', shift: 0.9 * BOTTOM5[0]! });
    expect(shifted.diagnostics.method).toBe(`shift-invert-cholesky(σ=${(0.9 * BOTTOM5[0]!).toExponential(2)})`);
    expect(maxRelErr(shifted.values, BOTTOM5)).toBeLessThan(REL);
    expect(shifted.diagnostics.iterations).toBeLessThan(plain.diagnostics.iterations);
    for (let j = 0; j < 5; j++) expect(shifted.diagnostics.residuals[j]!).toBeLessThan(1e-8 * TOP5[0]!);
    // Above λ_min (A − σI indefinite: no Cholesky factor), zero or not a number: the plain solve, exactly.
    for (const shift of [1.5 * BOTTOM5[0]!, 3 * BOTTOM5[2]!, 0, Number.NaN]) {
      const r = extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest', shift });
      expect(r.diagnostics.method, String(shift)).toBe('shift-invert-cholesky');
      expect(Array.from(r.values), String(shift)).toEqual(Array.from(plain.values));
    }
  });

  it('keeps the Lanczos basis orthogonal through many restarts on a repeated, clustered top spectrum', () => {
    // Q diag(λ) Qᵀ with Q a product of random Householder reflections: the top eigenvalue 10 three times,
    // then a cluster 9.999, 9.998, and a bulk in (0, 5]: slow convergence, several thick restarts.
    const n = 300;
    const lam = Float64Array.from({ length: n }, (_, i) => (i < 3 ? 10 : i === 3 ? 9.999 : i === 4 ? 9.998 : (5 * (n - i)) / n));
    const g = gaussian(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = lam[i]!;
    for (let r = 0; r < 4; r++) {
      const u = Float64Array.from({ length: n }, g);
      const nu = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
      for (let i = 0; i < n; i++) u[i] = u[i]! / nu;
      // A ← H A H with H = I − 2uuᵀ: A − 2u(Aᵀu)ᵀ − 2(Au)uᵀ + 4(uᵀAu)uuᵀ.
      const au = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) au[i] = au[i]! + a[i * n + j]! * u[j]!;
      const uau = u.reduce((s, x, i) => s + x * au[i]!, 0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) a[i * n + j] = a[i * n + j]! - 2 * u[i]! * au[j]! - 2 * au[i]! * u[j]! + 4 * uau * u[i]! * u[j]!;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
    const r = extremeEigen({ n, matrix: a }, { k: 5, which: 'largest' });
    expect(r.diagnostics.iterations).toBeGreaterThan(60); // the basis (30 vectors) was restarted
    expect(maxRelErr(r.values, [10, 10, 10, 9.999, 9.998])).toBeLessThan(1e-12);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j <= i; j++) {
        const d = r.vectors[i]!.reduce((s, x, p) => s + x * r.vectors[j]![p]!, 0);
        expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      }
      expect(r.diagnostics.residuals[i]!).toBeLessThan(1e-9 * 10);
    }
  });

  it('reports non-convergence with the residuals instead of returning a wrong answer', () => {
    let caught: unknown;
    try {
      extremeEigen({ n: N, matrix: K }, { k: 5, which: 'smallest', maxIter: 4 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkbenchException);
    const ex = caught as WorkbenchException;
    expect(ex.code).toBe('not-converged');
    expect((ex.details?.residuals as number[]).length).toBeGreaterThan(0);
    expect(ex.details?.method).toBe('shift-invert-cholesky');
    expect(ex.details?.iterations).toBeGreaterThanOrEqual(4);
  });

  it('stops when the cancellation flag is raised', () => {
    let reads = 0;
    const signal = {
      get aborted(): boolean {
        return ++reads > 3;
      },
    };
    expect(() => extremeEigen({ n: N, matvec: matvecOf(K, N) }, { k: 2, which: 'smallest', signal })).toThrow(expect.objectContaining({ code: 'cancelled' }));
  });

  it('handles a singular PSD kernel with a shifted factorization and reports it singular', () => {
    const n = 100;
    const rank = 60;
    const g = gaussian(9);
    const b = Float64Array.from({ length: n * rank }, g);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < rank; p++) s += b[i * rank + p]! * b[j * rank + p]!;
        a[i * n + j] = s;
      }
    }
    const r = extremeEigen({ n, matrix: a }, { k: 1, which: 'smallest' });
    const full = symmetricEigen(a, n).values;
    expect(r.diagnostics.method).toMatch(/^shift-invert-cholesky\(σ=-/);
    expect(Math.abs(r.values[0]!)).toBeLessThan(1e-10 * full[n - 1]!);
    expect(r.diagnostics.conditionNumber).toBeNull();
    expect(r.diagnostics.conditionNote).toBe('infinite: singular');
  });

  it('solves small problems densely and rejects bad shapes by name', () => {
    const small = reluGram(20, 4, 100, 3);
    const r = extremeEigen({ n: 20, matrix: small }, { k: 2, which: 'largest' });
    expect(r.diagnostics.method).toBe('dense');
    expect(r.values[0]!).toBeGreaterThanOrEqual(r.values[1]!);
    expect(() => extremeEigen({ n: 20, matrix: new Float64Array(10) }, { k: 1, which: 'largest' })).toThrow(
      /op\.matrix has 10 entries, expected 400 for shape \[20, 20\]/,
    );
    expect(() => extremeEigen({ n: 20, matrix: small }, { k: 1, which: 'largest', warmStart: [new Float64Array(3)] })).toThrow(
      /warmStart\[0\] has shape \[3\], expected \[20\]/,
    );
  });
});
