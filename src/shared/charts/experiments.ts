/**
 * The experiments' aggregated charts (issue 16): each experiment's analysis describes its figures as data
 * ({@link ExperimentFigure}: series of points, optional ±bands, fitted lines) and this one pure builder turns
 * them into ECharts options, for the app and for the SVG files an experiment writes.
 */
import { PALETTES, baseOption, valueAxis, type ChartTheme, type XY } from './common';

/** One series of an experiment figure. */
export interface FigureSeries {
  name: string;
  points: XY[];
  /** mean ± band: [x, low, high] per point, drawn as vertical bars */
  band?: [number, number, number][];
  style?: 'line' | 'dashed' | 'dotted' | 'scatter';
  /** palette index (default: the series' position) */
  color?: number;
}

/**
 * A heat map over a grid (E5's (n, m) threshold map): one value per (x, y) cell, null where the grid has no
 * data; drawn on category axes in the order given, with an optional line through one x per y (the threshold).
 */
export interface FigureHeatmap {
  xs: number[];
  ys: number[];
  /** values[i][j] at (xs[j], ys[i]) */
  values: (number | null)[][];
  /** colour range (default: the values' range) */
  min?: number;
  max?: number;
  /** name of the value (colour bar, tooltip) */
  valueName: string;
  /** e.g. the threshold width per y: [x, y] pairs drawn as a line over the cells (x, y from the grid; x null = not reached) */
  line?: { name: string; points: [number | null, number][] };
}

/** A figure as data: what the chart shows, independent of the renderer. */
export interface ExperimentFigure {
  /** file name (without extension) and test id */
  name: string;
  title: string;
  xName: string;
  yName: string;
  xLog?: boolean;
  yLog?: boolean;
  series: FigureSeries[];
  /** set for a heat map (then `series` is empty and the axes are categories) */
  heatmap?: FigureHeatmap;
}

/** The ECharts option of an experiment figure (points ≤ 0 are left out on a log axis). */
export function buildExperimentOption(fig: ExperimentFigure, theme: ChartTheme): Record<string, unknown> {
  if (fig.heatmap) return buildHeatmapFigure(fig, fig.heatmap, theme);
  const p = PALETTES[theme];
  const keep = ([x, y]: XY): boolean => Number.isFinite(x) && Number.isFinite(y) && (!fig.xLog || x > 0) && (!fig.yLog || y > 0);
  const series: Record<string, unknown>[] = [];
  fig.series.forEach((s, k) => {
    const color = p.series[(s.color ?? k) % p.series.length];
    const data = s.points.filter(keep);
    const type = s.style === 'scatter' ? 'scatter' : 'line';
    const lineType = s.style === 'dashed' ? 'dashed' : s.style === 'dotted' ? 'dotted' : 'solid';
    series.push({
      name: s.name,
      type,
      data,
      symbolSize: type === 'scatter' ? 6 : 5,
      showSymbol: data.length <= 30,
      ...(type === 'line' ? { lineStyle: { color, width: s.style === 'line' || s.style === undefined ? 2 : 1.5, type: lineType } } : {}),
      itemStyle: { color },
    });
    if (s.band && s.band.length > 0) {
      series.push({
        name: s.name,
        type: 'lines',
        coordinateSystem: 'cartesian2d',
        data: s.band
          .filter(([x, lo, hi]) => keep([x, lo]) && keep([x, hi]))
          .map(([x, lo, hi]) => ({
            coords: [
              [x, lo],
              [x, hi],
            ],
          })),
        lineStyle: { color, width: 1.2, opacity: 1 },
        silent: true,
        tooltip: { show: false },
      });
    }
  });
  return {
    ...baseOption(theme, fig.title),
    xAxis: valueAxis(theme, fig.xName, fig.xLog === true, { nameGap: 24 }),
    yAxis: valueAxis(theme, fig.yName, fig.yLog === true, { nameGap: 44 }),
    series,
  };
}

/** A heat map figure: cells with their value as label, a colour bar, the optional line over the cells. */
function buildHeatmapFigure(fig: ExperimentFigure, h: FigureHeatmap, theme: ChartTheme): Record<string, unknown> {
  const p = PALETTES[theme];
  const data: [number, number, number][] = [];
  let lo = Infinity;
  let hi = -Infinity;
  h.ys.forEach((_, i) =>
    h.xs.forEach((_, j) => {
      const v = h.values[i]?.[j];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      data.push([j, i, v]);
    }),
  );
  const vmin = h.min ?? (Number.isFinite(lo) ? lo : 0);
  const vmax = h.max ?? (Number.isFinite(hi) ? Math.max(hi, vmin + 1e-12) : 1);
  const category = (name: string, values: number[], extra: Record<string, unknown>): Record<string, unknown> => ({
    type: 'category',
    name,
    nameLocation: 'middle',
    data: values.map(String),
    axisLine: { lineStyle: { color: p.muted } },
    axisLabel: { color: p.muted },
    nameTextStyle: { color: p.muted },
    splitArea: { show: false },
    ...extra,
  });
  const series: Record<string, unknown>[] = [
    {
      name: h.valueName,
      type: 'heatmap',
      data,
      label: { show: data.length <= 120, color: p.text, fontSize: 10, formatter: (x: { data: number[] }) => (Math.round(x.data[2]! * 100) / 100).toString() },
      progressive: 0,
    },
  ];
  if (h.line) {
    const pts = h.line.points.filter((q): q is [number, number] => q[0] !== null && h.xs.includes(q[0]) && h.ys.includes(q[1]));
    series.push({
      name: h.line.name,
      type: 'line',
      data: pts.map(([x, y]) => [h.xs.indexOf(x), h.ys.indexOf(y)]),
      lineStyle: { color: p.series[3 % p.series.length], width: 2, type: 'dashed' },
      itemStyle: { color: p.series[3 % p.series.length] },
      symbolSize: 8,
    });
  }
  return {
    ...baseOption(theme, fig.title),
    legend: { show: h.line !== undefined, data: h.line ? [h.line.name] : [], bottom: 0, textStyle: { color: p.muted } },
    tooltip: { trigger: 'item' },
    grid: { left: 56, right: 90, top: 44, bottom: 56 },
    xAxis: category(fig.xName, h.xs, { nameGap: 24 }),
    yAxis: category(fig.yName, h.ys, { nameGap: 36 }),
    visualMap: {
      min: vmin,
      max: vmax,
      calculable: false,
      orient: 'vertical',
      right: 6,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 14,
      text: [`${h.valueName} ${Math.round(vmax * 1000) / 1000}`, String(Math.round(vmin * 1000) / 1000)],
      textStyle: { color: p.muted, fontSize: 11 },
      inRange: { color: theme === 'dark' ? ['#0b1020', '#3b82f6', '#fde68a'] : ['#f8fafc', '#60a5fa', '#1e3a8a'] },
      seriesIndex: 0,
    },
    series,
  };
}
