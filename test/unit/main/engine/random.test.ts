import { describe, expect, it } from 'vitest';
import { createRng, randomPermutation } from '../../../../src/main/engine/random';

/** |z| above this fails a CLT check (probability ≈ 6e-7 per check under the null). */
const Z_MAX = 5;

function meanVar(a: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  return { mean, variance: v / (a.length - 1) };
}

describe('createRng()', () => {
  it('gives the same sequence for the same seed and stream', () => {
    const a = createRng(42, 3);
    const b = createRng(42, 3);
    for (let i = 0; i < 100; i++) expect(a.uniform()).toBe(b.uniform());
    const x = new Float64Array(50);
    const y = new Float64Array(50);
    a.fillNormal(x, 2);
    b.fillNormal(y, 2);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it('gives different sequences for different seeds and streams', () => {
    const u = (seed: number, stream: number) => {
      const r = createRng(seed, stream);
      return [r.uniform(), r.uniform(), r.uniform()];
    };
    expect(u(1, 0)).not.toEqual(u(2, 0));
    expect(u(1, 0)).not.toEqual(u(1, 1));
    expect(u(0, 0)).not.toEqual(u(0, 1));
  });

  it('produces uniforms in [0, 1) with mean 1/2 and variance 1/12 within CLT bounds', () => {
    const N = 200_000;
    const r = createRng(7, 0);
    const u = new Float64Array(N);
    for (let i = 0; i < N; i++) u[i] = r.uniform();
    expect(Math.min(...u.subarray(0, 1000))).toBeGreaterThanOrEqual(0);
    for (const v of u) if (v < 0 || v >= 1) throw new Error(`uniform out of range: ${v}`);
    const { mean, variance } = meanVar(u);
    expect(Math.abs(mean - 0.5) / Math.sqrt(1 / 12 / N)).toBeLessThan(Z_MAX);
    // Var of (u − ½)² is 1/80 − 1/144 = 1/180.
    expect(Math.abs(variance - 1 / 12) / Math.sqrt(1 / 180 / N)).toBeLessThan(Z_MAX);
  });

  it('produces normals with mean 0, variance std² and kurtosis 3 within CLT bounds', () => {
    const N = 200_000;
    const std = 1.5;
    const x = new Float64Array(N);
    createRng(11, 2).fillNormal(x, std);
    const { mean, variance } = meanVar(x);
    expect(Math.abs(mean) / Math.sqrt((std * std) / N)).toBeLessThan(Z_MAX);
    // Var of x² is 2σ⁴ for a normal.
    expect(Math.abs(variance - std * std) / Math.sqrt((2 * std ** 4) / N)).toBeLessThan(Z_MAX);
    let m4 = 0;
    for (const v of x) m4 += (v / std) ** 4;
    m4 /= N;
    // Var of z⁴ is 105 − 9 = 96.
    expect(Math.abs(m4 - 3) / Math.sqrt(96 / N)).toBeLessThan(Z_MAX);
  });

  it('produces Rademacher entries ±scale with mean 0', () => {
    const N = 200_000;
    const x = new Float64Array(N);
    createRng(3, 1).fillRademacher(x, 0.5);
    let plus = 0;
    for (const v of x) {
      if (v !== 0.5 && v !== -0.5) throw new Error(`not ±0.5: ${v}`);
      if (v > 0) plus++;
    }
    expect(Math.abs(plus / N - 0.5) / Math.sqrt(0.25 / N)).toBeLessThan(Z_MAX);
  });

  it('draws integers uniformly in [0, max)', () => {
    const N = 100_000;
    const k = 7;
    const counts = new Array<number>(k).fill(0);
    const r = createRng(5, 0);
    for (let i = 0; i < N; i++) {
      const v = r.int(k);
      if (!Number.isInteger(v) || v < 0 || v >= k) throw new Error(`int out of range: ${v}`);
      counts[v]!++;
    }
    const p = 1 / k;
    for (const c of counts) expect(Math.abs(c / N - p) / Math.sqrt((p * (1 - p)) / N)).toBeLessThan(Z_MAX);
    expect(() => r.int(0)).toThrow(/maxExclusive/);
  });

  it('continues the same sequence after getState/setState, including a pending normal', () => {
    const a = createRng(9, 4);
    a.normal(); // leaves a spare normal pending
    const saved = JSON.parse(JSON.stringify(a.getState())) as number[];
    const expected = [a.normal(), a.uniform(), a.normal(), a.int(1000)];
    const b = createRng(123, 0);
    b.setState(saved);
    expect([b.normal(), b.uniform(), b.normal(), b.int(1000)]).toEqual(expected);
    expect(() => b.setState([0, 0, 0, 0, 0, 0])).toThrow(/all-zero/);
    expect(() => b.setState([1, 2])).toThrow(/6 finite numbers/);
  });

  it('fillNormal draws exactly what normal() draws, spare included, and leaves the same state behind', () => {
    // fillNormal runs the generator in locals: it must stay the per-draw sequence bit for bit, whatever the
    // lengths (odd lengths leave a spare that the next fill or normal() uses first).
    for (const lens of [[0], [1], [2], [3, 5, 0, 1, 7], [4097], [11, 1, 1, 4]]) {
      const a = createRng(7, 2);
      const b = createRng(7, 2);
      for (const len of lens) {
        const x = new Float64Array(len);
        const y = new Float64Array(len);
        for (let i = 0; i < len; i++) x[i] = 0.3 * a.normal();
        b.fillNormal(y, 0.3);
        for (let i = 0; i < len; i++) expect(Object.is(x[i], y[i])).toBe(true);
      }
      expect(b.getState()).toEqual(a.getState());
      expect(b.uniform()).toBe(a.uniform());
      expect(b.normal()).toBe(a.normal());
    }
  });

  it('rejects non-integer seeds', () => {
    expect(() => createRng(0.5)).toThrow(/seed/);
    expect(() => createRng(Number.NaN)).toThrow(/seed/);
  });
});

describe('randomPermutation()', () => {
  it('returns a permutation, deterministic per seed', () => {
    const p = randomPermutation(createRng(1, 4), 50);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(randomPermutation(createRng(1, 4), 50))).toEqual(Array.from(p));
  });
});
