/**
 * Spectral bias: residual energy along H∞ eigen-directions against step, with the linearized prediction
 * e_ℓ(k) = e_ℓ(0)·(1 − ηλ_ℓ)^{2k} (energy, hence the square of the residual's factor (1 − ηλ_ℓ)^k; SPEC §6).
 */
import type { MetricRecord } from '../run/format';
import { FEW_POINTS, MAX_DISPLAY_POINTS, PALETTES, baseOption, downsampleXY, fmt, plottable, valueAxis } from './common';
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

/** Builds the spectral-bias chart (log-y): measured energies solid, predictions dashed in the same colour. */
export function buildSpectralBiasOption(records: readonly MetricRecord[], opts: SpectralBiasOptions): Record<string, unknown> {
  const max = opts.maxPoints ?? MAX_DISPLAY_POINTS;
  const p = PALETTES[opts.theme];
  const withBias = records.filter((r) => Array.isArray(r.tracked?.spectralBias));
  const n = withBias.reduce((a, r) => Math.max(a, r.tracked!.spectralBias!.length), 0);
  const picks = spreadIndices(n, opts.directions ?? 4);
  const series: Record<string, unknown>[] = [];
  const eig = opts.eigenvalues ?? null;
  const eta = opts.learningRate ?? null;
  picks.forEach((l, j) => {
    const color = p.series[j % p.series.length]!;
    const pts: XY[] = [];
    for (const r of withBias) {
      const v = r.tracked!.spectralBias![l];
      if (v !== null && v !== undefined) pts.push([r.step, v]);
    }
    const lam = eig?.[l];
    const name = lam !== undefined ? `λ${l + 1} = ${fmt(lam)}` : `direction ${l + 1}`;
    series.push({ name, type: 'line', showSymbol: pts.length <= FEW_POINTS, symbolSize: 4, data: downsampleXY(plottable(pts, true), max), lineStyle: { color, width: 1.8 }, itemStyle: { color } });
    const first = pts[0];
    if (first && lam !== undefined && eta !== null && eta > 0) {
      const factor = (1 - eta * lam) ** 2;
      const last = pts[pts.length - 1]![0];
      const pred: XY[] = [];
      const samples = Math.min(200, Math.max(2, last - first[0] + 1));
      for (let s = 0; s < samples; s++) {
        const k = first[0] + ((last - first[0]) * s) / (samples - 1);
        pred.push([k, first[1] * Math.pow(factor, k - first[0])]);
      }
      series.push({ name, type: 'line', showSymbol: false, data: plottable(pred, true), lineStyle: { color, width: 1, type: 'dashed' }, itemStyle: { color }, tooltip: { show: false } });
    }
  });
  return {
    ...baseOption(opts.theme, 'Spectral bias (dashed: (1−ηλ)^{2k})'),
    xAxis: valueAxis(opts.theme, 'step', false, { scale: false, min: 0 }),
    yAxis: valueAxis(opts.theme, 'residual energy (log)', true, { nameGap: 48 }),
    series,
  };
}
