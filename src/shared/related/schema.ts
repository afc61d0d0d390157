/**
 * Related-work kernels (SPEC §10): the zod schemas of kernel specifications, data inputs and the requests of
 * the `related:*` channels and engine tasks, so that the UI, the CLI and the engine validate the same shapes.
 * Defaults are those of the CLI (README).
 */
import { z } from 'zod';
import { INITS, MAX_CSV_CHARS } from '../config/schema';

/** Every kernel the app can compute (SPEC §5.4, §10.1–§10.6), by its CLI name. */
export const KERNEL_KINDS = ['enc', 'dec', 'joint', 'weighted', 'jacot', 'rntk', 'rf-ntk'] as const;
export type KernelKind = (typeof KERNEL_KINDS)[number];
export const RF_SKETCHES = ['none', 'gaussian', 'countsketch', 'tensorsrht'] as const;
export const RNTK_READOUTS = ['last', 'avg'] as const;
const BUILTIN_SEQUENCES = ['sines', 'first-value', 'iris'] as const;
const SEQUENCE_CSV_FORMATS = ['auto', 'rows', 'long'] as const;

/** Upper bounds that keep a request's payload and work sane (the engine refuses big Grams by memory too). */
const MAX_RELATED_POINTS = 20_000;
const MAX_SEQUENCE_STEPS = 100_000;
const MAX_LAYERS = 64;
const MAX_FEATURES = 1 << 22;

const finite = z.number().refine(Number.isFinite, { error: 'expected a finite number' });
const positive = finite.refine((v) => v > 0, { error: 'expected a number > 0' });
const nonNegative = finite.refine((v) => v >= 0, { error: 'expected a number ≥ 0' });
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const aeScales = { kappa: positive.default(1), nu: positive.default(1) };

/** A kernel and its hyper-parameters. */
export const kernelSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('enc'), ...aeScales }).strict(),
  z.object({ kind: z.literal('dec'), ...aeScales }).strict(),
  z.object({ kind: z.literal('joint'), ...aeScales }).strict(),
  z.object({ kind: z.literal('weighted'), omegaW: nonNegative.default(1), omegaV: nonNegative.default(1), ...aeScales }).strict(),
  z.object({ kind: z.literal('jacot'), layers: int(1, MAX_LAYERS).default(2), beta: nonNegative.default(0), sigmaW: positive.default(1) }).strict(),
  z
    .object({
      kind: z.literal('rntk'),
      readout: z.enum(RNTK_READOUTS).default('last'),
      bidirectional: z.boolean().default(false),
      sigmaW: nonNegative.default(1),
      sigmaU: nonNegative.default(1),
      sigmaB: nonNegative.default(0),
      sigmaV: nonNegative.default(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rf-ntk'),
      m0: int(0, MAX_FEATURES).default(64),
      m1: int(0, MAX_FEATURES).optional(),
      sketch: z.enum(RF_SKETCHES).default('none'),
      sketchDim: int(1, MAX_FEATURES).optional(),
      seed: int(0, 2 ** 31 - 1).default(0),
    })
    .strict(),
]);
export type KernelSpec = z.output<typeof kernelSpecSchema>;
export type KernelSpecInput = z.input<typeof kernelSpecSchema>;

/** Vector data: CSV text (one sample per row), explicit rows, or fresh sphere samples. */
export const vectorDataSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('csv'), csvText: z.string().max(MAX_CSV_CHARS) }).strict(),
  z.object({ source: z.literal('rows'), rows: z.array(z.array(finite).min(1).max(4096)).min(1).max(MAX_RELATED_POINTS) }).strict(),
  z.object({ source: z.literal('sphere'), n: int(1, MAX_RELATED_POINTS), d: int(1, 4096), seed: int(0, 2 ** 31 - 1).default(0) }).strict(),
]);
export type VectorData = z.output<typeof vectorDataSchema>;

