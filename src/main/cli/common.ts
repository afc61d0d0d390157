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
import { EngineHost } from '../services/engineHost';

/** The state an action sets: the process exit code. */
export interface CliState {
  code: number;
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

/** Reads a text file named on the command line, refusing huge files before reading them. */
export async function readInput(file: string, flag: string): Promise<string> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new WorkbenchException('invalid-request', `${flag}: cannot read ${file} (no such file)`);
  }
  if (!st.isFile()) throw new WorkbenchException('invalid-request', `${flag}: ${file} is not a file`);
  if (st.size > MAX_INPUT_BYTES) throw new WorkbenchException('invalid-request', `${flag}: ${file} is ${st.size} bytes, above the ${MAX_INPUT_BYTES}-byte limit`);
  return fsp.readFile(file, 'utf8');
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
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${flag}: expected a number > 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** A commander parser for a comma-separated list of integers ≥ 0. */
export function stepList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new InvalidArgumentError(`--steps: expected comma-separated integers ≥ 0, got ${JSON.stringify(v)}`);
  }
  return xs;
}

/** A commander parser for an integer ≥ 0. */
export function nonNegativeInt(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError(`${flag}: expected an integer ≥ 0, got ${JSON.stringify(v)}`);
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

