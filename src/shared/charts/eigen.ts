/**
 * Tracked extreme eigenvalues of the traced empirical NTK against step (SPEC §5.2, §5.5), with the
 * infinite-width references λ₀, λ_dec, λ_J drawn as horizontal lines named in the legend; the y axis
 * always reaches them.
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, REFERENCE_ID, baseOption, downsampleXY, fmt, plottable, stepTooltip, valueAxis } from './common';
import type { ChartTheme, XY } from './common';

export interface EigenOptions {
  theme: ChartTheme;
  logY: boolean;
  /** reference lines (null/undefined ones are left out) */
  references?: { lambda0?: number | null; lambdaDec?: number | null; lambdaJ?: number | null };
  maxPoints?: number;
}

/** Builds the eigenvalue-vs-step chart: one series per tracked λ_min,k and λ_max,k. */
export function buildEigenOption(records: readonly MetricRecord[], opts: EigenOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const p = PALETTES[opts.theme];
  const mins: XY[][] = [];
  const maxs: XY[][] = [];
  for (const r of records) {
    const t = r.tracked;
    if (!t) continue;
    t.eigMin?.forEach((v, k) => {
      if (v !== null) (mins[k] ??= []).push([r.step, v]);
    });
    t.eigMax?.forEach((v, k) => {
      if (v !== null) (maxs[k] ??= []).push([r.step, v]);
    });
  }
  const series: Record<string, unknown>[] = [];
  const push = (name: string, pts: XY[], color: string, width: number): void => {
    const data = downsampleXY(plottable(pts, opts.logY), max);
    series.push({ name, type: 'line', showSymbol: data.length <= FEW_POINTS, symbolSize: 4, data, lineStyle: { width, color }, itemStyle: { color } });
  };
  mins.forEach((pts, k) => push(k === 0 ? 'λ_min' : `λ_min+${k}`, pts ?? [], p.series[0]!, k === 0 ? 2 : 1));
  maxs.forEach((pts, k) => push(k === 0 ? 'λ_max' : `λ_max−${k}`, pts ?? [], p.series[1]!, k === 0 ? 2 : 1));
  const refs: { name: string; value: number; dash: string }[] = [];
  const r = opts.references ?? {};
  if (r.lambda0 !== null && r.lambda0 !== undefined && Number.isFinite(r.lambda0)) refs.push({ name: 'λ₀', value: r.lambda0, dash: 'dashed' });
  if (r.lambdaDec !== null && r.lambdaDec !== undefined && Number.isFinite(r.lambdaDec)) refs.push({ name: 'λ_dec', value: r.lambdaDec, dash: 'dotted' });
  if (r.lambdaJ !== null && r.lambdaJ !== undefined && Number.isFinite(r.lambdaJ)) refs.push({ name: 'λ_J', value: r.lambdaJ, dash: 'dashed' });
  // The references are ordinary two-point series across the tracked steps: the y axis then includes them
  // (ECharts leaves mark lines out of the axis range), and the legend names them instead of labels
  // printed over the lines.
  const xs = [...mins, ...maxs].flatMap((pts) => pts.map(([x]) => x));
  const x0 = xs.length > 0 ? Math.min(...xs) : 0;
  const x1 = xs.length > 0 ? Math.max(...xs) : 1;
  const refColors = [p.reference, p.series[4]!, p.series[2]!];
  refs
    .filter((x) => !opts.logY || x.value > 0)
    .forEach((x, i) => {
      const color = refColors[i % refColors.length]!;
      series.push({
        id: `${REFERENCE_ID}${x.name}`,
        name: `${x.name} = ${fmt(x.value)} (H∞)`,
        type: 'line',
        showSymbol: false,
        data: [
          [x0, x.value],
          [x1 === x0 ? x0 + 1 : x1, x.value],
        ],
        lineStyle: { type: x.dash, width: 1.2, color },
        itemStyle: { color },
        tooltip: { show: false },
        silent: true,
      });
    });
  // A log axis cannot show λ ≤ 0 (a collapsed network's λ_min): say how many tracked values it leaves out.
  let hidden = 0;
  if (opts.logY) for (const pts of [...mins, ...maxs]) for (const [, y] of pts ?? []) if (!(y > 0)) hidden++;
  const title = hidden > 0 ? `NTK eigenvalues (${hidden} value${hidden > 1 ? 's' : ''} ≤ 0 not drawn on the log axis)` : 'NTK eigenvalues';
  return {
    ...baseOption(opts.theme, title),
    tooltip: stepTooltip(),
    // λ_min+k and λ_max−k are thinner lines in the colours of λ_min and λ_max: the legend names those two
    // and the references (the tooltip still lists every line)
    legend: {
      ...(baseOption(opts.theme, title).legend as Record<string, unknown>),
      data: series.map((x) => x.name as string).filter((x) => x === 'λ_min' || x === 'λ_max' || x.endsWith('(H∞)')),
    },
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, opts.logY ? 'eigenvalue (log)' : 'eigenvalue', opts.logY, { nameGap: 48 }),
    series,
  };
}
