import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import { WorkbenchException } from '../../../../../src/shared/api/result';

const EPS = 2 ** -52;
/** Backward-stable solvers: |λ̂ − λ| ≤ c·n·ε·‖A‖₂; c = 10 leaves room for QL's rotations. */
const abs = (n: number, norm: number): number => 10 * n * EPS * norm;

/** Small seeded generator (LCG + Box–Muller) so the test needs nothing beyond the solver. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Orthogonal Q [n, n] from QR (twice modified Gram–Schmidt) of a seeded Gaussian matrix. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const c = Float64Array.from({ length: n }, g);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += q[k]! * c[k]!;
        for (let k = 0; k < n; k++) c[k]! -= dot * q[k]!;
      }
    }
    const norm = Math.hypot(...c);
    for (let k = 0; k < n; k++) c[k]! /= norm;
    cols.push(c);
  }
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) q[k * n + j] = cols[j]![k]!;
  return q;
}

/** Q diag(lambda) Qᵀ, exactly symmetric. */
function similarity(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const q = randomOrthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k]! * lambda[k]! * q[j * n + k]!;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return a;
}

function tridiagonal(diag: number[], off: number[]): Float64Array {
  const n = diag.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = diag[i]!;
  for (let i = 0; i + 1 < n; i++) {
    a[i * n + i + 1] = off[i]!;
    a[(i + 1) * n + i] = off[i]!;
  }
  return a;
}

