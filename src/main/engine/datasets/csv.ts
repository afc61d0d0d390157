/**
 * CSV import: one sample per row, one coordinate per column, an optional header row. Every error names
 * its line and column (1-based) as WorkbenchException('invalid-data', 'line L, column C: <what>').
 * Fields are split by `csv-parse` (RFC 4180: quoted fields may hold the separator, doubled quotes and line
 * breaks); this module checks what they hold.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { WorkbenchException } from '../../../shared/api/result';

/** A parsed CSV: X [d, n] (columns are the samples = the file's rows), and the header if there was one. */
export interface ParsedCsv {
  X: Float64Array;
  d: number;
  n: number;
  header: string[] | null;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function fail(line: number, column: number, what: string): never {
  throw new WorkbenchException('invalid-data', `line ${line}, column ${column}: ${what}`, { line, column });
}

/** One record of a CSV file: its fields (trimmed, quotes removed) and the (1-based) line it ends on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * The records of CSV text (a byte-order mark dropped; blank lines skipped, their lines still counted). The
 * separator is a comma, or a semicolon or tab when the first non-blank line has no comma. A malformed quote
 * is an 'invalid-data' error naming its line and column. The one CSV tokenizer of the engine.
 */
export function csvRecords(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = src.split(/\r\n|\n|\r/).find((l) => l.trim() !== '');
  if (firstLine === undefined) return [];
  const sep = firstLine.includes(',') ? ',' : firstLine.includes(';') ? ';' : firstLine.includes('\t') ? '\t' : ',';
  return records(src, sep);
}

function records(text: string, sep: string): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { delimiter: sep, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const at = e as CsvError & { lines?: number; column?: number };
    fail(at.lines ?? 1, (at.column ?? 0) + 1, e.message.replace(/ at line \d+$/, ''));
  }
  return parsed.map((r) => ({ line: r.info.lines, fields: r.record }));
}

function isNumeric(field: string): boolean {
  return NUMBER.test(field);
}

/**
 * Parses CSV text into X [d, n] (d = columns, n = data rows). The separator is a comma, or a semicolon
 * or tab when the first non-blank line has no comma. The first row is a header when none of its fields
 * is a number. Blank lines are skipped (line numbers still count them). Errors: empty file, header
 * without data, ragged rows, empty fields, non-numbers, NaN/Inf or values that overflow.
 */
export function parseCsv(text: string): ParsedCsv {
  const rows = csvRecords(text);
  if (rows.length === 0) fail(1, 1, 'the file is empty (expected one sample per row)');

  let header: string[] | null = null;
  const first = rows[0]!;
  if (first.fields.every((f) => !isNumeric(f) && !NON_FINITE.test(f))) {
    header = first.fields;
    rows.shift();
    if (rows.length === 0) fail(first.line + 1, 1, 'no data rows after the header');
  }

  const d = rows[0]!.fields.length;
  const refLine = rows[0]!.line;
  const n = rows.length;
  if (header !== null && header.length !== d) {
    fail(refLine, Math.min(header.length, d) + 1, `expected ${header.length} columns (as in the header on line ${first.line}), found ${d}`);
  }
  const X = new Float64Array(d * n);
  for (let i = 0; i < n; i++) {
    const { line, fields } = rows[i]!;
    if (fields.length !== d) {
      fail(line, Math.min(fields.length, d) + 1, `expected ${d} columns (as on line ${header !== null ? first.line : refLine}), found ${fields.length}`);
    }
    for (let a = 0; a < d; a++) {
      const f = fields[a]!;
      if (f === '') fail(line, a + 1, 'empty field (expected a number)');
      if (NON_FINITE.test(f)) fail(line, a + 1, `${JSON.stringify(f)} is not a finite number (NaN and Inf are not allowed)`);
      if (!isNumeric(f)) fail(line, a + 1, `${JSON.stringify(f.length > 30 ? f.slice(0, 30) + '…' : f)} is not a number`);
      const v = Number(f);
      if (!Number.isFinite(v)) fail(line, a + 1, `${JSON.stringify(f)} overflows float64 (not a finite number)`);
      X[a * n + i] = v;
    }
  }
  return { X, d, n, header };
}
