/**
 * Figures for a paper from the app's own charts: {@link publicationStyle} restyles an option built by a
 * shared/charts builder (the chart the user saw) for print — white background, dark text sized to stay
 * readable when the figure is set at a journal's column width, the legend below the plot, log axes
 * labelled 10⁻³, 10⁻², … — and {@link overlayRuns} draws several runs' charts of one kind in one figure.
 * Pure (no DOM, no ECharts import): the renderer's chart menu and the services' SSR export both use it.
 */
import { PALETTES, REFERENCE_ID, fmt, type ChartTheme } from './common';

/** Default size of an exported figure in CSS pixels (PNG scale multiplies it). */
export const FIGURE_WIDTH = 640;
export const FIGURE_HEIGHT = 420;

/** The print palette: black text on white, the light theme's series colours. */
const INK = { text: '#111827', axis: '#374151', label: '#1f2937', grid: '#e5e7eb', background: '#ffffff' };
const FONT = { title: 17, axisName: 15, axisLabel: 14, legend: 14 };
/** Height of one legend row at the legend font (measured on ECharts' SSR output). */
export const LEGEND_ROW = 28;

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * A log-axis tick label: exact powers of ten as 10ᵏ (1 and 10 plainly), others in compact form. ECharts'
 * own labels print float noise such as 0.0000999999; this never does.
 */
export function logTickLabel(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return '';
  const k = Math.round(Math.log10(v));
  if (Math.abs(v / 10 ** k - 1) < 1e-9) {
    if (k === 0) return '1';
    if (k === 1) return '10';
    return `10${String(k)
      .split('')
      .map((c) => SUPERSCRIPT[c] ?? c)
      .join('')}`;
  }
  return Number(v.toPrecision(2)).toExponential().replace('e+', 'e');
}

/** Replaces every string equal to a key of `map` anywhere in a JSON-like value (functions kept as they are). */
function recolor<T>(v: T, map: Map<string, string>): T {
  if (typeof v === 'string') return (map.get(v) ?? v) as T;
  if (Array.isArray(v)) return v.map((x) => recolor(x, map)) as T;
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = recolor(x, map);
    return o as T;
  }
  return v;
}

/** The dark theme's light tints do not read on white paper: each is swapped for its light-theme twin. */
function darkToLight(): Map<string, string> {
  const d = PALETTES.dark;
  const l = PALETTES.light;
  const m = new Map<string, string>();
  d.series.forEach((c, i) => m.set(c, l.series[i]!));
  m.set(d.reference, l.reference);
  m.set(d.theory, l.theory);
  m.set(d.text, l.text);
  m.set(d.muted, l.muted);
  m.set(d.grid, l.grid);
  return m;
}

function asArray(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v as Record<string, unknown>[];
  if (v !== null && typeof v === 'object') return [v as Record<string, unknown>];
  return [];
}

function styleAxis(axis: Record<string, unknown>): Record<string, unknown> {
  if (axis.show === false) return axis;
  const log = axis.type === 'log';
  const label = (axis.axisLabel as Record<string, unknown> | undefined) ?? {};
  return {
    ...axis,
    nameTextStyle: { ...(axis.nameTextStyle as object), color: INK.text, fontSize: FONT.axisName },
    axisLine: { show: true, lineStyle: { color: INK.axis, width: 1 } },
    axisTick: { show: true, lineStyle: { color: INK.axis } },
    axisLabel: { ...label, color: INK.label, fontSize: FONT.axisLabel, ...(log ? { formatter: logTickLabel } : {}) },
    splitLine: axis.splitLine && (axis.splitLine as { show?: boolean }).show === false ? axis.splitLine : { lineStyle: { color: INK.grid } },
    nameGap: typeof axis.nameGap === 'number' ? axis.nameGap + 10 : 34,
  };
}

/** Legend entries of an option (unique series names; nameless series are not listed). */
function legendNames(option: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const s of asArray(option.series)) {
    const n = s.name;
    if (typeof n === 'string' && n !== '' && !names.includes(n)) names.push(n);
  }
  return names;
}

/** Width in px of a text at a font size; the renderers pass ECharts' own measure so that rows match its layout. */
export type TextMeasure = (text: string, fontPx: number) => number;

/** A rough measure for when none is given (0.6 em per character). */
const roughMeasure: TextMeasure = (text, px) => text.length * px * 0.6;

/**
 * Rows a bottom legend of these names takes at `width`, laid out as ECharts lays out a plain legend: items
 * of (icon 22 px + 5 px + text) separated by 14 px, a new row when the next item would pass the legend's width.
 */
