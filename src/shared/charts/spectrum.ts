/**
 * The spectrum of the traced empirical NTK at the current step against the H∞ spectrum, both sorted
 * descending and drawn on a log scale (SPEC §5.3: E[H̄] → H∞ as m grows).
 */
import { PALETTES, REFERENCE_ID, baseOption, fmt, valueAxis } from './common';
import type { ChartTheme, XY } from './common';

export interface SpectrumOptions {
  theme: ChartTheme;
  /** step the empirical spectrum was computed at (for the legend) */
  step?: number | null;
}

function sortedPositive(values: readonly (number | null)[]): XY[] {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => b - a);
  return v.map((y, i) => [i + 1, y] as XY).filter(([, y]) => y > 0);
}

/** Builds the spectrum chart (eigenvalue index → eigenvalue, log-y); non-positive eigenvalues are counted in the title. */
export function buildSpectrumOption(
  empirical: readonly (number | null)[] | null,
  infinite: readonly (number | null)[] | null,
  opts: SpectrumOptions,
): Record<string, unknown> {
  const p = PALETTES[opts.theme];
  const emp = sortedPositive(empirical ?? []);
  const inf = sortedPositive(infinite ?? []);
  const dropped = (empirical ?? []).filter((x) => x !== null && Number.isFinite(x) && x <= 0).length;
  const series: Record<string, unknown>[] = [];
  if (emp.length > 0)
    series.push({
      name: opts.step !== null && opts.step !== undefined ? `empirical NTK (step ${opts.step})` : 'empirical NTK',
      type: 'line',
      data: emp,
      showSymbol: emp.length <= 64,
      symbolSize: 4,
      lineStyle: { color: p.series[0] },
      itemStyle: { color: p.series[0] },
    });
  if (inf.length > 0)
    series.push({
      id: `${REFERENCE_ID}H∞`,
      name: 'H∞',
      type: 'line',
      data: inf,
      showSymbol: false,
      lineStyle: { type: 'dashed', color: p.reference },
      itemStyle: { color: p.reference },
    });
  return {
    ...baseOption(opts.theme, dropped > 0 ? `Spectrum (${dropped} eigenvalue${dropped > 1 ? 's' : ''} ≤ 0 not drawn)` : 'Spectrum'),
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v, 4) : String(v)) },
    xAxis: valueAxis(opts.theme, 'index (descending)', false, { scale: false, min: 1 }),
    yAxis: valueAxis(opts.theme, 'eigenvalue (log)', true, { nameGap: 48 }),
    series,
  };
}
