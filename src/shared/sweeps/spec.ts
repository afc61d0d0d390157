/**
 * Sweeps: a base config plus a grid (every combination of the listed values) and/or random draws over
 * config fields, times a list of seeds. Expanded into cells, each a complete validated config; a cell's id
 * is a hash of the parts of its config that can change its numbers, so the same cell is never computed
 * twice (see `cellKey`).
 *
 * Pure: the CLI's `--grid KEY=v1,v2 --seeds A..B`, the UI's sweep form and the experiment presets all
 * build a {@link SweepSpec} and expand it here.
 */
import { z } from 'zod';
import { configObjectSchema, defaultConfig, issuesToText, parseConfig, type Config } from '../config/schema';
import { createRng, STREAMS } from '../random';

/** Config keys that never change a run's numbers (excluded from the cell key). */
export const NON_NUMERIC_KEYS = ['memoryLimitMiB', 'checkpointEvery', 'csvName'] as const;

/** The most cells one sweep may expand to (a typo like `--grid hiddenWidth=1..100000` is refused early). */
export const MAX_SWEEP_CELLS = 100_000;

const CONFIG_KEYS = Object.keys(configObjectSchema.shape) as (keyof Config)[];

const gridValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** A random axis: uniform (or log-uniform) on [min, max], rounded to integers with `integer`, or a choice. */
export const randomAxisSchema = z.union([
  z.object({ min: z.number(), max: z.number(), log: z.boolean().default(false), integer: z.boolean().default(false) }).strict(),
  z.object({ choices: z.array(gridValue).min(1) }).strict(),
]);

export const sweepSpecSchema = z
  .object({
    /** The config every cell starts from (missing keys take their defaults). */
    base: z.record(z.string(), z.unknown()).default({}),
    /** key → the values it takes; cells are the Cartesian product (in key order, last key fastest). */
    grid: z.record(z.string(), z.array(gridValue).min(1)).default({}),
    /** Random draws over further keys, `samples` of them, from the sweep's own generator `seed`. */
    random: z
      .object({ samples: z.number().int().min(1).max(MAX_SWEEP_CELLS), seed: z.number().int().min(0).default(0), axes: z.record(z.string(), randomAxisSchema) })
      .strict()
      .optional(),
    /** Seeds each cell is run with (default: the base config's seed alone). */
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1),
      )
      .min(1)
      .optional(),
  })
  .strict();

export type SweepSpec = z.input<typeof sweepSpecSchema>;

/** One cell of a sweep: its index in expansion order, its config, and the values of the swept keys. */
export interface SweepCell {
  index: number;
  config: Config;
  /** the swept keys and their values in this cell (seed included when seeds are swept) */
  point: Record<string, unknown>;
}

/** A sweep that does not expand: the message names the key (and the cell) at fault. */
export class SweepSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepSpecError';
  }
}

/**
 * Parses one `--grid KEY=v1,v2,…` argument: each value is read as JSON where it parses (numbers,
 * true/false, null, "quoted"), otherwise as a bare string; `a..b` (integers) expands to every integer
 * from a to b. The key must be a config key.
 */
export function parseGridArg(arg: string): [string, (string | number | boolean | null)[]] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new SweepSpecError(`--grid: expected KEY=v1,v2,…, got ${JSON.stringify(arg)}`);
  const key = arg.slice(0, eq).trim();
  if (!CONFIG_KEYS.includes(key as keyof Config)) throw new SweepSpecError(`--grid: unknown config key '${key}'`);
  const raw = arg.slice(eq + 1);
  if (raw.trim() === '') throw new SweepSpecError(`--grid ${key}: expected at least one value`);
  const values: (string | number | boolean | null)[] = [];
  for (const part of raw.split(',')) {
    const s = part.trim();
    if (s === '') throw new SweepSpecError(`--grid ${key}: empty value in ${JSON.stringify(raw)}`);
    const range = /^(-?\d+)\.\.(-?\d+)$/.exec(s);
    if (range) {
      values.push(...integerRange(Number(range[1]), Number(range[2]), `--grid ${key}`));
      continue;
    }
    try {
      const v: unknown = JSON.parse(s);
      if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) {
        values.push(v as string | number | boolean | null);
        continue;
      }
    } catch {
      // not JSON: a bare word
    }
    values.push(s);
  }
  return [key, values];
}

