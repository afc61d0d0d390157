/**
 * Heatmap of an n×n kernel matrix (the current traced NTK or H∞), block-averaged to at most
 * `maxCells`² cells for display.
 */
import { PALETTES, baseOption, fmt } from './common';
import type { ChartTheme } from './common';

/**
 * Cells per side of the empirical kernel a run stores with its tracked records (block-averaged, so a
 * record stays small); H∞ beside it is averaged the same way.
 */
export const KERNEL_PREVIEW_CELLS = 32;

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

/** A kernel to draw: the full n×n row-major matrix, or one the engine block-averaged already (k×k cells). */
export type HeatmapMatrix = { n: number; values: ArrayLike<number> } | { n: number; k: number; cells: ArrayLike<number> };

/** One panel of a heatmap figure. */
export interface HeatmapPanel {
  title: string;
  matrix: HeatmapMatrix | null;
}

function cellsOf(m: HeatmapMatrix, maxCells: number): { k: number; cells: ArrayLike<number> } {
  if ('cells' in m) {
    if (m.cells.length !== m.k * m.k) throw new Error(`cells: expected [${m.k}, ${m.k}] = ${m.k * m.k} entries, got ${m.cells.length}`);
    return { k: m.k, cells: m.cells };
  }
  return blockAverage(m.values, m.n, maxCells);
}

/** Builds the heatmap option of one kernel; the colour scale is symmetric around 0 when the matrix has both signs. */
export function buildHeatmapOption(matrix: { n: number; values: ArrayLike<number> } | null, opts: HeatmapOptions): Record<string, unknown> {
  return buildHeatmapsOption([{ title: opts.title, matrix }], opts);
}

/**
 * Builds kernels side by side (e.g. the trained network's empirical kernel beside H∞) on ONE colour scale,
 * so equal colours mean equal values; the colour bar carries its numbers at both ends. Each panel is
 * block-averaged to at most `maxCells` per side (panels given as cells are drawn as they are).
 */
export function buildHeatmapsOption(panels: readonly HeatmapPanel[], opts: HeatmapOptions): Record<string, unknown> {
  const p = PALETTES[opts.theme];
  const shown = panels.filter((x): x is { title: string; matrix: HeatmapMatrix } => x.matrix !== null && x.matrix.n > 0);
  if (shown.length === 0) {
    return { ...baseOption(opts.theme, opts.title), xAxis: { show: false }, yAxis: { show: false }, series: [] };
  }
  const grids = shown.map((x) => ({ ...cellsOf(x.matrix, opts.maxCells ?? 96), n: x.matrix.n, title: x.title }));
  let lo = Infinity;
  let hi = -Infinity;
  const datas = grids.map(({ k, cells }) => {
    const data: [number, number, number][] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const v = cells[i * k + j]!;
        if (!Number.isFinite(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        data.push([j, k - 1 - i, v]);
      }
    }
    return data;
  });
  const signed = lo < 0 && hi > 0;
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const vmin = signed ? -m : Number.isFinite(lo) ? lo : 0;
  const vmax = signed ? m : Number.isFinite(hi) ? hi : 1;
  const colors = signed
    ? ['#2563eb', opts.theme === 'dark' ? '#111827' : '#f8fafc', '#dc2626']
    : opts.theme === 'dark'
      ? ['#0b1020', '#3b82f6', '#fde68a']
      : ['#f8fafc', '#60a5fa', '#1e3a8a'];
  const count = grids.length;
  // Panels share the width left of the colour bar (80 px); each gets its own title above it.
  const slot = 88 / count;
  const base = baseOption(opts.theme, '');
  const panelTitle = (g: (typeof grids)[number]): string =>
    g.k < g.n ? `${g.title} (${g.n}×${g.n}, block-averaged to ${g.k}×${g.k})` : `${g.title} (${g.n}×${g.n})`;
  const titles = grids.map((g, i) => ({
    text: count === 1 ? panelTitle(g) : `${g.title} · ${g.k < g.n ? `${g.n}×${g.n} → ${g.k}×${g.k} blocks` : `${g.n}×${g.n}`}`,
    left: count === 1 ? 8 : `${2 + i * slot + slot / 2}%`,
    textAlign: count === 1 ? 'left' : 'center',
    top: 4,
    textStyle: { fontSize: count === 1 ? 13 : 12, fontWeight: 600, color: p.text },
  }));
  const gridsOpt = grids.map((_, i) =>
    count === 1 ? { left: 40, right: 80, top: 36, bottom: 24 } : { left: `${2 + i * slot + 1}%`, width: `${slot - 2}%`, top: 32, bottom: 16 },
  );
  const xAxes = grids.map((g, i) => ({ type: 'category', gridIndex: i, data: Array.from({ length: g.k }, (_, c) => String(c)), show: false }));
  const yAxes = grids.map((g, i) => ({ type: 'category', gridIndex: i, data: Array.from({ length: g.k }, (_, c) => String(c)), show: false }));
  // One panel keeps the plain (non-array) title, grid and axes that figure export restyles.
  const one = <T>(xs: T[]): T | T[] => (count === 1 ? xs[0]! : xs);
  return {
    ...base,
    legend: { show: false },
    title: one(titles),
    tooltip: {
      trigger: 'item',
      formatter: (x: { seriesIndex: number; data: number[] }) => {
        const g = grids[x.seriesIndex]!;
        return `${g.title}<br/>cell (${x.data[0]}, ${g.k - 1 - x.data[1]!}): ${fmt(x.data[2], 4)}`;
      },
    },
    grid: one(gridsOpt),
    xAxis: one(xAxes),
    yAxis: one(yAxes),
    visualMap: {
      min: vmin,
      max: vmax,
      calculable: false,
      orient: 'vertical',
      right: 6,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 14,
      text: [fmt(vmax, 3), fmt(vmin, 3)],
      textGap: 6,
      precision: 3,
      textStyle: { color: p.muted, fontSize: 11 },
      inRange: { color: colors },
      formatter: (v: number) => fmt(v, 3),
      seriesIndex: grids.map((_, i) => i),
    },
    series: grids.map((g, i) => ({ name: g.title, type: 'heatmap', xAxisIndex: i, yAxisIndex: i, data: datas[i], progressive: 0 })),
  };
}

/** What {@link buildKernelHeatmapsOption} needs of a run's newest tracked kernel (block-averaged by the engine). */
export interface TrackedKernel {
  step: number;
  kernel: { n: number; k: number; cells: readonly (number | null)[] };
}

/**
 * The heatmap figure of the app's Heatmap tab and of figure export: the trained network's kernel H̄ at its last
 * tracked step beside H∞, on one colour scale, H∞ averaged to the same cells as the engine averaged H̄.
 */
export function buildKernelHeatmapsOption(
  emp: TrackedKernel | null,
  gram: { n: number; values: ArrayLike<number> } | null,
  theme: ChartTheme,
): Record<string, unknown> {
  const panels: HeatmapPanel[] = [];
  if (emp) {
    const { n, k, cells } = emp.kernel;
    panels.push({ title: `trained network H̄ (step ${emp.step})`, matrix: { n, k, cells: cells.map((x) => (x === null ? NaN : x)) } });
  }
  if (gram) panels.push({ title: 'H∞ (infinite width)', matrix: gram });
  return buildHeatmapsOption(panels, { theme, title: 'Kernels', maxCells: emp ? KERNEL_PREVIEW_CELLS : 96 });
}
