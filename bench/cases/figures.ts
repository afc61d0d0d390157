/**
 * Figure export without a browser: ECharts' server-side SVG rendering of a publication figure, and resvg's
 * rasterization of it to PNG at 1×, 2× and 4×. The chart is the loss chart of two overlaid runs of
 * `n` recorded steps (train, test and the linearized prediction each), drawn at the app's display limit.
 * There is no NumPy counterpart (matplotlib is not a dependency here), so numpy_ms is null.
 */
import { renderSvg, svgToPng } from '../../src/main/services/export/figures';
import { buildLossOption } from '../../src/shared/charts/loss';
import { FIGURE_HEIGHT, FIGURE_WIDTH, figureHeight, overlayRuns, publicationStyle } from '../../src/shared/charts/publication';
import type { MetricRecord } from '../../src/shared/run/format';
import type { BenchRow } from './gd';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function lossChart(n: number): Record<string, unknown> {
  const run = (rate: number): Record<string, unknown> => {
    const records: MetricRecord[] = Array.from({ length: n }, (_, k) => ({
      step: k,
      loss: Math.exp(-k / rate) + 1e-6,
      wallMs: k,
      testLoss: 1.5 * Math.exp(-k / (rate * 1.4)),
    }));
    const curve = records.map((r) => [r.step, Math.exp(-r.step / (rate * 0.9))] as [number, number]);
    return buildLossOption(records, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light', theoryCurve: curve });
  };
  return overlayRuns([run(n / 8), run(n / 5)], ['m=256', 'm=1024'], 'light');
}

/** Times SVG rendering and PNG rasterization (median of `repeats`, one warm-up each). */
export function figureCases(opts: { repeats: number; quick: boolean; log: (m: string) => void }): BenchRow[] {
  const n = opts.quick ? 200 : 5000;
  const option = lossChart(n);
  const height = figureHeight(option, FIGURE_WIDTH, FIGURE_HEIGHT);
  const styled = publicationStyle(option, { theme: 'light', width: FIGURE_WIDTH, height });
  const time = (fn: () => void): number => {
    fn();
    const t: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      const t0 = performance.now();
      fn();
      t.push(performance.now() - t0);
    }
    return median(t);
  };
  let svg = '';
  const svgMs = time(() => void (svg = renderSvg(styled, FIGURE_WIDTH, height)));
  const rows: BenchRow[] = [
    {
      case: 'figure-svg',
      n,
      d: 0,
      m: 0,
      backend: 'echarts-ssr',
      dtype: 'float64',
      ours_ms: round(svgMs),
      numpy_ms: null,
      ratio: null,
      width: FIGURE_WIDTH,
      height,
      bytes: svg.length,
      note: 'no NumPy counterpart',
    },
  ];
  for (const scale of [1, 2, 4]) {
    let bytes = 0;
    const ms = time(() => void (bytes = svgToPng(svg, scale).length));
    rows.push({
      case: `figure-png-${scale}x`,
      n,
      d: 0,
      m: 0,
      backend: 'resvg',
      dtype: 'float64',
      ours_ms: round(ms),
      numpy_ms: null,
      ratio: null,
      width: FIGURE_WIDTH * scale,
      height: height * scale,
      bytes,
      note: 'no NumPy counterpart',
    });
  }
  opts.log(
    `figures: SVG ${round(svgMs)} ms, PNG ${rows
      .slice(1)
      .map((r) => `${String(r.case).slice(11)} ${r.ours_ms} ms`)
      .join(', ')}`,
  );
  return rows;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
