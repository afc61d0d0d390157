/**
 * Monte-Carlo helpers for the related-work tests: the mean of many independent estimates of a matrix
 * against its closed form, with a CLT bound whose z is chosen for a family-wise false-alarm rate (Bonferroni
 * over the entries compared), so that no test carries a hand-picked tolerance.
 */
import { expect } from 'vitest';

/** Family-wise probability that a correct implementation fails one whole comparison. */
export const FAMILY_ALPHA = 1e-4;

/**
 * Φ⁻¹(p) for the standard normal (Acklam's rational approximation, relative error < 1.2e-9), enough to set a
 * z threshold.
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Two-sided z for `comparisons` simultaneous tests at family-wise level {@link FAMILY_ALPHA}. */
export function bonferroniZ(comparisons: number): number {
  return normalQuantile(1 - FAMILY_ALPHA / (2 * comparisons));
}

/** Running sums of independent matrix estimates. */
export class MeanEstimate {
  private readonly sum: Float64Array;
  private readonly sq: Float64Array;
  count = 0;

  constructor(readonly size: number) {
    this.sum = new Float64Array(size);
    this.sq = new Float64Array(size);
  }

  add(x: ArrayLike<number>): void {
    for (let k = 0; k < this.size; k++) {
      this.sum[k]! += x[k]!;
      this.sq[k]! += x[k]! ** 2;
    }
    this.count++;
  }

  mean(k: number): number {
    return this.sum[k]! / this.count;
  }

  /** Standard error of the mean of entry k (sample variance with R − 1). */
  stdError(k: number): number {
    const r = this.count;
    const m = this.mean(k);
    return Math.sqrt(Math.max(0, (this.sq[k]! - r * m * m) / (r - 1)) / r);
  }
}

/**
 * Expects every entry's mean within z·SE of `target` (z for the number of entries compared). `entries`
 * restricts the comparison (e.g. the upper triangle of a symmetric matrix, whose mirror is the same test).
 */
export function expectMeanNear(est: MeanEstimate, target: ArrayLike<number>, what: string, entries?: number[]): void {
  const idx = entries ?? Array.from({ length: est.size }, (_, k) => k);
  const z = bonferroniZ(idx.length);
  for (const k of idx) {
    const se = est.stdError(k);
    expect(se, `${what}[${k}]: the estimates do not vary; the check would be vacuous`).toBeGreaterThan(0);
    expect(Math.abs(est.mean(k) - target[k]!), `${what}[${k}]: mean ${est.mean(k)} ± ${se} vs ${target[k]} (z bound ${z.toFixed(2)})`).toBeLessThanOrEqual(
      z * se,
    );
  }
}

/** Indices of the upper triangle (with the diagonal) of an n×n matrix. */
export function upperTriangle(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out.push(i * n + j);
  return out;
}