export function legendRows(names: readonly string[], width: number, measure: TextMeasure = roughMeasure): number {
  if (names.length === 0) return 0;
  const avail = width - 40;
  let rows = 1;
  let x = 0;
  for (const n of names) {
    const w = 27 + measure(n, FONT.legend);
    if (x > 0 && x + w > avail) {
      rows++;
      x = 0;
    }
    x += w + 14;
  }
  return rows;
}

/** The height a figure needs so that its plot keeps `height` minus one legend row whatever the legend's rows. */
export function figureHeight(option: Record<string, unknown>, width: number = FIGURE_WIDTH, height: number = FIGURE_HEIGHT, measure?: TextMeasure): number {
  return height + Math.max(0, legendRows(legendNames(option), width, measure) - 1) * LEGEND_ROW;
}

/**
 * Restyles a chart option for print at `width`×`height`. Series, data, axis types and names stay as the
 * builder made them; what changes is background, text colours and sizes, margins and the legend's place.
 * A dark-theme option gets the light theme's colours (same order), since it is printed on white.
 */
export function publicationStyle(
  option: Record<string, unknown>,
  opts: { theme: ChartTheme; width?: number; height?: number; measure?: TextMeasure },
): Record<string, unknown> {
  const width = opts.width ?? FIGURE_WIDTH;
  const src = opts.theme === 'dark' ? recolor(option, darkToLight()) : option;
  const names = legendNames(src);
  const isHeatmap = asArray(src.series).some((s) => s.type === 'heatmap');
  // A heatmap's one series needs no legend: its colour bar says what the colours mean.
  const rows = isHeatmap || src.legend === undefined || (src.legend as { show?: boolean }).show === false ? 0 : legendRows(names, width, opts.measure);
  // A heatmap of several panels (the trained kernel beside H∞) has a title, grid and axes per panel.
  const panelTitles = Array.isArray(src.title);
  const hasTitle = panelTitles ? asArray(src.title).some((t) => Boolean(t.text)) : Boolean((src.title as { text?: string } | undefined)?.text);
  const heatmapGrid = (g: Record<string, unknown>): Record<string, unknown> => ({ ...g, top: hasTitle ? 48 : 16, bottom: 24 + rows * LEGEND_ROW });
  const grid = (src.grid as Record<string, unknown> | undefined) ?? {};
  const rightAxisName = asArray(src.yAxis).length > 1;
  const out: Record<string, unknown> = {
    ...src,
    animation: false,
    backgroundColor: INK.background,
    textStyle: { color: INK.text, fontFamily: 'sans-serif' },
    title: panelTitles
      ? asArray(src.title).map((t) => ({ ...t, top: 8, textStyle: { color: INK.text, fontSize: FONT.legend, fontWeight: 600 } }))
      : { ...(src.title as object), left: 'center', top: 8, textStyle: { color: INK.text, fontSize: FONT.title, fontWeight: 600 } },
    legend:
      rows === 0
        ? { show: false }
        : {
            ...(src.legend as object),
            type: 'plain',
            bottom: 8,
            left: 'center',
            right: undefined,
            top: undefined,
            textStyle: { color: INK.label, fontSize: FONT.legend },
            itemWidth: 22,
            itemHeight: 10,
            itemGap: 14,
            width: width - 40,
          },
    grid: isHeatmap
      ? Array.isArray(src.grid)
        ? asArray(src.grid).map(heatmapGrid)
        : heatmapGrid(grid)
      : { left: 84, right: rightAxisName ? 72 : 28, top: hasTitle ? 52 : 20, bottom: 60 + rows * LEGEND_ROW },
    xAxis: Array.isArray(src.xAxis) ? asArray(src.xAxis).map(styleAxis) : src.xAxis ? styleAxis(src.xAxis as Record<string, unknown>) : src.xAxis,
    yAxis: Array.isArray(src.yAxis) ? asArray(src.yAxis).map(styleAxis) : src.yAxis ? styleAxis(src.yAxis as Record<string, unknown>) : src.yAxis,
  };
  delete out.tooltip;
  const vm = src.visualMap as { min?: unknown; max?: unknown } | undefined;
  if (vm) {
    // The colour bar's ends carry their values, so the figure can be read without the app's hover.
    const ends = typeof vm.min === 'number' && typeof vm.max === 'number' ? { text: [fmt(vm.max, 3), fmt(vm.min, 3)], itemHeight: 180 } : {};
    out.visualMap = { ...vm, ...ends, textStyle: { color: INK.label, fontSize: FONT.axisLabel } };
  }
  return out;
}

const DASHES = ['solid', 'dashed', 'dotted'] as const;

/** The y values of a series' data ([x, y] points or plain numbers). */
const yValues = (data: unknown): unknown[] => (Array.isArray(data) ? data.map((pt: unknown) => (Array.isArray(pt) ? pt[1] : pt)) : []);