/** Parses `--seeds A..B` (inclusive) or `--seeds 1,5,9`. */
export function parseSeedsArg(arg: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(arg);
  if (range) return integerRange(Number(range[1]), Number(range[2]), '--seeds');
  const xs = arg.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new SweepSpecError(`--seeds: expected A..B or a comma-separated list of integers ≥ 0, got ${JSON.stringify(arg)}`);
  }
  return xs;
}

function integerRange(a: number, b: number, what: string): number[] {
  if (b < a) throw new SweepSpecError(`${what}: empty range ${a}..${b}`);
  if (b - a + 1 > MAX_SWEEP_CELLS) throw new SweepSpecError(`${what}: range ${a}..${b} has more than ${MAX_SWEEP_CELLS} values`);
  const out: number[] = [];
  for (let x = a; x <= b; x++) out.push(x);
  return out;
}

/**
 * Expands a sweep into its cells, each validated with the config schema. Throws {@link SweepSpecError}
 * naming the key for an unknown key, and naming the cell and the rule for a cell whose config is invalid.
 */
export function expandSweep(spec: SweepSpec): SweepCell[] {
  const parsed = sweepSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new SweepSpecError(`sweep: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ')}`);
  }
  const s = parsed.data;
  for (const key of [...Object.keys(s.base), ...Object.keys(s.grid), ...Object.keys(s.random?.axes ?? {})]) {
    if (!CONFIG_KEYS.includes(key as keyof Config)) throw new SweepSpecError(`sweep: unknown config key '${key}'`);
  }
  const base = { ...defaultConfig(), ...s.base } as Record<string, unknown>;
  const gridKeys = Object.keys(s.grid);
  let points: Record<string, unknown>[] = [{}];
  for (const key of gridKeys) {
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const v of s.grid[key]!) next.push({ ...p, [key]: v });
    points = next;
    if (points.length > MAX_SWEEP_CELLS) throw new SweepSpecError(`sweep: more than ${MAX_SWEEP_CELLS} cells`);
  }
  if (s.random) {
    // Sweep points come from the same seeded generator family as the engine (its own stream).
    const rng = createRng(s.random.seed, STREAMS.sweep);
    const rnd = (): number => rng.uniform();
    const draws: Record<string, unknown>[] = [];
    for (let k = 0; k < s.random.samples; k++) {
      const d: Record<string, unknown> = {};
      for (const [key, axis] of Object.entries(s.random.axes)) {
        if ('choices' in axis) d[key] = axis.choices[Math.min(axis.choices.length - 1, Math.floor(rnd() * axis.choices.length))];
        else {
          if (!(axis.max >= axis.min) || (axis.log && axis.min <= 0))
            throw new SweepSpecError(`sweep: random axis ${key} needs min ≤ max${axis.log ? ' and min > 0 on a log scale' : ''}`);
          const u = rnd();
          let v = axis.log ? Math.exp(Math.log(axis.min) + u * (Math.log(axis.max) - Math.log(axis.min))) : axis.min + u * (axis.max - axis.min);
          if (axis.integer) v = Math.min(axis.max, Math.max(axis.min, Math.round(v)));
          d[key] = v;
        }
      }
      draws.push(d);
    }
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const d of draws) next.push({ ...p, ...d });
    points = next;
  }
  const seeds = s.seeds;
  if (seeds) {
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const seed of seeds) next.push({ ...p, seed });
    points = next;
  }
  if (points.length > MAX_SWEEP_CELLS) throw new SweepSpecError(`sweep: ${points.length} cells, more than ${MAX_SWEEP_CELLS}`);
  return points.map((point, index) => {
    const r = parseConfig({ ...base, ...point });
    if (!r.ok) throw new SweepSpecError(`sweep cell ${index} (${describePoint(point)}):\n${issuesToText(r.issues)}`);
    return { index, config: r.config, point };
  });
}

/** `hiddenWidth=64, regime=joint, seed=3` */
export function describePoint(point: Record<string, unknown>): string {
  const parts = Object.entries(point).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'base config';
}

/**
 * The canonical text a cell id is the hash of: the config's keys that can change its numbers, sorted,
 * as JSON. Two configs with the same key compute the same run.
 */
export function cellKey(config: Config): string {
  const entries = Object.entries(config)
    .filter(([k, v]) => !(NON_NUMERIC_KEYS as readonly string[]).includes(k) && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}
