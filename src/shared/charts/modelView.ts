/**
 * The model in the middle: 2-D data as inputs x and reconstructions u(x) joined by arrows x → u(x)
 * (train and test marked); MNIST as a grid of digits over their reconstructions; any other d as
 * per-sample reconstruction error bars ‖x_i − u(x_i)‖.
 *
 * The engine's preview (RunMeta.preview at step 0, then `tracked.preview` every K steps) is read
 * defensively by {@link extractModelView}; rows are samples:
 *   { kind: 'points2d', train, trainRecon, test, testRecon: number[][] }
 *   { kind: 'mnist', inputs, reconstructions: number[][][] (28×28 images) }
 *   { kind: 'errors', train, test: number[] }
 * Older or partial shapes ({ inputs, testInputs } plus a record's { reconstruction: { train, test } })
 * are accepted too.
 */
import type { MetricRecord } from '../run/format';
import { PALETTES, baseOption, fmt, valueAxis } from './common';
import type { ChartTheme } from './common';

export type ModelViewData =
  | { kind: 'points2d'; train: { x: number[][]; u: number[][] | null }; test: { x: number[][]; u: number[][] | null } | null; step: number | null }
  | {
      kind: 'images';
      side: number;
      inputs: number[][];
      outputs: number[][] | null;
      testInputs?: number[][] | null;
      testOutputs?: number[][] | null;
      step: number | null;
    }
  | { kind: 'errors'; train: number[]; test: number[] | null; step: number | null };

function rows(v: unknown): number[][] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  if (!v.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number' || x === null))) return null;
  return (v as (number | null)[][]).map((r) => r.map((x) => (x === null ? NaN : x)));
}

function nums(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  if (!v.every((x) => typeof x === 'number' || x === null)) return null;
  return (v as (number | null)[]).map((x) => (x === null ? NaN : x));
}