/** Sequence data: a built-in set, explicit `number[][][]`, JSON text, or CSV text (one sequence per row, or long format). */
export const sequenceDataSchema = z.discriminatedUnion('source', [
  z
    .object({
      source: z.literal('builtin'),
      name: z.enum(BUILTIN_SEQUENCES),
      count: int(1, MAX_RELATED_POINTS).default(40),
      minLength: int(1, 10_000).default(5),
      maxLength: int(1, 10_000).default(15),
      seed: int(0, 2 ** 31 - 1).default(0),
    })
    .strict(),
  z
    .object({
      source: z.literal('arrays'),
      sequences: z
        .array(z.array(z.array(finite).min(1).max(4096)).min(1).max(MAX_SEQUENCE_STEPS))
        .min(1)
        .max(MAX_RELATED_POINTS),
    })
    .strict(),
  /** the CLI's file `{"sequences": number[][][]}` as text (the engine names the bad entry) */
  z.object({ source: z.literal('sequence-json'), jsonText: z.string().max(MAX_CSV_CHARS) }).strict(),
  z
    .object({
      source: z.literal('sequence-csv'),
      csvText: z.string().max(MAX_CSV_CHARS),
      format: z.enum(SEQUENCE_CSV_FORMATS).default('auto'),
      features: int(1, 4096).default(1),
    })
    .strict(),
]);
export type SequenceData = z.output<typeof sequenceDataSchema>;

/** Either kind of data; sequence kernels read vector rows as sequences of scalars. */
const kernelDataSchema = z.union([vectorDataSchema, sequenceDataSchema]);
export type KernelData = z.output<typeof kernelDataSchema>;

const memoryLimitMiB = positive.default(2048);

/** `related:kernel`: a Gram matrix of any kernel and its spectrum. */
export const kernelRequestSchema = z.object({ data: kernelDataSchema, spec: kernelSpecSchema, memoryLimitMiB }).strict();
export type KernelRequest = z.input<typeof kernelRequestSchema>;

/** `jacot` (CLI): Θ⁽ᴸ⁾ and Σ⁽ᴸ⁾ of a CSV's rows. */
export const jacotRequestSchema = z
  .object({ data: vectorDataSchema, layers: int(1, MAX_LAYERS), beta: nonNegative.default(0), sigmaW: positive.default(1), memoryLimitMiB })
  .strict();
export type JacotRequest = z.input<typeof jacotRequestSchema>;

/** `related:jacot-circle`: Θ_m(x₀, x(γ)) on the unit circle (SPEC §10.1). */
export const circleRequestSchema = z
  .object({
    layers: int(1, 8).default(3),
    beta: nonNegative.default(0.1),
    sigmaW: positive.default(1),
    widths: z.array(int(1, 4096)).min(1).max(6).default([32, 128, 512]),
    seeds: int(1, 50).default(5),
    init: z.enum(['gaussian', 'orthogonal']).default('gaussian'),
    gridPoints: int(2, 400).default(41),
    steps: int(0, 5000).default(100),
    trainPoints: int(1, 64).default(4),
    learningRate: positive.optional(),
    seed: int(0, 2 ** 31 - 1).default(0),
  })
  .strict();
export type CircleRequest = z.input<typeof circleRequestSchema>;

/** `related:weighted`: Θ_ω's λ's and predicted vs actual loss (SPEC §10.6). */
export const weightedRequestSchema = z
  .object({
    data: vectorDataSchema.default({ source: 'sphere', n: 16, d: 8, seed: 0 }),
    omegaW: nonNegative.default(1),
    omegaV: nonNegative.default(1),
    kappa: positive.default(1),
    nu: positive.default(1),
    width: int(1, 100_000).default(1000),
    init: z.enum(INITS).default('gaussian'),
    learningRate: positive.optional(),
    steps: int(1, 100_000).default(300),
    seed: int(0, 2 ** 31 - 1).default(0),
    continuumPoints: int(2, 201).default(41),
    memoryLimitMiB,
  })
  .strict();
export type WeightedRequest = z.input<typeof weightedRequestSchema>;

/** `krr` / `related:krr`: kernel ridge regression from training to test points. */
export const krrRequestSchema = z
  .object({
    train: kernelDataSchema,
    test: kernelDataSchema,
    /** targets [n, p] (rows = training samples); default: the training inputs themselves (the AE's task) */
    targets: vectorDataSchema.optional(),
    spec: kernelSpecSchema,
    ridge: nonNegative.default(0),
    memoryLimitMiB,
  })
  .strict();
