/**
 * The theory that crosses the contract, typed once: a run's theory (RunMeta.theory and theory.json; built
 * by engine/theory/runTheory.ts, SPEC §5.5–§7) and the form's theory preview (`theory:compute`: the data
 * set's TheoryReport for the three kernels, built by engine/theory/report.ts). The engine's interfaces are
 * checked to equal these types (test/unit/shared/run/theory.test.ts), so the two cannot drift apart.
 *
 * Numbers are any JavaScript number (a value may be non-finite where the engine says so in a sibling
 * `<name>Note`); `null` means "not computed", with its note.
 */
import { z } from 'zod';
import { REGIMES } from '../config/schema';
import { decodeNonFinite } from '../json';

/** Any number, NaN and ±Infinity included (structured clone keeps them; the notes say why). */
const real = z.custom<number>((v) => typeof v === 'number', 'expected a number');
const maybe = real.nullable();
const note = z.string().optional();

/** One width condition of Theorem A or B (SPEC §7). */
export const widthConditionSchema = z.object({
  minWidth: maybe,
  minWidthNote: note,
  formula: z.string(),
  withoutConstant: maybe.optional(),
  satisfied: z.boolean().nullable(),
});

/** The sufficient widths of Theorems A and B (SPEC §7.2–§7.3). */
export const sufficientWidthsSchema = z.object({
  refused: z.boolean(),
  note: z.string(),
  delta: real,
  r0SquaredBound: real,
  r0SquaredBoundFormula: z.string(),
  A1: widthConditionSchema,
  A_conclusion_gradientFlow: widthConditionSchema,
  A_conclusion_discrete: widthConditionSchema,
  A_radiusW: maybe,
  A_radiusWNote: note,
  A_rateLambda: real,
  B1: widthConditionSchema,
  B_normW: widthConditionSchema,
  B_normV: widthConditionSchema,
  B_conclusion: widthConditionSchema,
  B_radiusJ: maybe,
  B_radiusJNote: note,
  B_rateLambda: real,
  A_sufficient: maybe,
  A_sufficientNote: note,
  B_sufficient: maybe,
  B_sufficientNote: note,
  ratioAtoB: maybe,
  ratioAtoBNote: note,
});

/** Proposition D's diagnostics of a weight-tied network (SPEC §7.6). */
export const tiedDiagnosticsSchema = z.object({
  outputScale: real,
  c: real,
  predictedInitialLoss: real,
  predictedInitialLossMeanTerm: real,
  tiedNtkScale: real,
  relativeFluctuation: maybe,
  explanation: z.string(),
});

/** A run's theory (engine/theory/runTheory.ts documents every field). */
export const runTheorySchema = z.object({
  regime: z.enum(REGIMES),
  n: real,
  d: real,
  m: real,
  lambdaEnc: maybe,
  lambdaDec: maybe,
  lambdaJoint: maybe,
  lambdaNote: note,
  kernelDescription: z.string(),
  lambdaMinRegime: maybe,
  lambdaMaxRegime: maybe,
  lambdaRegimeNote: note,
  automaticEta: maybe,
  automaticEtaNote: note,
  eta: maybe,
  etaDecoder: maybe,
  etaNote: note,
  maxStableEta: maybe,
  maxStableEtaNote: note,
  rateBound: z.object({ factor: real, lambda: real, eta: real, L0: real }).nullable(),
  rateBoundNote: note,
  spectrum: z.array(real).optional(),
  gram: z.object({ n: real, values: z.array(real) }).optional(),
  gramNote: note,
  linearizedCurve: z.object({ steps: z.array(real), loss: z.array(real) }).nullable(),
  linearizedCurveNote: note,
  sufficientWidth: sufficientWidthsSchema.nullable(),
  sufficientWidthNote: note,
  testPrediction: z
    .object({
      relativeErrorInfinite: maybe,
      relativeErrorAtSteps: maybe,
      memorizationShare: maybe,
      memorizationBaseline: real,
      testInputShare: maybe,
      note,
    })
    .nullable(),
  testPredictionNote: note,
  tied: tiedDiagnosticsSchema.nullable(),
});

const perKernel = <T extends z.ZodType>(t: T) => z.object({ enc: t, dec: t, joint: t });

/** The theory report of a data set for the three kernels (engine/theory/report.ts documents every field). */
export const theoryReportSchema = z.object({
  n: real,
  d: real,
  kappa: real,
  nu: real,
  lambdaEnc: real,
  lambdaDec: real,
  lambdaJoint: real,
  lambdaMaxEnc: real,
  lambdaMaxDec: real,
  lambdaMaxJoint: real,
  lambdaJointWeylBound: real,
  eta: perKernel(maybe),
  etaNote: note,
  linearizedLossRatio: perKernel(z.record(z.string(), maybe)),
  rateFactor: perKernel(maybe),
  spectralNormSq: real,
  frobeniusNormSq: real,
  unitNorm: z.boolean(),
  sufficientWidth: sufficientWidthsSchema,
  diagnostics: perKernel(z.object({ asymmetry: real, negativeCount: real, conditionNumber: maybe })),
});

/** What `theory:compute` answers: the form's data set's dimensions, its warnings and its report. */
export const theoryPreviewSchema = z.object({
  n: real,
  d: real,
  warnings: z.array(z.string()),
  report: theoryReportSchema,
});

export type WidthCondition = z.infer<typeof widthConditionSchema>;
export type SufficientWidths = z.infer<typeof sufficientWidthsSchema>;
export type TiedDiagnostics = z.infer<typeof tiedDiagnosticsSchema>;
export type RunTheory = z.infer<typeof runTheorySchema>;
export type TheoryReport = z.infer<typeof theoryReportSchema>;
export type TheoryPreview = z.infer<typeof theoryPreviewSchema>;

/**
 * A stored run theory (theory.json, RunDetail.theory) as the contract's type, or null when the file holds
 * something else (an older or damaged theory: the panel then shows what the run's own meta has).
 */
export function parseRunTheory(raw: unknown): RunTheory | null {
  const r = runTheorySchema.safeParse(raw);
  return r.success ? r.data : null;
}

/**
 * The theory of a stored theory.json's `theory` field: its non-finite numbers restored (written as null + a
 * `nonFinite` map, src/shared/json.ts) and parsed once with {@link runTheorySchema}; null as {@link parseRunTheory}.
 */
export function readStoredRunTheory(stored: unknown): RunTheory | null {
  return parseRunTheory(decodeNonFinite(stored));
}
