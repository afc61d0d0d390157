/**
 * Run folder format v1 — defined once, used by `train --out`, the app and the session store.
 *
 *   <run>/config.json     RunConfigFile: the validated config, app version, backend, dtype, start time, machine
 *   <run>/metrics.ndjson  one MetricRecord per recorded step, appended as soon as it exists
 *   <run>/status.json     RunStatusFile: running / paused / finished / failed / stopped, with the reason
 *
 * Non-finite numbers are stored as `null`, and the record's `nonFinite` lists which fields they were
 * (with their original value: 'NaN', 'Infinity', '-Infinity'): `encodeNonFinite` in src/shared/json.ts, the
 * one encoding of non-finite numbers in stored and wire JSON.
 */
import { z } from 'zod';
import { configObjectSchema } from '../config/schema';
import { encodeNonFinite } from '../json';
import { runPreviewSchema } from './preview';

export const RUN_FORMAT_VERSION = 1;
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.ndjson',
  status: 'status.json',
  theory: 'theory.json',
} as const;

export const RUN_STATUSES = ['running', 'paused', 'finished', 'failed', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const num = z.number().nullable();

/** Diagnostics recorded every K steps (SPEC §5, §7; issue: live tracking). */
export const trackedSchema = z.object({
  /** ‖W(t)−W(0)‖_F/‖W(0)‖_F */
  weightMoveW: num.optional(),
  /** ‖V(t)−V(0)‖_F/‖V(0)‖_F */
  weightMoveV: num.optional(),
  /** max_r ‖Δw_r‖·√m */
  maxNeuronMove: num.optional(),
  /** share of (r, i) whose activation 1[w_rᵀx_i ≥ 0] changed since init */
  flipFraction: num.optional(),
  /** ‖H(t)−H(0)‖_F/‖H(0)‖_F of the traced empirical NTK */
  kernelDistance: num.optional(),
  /** smallest eigenvalues of the traced empirical NTK, ascending */
  eigMin: z.array(num).optional(),
  /** largest eigenvalues of the traced empirical NTK, descending */
  eigMax: z.array(num).optional(),
  /** residual energy along H∞ eigen-directions (ascending λ), summed over outputs */
  spectralBias: z.array(num).optional(),
  /** the linearized (infinite-width) loss prediction at this step */
  linearizedLoss: num.optional(),
  /** loss of the linearized finite-width network trained side by side */
  linearizedNetworkLoss: num.optional(),
  /** the full spectrum of the traced empirical NTK, when it was computed at this step */
  spectrum: z.array(num).optional(),
  /** the traced empirical NTK block-averaged to k×k cells (row-major), every 10th tracked step and at the end */
  kernel: z.object({ n: z.number().int(), k: z.number().int(), cells: z.array(num) }).optional(),
  /** share of hidden units inactive on every training sample */
  deadUnitFraction: num.optional(),
  /** set while the network sits collapsed at the zero output (engine/training/collapse.ts) */
  collapse: z
    .object({
      step: z.number(),
      since: z.number(),
      loss: num,
      zeroOutputLoss: num,
      lambdaMin: num,
      deadFraction: num,
      causes: z.array(z.string()),
      message: z.string(),
    })
    .optional(),
  /** per-neuron movement histogram ‖Δw_r‖·√m: bin edges and counts */
  neuronMoveHistogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number()) }).optional(),
  /** why the eigenvalues are missing at this step (an eigensolve that did not converge) */
  eigNote: z.string().optional(),
  /** the frozen-kernel model's residual energy along the H∞ eigen-directions at this step (beside spectralBias) */
  spectralBiasPredicted: z.array(num).optional(),
  /** the model-view preview at this step (src/shared/run/preview.ts) */
  preview: runPreviewSchema.optional(),
});

