/**
 * Weight movement (SPEC §7.2 A3, §7.3 B3, §7.6 D4): relative movement of W and V, the largest per-neuron
 * movement, and the activation-flip fraction (right axis); plus the per-neuron movement histogram and
 * the kernel distance from init.
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, fmt, plottable, stepTooltip, valueAxis } from './common';
import type { ChartTheme, XY } from './common';

export interface SeriesChartOptions {
  theme: ChartTheme;
  logY?: boolean;
  maxPoints?: number;
}

function tracked(records: readonly MetricRecord[], pick: (r: MetricRecord) => number | null | undefined): XY[] {
  const out: XY[] = [];
  for (const r of records) {
    const v = pick(r);
    if (v !== null && v !== undefined) out.push([r.step, v]);
  }
  return out;
}

/** Builds the weight-movement chart: ‖ΔW‖_F/‖W₀‖_F, ‖ΔV‖_F/‖V₀‖_F, max_r ‖Δw_r‖√m (left), flip fraction (right). */
export function buildMovementOption(records: readonly MetricRecord[], opts: SeriesChartOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const log = opts.logY ?? false;
  const p = PALETTES[opts.theme];
  // ‖ΔW‖ and ‖ΔV‖ often coincide (joint training with κ = ν moves both layers alike): ‖ΔW‖ is drawn wide
  // and solid with circles, ‖ΔV‖ thin and dashed with triangles on top of it, so both stay visible.
  const defs: {
    name: string;
    pick: (r: MetricRecord) => number | null | undefined;
    axis: 0 | 1;
    color: string;
    type?: string;
    width?: number;
    symbol?: string;
  }[] = [
    { name: '‖ΔW‖/‖W₀‖', pick: (r) => r.tracked?.weightMoveW, axis: 0, color: p.series[0]!, width: 3.2, symbol: 'circle' },
    { name: '‖ΔV‖/‖V₀‖', pick: (r) => r.tracked?.weightMoveV, axis: 0, color: p.series[1]!, type: 'dashed', width: 1.4, symbol: 'triangle' },
    { name: 'max ‖Δw_r‖√m', pick: (r) => r.tracked?.maxNeuronMove, axis: 0, color: p.series[3]!, type: 'dotted', symbol: 'diamond' },
    { name: 'flip fraction', pick: (r) => r.tracked?.flipFraction, axis: 1, color: p.series[2]!, symbol: 'rect' },
  ];
  const series = defs
    .map((d) => ({ d, pts: tracked(records, d.pick) }))
    .filter(({ pts }) => pts.length > 0)
    .map(({ d, pts }) => ({
      name: d.name,
      type: 'line',
      showSymbol: pts.length <= FEW_POINTS,
      symbol: d.symbol,
      symbolSize: d.symbol === 'triangle' ? 7 : 5,
      yAxisIndex: d.axis,
      data: downsampleXY(plottable(pts, log && d.axis === 0), max),
      lineStyle: { color: d.color, width: d.width ?? 1.6, type: d.type ?? 'solid' },
      itemStyle: { color: d.color },
    }));
  return {
    ...baseOption(opts.theme, 'Weight movement'),
    tooltip: stepTooltip(),
    grid: { left: 64, right: 56, top: 40, bottom: 40 },
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: [
      valueAxis(opts.theme, log ? 'relative movement (log)' : 'relative movement', log, { nameGap: 48 }),
      valueAxis(opts.theme, 'flip fraction', false, { min: 0, max: 1, scale: false, splitLine: { show: false }, nameGap: 36 }),
    ],
    series,
  };
}

/** Builds the per-neuron movement histogram (bars between consecutive edges); `counts.length` must be `edges.length − 1`. */
export function buildHistogramOption(
  hist: { edges: readonly number[]; counts: readonly number[] } | null,
  opts: SeriesChartOptions & { step?: number | null },
): Record<string, unknown> {
  const p = PALETTES[opts.theme];
  if (hist && hist.counts.length !== hist.edges.length - 1) {
    throw new Error(`hist: expected counts of length edges − 1 = ${hist.edges.length - 1}, got ${hist.counts.length}`);
  }
  const data = hist ? hist.counts.map((c, i) => [(hist.edges[i]! + hist.edges[i + 1]!) / 2, c, hist.edges[i]!, hist.edges[i + 1]!]) : [];
  return {
    ...baseOption(
      opts.theme,
      opts.step !== null && opts.step !== undefined ? `Per-neuron movement ‖Δw_r‖√m (step ${opts.step})` : 'Per-neuron movement ‖Δw_r‖√m',
    ),
    tooltip: { trigger: 'item', formatter: (x: { data: number[] }) => `[${fmt(x.data[2])}, ${fmt(x.data[3])}): ${x.data[1]}` },
    xAxis: valueAxis(opts.theme, '‖Δw_r‖·√m', false, { scale: true }),
    yAxis: valueAxis(opts.theme, 'neurons', false, { min: 0, scale: false, nameGap: 48 }),
    series: [{ name: 'neurons', type: 'bar', data, barWidth: '95%', itemStyle: { color: p.series[4] }, encode: { x: 0, y: 1 } }],
  };
}

/** Builds the kernel-distance chart ‖H(t) − H(0)‖_F/‖H(0)‖_F against step. */
export function buildKernelDistanceOption(records: readonly MetricRecord[], opts: SeriesChartOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const log = opts.logY ?? false;
  const p = PALETTES[opts.theme];
  const pts = tracked(records, (r) => r.tracked?.kernelDistance);
  return {
    ...baseOption(opts.theme, 'Kernel distance from init'),
    tooltip: stepTooltip(),
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, log ? '‖H−H₀‖/‖H₀‖ (log)' : '‖H−H₀‖/‖H₀‖', log, { nameGap: 48 }),
    series: [
      {
        name: 'kernel distance',
        type: 'line',
        showSymbol: pts.length <= FEW_POINTS,
        symbolSize: 4,
        data: downsampleXY(plottable(pts, log), max),
        lineStyle: { color: p.series[5], width: 1.8 },
        itemStyle: { color: p.series[5] },
      },
    ],
  };
}