/** A two-point horizontal line across both lines' steps (other data: the first's). */
function widened(a: unknown, b: unknown): unknown {
  const two = (d: unknown): d is [number, number][] => Array.isArray(d) && d.length === 2 && d.every((pt) => Array.isArray(pt) && typeof pt[0] === 'number');
  if (!two(a) || !two(b)) return a;
  return [
    [Math.min(a[0]![0], b[0]![0]), a[0]![1]],
    [Math.max(a[1]![0], b[1]![0]), a[1]![1]],
  ];
}

/**
 * One figure of several runs: the same builder's option for each run (`options[i]` for `labels[i]`),
 * their series drawn together, one colour per run (the theme's series colours in order) and one line type
 * per series kind of a run (solid, dashed, dotted, unless the builder chose one). Axes and title come from the
 * first run; each series is named "<run label> · <series>". A reference series (id {@link REFERENCE_ID}…) that
 * several runs have alike (same name, same values) is drawn once, in its own colour, across all their steps,
 * named for the runs that share it ("A, B · λ₀ = 0.5 (H∞)"), or plainly when all of them do. Mark lines
 * without data come from the first run.
 */
export function overlayRuns(options: readonly Record<string, unknown>[], labels: readonly string[], theme: ChartTheme): Record<string, unknown> {
  if (options.length !== labels.length) throw new Error(`labels: expected ${options.length}, got ${labels.length}`);
  if (options.length === 0) throw new Error('options: expected at least one chart');
  if (options.length === 1) return options[0]!;
  const palette = PALETTES[theme].series;
  interface Drawn {
    series: Record<string, unknown>;
    /** its name in its run's option */
    base: string;
    /** the runs it stands for (several for a shared reference) */
    runs: number[];
    /** how it looks alone (run colour) and shared (its own) */
    own: Record<string, unknown>;
    plain: boolean;
  }
  const drawn: Drawn[] = [];
  /** each run's series by its name in that run's option */
  const entryOf = options.map(() => new Map<string, Drawn>());
  options.forEach((opt, r) => {
    const color = palette[r % palette.length]!;
    asArray(opt.series).forEach((s, k) => {
      const base = String(s.name ?? '');
      const empty = !Array.isArray(s.data) || s.data.length === 0;
      // Mark lines of later runs (a series without data) would repeat the first run's; they are kept once.
      if (s.markLine !== undefined && empty && r > 0) return;
      const reference = typeof s.id === 'string' && s.id.startsWith(REFERENCE_ID);
      const same = reference
        ? drawn.find((e) => e.own.id === s.id && e.base === base && JSON.stringify(yValues(e.own.data)) === JSON.stringify(yValues(s.data)))
        : undefined;
      if (same) {
        same.runs.push(r);
        same.series = { ...same.own, data: widened(same.series.data, s.data) };
        entryOf[r]!.set(base, same);
        return;
      }
      const line = (s.lineStyle as Record<string, unknown> | undefined) ?? {};
      const entry: Drawn = {
        series: { ...s, lineStyle: { ...line, color, type: line.type ?? DASHES[k % DASHES.length] }, itemStyle: { ...(s.itemStyle as object), color } },
        base,
        runs: [r],
        own: s,
        plain: s.markLine !== undefined && empty,
      };
      drawn.push(entry);
      entryOf[r]!.set(base, entry);
    });
  });
  const nameOf = (e: Drawn): string => {
    if (e.plain || e.runs.length === options.length) return e.base;
    return `${e.runs.map((r) => labels[r]).join(', ')} · ${e.base}`;
  };
  // Series ids are unique within one run's option only: the overlay leaves them out.
  const series = drawn.map((e) => {
    const { id: _id, ...rest } = e.series;
    return { ...rest, name: nameOf(e) };
  });
  const out: Record<string, unknown> = { ...options[0]!, series };
  // A legend that lists only some series (the eigenvalue chart names λ_min and λ_max, not λ_min+k) lists each
  // run's, under their names in the overlay, entry by entry (a run's references are named by their values).
  const legend = options[0]!.legend as { data?: unknown[] } | undefined;
  if (legend && Array.isArray(legend.data)) {
    const lists = options.map((o) => (o.legend as { data?: unknown } | undefined)?.data);
    const longest = Math.max(...lists.map((l) => (Array.isArray(l) ? l.length : 0)));
    const data: string[] = [];
    for (let i = 0; i < longest; i++) {
      lists.forEach((l, r) => {
        if (!Array.isArray(l) || i >= l.length) return;
        const entry: unknown = l[i];
        const e = entryOf[r]!.get(typeof entry === 'string' ? entry : String((entry as { name?: unknown }).name ?? ''));
        if (e) data.push(nameOf(e));
      });
    }
    out.legend = { ...legend, data: [...new Set(data)] };
  }
  return out;
}
