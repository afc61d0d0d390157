/**
 * The experiment configuration: one zod schema, its defaults, and readable error messages.
 * Parsed at every entry (IPC, WebSocket, CLI, session load). Keys are flat so that a message can name
 * the key a user typed. SPEC.md §1–§4 define the quantities.
 */
import { z } from 'zod';

export const DATASETS = ['sphere', 'gaussian', 'halfcircle', 'trig', 'trig_scaled', 'mnist', 'csv'] as const;
export const REGIMES = ['weak', 'joint', 'decoder', 'tied'] as const;
export const SCALINGS = ['ntk', 'mean-field'] as const;
export const INITS = ['gaussian', 'rademacher', 'orthogonal', 'antisymmetric'] as const;
export const DTYPES = ['float32', 'float64'] as const;
export const BACKENDS = ['auto', 'tensorflow', 'onnx-cuda', 'onnx', 'wasm', 'tfjs-cpu', 'js'] as const;
export const LOSS_NORMALIZATIONS = ['sum', 'mean'] as const;

export type Dataset = (typeof DATASETS)[number];
export type Regime = (typeof REGIMES)[number];
export type Scaling = (typeof SCALINGS)[number];
export type InitFamily = (typeof INITS)[number];
export type Dtype = (typeof DTYPES)[number];
export type BackendChoice = (typeof BACKENDS)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export const MAX_SAMPLES = 100_000;
export const MAX_INPUT_DIM = 4096;
export const MAX_HIDDEN_WIDTH = 1_000_000;
export const MAX_STEPS = 10_000_000;
/** Largest CSV text accepted inline in a config (bytes, not paths, travel from the page). */
export const MAX_CSV_CHARS = 64 * 1024 * 1024;

const int = (min: number, max: number) =>
  z
    .number({ error: (i) => (i.input === undefined ? 'required' : `expected a number, got ${describe(i.input)}`) })
    .int({ error: (i) => `expected an integer, got ${describe(i.input)}` })
    .min(min, { error: (i) => `expected an integer ≥ ${min}, got ${describe(i.input)}` })
    .max(max, { error: (i) => `expected an integer ≤ ${max}, got ${describe(i.input)}` });

const positive = () =>
  z
    .number({ error: (i) => `expected a number, got ${describe(i.input)}` })
    .refine((v) => Number.isFinite(v) && v > 0, { error: (i) => `expected a finite number > 0, got ${describe(i.input)}` });

const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (i) => `expected one of ${values.join(', ')}, got ${describe(i.input)}` });

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  return typeof v;
}

/** The raw config schema (with defaults). Use {@link parseConfig} to also apply cross-field rules. */
export const configObjectSchema = z
  .object({
    /** Data set (SPEC §2). */
    dataset: choice(DATASETS).default('sphere'),
    /** n: training samples. */
    samples: int(1, MAX_SAMPLES).default(16),
    /** Held-out test samples drawn from the same distribution (0 = none). */
    testSamples: int(0, MAX_SAMPLES).default(8),
    /** d: input = output dimension (ignored for mnist: 784, halfcircle: 2, csv: the file's columns). */
    inputDim: int(1, MAX_INPUT_DIM).default(8),
    /** CSV import: the file's text (one sample per row, optional header). */
    csvText: z
      .string()
      .max(MAX_CSV_CHARS, { error: `expected at most ${MAX_CSV_CHARS} characters` })
      .optional(),
    /** Display name of the imported CSV file. */
    csvName: z.string().max(512).optional(),
    /** MNIST: scale pixels so that every sample has unit norm. */
    normalize: z.boolean().default(true),
    /** m: hidden width. */
    hiddenWidth: int(1, MAX_HIDDEN_WIDTH).default(256),
    /** s = 1/√m (ntk) or 1/m (mean-field). */
    scaling: choice(SCALINGS).default('ntk'),
    init: choice(INITS).default('gaussian'),
    /** κ: encoder init scale. */
    kappa: positive().default(1),
    /** ν: decoder init scale. */
    nu: positive().default(1),
    regime: choice(REGIMES).default('joint'),
    /** η (η_W for joint); null = automatic c/λ_max(H). */
    learningRate: positive().nullable().default(null),
    /** η_V for joint training; null = the same as η_W. */
    decoderLearningRate: positive().nullable().default(null),
    /** c in the automatic step η = c/λ_max(H) (GD is stable for c < 2). */
    stepScale: z
      .number({ error: (i) => `expected a number, got ${describe(i.input)}` })
      .refine((v) => Number.isFinite(v) && v > 0 && v < 4, { error: (i) => `expected a number in (0, 4), got ${describe(i.input)}` })
      .default(1),
    /** ½‖X−U‖² (sum) or its 1/n-normalized form (mean). */
    lossNormalization: choice(LOSS_NORMALIZATIONS).default('sum'),
    dtype: choice(DTYPES).default('float32'),
    steps: int(1, MAX_STEPS).default(500),
    /** Stop when L/L₀ falls below this (0 = never). */
    targetLossRatio: z
      .number({ error: (i) => `expected a number, got ${describe(i.input)}` })
      .refine((v) => Number.isFinite(v) && v >= 0 && v < 1, { error: (i) => `expected a number in [0, 1), got ${describe(i.input)}` })
      .default(1e-12),
    /** Mini-batch size; null = full batch. */
    batchSize: int(1, MAX_SAMPLES).nullable().default(null),
    /** K: record the tracked diagnostics (NTK, eigenvalues, movement) every K steps. */
    trackEvery: int(1, MAX_STEPS).default(10),
    /** How many extreme eigenvalues of the empirical NTK to track at each end. */
    trackEigenvalues: int(0, 50).default(3),
    /** Train the linearized finite-width network f(θ₀) + J(θ₀)(θ−θ₀) side by side. */
    linearizedSideBySide: z.boolean().default(false),
    seed: int(0, 2 ** 32 - 1).default(0),
    backend: choice(BACKENDS).default('auto'),
    /** Refuse, up front with the estimate, a run (or a kernel/theory task) that would allocate more than this many MiB (src/shared/run/memory.ts). */
    memoryLimitMiB: int(16, 1024 * 1024).default(2048),
    /** Checkpoint parameters every N steps (0 = off). */
    checkpointEvery: int(0, MAX_STEPS).default(0),
  })
  .strict();