export type KrrRequest = z.input<typeof krrRequestSchema>;

/** `related:krr-network`: kernel regression against a trained autoencoder on the same data (SPEC §6). */
export const krrNetworkRequestSchema = z
  .object({
    n: int(2, 200).default(5),
    d: int(1, 200).default(20),
    nTest: int(1, 200).default(10),
    kernel: z.enum(['enc', 'dec', 'joint']).default('joint'),
    ridge: nonNegative.default(0),
    width: int(2, 100_000).default(4000),
    steps: int(1, 100_000).default(1000),
    seed: int(0, 2 ** 31 - 1).default(0),
  })
  .strict();
export type KrrNetworkRequest = z.input<typeof krrNetworkRequestSchema>;

/** `rntk` (CLI) and `related:rntk`: the recurrent kernels of a sequence set. */
export const rntkRequestSchema = z
  .object({
    data: sequenceDataSchema,
    readout: z.enum(RNTK_READOUTS).default('last'),
    bidirectional: z.boolean().default(false),
    sigmaW: nonNegative.default(1),
    sigmaU: nonNegative.default(1),
    sigmaB: nonNegative.default(0),
    sigmaV: nonNegative.default(1),
    memoryLimitMiB,
  })
  .strict();
export type RntkRequest = z.input<typeof rntkRequestSchema>;

/** `related:rntk-study`: regression/classification on a sequence set for several σ_w (the memory effect). */
export const rntkStudyRequestSchema = z
  .object({
    data: sequenceDataSchema,
    readout: z.enum(RNTK_READOUTS).default('last'),
    bidirectional: z.boolean().default(false),
    sigmaWs: z.array(nonNegative).min(1).max(20).default([0.5, 1, 1.5, 2]),
    sigmaU: nonNegative.default(1),
    sigmaB: nonNegative.default(0),
    sigmaV: nonNegative.default(1),
    ridge: nonNegative.default(1e-3),
    /** share of the sequences held out (after a seeded shuffle) */
    testFraction: finite.refine((v) => v > 0 && v < 1, { error: 'expected a number in (0, 1)' }).default(0.3),
    seed: int(0, 2 ** 31 - 1).default(0),
    memoryLimitMiB,
  })
  .strict();
export type RntkStudyRequest = z.input<typeof rntkStudyRequestSchema>;

/** `rf-ntk` (CLI): one random-feature Gram against the exact two-layer NTK. */
export const rfNtkRequestSchema = z
  .object({
    data: vectorDataSchema,
    m0: int(0, MAX_FEATURES).default(64),
    m1: int(0, MAX_FEATURES).optional(),
    sketch: z.enum(RF_SKETCHES).default('none'),
    sketchDim: int(1, MAX_FEATURES).optional(),
    seed: int(0, 2 ** 31 - 1).default(0),
    memoryLimitMiB,
  })
  .strict();
export type RfNtkRequest = z.input<typeof rfNtkRequestSchema>;

/** `rf-ntk --sweep` and `related:rf-sweep`: error against the feature dimension D (SPEC §10.4). */
export const rfSweepRequestSchema = z
  .object({
    data: vectorDataSchema.default({ source: 'sphere', n: 50, d: 10, seed: 0 }),
    m0s: z.array(int(1, MAX_FEATURES)).min(2).max(12).default([16, 64, 256, 1024]),
    m1Factor: positive.optional(),
    sketch: z.enum(RF_SKETCHES).default('none'),
    sketchFraction: finite.refine((v) => v > 0 && v <= 1, { error: 'expected a number in (0, 1]' }).default(0.25),
    seeds: int(1, 100).default(5),
    seed: int(0, 2 ** 31 - 1).default(0),
    ridge: nonNegative.default(1e-3),
    nTest: int(0, MAX_RELATED_POINTS).default(10),
    memoryLimitMiB,
  })
  .strict();
export type RfSweepRequest = z.input<typeof rfSweepRequestSchema>;

/** Formats zod issues as `path: message` lines (the engine's and adapters' messages). */
export function relatedIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
}
