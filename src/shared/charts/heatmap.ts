/**
 * Heatmap of an n×n kernel matrix (the current traced NTK or H∞), block-averaged to at most
 * `maxCells`² cells for display.
 */
import { PALETTES, baseOption, fmt } from './common';
import type { ChartTheme } from './common';

export interface HeatmapOptions {
  theme: ChartTheme;
  title: string;
  /** largest number of cells per side (default 96) */
  maxCells?: number;
}

/**
 * Averages an n×n row-major matrix over b×b blocks, b = ⌈n/maxCells⌉, giving ⌈n/b⌉² cells.
 * Shapes: `values` [n, n] row-major → [k, k] with k = ⌈n/b⌉.
 */
export function blockAverage(values: ArrayLike<number>, n: number, maxCells: number): { k: number; cells: number[] } {
  if (values.length !== n * n) throw new Error(`values: expected [${n}, ${n}] = ${n * n} entries, got ${values.length}`);
  const b = Math.max(1, Math.ceil(n / maxCells));
  const k = Math.ceil(n / b);
  const sums = new Array<number>(k * k).fill(0);
  const counts = new Array<number>(k * k).fill(0);
  for (let i = 0; i < n; i++) {
    const bi = Math.floor(i / b);
    for (let j = 0; j < n; j++) {
      const v = values[i * n + j]!;
      if (!Number.isFinite(v)) continue;
      const c = bi * k + Math.floor(j / b);
      sums[c]! += v;
      counts[c]! += 1;
    }
  }
  return { k, cells: sums.map((s, c) => (counts[c]! > 0 ? s / counts[c]! : NaN)) };
}

/** Builds the heatmap option; the colour scale is symmetric around 0 when the matrix has both signs. */
export function buildHeatmapOption(matrix: { n: number; values: ArrayLike<number> } | null, opts: HeatmapOptions): Record<string, unknown> {
  const p = PALETTES[opts.theme];
  if (!matrix || matrix.n === 0) {
    return { ...baseOption(opts.theme, opts.title), xAxis: { show: false }, yAxis: { show: false }, series: [] };
  }
  const { k, cells } = blockAverage(matrix.values, matrix.n, opts.maxCells ?? 96);
  const data: [number, number, number][] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = cells[i * k + j]!;
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      data.push([j, k - 1 - i, v]);
    }
  }
  const signed = lo < 0 && hi > 0;
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const colors = signed ? ['#2563eb', opts.theme === 'dark' ? '#111827' : '#f8fafc', '#dc2626'] : opts.theme === 'dark' ? ['#0b1020', '#3b82f6', '#fde68a'] : ['#f8fafc', '#60a5fa', '#1e3a8a'];
  const cat = Array.from({ length: k }, (_, i) => String(i));
  return {
    ...baseOption(opts.theme, k < matrix.n ? `${opts.title} (${matrix.n}×${matrix.n}, block-averaged to ${k}×${k})` : `${opts.title} (${matrix.n}×${matrix.n})`),
    tooltip: { trigger: 'item', formatter: (x: { data: number[] }) => `(${x.data[0]}, ${k - 1 - x.data[1]!}): ${fmt(x.data[2], 4)}` },
    grid: { left: 40, right: 80, top: 36, bottom: 24 },
    xAxis: { type: 'category', data: cat, show: false },
    yAxis: { type: 'category', data: cat, show: false },
    visualMap: {
      min: signed ? -m : Number.isFinite(lo) ? lo : 0,
      max: signed ? m : Number.isFinite(hi) ? hi : 1,
      calculable: false,
      orient: 'vertical',
      right: 8,
      top: 'middle',
      itemHeight: 120,
      textStyle: { color: p.muted },
      inRange: { color: colors },
      formatter: (v: number) => fmt(v, 2),
    },
    series: [{ name: opts.title, type: 'heatmap', data, progressive: 0 }],
  };
}
