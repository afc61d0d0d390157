/**
 * Helpers shared by the CLI commands: output on stdout/stderr, bounded input files, argument parsers and
 * the engine host a command borrows.
 */
import { InvalidArgumentError } from 'commander';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { issuesToText, parseConfig, type Config } from '../../shared/config/schema';
import { WorkbenchException } from '../../shared/api/result';
import { toScriptJson } from '../../shared/json';
import { decodeTextFile } from '../../shared/data/text';
import { EngineHost } from '../services/engineHost';

/** The state an action sets: the process exit code. */
export interface CliState {
  code: number;
  /**
   * Starts browser mode with `serve`'s flags and resolves with its exit code once it listens (or refused).
   * Given by the entry point (bin/ntk-workbench.mjs), since adapters do not import each other: the CLI
   * does not know the server.
   */
  serve?: (argv: string[]) => Promise<number>;
}

/** What the entry point gives the CLI. */
export interface CliDeps {
  serve?: (argv: string[]) => Promise<number>;
}

export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Writes a result line to stdout. */
export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
/** Writes a progress or log line to stderr. */
export const errln = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : s + '\n');

/** Prints a value as script JSON (non-finite numbers as null plus a note). */
export function printJson(v: unknown): void {
  out(JSON.stringify(toScriptJson(v), null, 2));
}

/**
 * Reads a text file named on the command line, refusing huge files before reading them and anything that
 * is not a regular file before opening it (a FIFO would block). UTF-8 and UTF-16 with a byte-order mark are
 * read; other encodings are refused with a hint (invalid-data).
 */
export async function readInput(file: string, flag: string): Promise<string> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new WorkbenchException('invalid-request', `${flag}: cannot read ${file} (no such file)`);
  }
  if (!st.isFile()) throw new WorkbenchException('invalid-request', `${flag}: ${file} is not a file`);
  if (st.size > MAX_INPUT_BYTES)
    throw new WorkbenchException('invalid-request', `${flag}: ${file} is ${st.size} bytes, above the ${MAX_INPUT_BYTES}-byte limit`);
  const d = decodeTextFile(await fsp.readFile(file), `${flag}: ${file}`);
  if (!d.ok) throw new WorkbenchException('invalid-data', d.message);
  return d.text;
}

/** Reads and validates a config JSON file named by --config. */
export async function readConfig(file: string): Promise<Config> {
  const text = await readInput(file, '--config');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WorkbenchException('invalid-config', `--config: ${file} is not valid JSON (${(e as Error).message})`);
  }
  const r = parseConfig(raw);
  if (!r.ok) throw new WorkbenchException('invalid-config', `--config ${file}:\n${issuesToText(r.issues)}`, { issues: r.issues });
  return r.config;
}

/** A commander parser for a number > 0. */
export function positiveNumber(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${flag}: expected a number > 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** A commander parser for a number in the open interval (0, 1) (a probability such as δ). */
export function probability(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x >= 1)
      throw new InvalidArgumentError(`${flag}: expected a number in (0, 1), got ${JSON.stringify(v)}`);
    return x;
  };
}

/** A commander parser for a comma-separated list of integers ≥ 0 (every item present: "" and "1,,2" are refused). */
export function stepList(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '' || !/^\d+$/.test(s)) || parts.map(Number).some((x) => !Number.isSafeInteger(x))) {
    throw new InvalidArgumentError(`--steps: expected comma-separated integers ≥ 0, got ${JSON.stringify(v)}`);
  }
  return parts.map(Number);
}

/** A commander parser for an integer ≥ 0. */
export function nonNegativeInt(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isInteger(x) || x < 0) throw new InvalidArgumentError(`${flag}: expected an integer ≥ 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** Formats a number for human-readable output. */
export function fmt(x: number | null | undefined, digits = 6): string {
  return typeof x === 'number' ? (Number.isFinite(x) ? x.toPrecision(digits) : String(x)) : '—';
}

/** Runs `fn` with an engine host that uses every core, disposing it afterwards. */
export async function withHost<T>(fn: (h: EngineHost) => Promise<T>): Promise<T> {
  // No window to keep responsive: the eigensolvers may use every core, as `train` does.
  const h = new EngineHost({ threads: availableParallelism() });
  try {
    return await fn(h);
  } finally {
    await h.dispose();
  }
}
