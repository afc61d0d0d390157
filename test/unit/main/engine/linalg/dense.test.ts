import { describe, expect, it } from 'vitest';
import { columnNorms, frobeniusNorm, gramCols, gramRows, matmul, matmulTransA, transpose } from '../../../../../src/main/engine/linalg/dense';
import { createRng } from '../../../../../src/main/engine/random';

const TOL = 1e-12;

function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

function rand(len: number, seed: number): Float64Array {
  const x = new Float64Array(len);
  createRng(seed).fillNormal(x, 1);
  return x;
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('matmul()', () => {
  it('equals the textbook triple loop and a hand example', () => {
    expect(Array.from(matmul(new Float64Array([1, 2, 3, 4]), new Float64Array([5, 6, 7, 8]), 2, 2, 2))).toEqual([19, 22, 43, 50]);
    const a = rand(5 * 7, 1);
    const b = rand(7 * 3, 2);
    expect(maxDiff(matmul(a, b, 5, 7, 3), naive(a, b, 5, 7, 3))).toBeLessThan(TOL);
  });

  it('checks shapes and names the argument', () => {
    expect(() => matmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).toThrow(/a has 5 entries, expected 6/);
  });
});

describe('matmulTransA() / transpose()', () => {
  it('agree with matmul on explicit transposes', () => {
    const a = rand(4 * 6, 3); // [4, 6]
    const b = rand(4 * 5, 4); // [4, 5]
    expect(maxDiff(matmulTransA(a, b, 4, 6, 5), matmul(transpose(a, 4, 6), b, 6, 4, 5))).toBeLessThan(TOL);
    expect(Array.from(transpose(new Float64Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('takes the blocked path for large products (≥ 2²⁰ multiply–adds) with the same result, also for AᵀA', () => {
    const [k, m, n] = [37, 130, 221]; // odd sizes: ragged 4×4 tiles and a ragged depth panel
    const a = rand(k * m, 7);
    const b = rand(k * n, 8);
    const ref = matmul(transpose(a, k, m), b, m, k, n);
    expect(maxDiff(matmulTransA(a, b, k, m, n), ref)).toBeLessThan(1e-12);
    const g = matmulTransA(b, b, k, n, n); // k·n² ≥ 2²⁰ too
    expect(maxDiff(g, matmul(transpose(b, k, n), b, n, k, n))).toBeLessThan(1e-12);
  });
});

describe('gramCols() / gramRows()', () => {
  it('are XᵀX and XXᵀ, exactly symmetric', () => {
    const x = rand(6 * 4, 6);
    const g = gramCols(x, 6, 4);
    expect(maxDiff(g, matmulTransA(x, x, 6, 4, 4))).toBeLessThan(TOL);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(g[i * 4 + j]).toBe(g[j * 4 + i]);
    expect(maxDiff(gramRows(x, 6, 4), matmul(x, transpose(x, 6, 4), 6, 4, 6))).toBeLessThan(TOL);
  });
});

describe('frobeniusNorm() / columnNorms()', () => {
  it('compute the textbook values, also for huge and tiny entries', () => {
    expect(frobeniusNorm([3, 4])).toBe(5);
    expect(frobeniusNorm([3e200, 4e200])).toBeCloseTo(5e200, -190);
    expect(frobeniusNorm([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 12);
    expect(frobeniusNorm([])).toBe(0);
    expect(Array.from(columnNorms(new Float64Array([3, 0, 4, 2]), 2, 2))).toEqual([5, 2]);
  });
});
