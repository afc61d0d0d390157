/**
 * CSV of runs and charts (pure; used by the services, the CLI and the renderer's chart menu).
 *
 * Long format (one row per run, step and metric; TensorBoard's multi-run CSV):
 *   run_id,step,metric,value[,<config fields that differ between the exported runs>]
 * Wide format (one row per run and step, one column per metric):
 *   run_id,step,<metric>…[,<config fields that differ>]
 *
 * Numbers are written at full precision (JavaScript's shortest round-trip form, which Python's float()
 * and pandas read back exactly); non-finite values as NaN, Infinity and -Infinity (restored from the
 * record's `nonFinite` map). Fields are quoted per RFC 4180 where needed; lines end in \n.
 */
import type { MetricRecord } from '../run/format';

/** What the CSV needs of a run. */
export interface CsvRun {
  runId: string;
  /** the validated config (only fields that differ between the runs become columns) */
  config: Record<string, unknown>;
  records: readonly MetricRecord[];
}

/** The scalar metrics of a record, in column order; eigMin/eigMax follow as eigMin[0], eigMin[1], … */
export const SCALAR_METRICS = ['loss', 'lossRatio', 'testLoss', 'wallMs'] as const;
export const TRACKED_SCALARS = [
  'weightMoveW',
  'weightMoveV',
  'maxNeuronMove',
  'flipFraction',
  'kernelDistance',
  'linearizedLoss',
  'linearizedNetworkLoss',
] as const;
export const TRACKED_ARRAYS = ['eigMin', 'eigMax'] as const;

/** Quotes a CSV field when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A number at full precision: shortest round-trip decimal, NaN, Infinity or -Infinity. */
export function csvNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

/** A config value as a cell: strings as they are, everything else as JSON. */
function configCell(v: unknown): string {
  return csvCell(typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
}

/** The config keys whose values differ between the runs (in the first run's key order); none for one run. */
export function differingConfigKeys(configs: readonly Record<string, unknown>[]): string[] {
  if (configs.length < 2) return [];
  const keys: string[] = [];
  for (const c of configs) for (const k of Object.keys(c)) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => new Set(configs.map((c) => JSON.stringify(c[k]))).size > 1);
}

/** The value a record held at `path` (null stored + nonFinite restored), or undefined when absent. */
function valueAt(rec: MetricRecord, path: string, v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null) {
    const nf = rec.nonFinite?.[path];
    if (nf === 'NaN') return NaN;
    if (nf === 'Infinity') return Infinity;
    if (nf === '-Infinity') return -Infinity;
  }
  return undefined;
}

/** The (metric, value) pairs of one record in column order. */
export function recordMetrics(rec: MetricRecord): [string, number][] {
  const out: [string, number][] = [];
  const r = rec as Record<string, unknown>;
  for (const k of SCALAR_METRICS) {
    const v = valueAt(rec, k, r[k]);
    if (v !== undefined) out.push([k, v]);
  }
  const t = rec.tracked as Record<string, unknown> | undefined;
  if (t) {
    for (const k of TRACKED_SCALARS) {
      const v = valueAt(rec, `tracked.${k}`, t[k]);
      if (v !== undefined) out.push([k, v]);
    }
    for (const k of TRACKED_ARRAYS) {
      const a = t[k];
      if (!Array.isArray(a)) continue;
      a.forEach((x, i) => {
        const v = valueAt(rec, `tracked.${k}[${i}]`, x);
        if (v !== undefined) out.push([`${k}[${i}]`, v]);
      });
    }
  }
  return out;
}