/** Independent reference: k-th smallest eigenvalue of a tridiagonal matrix by Sturm-count bisection. */
function sturmEigenvalue(diag: number[], off: number[], k: number): number {
  const count = (x: number): number => {
    let c = 0;
    let q = 1;
    for (let i = 0; i < diag.length; i++) {
      q = diag[i]! - x - (i > 0 ? off[i - 1]! ** 2 / q : 0);
      if (q === 0) q = -1e-300;
      if (q < 0) c++;
    }
    return c;
  };
  let lo = -1e3;
  let hi = 1e3;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (count(mid) > k) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

function sorted(values: number[]): number[] {
  return [...values].sort((x, y) => x - y);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('symmetricEigen()', () => {
  it('returns the diagonal of a diagonal matrix exactly, ascending, with identity-permutation vectors', () => {
    const diag = [3, -1, 2, 0.5, 7];
    const n = diag.length;
    const a = tridiagonal(diag, [0, 0, 0, 0]);
    const r = symmetricEigen(a, n, { vectors: true });
    expect(Array.from(r.values)).toEqual(sorted(diag));
    for (let j = 0; j < n; j++) {
      const src = diag.indexOf(r.values[j]!);
      for (let k = 0; k < n; k++) expect(Math.abs(r.vectors![k * n + j]!)).toBe(k === src ? 1 : 0);
    }
  });

  it('resolves the nearly degenerate top pair of Wilkinson W21+ and agrees with Sturm bisection', () => {
    const diag = Array.from({ length: 21 }, (_, i) => Math.abs(10 - i));
    const off = new Array<number>(20).fill(1);
    const r = symmetricEigen(tridiagonal(diag, off), 21);
    // Published values (Wilkinson 1965): the top pair differs only in the 14th digit.
    expect(Math.abs(r.values[20]! - 10.746194182903393)).toBeLessThan(abs(21, 11));
    expect(Math.abs(r.values[19]! - 10.746194182903322)).toBeLessThan(abs(21, 11));
    for (let k = 0; k < 21; k++) {
      expect(Math.abs(r.values[k]! - sturmEigenvalue(diag, off, k))).toBeLessThan(abs(21, 11));
    }
  });

  it('matches the closed form a + 2b·cos(kπ/(n+1)) of a clustered Toeplitz tridiagonal', () => {
    const n = 200;
    const a0 = 1;
    const b = 1e-7;
    const r = symmetricEigen(tridiagonal(new Array<number>(n).fill(a0), new Array<number>(n - 1).fill(b)), n, {
      vectors: true,
    });
    const exact = sorted(Array.from({ length: n }, (_, k) => a0 + 2 * b * Math.cos(((k + 1) * Math.PI) / (n + 1))));
    expect(maxAbsDiff(r.values, exact)).toBeLessThan(abs(n, 1));
    expect(r.diagnostics.orthogonalityError!).toBeLessThan(abs(n, 1));
    expect(r.diagnostics.maxResidual!).toBeLessThan(abs(n, 1));
  });

  it('recovers known spectra of random orthogonal similarity transforms Q D Qᵀ with small residuals', () => {
    const n = 120;
    const g = gaussian(7);
    const lambda = Array.from({ length: n }, () => 5 * g());
    const a = similarity(lambda, 11);
    const copy = new Float64Array(a);
    const r = symmetricEigen(a, n, { vectors: true });
    const norm = Math.max(...lambda.map(Math.abs));
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, norm));
    expect(r.diagnostics.maxResidual!).toBeLessThan(abs(n, norm));
    expect(r.diagnostics.orthogonalityError!).toBeLessThan(abs(n, 1));
    expect(r.diagnostics.conditionNumber).toBeNull();
    expect(r.diagnostics.conditionNote).toMatch(/indefinite/);
    expect(r.diagnostics.negativeCount).toBe(lambda.filter((x) => x < 0).length);
    expect(a).toEqual(copy);
    const valuesOnly = symmetricEigen(a, n);
    expect(valuesOnly.vectors).toBeUndefined();
    expect(maxAbsDiff(valuesOnly.values, r.values)).toBeLessThan(abs(n, norm));
  });

  it('gives eigenvectors from the blocked reduction (ragged order 131) whose residuals and orthogonality check out independently', () => {
    const n = 131; // past the blocking threshold, not a multiple of the panel or of the 4-row accumulation
    const g = gaussian(13);
    const lambda = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 2 : 1 + g()));
    const a = similarity(lambda, 17);
    const r = symmetricEigen(a, n, { vectors: true });
    const norm = Math.max(...lambda.map(Math.abs));
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, norm));
    const v = r.vectors!;
    let worstRes = 0;
    let worstOrth = 0;
    for (let j = 0; j < n; j++) {
      let r2 = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * v[k * n + j]!;
        r2 += (s - r.values[j]! * v[i * n + j]!) ** 2;
      }
      worstRes = Math.max(worstRes, Math.sqrt(r2));
      for (let q = 0; q <= j; q++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += v[k * n + q]! * v[k * n + j]!;
        worstOrth = Math.max(worstOrth, Math.abs(s - (q === j ? 1 : 0)));
      }
    }
    expect(worstRes).toBeLessThan(abs(n, norm));
    expect(worstOrth).toBeLessThan(abs(n, 1));
    // The reported diagnostics (blocked products) agree with the naive loops above.
    expect(Math.abs(r.diagnostics.maxResidual! - worstRes)).toBeLessThan(abs(n, norm));
    expect(Math.abs(r.diagnostics.orthogonalityError! - worstOrth)).toBeLessThan(abs(n, 1));
  });

  it('gets the same known spectrum from the blocked values-only path at an order that is not a multiple of the panel', () => {
    const n = 203;
    const g = gaussian(21);
    const lambda = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.abs(g()) * 3));
    const a = similarity(lambda, 17);
    const before = a.slice();
    const r = symmetricEigen(a, n);
    const norm = Math.max(...lambda);
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, norm));
    expect(r.diagnostics.negativeCount).toBe(0);
    expect(r.diagnostics.conditionNote).toBe('infinite: singular');
    // a symmetric input is read in place, never written
    expect(r.diagnostics.asymmetry).toBe(0);
    expect(a).toEqual(before);
  });

  it('leaves a blocked-size input as it was, symmetric or not, with and without vectors', () => {
    const n = 150;
    const lambda = Array.from({ length: n }, (_, i) => 1 + i / 10);
    const s = similarity(lambda, 29);
    const g = gaussian(31);
    // A = S + K with K skew-symmetric: the symmetric part is S, whose spectrum is known
    const a = s.slice();
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const k = 1e-3 * g();
        a[i * n + j]! += k;
        a[j * n + i]! -= k;
      }
    }
    for (const input of [s, a]) {
      const before = input.slice();
      for (const vectors of [false, true]) {
        const r = symmetricEigen(input, n, { vectors });
        expect(maxAbsDiff(r.values, lambda)).toBeLessThan(abs(n, 16));
        expect(input).toEqual(before);
      }
    }
    expect(symmetricEigen(a, n).diagnostics.asymmetry).toBeGreaterThan(0);
  });

  it('gives orthonormal eigenvectors inside exactly repeated eigenvalues', () => {
    const lambda = [1, 1, 1, 1, 2, 2, 2, 5, 5, -3, -3, -3, 0.25];
    const n = lambda.length;
    const r = symmetricEigen(similarity(lambda, 3), n, { vectors: true });
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, 5));
    expect(r.diagnostics.orthogonalityError!).toBeLessThan(abs(n, 1));
    expect(r.diagnostics.maxResidual!).toBeLessThan(abs(n, 5));
  });

  it('reports a rank-deficient PSD matrix as singular (condition null, no negatives beyond round-off)', () => {
    const n = 60;
    const rank = 25;
    const lambda = Array.from({ length: n }, (_, i) => (i < rank ? 1 + i : 0));
    const r = symmetricEigen(similarity(lambda, 5), n);
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, rank));
    expect(r.diagnostics.negativeCount).toBe(0);
    expect(r.diagnostics.conditionNumber).toBeNull();
    expect(r.diagnostics.conditionNote).toBe('infinite: singular');
  });

  it('handles a graded spectrum 1 … 1e-12: exact on the diagonal, within ε‖A‖ after a similarity', () => {
    const n = 40;
    const lambda = Array.from({ length: n }, (_, i) => 10 ** ((-12 * i) / (n - 1)));
    const diag = symmetricEigen(tridiagonal(lambda, new Array<number>(n - 1).fill(0)), n);
    expect(Array.from(diag.values)).toEqual(sorted(lambda));
    expect(diag.diagnostics.conditionNumber! / 1e12).toBeCloseTo(1, 10);
    const r = symmetricEigen(similarity(lambda, 9), n, { vectors: true });
    expect(maxAbsDiff(r.values, sorted(lambda))).toBeLessThan(abs(n, 1));
    expect(r.diagnostics.orthogonalityError!).toBeLessThan(abs(n, 1));
  });

  it('symmetrizes a non-symmetric input and reports the relative asymmetry', () => {
    const a = new Float64Array([2, 1, 3, 2]);
    const r = symmetricEigen(a, 2);
    // (A + Aᵀ)/2 = [[2, 2], [2, 2]] has eigenvalues 0 and 4; ‖A − Aᵀ‖_F/‖A‖_F = √8/√18.
    expect(maxAbsDiff(r.values, [0, 4])).toBeLessThan(abs(2, 4));
    expect(r.diagnostics.asymmetry).toBeCloseTo(Math.sqrt(8 / 18), 14);
    expect(Array.from(a)).toEqual([2, 1, 3, 2]);
  });

  it('rejects a wrong shape naming the argument and both shapes', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/a has 5 entries, expected 4 for shape \[2, 2\]/);
  });

  it('refuses non-finite input as invalid data instead of returning NaN eigenvalues', () => {
    const a = new Float64Array([1, 0, 0, Number.NaN]);
    expect(() => symmetricEigen(a, 2)).toThrow(expect.objectContaining({ code: 'invalid-data' }));
  });

  it('stops a long solve when the cancellation flag is raised', () => {
    const n = 300;
    const a = similarity(
      Array.from({ length: n }, (_, i) => i),
      13,
    );
    let reads = 0;
    const signal = {
      get aborted(): boolean {
        return ++reads > 20;
      },
    };
    let caught: unknown;
    try {
      symmetricEigen(a, n, { vectors: true, signal });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkbenchException);
    expect((caught as WorkbenchException).code).toBe('cancelled');
    expect(reads).toBe(21);
  });
});
