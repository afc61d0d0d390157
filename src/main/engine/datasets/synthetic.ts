/**
 * Built-in data sets of SPEC §2, as X [d, n] row-major (X[a*n + i], columns are samples). The
 * deterministic ones are exact formulas (bit-for-bit reproducible); the random ones use our generator.
 */
import type { Rng } from '../random';

/** A data matrix X [d, n]. */
export interface DataMatrix {
  X: Float64Array;
  d: number;
  n: number;
}

/** Uniform on the unit sphere: x = g/‖g‖, g ~ N(0, I_d), drawn sample by sample from `rng`. */
export function sphereData(rng: Rng, d: number, n: number): DataMatrix {
  const X = new Float64Array(d * n);
  const g = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    do {
      rng.fillNormal(g, 1);
      norm2 = 0;
      for (let a = 0; a < d; a++) norm2 += g[a]! * g[a]!;
    } while (norm2 === 0);
    const inv = 1 / Math.sqrt(norm2);
    for (let a = 0; a < d; a++) X[a * n + i] = g[a]! * inv;
  }
  return { X, d, n };
}

/** Gaussian N(0, I_d/d) (so that E‖x‖² = 1), drawn sample by sample from `rng`. */
export function gaussianData(rng: Rng, d: number, n: number): DataMatrix {
  const X = new Float64Array(d * n);
  const g = new Float64Array(d);
  const std = 1 / Math.sqrt(d);
  for (let i = 0; i < n; i++) {
    rng.fillNormal(g, std);
    for (let a = 0; a < d; a++) X[a * n + i] = g[a]!;
  }
  return { X, d, n };
}

/**
 * Points on the upper half circle (d = 2) at angles π·t_i/n: x_i = (cos(π t_i/n), sin(π t_i/n)).
 * Training: t_i = i, i = 0..n−1 (SPEC §2). `offset` ½ gives the held-out half-way angles π(j + ½)/n.
 */
export function halfcircleData(n: number, count: number, offset = 0): DataMatrix {
  const X = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) {
    const angle = (Math.PI * (i + offset)) / n;
    X[i] = Math.cos(angle);
    X[count + i] = Math.sin(angle);
  }
  return { X, d: 2, n: count };
}

/** g_i[a] = sin(1.3(i+1)(a+1) + 0.7(a+1)²) (0-based i, a), SPEC §2, exactly as written there. */
export function trigEntry(i: number, a: number): number {
  return Math.sin(1.3 * (i + 1) * (a + 1) + 0.7 * (a + 1) ** 2);
}

/**
 * `trig(n, d)` of SPEC §2 for sample indices first..first+count−1: x_i = g_i/‖g_i‖. Training uses
 * first = 0; the held-out test samples continue the sequence (first = n).
 */
export function trigData(d: number, count: number, first = 0): DataMatrix {
  const X = new Float64Array(d * count);
  const g = new Float64Array(d);
  for (let j = 0; j < count; j++) {
    const i = first + j;
    let norm2 = 0;
    for (let a = 0; a < d; a++) {
      g[a] = trigEntry(i, a);
      norm2 += g[a]! * g[a]!;
    }
    const norm = Math.sqrt(norm2);
    for (let a = 0; a < d; a++) X[a * count + j] = norm > 0 ? g[a]! / norm : 0;
  }
  return { X, d, n: count };
}

/** The factor of sample i in `trig_scaled(n, d)`: 0.5 + 1.5·i/(n−1) (0.5 when n = 1). */
export function trigScale(i: number, n: number): number {
  return n > 1 ? 0.5 + (1.5 * i) / (n - 1) : 0.5;
}

/**
 * `trig_scaled(n, d)` of SPEC §2: trig sample i multiplied by 0.5 + 1.5·i/(n−1), norms from 0.5 to 2.
 * Held-out test sample j uses trig direction n + j and norm 0.5 + 1.5·(j + ½)/nTest (inside the
 * training range of norms, so the test set probes new directions, not extrapolated scales).
 */
export function trigScaledData(d: number, n: number, test?: { nTest: number }): DataMatrix {
  if (!test) {
    const base = trigData(d, n, 0);
    for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) base.X[a * n + i] = base.X[a * n + i]! * trigScale(i, n);
    return base;
  }
  const t = test.nTest;
  const base = trigData(d, t, n);
  for (let a = 0; a < d; a++) for (let j = 0; j < t; j++) base.X[a * t + j] = base.X[a * t + j]! * (0.5 + (1.5 * (j + 0.5)) / t);
  return base;
}

/** Scales every non-zero column of X [d, n] to unit norm, in place. */
export function normalizeColumns(X: Float64Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let a = 0; a < d; a++) norm2 += X[a * n + i]! ** 2;
    if (norm2 === 0) continue;
    const inv = 1 / Math.sqrt(norm2);
    for (let a = 0; a < d; a++) X[a * n + i] = X[a * n + i]! * inv;
  }
}

/** Copies the columns `indices` of X [d, nAll] into a new [d, indices.length] matrix. */
export function selectColumns(X: Float64Array, d: number, nAll: number, indices: ArrayLike<number>): Float64Array {
  const k = indices.length;
  const out = new Float64Array(d * k);
  for (let a = 0; a < d; a++) for (let j = 0; j < k; j++) out[a * k + j] = X[a * nAll + indices[j]!]!;
  return out;
}