function field(o: unknown, ...names: string[]): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  for (const n of names) {
    const v = (o as Record<string, unknown>)[n];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** ‖x_i − u_i‖ per row; rows of unequal count or width give null. */
export function rowErrors(x: readonly number[][], u: readonly number[][]): number[] | null {
  if (x.length !== u.length) return null;
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = u[i]!;
    if (a.length !== b.length) return null;
    let s = 0;
    for (let j = 0; j < a.length; j++) s += (a[j]! - b[j]!) ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

function images(v: unknown): number[][] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const out: number[][] = [];
  for (const img of v) {
    const flat = rows(img);
    if (!flat) return null;
    out.push(flat.flat());
  }
  return out;
}

/** Reads the engine's `{ kind, … }` preview (see the file comment); null when it is not one. */
function fromKindPreview(p: unknown, step: number | null): ModelViewData | null {
  const kind = field(p, 'kind');
  if (kind === 'points2d') {
    const x = rows(field(p, 'train'));
    if (!x) return null;
    const u = rows(field(p, 'trainRecon'));
    const xt = rows(field(p, 'test'));
    const ut = rows(field(p, 'testRecon'));
    return {
      kind: 'points2d',
      train: { x, u: u && u.length === x.length ? u : null },
      test: xt ? { x: xt, u: ut && ut.length === xt.length ? ut : null } : null,
      step,
    };
  }
  if (kind === 'mnist') {
    const inputs = images(field(p, 'inputs'));
    if (!inputs) return null;
    const outputs = images(field(p, 'reconstructions'));
    const testInputs = images(field(p, 'testInputs'));
    const testOutputs = images(field(p, 'testReconstructions'));
    const side = Math.round(Math.sqrt(inputs[0]!.length));
    return {
      kind: 'images',
      side,
      inputs,
      outputs: outputs && outputs.length === inputs.length ? outputs : null,
      testInputs,
      testOutputs: testInputs && testOutputs && testOutputs.length === testInputs.length ? testOutputs : null,
      step,
    };
  }
  if (kind === 'errors') {
    const train = nums(field(p, 'train'));
    if (!train) return null;
    return { kind: 'errors', train, test: nums(field(p, 'test')), step };
  }
  return null;
}

/** Finds what the model view can show from the newest record's preview, else the run metadata preview. */
export function extractModelView(preview: unknown, records: readonly MetricRecord[]): ModelViewData | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const p = records[i]!.tracked?.preview;
    if (p !== undefined) {
      const v = fromKindPreview(p, records[i]!.step);
      if (v) return v;
      break;
    }
  }
  const fromMeta = fromKindPreview(preview, 0);
  if (fromMeta) return fromMeta;
  const inputs = rows(field(preview, 'inputs', 'x', 'train'));
  const testInputs = rows(field(preview, 'testInputs', 'xTest', 'test'));
  let recon: unknown;
  let errs: unknown;
  let step: number | null = null;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    const rc = field(r, 'reconstruction', 'outputs') ?? field(r.tracked, 'reconstruction', 'outputs');
    const se = field(r, 'sampleErrors') ?? field(r.tracked, 'sampleErrors');
    if (rc !== undefined || se !== undefined) {
      recon = rc;
      errs = se;
      step = r.step;
      break;
    }
  }
  const u = rows(field(recon, 'train', 'u')) ?? rows(recon);
  const uTest = rows(field(recon, 'test', 'uTest'));
  const d = inputs?.[0]?.length ?? u?.[0]?.length ?? 0;
  if (inputs && d === 2) {
    return {
      kind: 'points2d',
      train: { x: inputs, u: u && u.length === inputs.length ? u : null },
      test: testInputs ? { x: testInputs, u: uTest && uTest.length === testInputs.length ? uTest : null } : null,
      step,
    };
  }
  const sideHint = field(preview, 'side');
  const side = typeof sideHint === 'number' ? sideHint : Math.round(Math.sqrt(d));
  if (inputs && d >= 64 && side * side === d) {
    return { kind: 'images', side, inputs, outputs: u && u.length === inputs.length ? u : null, step };
  }
  const trainErr = nums(field(errs, 'train')) ?? nums(errs) ?? (inputs && u ? rowErrors(inputs, u) : null);
  const testErr = nums(field(errs, 'test')) ?? (testInputs && uTest ? rowErrors(testInputs, uTest) : null);
  if (trainErr) return { kind: 'errors', train: trainErr, test: testErr, step };
  return null;
}

export interface ModelViewOptions {
  theme: ChartTheme;
  /** largest number of digits per row in the MNIST grid */
  maxImages?: number;
  /** largest number of bars per set in the error view */
  maxBars?: number;
  /** the chart's size in px: with it, digits keep their square aspect ratio (without it they fill the area) */
  size?: { width: number; height: number } | null;
  /** per-sample errors on a log axis */
  logY?: boolean;
}

/**
 * The grid of a digit mosaic of `cols`×`rows` pixels inside a chart of `size` px: the largest square
 * pixel that fits between the margins, centred. Without a size, the margins only (cells stretch).
 */
export function squareGrid(
  cols: number,
  rows: number,
  size: { width: number; height: number } | null | undefined,
  margin: { left: number; right: number; top: number; bottom: number },
): Record<string, number> {
  if (!size || !(size.width > 0) || !(size.height > 0)) return { ...margin };
  const aw = Math.max(1, size.width - margin.left - margin.right);
  const ah = Math.max(1, size.height - margin.top - margin.bottom);
  const px = Math.min(aw / cols, ah / rows);
  const w = px * cols;
  const h = px * rows;
  return { left: margin.left + (aw - w) / 2, top: margin.top + (ah - h) / 2, width: w, height: h };
}

function arrows(x: number[][], u: number[][]): { coords: [number, number][] }[] {
  return x.map((xi, i) => ({
    coords: [
      [xi[0]!, xi[1]!],
      [u[i]![0]!, u[i]![1]!],
    ] as [number, number][],
  }));
}

