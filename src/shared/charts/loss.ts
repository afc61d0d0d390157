/**
 * The loss chart: train and test loss against step or wall time, with optional EMA smoothing, log-y,
 * the infinite-width prediction (the linearized model on H∞, dashed) and the finite-width linearized
 * network on G(W₀) (dotted, when the run trained it) drawn over the real loss (SPEC §6).
 *
 * A prediction that explodes (a step above the stable limit) is cut where it leaves the range of the
 * real losses (×{@link THEORY_HEADROOM} above their largest value), so the real loss stays readable.
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, emaSmooth, plottable, stepTooltip, valueAxis } from './common';
import type { ChartTheme, XY } from './common';

export interface LossOptions {
  logY: boolean;
  /** EMA weight α ∈ [0, 1): 0 = raw */
  smoothing: number;
  xAxis: 'step' | 'wall';
  theme: ChartTheme;
  maxPoints?: number;
  /** the linearized loss prediction [step, L] from the theory (drawn dashed) */
  theoryCurve?: readonly XY[] | null;
}

/** Legend name of the infinite-width prediction (the linearized model on H∞), shared with the figure export. */
export const INFINITE_WIDTH_NAME = 'infinite-width prediction (H∞)';
/** Legend name of the finite-width linearized network f(θ₀) + J(θ₀)(θ − θ₀), whose kernel is G(W₀). */
export const FINITE_WIDTH_NAME = 'finite-width linearized (G(W₀))';
/** How far above the largest real loss a prediction is still drawn. */
export const THEORY_HEADROOM = 10;

/**
 * Cuts a prediction where it rises above `cap`: the points up to there, and whether it was cut (the
 * rest of the curve would stretch the axis over hundreds of decades and flatten the real loss).
 */
export function capCurve(points: readonly XY[], cap: number): { points: XY[]; cut: boolean } {
  if (!(cap > 0) || !Number.isFinite(cap)) return { points: points.slice(), cut: false };
  const out: XY[] = [];
  for (const p of points) {
    if (!(p[1] <= cap)) return { points: out, cut: true };
    out.push(p);
  }
  return { points: out, cut: false };
}

/** Pulls one numeric field per record as [x, y] points (x = step, or wall seconds). */
export function seriesFrom(records: readonly MetricRecord[], xAxis: 'step' | 'wall', pick: (r: MetricRecord) => number | null | undefined): XY[] {
  const out: XY[] = [];
  for (const r of records) {
    const y = pick(r);
    if (y === null || y === undefined) continue;
    out.push([xAxis === 'step' ? r.step : r.wallMs / 1000, y]);
  }
  return out;
}

function smoothed(points: XY[], alpha: number): XY[] {
  if (alpha === 0) return points;
  const ys = emaSmooth(
    points.map((p) => p[1]),
    alpha,
  );
  return points.map((p, i) => [p[0], ys[i]!] as XY);
}

/** Builds the ECharts option for the loss chart from the complete record list. */
export function buildLossOption(records: readonly MetricRecord[], opts: LossOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const p = PALETTES[opts.theme];
  const series: Record<string, unknown>[] = [];
  const line = (name: string, pts: XY[], color: string, extra: Record<string, unknown> = {}): void => {
    const data = downsampleXY(plottable(pts, opts.logY), max);
    series.push({
      name,
      type: 'line',
      showSymbol: data.length <= FEW_POINTS,
      symbolSize: 4,
      data,
      lineStyle: { width: 1.8, color },
      itemStyle: { color },
      ...extra,
    });
  };
  const train = seriesFrom(records, opts.xAxis, (r) => r.loss);
  const test = seriesFrom(records, opts.xAxis, (r) => r.testLoss);
  const linNet = seriesFrom(records, opts.xAxis, (r) => r.tracked?.linearizedNetworkLoss);
  let realMax = 0;
  for (const [, y] of [...train, ...test]) if (Number.isFinite(y) && y > realMax) realMax = y;
  const cap = realMax > 0 ? realMax * THEORY_HEADROOM : Infinity;
  const cutNote = ' — leaves the chart (diverges)';
  if (opts.smoothing > 0) {
    line('train loss (raw)', train, p.series[0]!, { lineStyle: { width: 1, color: p.series[0], opacity: 0.25 }, legendHoverLink: false });
  }
  line('train loss', smoothed(train, opts.smoothing), p.series[0]!);
  if (test.length > 0) line('test loss', smoothed(test, opts.smoothing), p.series[1]!);
  if (linNet.length > 0) {
    const c = capCurve(linNet, cap);
    line(FINITE_WIDTH_NAME + (c.cut ? cutNote : ''), c.points, p.series[2]!, { lineStyle: { width: 1.4, type: 'dotted', color: p.series[2] } });
  }
  if (opts.theoryCurve && opts.theoryCurve.length > 0 && opts.xAxis === 'step') {
    // Drawn only as far as the run has got (plus a little look-ahead), so a long planned run does not
    // squash the real loss into the left edge of the chart.
    const lastStep = train.length > 0 ? train[train.length - 1]![0] : 0;
    const horizon = Math.max(10, Math.ceil(lastStep * 1.1));
    const c = capCurve(
      opts.theoryCurve.filter(([k]) => k <= horizon),
      cap,
    );
    line(INFINITE_WIDTH_NAME + (c.cut ? cutNote : ''), c.points, p.theory, { lineStyle: { width: 1.4, type: 'dashed', color: p.theory } });
  }
  return {
    ...baseOption(opts.theme, 'Loss'),
    tooltip: stepTooltip(opts.xAxis),
    xAxis: valueAxis(opts.theme, opts.xAxis === 'step' ? 'step' : 'wall time (s)', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, opts.logY ? 'loss (log)' : 'loss', opts.logY, { nameGap: 48 }),
    series,
  };
}