/** The long-format CSV of one or more runs (header `run_id,step,metric,value`, then differing config fields). */
export function runsToLongCsv(runs: readonly CsvRun[]): string {
  const extra = differingConfigKeys(runs.map((r) => r.config));
  const lines = [['run_id', 'step', 'metric', 'value', ...extra].map(csvCell).join(',')];
  for (const run of runs) {
    const tail = extra.map((k) => configCell(run.config[k]));
    const id = csvCell(run.runId);
    for (const rec of run.records) {
      for (const [metric, value] of recordMetrics(rec)) lines.push([id, String(rec.step), metric, csvNumber(value), ...tail].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The wide-format CSV: one row per run and step, one column per metric (empty where a step lacks it). */
export function runsToWideCsv(runs: readonly CsvRun[]): string {
  const extra = differingConfigKeys(runs.map((r) => r.config));
  const metrics: string[] = [];
  const rows: { id: string; step: number; values: Map<string, number>; tail: string[] }[] = [];
  for (const run of runs) {
    const tail = extra.map((k) => configCell(run.config[k]));
    for (const rec of run.records) {
      const values = new Map(recordMetrics(rec));
      for (const m of values.keys()) if (!metrics.includes(m)) metrics.push(m);
      rows.push({ id: csvCell(run.runId), step: rec.step, values, tail });
    }
  }
  metrics.sort((a, b) => metricOrder(a) - metricOrder(b) || a.localeCompare(b, 'en', { numeric: true }));
  const lines = [['run_id', 'step', ...metrics, ...extra].map(csvCell).join(',')];
  for (const r of rows) {
    const cells = metrics.map((m) => {
      const v = r.values.get(m);
      return v === undefined ? '' : csvNumber(v);
    });
    lines.push([r.id, String(r.step), ...cells, ...r.tail].join(','));
  }
  return lines.join('\n') + '\n';
}

function metricOrder(m: string): number {
  const base = m.replace(/\[\d+\]$/, '');
  const all: readonly string[] = [...SCALAR_METRICS, ...TRACKED_SCALARS, ...TRACKED_ARRAYS];
  const i = all.indexOf(base);
  return i < 0 ? all.length : i;
}

/** A spectrum row source: the full empirical spectra, spectral-bias energies and the H∞ eigenvalues of a run. */
export interface SpectraRun extends CsvRun {
  /** H∞ eigenvalues, ascending (from the run's theory), or null */
  hInfinity: readonly number[] | null;
}

/**
 * Spectra as CSV: `run_id,step,kind,index,value` with kind `spectrum` (the traced empirical NTK's full
 * spectrum, ascending, at the steps it was computed), `spectralBias` (residual energy per H∞ direction,
 * ascending λ) and `hInfinity` (the H∞ eigenvalues, ascending; step left empty).
 */
export function spectraToCsv(runs: readonly SpectraRun[]): string {
  const lines = ['run_id,step,kind,index,value'];
  for (const run of runs) {
    const id = csvCell(run.runId);
    run.hInfinity?.forEach((v, i) => lines.push(`${id},,hInfinity,${i},${csvNumber(v)}`));
    for (const rec of run.records) {
      for (const kind of ['spectrum', 'spectralBias'] as const) {
        const a = rec.tracked?.[kind];
        if (!Array.isArray(a)) continue;
        a.forEach((x, i) => {
          const v = valueAt(rec, `tracked.${kind}[${i}]`, x);
          if (v !== undefined) lines.push(`${id},${rec.step},${kind},${i},${csvNumber(v)}`);
        });
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** An n×n row-major matrix as CSV: n lines of n numbers, no header. */
export function matrixToCsv(values: ArrayLike<number>, rows: number, cols: number): string {
  if (values.length !== rows * cols) throw new Error(`values: expected [${rows}, ${cols}] = ${rows * cols} entries, got ${values.length}`);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const r: string[] = [];
    for (let j = 0; j < cols; j++) r.push(csvNumber(values[i * cols + j]!));
    lines.push(r.join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * The data of a chart as drawn (an ECharts option from a shared/charts builder): `series,x,y` for line,
 * scatter and bar series, `series,x,y,value` for a heatmap. Reference lines (markLine) become rows with an
 * empty x. Points are the chart's own (a series longer than the display limit was downsampled by LTTB).
 */
export function chartOptionToCsv(option: Record<string, unknown>): string {
  const series = Array.isArray(option.series) ? (option.series as Record<string, unknown>[]) : [];
  const heat = series.some((s) => s.type === 'heatmap');
  const lines = [heat ? 'series,x,y,value' : 'series,x,y'];
  const num = (v: unknown): string => (typeof v === 'number' ? csvNumber(v) : v === null || v === undefined ? '' : csvCell(String(v)));
  for (const s of series) {
    const name = csvCell(String(s.name ?? s.type ?? ''));
    const data = Array.isArray(s.data) ? s.data : [];
    for (const p of data) {
      const point = Array.isArray(p)
        ? p
        : p !== null && typeof p === 'object' && Array.isArray((p as { value?: unknown }).value)
          ? (p as { value: unknown[] }).value
          : null;
      if (point) lines.push([name, ...point.slice(0, heat ? 3 : 2).map(num)].join(','));
    }
    const mark = (s.markLine as { data?: { name?: string; yAxis?: number; xAxis?: number }[] } | undefined)?.data;
    for (const m of mark ?? []) {
      if (typeof m.yAxis === 'number') lines.push([csvCell(String(m.name ?? name)), '', num(m.yAxis)].join(','));
      else if (typeof m.xAxis === 'number') lines.push([csvCell(String(m.name ?? name)), num(m.xAxis), ''].join(','));
    }
  }
  return lines.join('\n') + '\n';
}
