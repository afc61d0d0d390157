/**
 * The run table (issue 15): one row per run over every session, built from the run's small summary file
 * (summary.ts) and its annotations (tags and a note). The columns, their cells, sorting and the config
 * diff are defined here once, so the renderer's table, the services' listing and the CLI's `runs` command
 * show and filter the same thing.
 *
 * Pure (no DOM, no node).
 */
import type { RunStatus } from '../run/format';
import { matchesFilter, parseFilter, type CellValue, type FilterExpr } from './filter';

/** One run as the run table lists it. */
export interface RunRow {
  runId: string;
  sessionId: string;
  sessionName: string;
  status: RunStatus;
  reason: string | null;
  /** every config key except the CSV text (csvName stays), as stored in config.json */
  config: Record<string, CellValue>;
  /** the learning rates the engine used (after the automatic rule), when known */
  learningRates: { encoder: number | null; decoder: number | null } | null;
  lastStep: number;
  /** training loss, L/L₀ and test loss of the last record */
  finalLoss: number | null;
  lossRatio: number | null;
  testLoss: number | null;
  /** extreme eigenvalues of the empirical NTK at the last tracked step */
  lambdaMin: number | null;
  lambdaMax: number | null;
  stepsPerSecond: number | null;
  backend: string;
  dtype: string;
  appVersion: string;
  /** the machine in one line: platform, arch, cores, CPU model, host */
  machine: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  tags: string[];
  note: string;
}

export type ColumnGroup = 'config' | 'result' | 'run';

/** A column of the run table. `id` is also the name a filter uses. */
export interface ColumnDef {
  id: string;
  label: string;
  group: ColumnGroup;
  numeric: boolean;
}

/** The config keys shown as columns, in the form's order (csvText is never a column). */
export const CONFIG_COLUMNS: readonly ColumnDef[] = [
  ['dataset', 'data', false],
  ['samples', 'n', true],
  ['testSamples', 'test n', true],
  ['inputDim', 'd', true],
  ['csvName', 'CSV file', false],
  ['normalize', 'normalize', false],
  ['regime', 'regime', false],
  ['hiddenWidth', 'width m', true],
  ['scaling', 'scaling', false],
  ['init', 'init', false],
  ['kappa', 'κ', true],
  ['nu', 'ν', true],
  ['learningRate', 'η (config)', true],
  ['decoderLearningRate', 'η_V (config)', true],
  ['stepScale', 'step scale c', true],
  ['lossNormalization', 'loss', false],
  ['steps', 'steps', true],
  ['targetLossRatio', 'target L/L₀', true],
  ['batchSize', 'batch', true],
  ['trackEvery', 'track every', true],
  ['trackEigenvalues', 'tracked λ', true],
  ['linearizedSideBySide', 'linearized', false],
  ['seed', 'seed', true],
  ['memoryLimitMiB', 'memory MiB', true],
  ['checkpointEvery', 'checkpoint every', true],
].map(([id, label, numeric]) => ({ id: id as string, label: label as string, group: 'config' as const, numeric: numeric as boolean }));

/** Results and provenance. `backend` and `dtype` are what the run actually used (not the config's choice). */
export const RESULT_COLUMNS: readonly ColumnDef[] = [
  { id: 'eta', label: 'η', group: 'result', numeric: true },
  { id: 'finalLoss', label: 'final loss', group: 'result', numeric: true },
  { id: 'lossRatio', label: 'L/L₀', group: 'result', numeric: true },
  { id: 'testLoss', label: 'test loss', group: 'result', numeric: true },
  { id: 'lambdaMin', label: 'λ_min', group: 'result', numeric: true },
  { id: 'lambdaMax', label: 'λ_max', group: 'result', numeric: true },
  { id: 'stepsPerSecond', label: 'steps/s', group: 'result', numeric: true },
  { id: 'lastStep', label: 'last step', group: 'result', numeric: true },
  { id: 'status', label: 'status', group: 'run', numeric: false },
  { id: 'backend', label: 'backend', group: 'run', numeric: false },
  { id: 'dtype', label: 'dtype', group: 'run', numeric: false },
  { id: 'started', label: 'started', group: 'run', numeric: false },
  { id: 'duration', label: 'duration s', group: 'run', numeric: true },
  { id: 'session', label: 'session', group: 'run', numeric: false },
  { id: 'runId', label: 'run', group: 'run', numeric: false },
  { id: 'appVersion', label: 'app version', group: 'run', numeric: false },
  { id: 'machine', label: 'machine', group: 'run', numeric: false },
  { id: 'note', label: 'note', group: 'run', numeric: false },
];

/** Every column, config first. */
export const ALL_COLUMNS: readonly ColumnDef[] = [...CONFIG_COLUMNS.filter((c) => c.id !== 'backend' && c.id !== 'dtype'), ...RESULT_COLUMNS];

/** The columns shown until the user chooses: regime, width, init, seed, steps, η and the results. */
export const DEFAULT_COLUMNS: readonly string[] = [
  'regime',
  'hiddenWidth',
  'init',
  'seed',
  'steps',
  'eta',
  'finalLoss',
  'lossRatio',
  'lambdaMin',
  'lambdaMax',
  'stepsPerSecond',
  'status',
  'backend',
  'dtype',
  'started',
  'duration',
];

/** The names a filter may use: every column id. */
export const FILTER_FIELDS: readonly string[] = ALL_COLUMNS.map((c) => c.id);

