/**
 * Comparison charts (issue 15): several runs overlaid on one chart, each with a stable colour and a legend
 * entry, or — grouped by a config field — one mean line per group with a band (±1 std or min–max) across the
 * group's runs (src/shared/runs/bands.ts). Pure builders, tested in Node.
 *
 * Metrics: loss, L/L₀, test loss, λ_min/λ_max of the empirical NTK, weight movement (W and V) and kernel
 * distance, against the step or the wall time.
 */
import type { MetricRecord } from '../run/format';
import { groupBands, type BandKind, type RunSeries } from '../runs/bands';
import { PALETTES, baseOption, downsampleXY, plottable, stepTooltip, valueAxis, type ChartTheme, type XY } from './common';

export const COMPARE_METRICS = ['loss', 'lossRatio', 'testLoss', 'eigen', 'movement', 'kernelDistance'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

export const COMPARE_TITLES: Record<CompareMetric, string> = {
  loss: 'Training loss',
  lossRatio: 'L/L₀',
  testLoss: 'Test loss',
  eigen: 'λ_min / λ_max of the NTK',
  movement: 'Weight movement',
  kernelDistance: 'Kernel distance',
};

/** The parts of a metric drawn as separate lines per run (λ_min and λ_max, W and V). */
const PARTS: Record<CompareMetric, { name: string; pick: (r: MetricRecord) => number | null | undefined; dashed?: boolean }[]> = {
  loss: [{ name: '', pick: (r) => r.loss }],
  lossRatio: [{ name: '', pick: (r) => r.lossRatio }],
  testLoss: [{ name: '', pick: (r) => r.testLoss }],
  eigen: [
    { name: 'λ_min', pick: (r) => r.tracked?.eigMin?.[0] },
    { name: 'λ_max', pick: (r) => r.tracked?.eigMax?.[0], dashed: true },
  ],
  movement: [
    { name: 'W', pick: (r) => r.tracked?.weightMoveW },
    { name: 'V', pick: (r) => r.tracked?.weightMoveV, dashed: true },
  ],
  kernelDistance: [{ name: '', pick: (r) => r.tracked?.kernelDistance }],
};

/** One run in a comparison: its id, legend label, colour index and records. */
export interface CompareRun {
  runId: string;
  label: string;
  colour: number;
  records: readonly MetricRecord[];
}

export interface CompareOptions {
  theme: ChartTheme;
  xAxis: 'step' | 'wall';
  logX: boolean;
  logY: boolean;
  /** runs not drawn (their legend entries stay in the run list) */
  hidden?: ReadonlySet<string>;
  /** group by: the group key of each run and the band kind; groups are drawn against the step */
  groupBy?: { keyOf: (runId: string) => string; band: BandKind; field: string } | null;
  /** the chart's own legend (default on; the app's comparison lists the runs beside the charts instead) */
  legend?: boolean;
}

/** The colour of a colour index in a theme (cycling through the palette). */
export function compareColour(theme: ChartTheme, index: number): string {
  const s = PALETTES[theme].series;
  return s[((index % s.length) + s.length) % s.length]!;
}

function points(records: readonly MetricRecord[], xAxis: 'step' | 'wall', pick: (r: MetricRecord) => number | null | undefined): XY[] {
  const out: XY[] = [];
  for (const r of records) {
    const y = pick(r);
    if (typeof y !== 'number') continue;
    out.push([xAxis === 'step' ? r.step : r.wallMs / 1000, y]);
  }
  return out;
}

/** True when some visible run has data for the metric. */
export function hasCompareData(metric: CompareMetric, runs: readonly CompareRun[]): boolean {
  return runs.some((r) => PARTS[metric].some((p) => r.records.some((rec) => typeof p.pick(rec) === 'number')));
}

/**
 * The option of one comparison chart. Overlay: a line per run (and part), coloured by the run's colour
 * index, named `label` (or `label · part`). Grouped: per group and part a mean line named
 * `field = key (n runs)` (groups in the natural order of their keys) and its band as two stacked series (lower
 * edge, height) left out of legend and tooltip.
 */
export function buildCompareOption(metric: CompareMetric, runs: readonly CompareRun[], opts: CompareOptions): Record<string, unknown> {
  const visible = runs.filter((r) => !opts.hidden?.has(r.runId));
  const parts = PARTS[metric];
  const series: Record<string, unknown>[] = [];
  const grouped = opts.groupBy ?? null;
  const x: 'step' | 'wall' = grouped ? 'step' : opts.xAxis;
  if (!grouped) {
    for (const r of visible) {
      const color = compareColour(opts.theme, r.colour);
      for (const p of parts) {
        const data = downsampleXY(plottable(points(r.records, x, p.pick), opts.logY).filter(([px]) => !opts.logX || px > 0));
        if (data.length === 0) continue;
        series.push({
          name: p.name ? `${r.label} · ${p.name}` : r.label,
          type: 'line',
          data,
          symbol: data.length <= 30 ? 'circle' : 'none',
          lineStyle: { color, width: 1.5, type: p.dashed ? 'dashed' : 'solid' },
          itemStyle: { color },
        });
      }
    }
  } else {
    for (const p of parts) {
      const rs: RunSeries[] = visible.map((r) => {
        const pts = points(r.records, 'step', p.pick);
        return { runId: r.runId, x: pts.map((q) => q[0]), y: pts.map((q) => q[1]) };
      });
      // Groups in the order of their keys (natural order), so a group keeps its colour whatever the selection order.
      const bands = groupBands(rs, grouped.keyOf, grouped.band).sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }));
      bands.forEach((g, gi) => {
        const color = compareColour(opts.theme, gi);
        const name = `${grouped.field} = ${g.key} (${g.runIds.length} run${g.runIds.length === 1 ? '' : 's'})${p.name ? ` · ${p.name}` : ''}`;
        let pts = g.points.filter((q) => Number.isFinite(q.mean) && (!opts.logX || q.x > 0));
        if (opts.logY) pts = pts.filter((q) => q.mean > 0);
        // On a log axis a band edge ≤ 0 cannot be drawn: it is cut at a thousandth of the mean.
        const lowerOf = (q: (typeof pts)[number]): number => (opts.logY && q.lower <= 0 ? q.mean * 1e-3 : q.lower);
        const stack = `band-${gi}-${p.name}`;
        const bandLabel = grouped.band === 'std' ? '±1 std' : 'min–max';
        series.push(
          {
            name: `${name} band lower (${bandLabel})`,
            type: 'line',
            data: pts.map((q): XY => [q.x, lowerOf(q)]),
            stack,
            symbol: 'none',
            lineStyle: { opacity: 0 },
            silent: true,
            tooltip: { show: false },
          },
          {
            name: `${name} band height (${bandLabel})`,
            type: 'line',
            data: pts.map((q): XY => [q.x, q.upper - lowerOf(q)]),
            stack,
            symbol: 'none',
            lineStyle: { opacity: 0 },
            areaStyle: { color, opacity: 0.2 },
            silent: true,
            tooltip: { show: false },
          },
          {
            name,
            type: 'line',
            data: pts.map((q): XY => [q.x, q.mean]),
            symbol: 'none',
            lineStyle: { color, width: 1.8, type: p.dashed ? 'dashed' : 'solid' },
            itemStyle: { color },
          },
        );
      });
    }
  }
  const legendNames = series.filter((s) => !String(s.name).includes(' band ')).map((s) => s.name as string);
  const base = baseOption(
    opts.theme,
    COMPARE_TITLES[metric] + (grouped ? ` — mean and ${grouped.band === 'std' ? '±1 std' : 'min–max'} by ${grouped.field}` : ''),
  );
  const legend = opts.legend !== false;
  return {
    ...base,
    grid: { left: 60, right: 16, top: 36, bottom: legend ? 40 + 18 * Math.min(4, Math.ceil(legendNames.length / 3)) : 40 },
    legend: legend
      ? { ...(base.legend as Record<string, unknown>), top: undefined, right: undefined, bottom: 2, left: 8, data: legendNames, type: 'scroll' }
      : { show: false, data: legendNames },
    tooltip: stepTooltip(x),
    xAxis: valueAxis(opts.theme, x === 'step' ? 'step' : 'wall time (s)', opts.logX, { scale: false, nameGap: 24 }),
    yAxis: valueAxis(opts.theme, COMPARE_TITLES[metric], opts.logY, { nameGap: 44 }),
    series,
  };
}
