/**
 * Helpers shared by the chart option builders: display downsampling (LTTB), EMA smoothing, log-axis
 * filtering and the light/dark palettes. Everything here is pure and runs in Node.
 */
import { LTTB } from 'downsample';

/**
 * The id prefix of a builder's reference series (the λ₀ lines, H∞'s spectrum): the runs of an overlay that
 * share one get one line (publication.ts, overlayRuns).
 */
export const REFERENCE_ID = 'reference:';

/** A point [x, y]. */
export type XY = [number, number];

/** Largest number of points a series is drawn with; the store keeps every record. */
export const MAX_DISPLAY_POINTS = 2000;

/** Series with at most this many points show their symbols (a single point is otherwise invisible). */
export const FEW_POINTS = 30;

export type ChartTheme = 'light' | 'dark';

export interface Palette {
  text: string;
  muted: string;
  grid: string;
  background: string;
  series: string[];
  reference: string;
  theory: string;
}

export const PALETTES: Record<ChartTheme, Palette> = {
  light: {
    text: '#1f2430',
    muted: '#6b7280',
    grid: '#e5e7eb',
    background: 'transparent',
    series: ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'],
    reference: '#9333ea',
    theory: '#111827',
  },
  dark: {
    text: '#e5e7eb',
    muted: '#9ca3af',
    grid: '#374151',
    background: 'transparent',
    series: ['#60a5fa', '#f87171', '#34d399', '#fbbf24', '#a78bfa', '#22d3ee', '#f472b6', '#d1d5db'],
    reference: '#c084fc',
    theory: '#f9fafb',
  },
};

/**
 * Downsamples a series for display with largest-triangle-three-buckets, keeping the first and last
 * points; series at or below `max` points are returned unchanged (as a copy).
 */
export function downsampleXY(points: readonly XY[], max: number = MAX_DISPLAY_POINTS): XY[] {
  if (!Number.isInteger(max) || max < 3) throw new Error(`max: expected an integer ≥ 3, got ${max}`);
  if (points.length <= max) return points.slice();
  return Array.from(LTTB(points as XY[], max) as ArrayLike<XY>);
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_k = α s_{k−1} + (1−α) y_k, divided by
 * (1 − α^{k+1}) so the first points are not pulled toward 0. α = 0 returns the input; α ∈ [0, 1).
 * Non-finite values pass through without entering the average.
 */
export function emaSmooth(values: readonly number[], alpha: number): number[] {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`alpha: expected a number in [0, 1), got ${alpha}`);
  if (alpha === 0) return values.slice();
  const out: number[] = new Array<number>(values.length);
  let acc = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = alpha * acc + (1 - alpha) * v;
    count++;
    out[i] = acc / (1 - Math.pow(alpha, count));
  }
  return out;
}

/** Drops points whose y is not finite, and (for a log axis) not positive. */
export function plottable(points: readonly XY[], logY: boolean): XY[] {
  return points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0));
}

/** Formats a number for axis labels and tooltips (compact, exponent form when tiny or huge). */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/**
 * Rounds the long decimals inside a text to `digits` significant digits, for reasons and messages made of
 * raw floats ("L/L₀ = 9.887455473855786e-13" → "L/L₀ = 9.887e-13"). Only numbers with five or more decimals
 * change; integers, versions and addresses (a number next to another dot) are left alone.
 */
export function roundNumbers(text: string, digits = 4): string {
  return text.replace(/(?<![\d.])-?\d+\.\d{5,}(?:[eE][+-]?\d+)?(?![\d.])/g, (m) => {
    const v = Number(m);
    return Number.isFinite(v) ? fmt(v, digits) : m;
  });
}

/** Decades a log axis shows below the power of ten under its largest value. */
export const LOG_AXIS_DECADES = 30;

/**
 * The lower end of a log axis from the data's extent: ECharts' own (undefined) unless the data reach more
 * than LOG_AXIS_DECADES below the power of ten under the largest value; then that floor, and lines that go
 * lower leave through the bottom. ECharts draws nothing at all for a log axis spanning hundreds of decades,
 * which a linearized prediction (1 − ηλ)^{2k} reaches in a long run.
 */
export function logAxisMin(extent: { min: number; max: number }): number | undefined {
  if (!(extent.min > 0 && extent.max > 0)) return undefined;
  const floor = 10 ** (Math.floor(Math.log10(extent.max)) - LOG_AXIS_DECADES);
  return extent.min < floor ? floor : undefined;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * A log axis label: powers of ten as 10ᵏ (10⁻³, 10⁰, 10²) on every log axis, so one axis never mixes
 * "1.0e+10", "1" and "0.001"; any other tick (ECharts adds some between decades) in the compact form.
 */
export function logTickLabel(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return fmt(v, 2);
  const k = Math.round(Math.log10(v));
  if (Math.abs(v / 10 ** k - 1) > 1e-9) return fmt(v, 2);
  return `10${String(k).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

interface TooltipParam {
  marker?: string;
  seriesName?: string;
  value?: unknown;
  data?: unknown;
}

/**
 * An axis tooltip for charts whose x is the step (or wall time in seconds): the header is the integer
 * step ("step 1,250"), not ECharts' raw axis value; each line is `series: value` in the compact form.
 * Series whose tooltip is switched off never reach the formatter.
 */
export function stepTooltip(x: 'step' | 'wall' = 'step'): Record<string, unknown> {
  return {
    trigger: 'axis',
    formatter: (raw: TooltipParam | TooltipParam[]) => {
      const ps = Array.isArray(raw) ? raw : [raw];
      const first = ps[0]?.value;
      const x0 = Array.isArray(first) ? Number(first[0]) : NaN;
      const head = !Number.isFinite(x0) ? '' : x === 'step' ? `step ${Math.round(x0).toLocaleString('en-US')}` : `${fmt(x0, 4)} s`;
      const lines = ps.map((p) => {
        const v = Array.isArray(p.value) ? p.value[1] : p.value;
        return `${p.marker ?? ''}${p.seriesName ?? ''}: ${typeof v === 'number' ? fmt(v, 4) : '—'}`;
      });
      return [head, ...lines].filter((l) => l !== '').join('<br/>');
    },
  };
}

/** The axis, grid, legend and tooltip settings every chart shares. */
export function baseOption(theme: ChartTheme, title: string): Record<string, unknown> {
  const p = PALETTES[theme];
  return {
    animation: false,
    backgroundColor: p.background,
    color: p.series,
    textStyle: { color: p.text },
    title: { text: title, left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 600, color: p.text } },
    grid: { left: 64, right: 20, top: 40, bottom: 40 },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v, 4) : String(v)) },
    legend: { top: 4, right: 8, textStyle: { color: p.muted, fontSize: 11 }, itemWidth: 14, itemHeight: 8 },
  };
}

/** A value axis styled for the theme. */
export function valueAxis(theme: ChartTheme, name: string, log = false, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const p = PALETTES[theme];
  return {
    type: log ? 'log' : 'value',
    ...(log ? { min: logAxisMin } : {}),
    name,
    nameLocation: 'middle',
    nameGap: extra.nameGap ?? 30,
    nameTextStyle: { color: p.muted },
    axisLine: { lineStyle: { color: p.muted } },
    axisLabel: { color: p.muted, formatter: log ? logTickLabel : (v: number) => fmt(v, 2) },
    splitLine: { lineStyle: { color: p.grid } },
    // more ticks than ECharts' default 5: a log axis over many decades otherwise labels every 10th one
    ...(log ? { splitNumber: 8 } : {}),
    scale: !log,
    ...extra,
  };
}
