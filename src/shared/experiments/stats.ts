/**
 * Small statistics for experiment verdicts: least-squares line fits with confidence intervals (log–log
 * slopes of E2 and E7), Student-t quantiles, and width thresholds (E5). Pure and deterministic.
 */

/** A least-squares line y = intercept + slope·x with the slope's standard error and confidence interval. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** standard error of the slope (NaN with fewer than 3 points) */
  slopeStdErr: number;
  /** the slope's two-sided confidence interval at `level` (t distribution with n − 2 degrees of freedom) */
  slopeInterval: [number, number];
  level: number;
  /** number of points used */
  n: number;
  /** coefficient of determination */
  r2: number;
}

/**
 * Fits y = a + b·x by ordinary least squares. Non-finite pairs are dropped. Needs two distinct x values;
 * the interval needs at least three points (otherwise it is [−∞, ∞]).
 */
export function fitLine(x: readonly number[], y: readonly number[], level = 0.95): LineFit {
  if (x.length !== y.length) throw new RangeError(`fitLine: ${x.length} x values but ${y.length} y values`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  const n = xs.length;
  if (n < 2) throw new RangeError(`fitLine: need at least 2 finite points, got ${n}`);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) throw new RangeError('fitLine: all x values are equal');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const r2 = syy === 0 ? 1 : 1 - sse / syy;
  if (n < 3) return { slope, intercept, slopeStdErr: NaN, slopeInterval: [-Infinity, Infinity], level, n, r2 };
  const se = Math.sqrt(sse / (n - 2) / sxx);
  const t = studentTQuantile(1 - (1 - level) / 2, n - 2);
  return { slope, intercept, slopeStdErr: se, slopeInterval: [slope - t * se, slope + t * se], level, n, r2 };
}

/** Fits log y = a + b·log x (natural logs); points with x ≤ 0 or y ≤ 0 are dropped. */
export function fitLogLog(x: readonly number[], y: readonly number[], level = 0.95): LineFit {
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i]! > 0 && y[i]! > 0) {
      lx.push(Math.log(x[i]!));
      ly.push(Math.log(y[i]!));
    }
  }
  return fitLine(lx, ly, level);
}

/** log Γ(z) for z > 0 (Lanczos, g = 7; ~15 digits). */
function logGamma(z: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zz = z - 1;
  let a = c[0]!;
  const t = zz + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (zz + i);
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularized incomplete beta function (Numerical Recipes' betacf, Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The CDF of Student's t distribution with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t distribution (bisection on the CDF; |error| < 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0, got ${df}`);
  let lo = -1e6;
  let hi = 1e6;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The success threshold along a sorted axis (E5): the smallest x such that every x' ≥ x in the grid has
 * success probability ≥ `minProbability` (1 = all seeds succeed). Null when even the largest x fails.
 */
export function successThreshold(points: readonly { x: number; successes: number; trials: number }[], minProbability = 1): number | null {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  let threshold: number | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i]!;
    if (p.trials > 0 && p.successes / p.trials >= minProbability) threshold = p.x;
    else break;
  }
  return threshold;
}