/** Builds the model-view option for 2-D points, MNIST digits or per-sample error bars. */
export function buildModelViewOption(data: ModelViewData | null, opts: ModelViewOptions): Record<string, unknown> {
  const p = PALETTES[opts.theme];
  const stepText = data?.step !== null && data?.step !== undefined ? ` (step ${data.step})` : '';
  if (!data) return { ...baseOption(opts.theme, 'Model'), xAxis: { show: false }, yAxis: { show: false }, series: [] };
  if (data.kind === 'points2d') {
    const series: Record<string, unknown>[] = [
      { name: 'train x', type: 'scatter', data: data.train.x.map((r) => [r[0], r[1]]), symbolSize: 7, itemStyle: { color: p.series[0] } },
    ];
    if (data.train.u) {
      series.push({
        name: 'train u(x)',
        type: 'scatter',
        data: data.train.u.map((r) => [r[0], r[1]]),
        symbol: 'diamond',
        symbolSize: 7,
        itemStyle: { color: p.series[0], opacity: 0.55 },
      });
      series.push({
        name: 'train x → u(x)',
        type: 'lines',
        coordinateSystem: 'cartesian2d',
        data: arrows(data.train.x, data.train.u),
        symbol: ['none', 'arrow'],
        symbolSize: 6,
        lineStyle: { color: p.series[0], width: 1, opacity: 0.6 },
        silent: true,
      });
    }
    if (data.test) {
      series.push({
        name: 'test x',
        type: 'scatter',
        data: data.test.x.map((r) => [r[0], r[1]]),
        symbol: 'triangle',
        symbolSize: 8,
        itemStyle: { color: p.series[1] },
      });
      if (data.test.u) {
        series.push({
          name: 'test u(x)',
          type: 'scatter',
          data: data.test.u.map((r) => [r[0], r[1]]),
          symbol: 'diamond',
          symbolSize: 7,
          itemStyle: { color: p.series[1], opacity: 0.55 },
        });
        series.push({
          name: 'test x → u(x)',
          type: 'lines',
          coordinateSystem: 'cartesian2d',
          data: arrows(data.test.x, data.test.u),
          symbol: ['none', 'arrow'],
          symbolSize: 6,
          lineStyle: { color: p.series[1], width: 1, opacity: 0.6, type: 'dashed' },
          silent: true,
        });
      }
    }
    return {
      ...baseOption(opts.theme, `Inputs x → reconstructions u(x)${stepText}`),
      tooltip: { trigger: 'item', formatter: (x: { seriesName: string; data: number[] }) => `${x.seriesName}: (${fmt(x.data[0])}, ${fmt(x.data[1])})` },
      // arrows are explained by the title; the legend lists only the point sets
      legend: {
        bottom: 0,
        data: series.filter((x) => x.type === 'scatter').map((x) => x.name as string),
        textStyle: { color: p.muted, fontSize: 11 },
        itemWidth: 10,
        itemHeight: 8,
      },
      grid: { left: 48, right: 20, top: 36, bottom: 60 },
      xAxis: valueAxis(opts.theme, 'x₁', false, { scale: true, nameLocation: 'end', nameGap: 6 }),
      yAxis: valueAxis(opts.theme, 'x₂', false, { scale: true, nameGap: 32 }),
      series,
    };
  }
  if (data.kind === 'images') {
    const perRow = opts.maxImages ?? 10;
    const s = data.side;
    const gap = 2;
    // Rows of digits, each labelled: train x, train u(x), test x, test u(x) (whichever the preview has).
    const bands: { label: string; imgs: number[][] }[] = [{ label: 'train x', imgs: data.inputs.slice(0, perRow) }];
    if (data.outputs) bands.push({ label: 'train u(x)', imgs: data.outputs.slice(0, perRow) });
    if (data.testInputs && data.testInputs.length > 0) {
      bands.push({ label: 'test x', imgs: data.testInputs.slice(0, perRow) });
      if (data.testOutputs) bands.push({ label: 'test u(x)', imgs: data.testOutputs.slice(0, perRow) });
    }
    const count = Math.max(...bands.map((b) => b.imgs.length));
    const width = count * (s + gap);
    const height = bands.length * (s + gap);
    const cells: [number, number, number][] = [];
    const put = (img: number[], col: number, row: number): void => {
      for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) cells.push([col * (s + gap) + x, height - 1 - (row * (s + gap) + y), img[y * s + x] ?? 0]);
    };
    bands.forEach((b, row) => b.imgs.forEach((img, col) => put(img, col, row)));
    // The grey scale spans the inputs' pixels: a reconstruction far off (a collapsed or diverging network)
    // saturates instead of fading the digits themselves to white.
    let hi = 0;
    for (const b of bands) if (b.label.endsWith(' x')) for (const img of b.imgs) for (const v of img) if (Number.isFinite(v)) hi = Math.max(hi, Math.abs(v));
    // A band's label sits at its middle pixel row (category index counted from the bottom).
    const labelAt = new Map<number, string>();
    bands.forEach((b, row) => labelAt.set(height - 1 - (row * (s + gap) + Math.floor(s / 2)), b.label));
    return {
      ...baseOption(opts.theme, data.outputs ? `Digits x → u(x)${stepText}` : 'Digits'),
      tooltip: { show: false },
      legend: { show: false },
      grid: squareGrid(width, height, opts.size, { left: 78, right: 8, top: 32, bottom: 8 }),
      xAxis: { type: 'category', data: Array.from({ length: width }, (_, i) => i), show: false },
      yAxis: {
        type: 'category',
        data: Array.from({ length: height }, (_, i) => i),
        axisLine: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { interval: 0, color: p.muted, fontSize: 11, formatter: (_v: unknown, i: number) => labelAt.get(i) ?? '' },
      },
      visualMap: { show: false, min: 0, max: hi > 0 ? hi : 1, inRange: { color: opts.theme === 'dark' ? ['#000000', '#ffffff'] : ['#ffffff', '#000000'] } },
      series: [{ name: 'digits', type: 'heatmap', data: cells, progressive: 0 }],
    };
  }
  const maxBars = opts.maxBars ?? 200;
  // a log axis has no place for an error of 0 (or a non-finite one)
  const pos = (v: number): number | null => (Number.isFinite(v) && (!opts.logY || v > 0) ? v : null);
  const shape = opts.logY ? { type: 'scatter', symbolSize: 6 } : { type: 'bar', stack: 'e' };
  const train = data.train.slice(0, maxBars);
  const test = (data.test ?? []).slice(0, maxBars);
  const labels = [...train.map((_, i) => `train ${i + 1}`), ...test.map((_, i) => `test ${i + 1}`)];
  return {
    ...baseOption(opts.theme, `Reconstruction error ‖x − u(x)‖${stepText}`),
    legend: { bottom: 0, textStyle: { color: p.muted, fontSize: 11 }, itemWidth: 14, itemHeight: 8 },
    grid: { left: 56, right: 16, top: 36, bottom: labels.length <= 40 ? 64 : 32 },
    xAxis: {
      type: 'category',
      data: labels,
      axisLabel: { show: labels.length <= 40, color: p.muted, rotate: 60, fontSize: 9 },
      axisLine: { lineStyle: { color: p.muted } },
    },
    yAxis: opts.logY
      ? valueAxis(opts.theme, '‖x − u(x)‖ (log)', true, { nameGap: 48 })
      : valueAxis(opts.theme, '‖x − u(x)‖', false, { min: 0, scale: false, nameGap: 48 }),
    // On a log axis bars would hang from 1 (log 0): the errors are dots there.
    series: [
      { name: 'train', data: [...train.map(pos), ...test.map(() => null)], itemStyle: { color: p.series[0] }, ...shape },
      { name: 'test', data: [...train.map(() => null), ...test.map(pos)], itemStyle: { color: p.series[1] }, ...shape },
    ],
  };
}
