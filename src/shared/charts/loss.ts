/**
 * The loss chart: train and test loss against step or wall time, with optional EMA smoothing, log-y,
 * and the linearized (infinite-width) prediction drawn over the real loss (SPEC §6).
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, emaSmooth, plottable, valueAxis } from './common';
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
  const ys = emaSmooth(points.map((p) => p[1]), alpha);
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
  if (opts.smoothing > 0) {
    line('train loss (raw)', train, p.series[0]!, { lineStyle: { width: 1, color: p.series[0], opacity: 0.25 }, legendHoverLink: false });
  }
  line('train loss', smoothed(train, opts.smoothing), p.series[0]!);
  if (test.length > 0) line('test loss', smoothed(test, opts.smoothing), p.series[1]!);
  if (linNet.length > 0) line('linearized network', linNet, p.series[2]!, { lineStyle: { width: 1.4, type: 'dotted', color: p.series[2] } });
  if (opts.theoryCurve && opts.theoryCurve.length > 0 && opts.xAxis === 'step') {
    // Drawn only as far as the run has got (plus a little look-ahead), so a long planned run does not
    // squash the real loss into the left edge of the chart.
    const lastStep = train.length > 0 ? train[train.length - 1]![0] : 0;
    const horizon = Math.max(10, Math.ceil(lastStep * 1.1));
    const curve = opts.theoryCurve.filter(([k]) => k <= horizon);
    line('linearized prediction', curve, p.theory, { lineStyle: { width: 1.4, type: 'dashed', color: p.theory } });
  }
  return {
    ...baseOption(opts.theme, 'Loss'),
    xAxis: valueAxis(opts.theme, opts.xAxis === 'step' ? 'step' : 'wall time (s)', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, opts.logY ? 'loss (log)' : 'loss', opts.logY, { nameGap: 48 }),
    series,
  };
}