/** The column definition of an id (undefined for an unknown id). */
export function columnDef(id: string): ColumnDef | undefined {
  return ALL_COLUMNS.find((c) => c.id === id);
}

/** One machine line: `linux x64 · 2 cores · AMD EPYC · host`. */
export function machineLine(m: { platform: string; arch: string; cpus: number; cpuModel?: string; hostname?: string } | null | undefined): string {
  if (!m) return '';
  return [`${m.platform} ${m.arch}`, `${m.cpus} cores`, m.cpuModel?.trim(), m.hostname].filter((s) => s !== undefined && s !== '').join(' · ');
}

/** A row's cells by column id (what the table shows, sorts and filters). */
export function rowCells(row: RunRow): Record<string, CellValue> {
  const eta = row.learningRates?.encoder ?? (typeof row.config.learningRate === 'number' ? row.config.learningRate : null);
  return {
    ...row.config,
    eta,
    finalLoss: row.finalLoss,
    lossRatio: row.lossRatio,
    testLoss: row.testLoss,
    lambdaMin: row.lambdaMin,
    lambdaMax: row.lambdaMax,
    stepsPerSecond: row.stepsPerSecond,
    lastStep: row.lastStep,
    status: row.status,
    backend: row.backend,
    dtype: row.dtype,
    started: row.startedAt,
    duration: row.durationMs === null ? null : row.durationMs / 1000,
    session: row.sessionName,
    runId: row.runId,
    appVersion: row.appVersion,
    machine: row.machine,
    note: row.note,
  };
}

/** Parses a filter against the table's columns (throws FilterSyntaxError with a message for a bad one). */
export function parseRunFilter(expr: string): FilterExpr {
  return parseFilter(expr, FILTER_FIELDS);
}

/** The rows a parsed filter keeps, in order. */
export function filterRows<R extends RunRow>(rows: readonly R[], expr: FilterExpr): R[] {
  if (expr.kind === 'all') return rows.slice();
  return rows.filter((r) => matchesFilter(expr, { columns: rowCells(r), tags: r.tags }));
}

function compareCells(a: CellValue | undefined, b: CellValue | undefined): number {
  const aMissing = a === null || a === undefined || (typeof a === 'number' && Number.isNaN(a));
  const bMissing = b === null || b === undefined || (typeof b === 'number' && Number.isNaN(b));
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * Sorts rows by a column (stable; empty cells last in either direction, then by start time and run id so
 * that equal cells keep a fixed order).
 */
export function sortRows<R extends RunRow>(rows: readonly R[], columnId: string, direction: 'asc' | 'desc'): R[] {
  const sign = direction === 'asc' ? 1 : -1;
  const cells = new Map(rows.map((r) => [r, rowCells(r)[columnId]] as const));
  return rows.slice().sort((x, y) => {
    const a = cells.get(x);
    const b = cells.get(y);
    const aMissing = a === null || a === undefined;
    const bMissing = b === null || b === undefined;
    if (aMissing !== bMissing) return aMissing ? 1 : -1;
    return sign * compareCells(a, b) || x.startedAt.localeCompare(y.startedAt) || x.runId.localeCompare(y.runId);
  });
}

/** A cell as text: numbers to 4 significant digits (integers whole), null as an em dash, dates shortened. */
export function formatCell(columnId: string, v: CellValue | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  if (columnId === 'started' && typeof v === 'string') return v.slice(0, 19).replace('T', ' ');
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  return String(v);
}

/** One line of the config diff: a config key and its value in each run (by the runs' order). */
export interface ConfigDiffLine {
  key: string;
  label: string;
  values: CellValue[];
  differs: boolean;
}

/**
 * The config diff of runs: one line per config key (the form's order, then any other keys), a value per
 * run, `differs` when not all runs hold the same value. With `diffOnly` only the differing lines.
 */
export function configDiff(rows: readonly Pick<RunRow, 'config'>[], diffOnly = false): ConfigDiffLine[] {
  const known = CONFIG_COLUMNS.map((c) => c.id);
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.config)))].filter((k) => !known.includes(k)).sort();
  const out: ConfigDiffLine[] = [];
  for (const key of [...known, ...extra]) {
    if (!rows.some((r) => key in r.config)) continue;
    const values = rows.map((r) => (key in r.config ? (r.config[key] ?? null) : null));
    const differs = values.some((v) => v !== values[0]);
    if (diffOnly && !differs) continue;
    out.push({ key, label: columnDef(key)?.label ?? key, values, differs });
  }
  return out;
}

/** Tags: letters, digits and `_ . + -`, up to 64 characters (a filter names them as `tag:NAME`). */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
export const MAX_TAGS = 32;
export const MAX_NOTE_CHARS = 10_000;

/** Splits what a user typed into tags (commas or spaces), dropping duplicates; throws naming a bad tag. */
export function parseTags(text: string): string[] {
  const tags = [...new Set(text.split(/[\s,]+/).filter((t) => t !== ''))];
  for (const t of tags) if (!TAG_PATTERN.test(t)) throw new Error(`tag ${JSON.stringify(t)}: expected letters, digits and _ . + - (up to 64 characters)`);
  if (tags.length > MAX_TAGS) throw new Error(`tags: at most ${MAX_TAGS}, got ${tags.length}`);
  return tags;
}