export type Config = z.output<typeof configObjectSchema>;
export type ConfigInput = z.input<typeof configObjectSchema>;

/** One problem with a config: the key and the rule it breaks. */
export interface ConfigIssue {
  key: string;
  message: string;
}

/** Cross-field rules that a single key cannot express. */
function crossFieldIssues(c: Config): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (c.dataset === 'csv' && (c.csvText === undefined || c.csvText.trim() === '')) {
    out.push({ key: 'csvText', message: 'the csv data set needs a CSV file' });
  }
  if (c.init === 'antisymmetric' && c.hiddenWidth % 2 !== 0) {
    out.push({ key: 'hiddenWidth', message: `antisymmetric init needs an even width, got ${c.hiddenWidth}` });
  }
  if (c.init === 'orthogonal' && c.dataset !== 'csv' && c.dataset !== 'mnist') {
    const d = effectiveInputDim(c);
    if (c.hiddenWidth % d !== 0) {
      out.push({ key: 'hiddenWidth', message: `orthogonal init needs a multiple of the input dimension ${d}, got ${c.hiddenWidth}` });
    }
  }
  if (c.dataset === 'halfcircle' && c.samples < 1) out.push({ key: 'samples', message: 'expected ≥ 1' });
  if (c.batchSize !== null && c.batchSize > c.samples) {
    out.push({ key: 'batchSize', message: `expected at most samples (${c.samples}), got ${c.batchSize}` });
  }
  if (c.samples + c.testSamples > MAX_SAMPLES) {
    out.push({ key: 'testSamples', message: `samples + testSamples must be ≤ ${MAX_SAMPLES}` });
  }
  if (c.dataset === 'mnist' && c.samples + c.testSamples > 10_000) {
    out.push({ key: 'samples', message: 'mnist has 10000 digits: samples + testSamples must be ≤ 10000' });
  }
  return out;
}

/** The input dimension a config implies before any file is read (csv: unknown until parsed → inputDim). */
export function effectiveInputDim(c: Pick<Config, 'dataset' | 'inputDim'>): number {
  if (c.dataset === 'halfcircle') return 2;
  if (c.dataset === 'mnist') return 784;
  return c.inputDim;
}

/** Formats zod issues as `key: rule` lines. */
export function formatConfigIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[]): ConfigIssue[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys' && i.keys) {
      return { key: i.keys.join(', '), message: `unknown key${i.keys.length > 1 ? 's' : ''} (not part of the config)` };
    }
    const key = i.path.map(String).join('.') || '(config)';
    return { key, message: i.message };
  });
}

/** Formats issues as one line each: `hiddenWidth: expected an integer ≥ 1, got 0`. */
export function issuesToText(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.key}: ${i.message}`).join('\n');
}

/**
 * Defaults that differ per data set, applied to keys the input leaves out (in every shell: form, API, CLI).
 * MNIST: a digit has d = 784, so at ν = 1 the random network's output (≈ ν·√(d/2) per digit under the NTK
 * scaling) is ~20× the unit-norm input; the first steps then switch off the ReLUs and the network collapses
 * to the zero output at the default width. ν = 0.1 keeps the initial output below the data and trains.
 */
export const DATASET_DEFAULTS: Readonly<Partial<Record<Dataset, Readonly<Partial<Config>>>>> = {
  mnist: { nu: 0.1 },
};

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Parses and validates a config (defaults applied, unknown keys rejected, cross-field rules checked). */
export function parseConfig(input: unknown): ParseConfigResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, issues: [{ key: '(config)', message: `expected a JSON object, got ${Array.isArray(input) ? 'an array' : describe(input)}` }] };
  }
  const preset = DATASET_DEFAULTS[(input as { dataset?: Dataset }).dataset as Dataset];
  const withPreset = preset ? { ...preset, ...(input as Record<string, unknown>) } : input;
  const r = configObjectSchema.safeParse(withPreset);
  if (!r.success) return { ok: false, issues: formatConfigIssues(r.error.issues) };
  const cross = crossFieldIssues(r.data);
  if (cross.length > 0) return { ok: false, issues: cross };
  return { ok: true, config: r.data };
}

/** The default config (every key present), with the data set's own defaults when one is named. */
export function defaultConfig(dataset?: Dataset): Config {
  const preset = dataset === undefined ? undefined : DATASET_DEFAULTS[dataset];
  return configObjectSchema.parse(dataset === undefined ? {} : { ...preset, dataset });
}
