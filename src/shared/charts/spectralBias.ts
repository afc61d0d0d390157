/**
 * Spectral bias: residual energy along H∞ eigen-directions against step, with the linearized prediction
 * e_ℓ(k) = e_ℓ(0)·(1 − ηλ_ℓ)^{2k} (energy, hence the square of the residual's factor (1 − ηλ_ℓ)^k; SPEC §6).
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, fmt, plottable, stepTooltip, valueAxis } from './common';
import type { ChartTheme, XY } from './common';

export interface SpectralBiasOptions {
  theme: ChartTheme;
  /** H∞ eigenvalues, ascending (same order as tracked.spectralBias); null = no prediction lines */
  eigenvalues?: readonly number[] | null;
  /** the effective step η (η/n for mean loss); null = no prediction lines */
  learningRate?: number | null;
  /** how many directions to draw, spread from the smallest to the largest eigenvalue */
  directions?: number;
  maxPoints?: number;
}

/** Picks `k` indices spread evenly over 0..n−1, always including both ends. */
export function spreadIndices(n: number, k: number): number[] {
  if (n <= 0 || k <= 0) return [];
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [n - 1];
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add(Math.round((j * (n - 1)) / (k - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Energies below this share of the largest one are rounding noise in float64: not drawn (no plunge to the axis floor). */
export const ENERGY_FLOOR = 1e-16;

/**
 * Builds the spectral-bias chart (log-y): measured energies solid, predictions dashed in the same colour.
 * Predictions are drawn at whole steps only (GD has no half steps) and stop where they fall below the
 * floor (ENERGY_FLOOR × the largest measured energy); so do the measured lines.
 */
export function buildSpectralBiasOption(records: readonly MetricRecord[], opts: SpectralBiasOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const p = PALETTES[opts.theme];
  const withBias = records.filter((r) => Array.isArray(r.tracked?.spectralBias));
  const n = withBias.reduce((a, r) => Math.max(a, r.tracked!.spectralBias!.length), 0);
  const picks = spreadIndices(n, opts.directions ?? 4);
  const series: Record<string, unknown>[] = [];
  const eig = opts.eigenvalues ?? null;
  const eta = opts.learningRate ?? null;
  let top = 0;
  for (const r of withBias) for (const v of r.tracked!.spectralBias!) if (v !== null && Number.isFinite(v) && v > top) top = v;
  const floor = top > 0 ? top * ENERGY_FLOOR : 0;
  picks.forEach((l, j) => {
    const color = p.series[j % p.series.length]!;
    const pts: XY[] = [];
    for (const r of withBias) {
      const v = r.tracked!.spectralBias![l];
      if (v !== null && v !== undefined && v > floor) pts.push([r.step, v]);
    }
    const lam = eig?.[l];
    const name = lam !== undefined ? `λ${l + 1} = ${fmt(lam)}` : `direction ${l + 1}`;
    series.push({
      name,
      type: 'line',
      showSymbol: pts.length <= FEW_POINTS,
      symbolSize: 4,
      data: downsampleXY(plottable(pts, true), max),
      lineStyle: { color, width: 1.8 },
      itemStyle: { color },
    });
    const first = pts[0];
    if (first && lam !== undefined && eta !== null && eta > 0) {
      const factor = (1 - eta * lam) ** 2;
      const last = pts[pts.length - 1]![0];
      const span = last - first[0];
      const stride = Math.max(1, Math.ceil(span / 200));
      const pred: XY[] = [];
      const at = (k: number): number => first[1] * Math.pow(factor, k - first[0]);
      let k = first[0];
      for (; k <= last; k += stride) {
        if (!(at(k) > floor)) break;
        pred.push([k, at(k)]);
      }
      // the strided walk may step over the last tracked step: end the line exactly there
      if (k > last && pred.at(-1)![0] !== last && at(last) > floor) pred.push([last, at(last)]);
      series.push({
        name,
        type: 'line',
        showSymbol: false,
        data: pred,
        lineStyle: { color, width: 1, type: 'dashed' },
        itemStyle: { color },
        tooltip: { show: false },
      });
    }
  });
  return {
    ...baseOption(opts.theme, 'Spectral bias (dashed: e(0)·(1 − ηλ)²ᵏ)'),
    tooltip: stepTooltip(),
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, 'residual energy (log)', true, { nameGap: 48 }),
    series,
  };
}
