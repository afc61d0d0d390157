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
}

/** The ECharts option of an experiment figure (points ≤ 0 are left out on a log axis). */
export function buildExperimentOption(fig: ExperimentFigure, theme: ChartTheme): Record<string, unknown> {
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
        data: s.band.filter(([x, lo, hi]) => keep([x, lo]) && keep([x, hi])).map(([x, lo, hi]) => ({ coords: [[x, lo], [x, hi]] })),
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