/** One line of metrics.ndjson. */
export const metricRecordSchema = z
  .object({
    step: z.number().int().min(0),
    /** training loss L(θ_step) */
    loss: num,
    /** L/L₀ */
    lossRatio: num.optional(),
    testLoss: num.optional(),
    /** ms since the run started */
    wallMs: z.number(),
    tracked: trackedSchema.optional(),
    nonFinite: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();
export type MetricRecord = z.infer<typeof metricRecordSchema>;
export type TrackedMetrics = z.infer<typeof trackedSchema>;
/**
 * The loss at a step already taken whose record is not out yet: a run holds its records back, in order,
 * while the theory that completes a tracked record is still being computed (engine/training/run.ts); the
 * point lets a live chart and progress line go on meanwhile. Never stored: the record replaces it.
 */
export type LossPoint = Pick<MetricRecord, 'step' | 'loss' | 'lossRatio' | 'wallMs'>;

export const machineSchema = z.object({
  platform: z.string(),
  arch: z.string(),
  cpus: z.number(),
  cpuModel: z.string().optional(),
  totalMemMiB: z.number().optional(),
  node: z.string(),
  hostname: z.string().optional(),
});
export type MachineInfo = z.infer<typeof machineSchema>;

export const runConfigFileSchema = z.object({
  schemaVersion: z.literal(RUN_FORMAT_VERSION),
  runId: z.string(),
  config: configObjectSchema,
  appVersion: z.string(),
  backend: z.string(),
  dtype: z.enum(['float32', 'float64']),
  startedAt: z.string(),
  machine: machineSchema,
  /** the learning rates actually used (after the automatic rule) */
  learningRates: z.object({ encoder: z.number().nullable(), decoder: z.number().nullable() }).optional(),
});
export type RunConfigFile = z.infer<typeof runConfigFileSchema>;

export const runStatusFileSchema = z.object({
  schemaVersion: z.literal(RUN_FORMAT_VERSION),
  status: z.enum(RUN_STATUSES),
  /** why the run ended (or null while running) */
  reason: z.string().nullable(),
  /** the WorkbenchError code for a failed run */
  errorCode: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  lastStep: z.number().int().min(0),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
});
export type RunStatusFile = z.infer<typeof runStatusFileSchema>;

/** Serializes one metrics record as an NDJSON line (with trailing newline). */
export function metricLine(rec: MetricRecord): string {
  // `step` first, always: a reader tells a torn line from garbage by it (isTornMetricLine).
  const { step, ...rest } = rec;
  return JSON.stringify(encodeNonFinite({ step, ...rest } as Record<string, unknown>)) + '\n';
}

/** Every line {@link metricLine} writes starts with this (`step` is the record's first key). */
export const METRIC_LINE_START = '{"step":';

/**
 * True when an unterminated last line can be what a crash leaves of one of our lines: a byte prefix of a
 * record line, which starts with {@link METRIC_LINE_START} (or is a shorter prefix of it).
 */
export function isTornMetricLine(line: string): boolean {
  return line.startsWith(METRIC_LINE_START) || METRIC_LINE_START.startsWith(line);
}

/**
 * Parses metrics.ndjson text. A torn last line (unterminated, unparsable, and a prefix of a record line, as
 * a crash mid-append leaves it) is dropped and reported; any other bad line — also an unterminated one that
 * is not the start of a record, such as a file of garbage — is an error naming the line.
 */
export function parseMetricsText(text: string): { records: MetricRecord[]; tornLastLine: boolean } | { error: string; line: number } {
  const lines = text.split('\n');
  const records: MetricRecord[] = [];
  let torn = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const isLast = i === lines.length - 1; // no trailing newline after it: possibly torn
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (isLast && isTornMetricLine(line)) {
        torn = true;
        continue;
      }
      return { error: isLast ? 'not valid JSON (and not the start of a metrics record)' : 'not valid JSON', line: i + 1 };
    }
    const r = metricRecordSchema.safeParse(parsed);
    if (!r.success) {
      if (isLast && isTornMetricLine(line)) {
        torn = true;
        continue;
      }
      return { error: r.error.issues.map((x) => `${x.path.join('.') || '(record)'}: ${x.message}`).join('; '), line: i + 1 };
    }
    records.push(r.data);
  }
  return { records, tornLastLine: torn };
}
