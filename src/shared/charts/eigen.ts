/**
 * Tracked extreme eigenvalues of the traced empirical NTK against step (SPEC §5.2, §5.5), with the
 * infinite-width references λ₀, λ_dec, λ_J drawn as horizontal lines.
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, fmt, plottable, valueAxis } from './common';
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
  const refs: { name: string; value: number }[] = [];
  const r = opts.references ?? {};
  if (r.lambda0 !== null && r.lambda0 !== undefined && Number.isFinite(r.lambda0)) refs.push({ name: 'λ₀', value: r.lambda0 });
  if (r.lambdaDec !== null && r.lambdaDec !== undefined && Number.isFinite(r.lambdaDec)) refs.push({ name: 'λ_dec', value: r.lambdaDec });
  if (r.lambdaJ !== null && r.lambdaJ !== undefined && Number.isFinite(r.lambdaJ)) refs.push({ name: 'λ_J', value: r.lambdaJ });
  const usable = refs.filter((x) => !opts.logY || x.value > 0);
  if (usable.length > 0) {
    series.push({
      name: 'H∞ references',
      type: 'line',
      data: [],
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { type: 'dashed', color: p.reference },
        label: { formatter: (m: { name: string; value: number }) => `${m.name} = ${fmt(m.value)}`, color: p.reference },
        // alternate label ends so close reference lines do not print over each other
        data: usable.map((x, i) => ({ name: x.name, yAxis: x.value, label: { position: (['insideEndTop', 'insideStartTop', 'insideMiddleTop'] as const)[i % 3] } })),
      },
    });
  }
  return {
    ...baseOption(opts.theme, 'NTK eigenvalues'),
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, opts.logY ? 'eigenvalue (log)' : 'eigenvalue', opts.logY, { nameGap: 48 }),
    series,
  };
}
