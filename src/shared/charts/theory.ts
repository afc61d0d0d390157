/**
 * Reads the theory object (engine-math's runTheory, SPEC §5.5–§7) defensively: every field may be
 * missing or named a little differently, and whatever is missing is shown as "—". Also flattens the
 * whole object so the theory panel can list every numeric field it was given.
 */
import type { XY } from './common';

/** The fields the theory panel and the charts use (null = not provided). */
export interface TheoryView {
  lambda0: number | null;
  lambdaDec: number | null;
  lambdaJ: number | null;
  /** λ_min of the regime's H∞ (the rate-governing eigenvalue) */
  lambdaMin: number | null;
  lambdaMax: number | null;
  etaAuto: number | null;
  etaMax: number | null;
  /** per-step contraction bound of the loss, e.g. (1 − ηλ/2) */
  rateBound: number | null;
  widthA: number | null;
  widthB: number | null;
  memorization: number | null;
  /** the random-subspace baseline of the memorization share (rank(X)/d) */
  memorizationBaseline: number | null;
  /** the η the theory used */
  eta: number | null;
  /** `<field>Note` explanations of missing values, keyed by field */
  notes: Record<string, string>;
  /** [step, L] of the linearized loss prediction */
  linearizedCurve: XY[] | null;
  /** H∞ eigenvalues ascending */
  spectrum: number[] | null;
  /** H∞ as an n×n row-major matrix */
  gram: { n: number; values: number[] } | null;
  /** weight-tied diagnostics (Prop. D) as label → value */
  propD: Record<string, number | string | null> | null;
  warnings: string[];
}

function at(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function num(o: unknown, ...paths: string[]): number | null {
  for (const p of paths) {
    const v = at(o, p);
    if (typeof v === 'number' && !Number.isNaN(v)) return v;
  }
  return null;
}

function numArray(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' || x === null)) return null;
  return (v as (number | null)[]).map((x) => (x === null ? NaN : x));
}

function curve(v: unknown): XY[] | null {
  if (Array.isArray(v) && v.length > 0 && v.every((p) => Array.isArray(p) && p.length >= 2)) {
    return (v as number[][]).filter((p) => typeof p[0] === 'number' && typeof p[1] === 'number').map((p) => [p[0]!, p[1]!] as XY);
  }
  const flat = numArray(v);
  if (flat) return flat.map((y, k) => [k, y] as XY);
  const steps = numArray(at(v, 'steps'));
  const loss = numArray(at(v, 'loss')) ?? numArray(at(v, 'values'));
  if (steps && loss && steps.length === loss.length) return steps.map((s, i) => [s, loss[i]!] as XY);
  return null;
}

function matrix(v: unknown, nHint: number | null): { n: number; values: number[] } | null {
  if (Array.isArray(v) && v.length > 0 && v.every((r) => Array.isArray(r) && r.length === v.length)) {
    return { n: v.length, values: (v as number[][]).flat() };
  }
  const flat = numArray(v) ?? numArray(at(v, 'values')) ?? numArray(at(v, 'data'));
  const n = num(v, 'n') ?? nHint ?? (flat ? Math.round(Math.sqrt(flat.length)) : null);
  if (flat && n !== null && n * n === flat.length) return { n, values: flat };
  return null;
}

function notesOf(t: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (t === null || typeof t !== 'object') return out;
  for (const [k, v] of Object.entries(t as Record<string, unknown>)) {
    if (k.endsWith('Note') && typeof v === 'string' && v !== '') out[k.slice(0, -4)] = v;
  }
  return out;
}

/**
 * The form settings that turn a theory:compute preview (unit-step kernels) into the numbers of a run:
 * the regime's kernel is ν²H_enc (weak), κ²H_dec (decoder) or ν²H_enc + κ²H_dec (joint), and the GD map
 * is I − η·f·K with f = (1/m for mean-field) × (1/n for the 1/n-normalized loss), SPEC §1.2, §5.3–§5.4.
 */
export interface PreviewContext {
  regime: string | null;
  kappa?: number;
  nu?: number;
  stepScale?: number;
  scaling?: string;
  lossNormalization?: string;
  hiddenWidth?: number;
  learningRate?: number | null;
  decoderLearningRate?: number | null;
}

/**
 * theory:compute answers `{ n, d, warnings, report }` with a per-kernel TheoryReport (enc, dec, joint);
 * a run's meta carries a RunTheory for its own regime. This maps the former onto the latter's names,
 * with the step sizes in the units the run will use (see {@link PreviewContext}).
 */
function fromPreview(raw: unknown, ctx: PreviewContext): unknown {
  const report = at(raw, 'report');
  if (report === null || typeof report !== 'object' || at(raw, 'lambdaEnc') !== undefined) return raw;
  const regime = ctx.regime;
  const tied = regime === 'tied';
  const n = num(raw, 'n') ?? num(report, 'n') ?? 1;
  const m = ctx.hiddenWidth ?? 1;
  const f = (ctx.scaling === 'mean-field' ? 1 / m : 1) * (ctx.lossNormalization === 'mean' ? 1 / n : 1);
  const k2 = (ctx.kappa ?? 1) ** 2;
  const nu2 = (ctx.nu ?? 1) ** 2;
  // lambdaMaxEnc/Dec are reported without ν², κ²; lambdaMaxJoint is the weighted sum's.
  const lmaxEnc = num(report, 'lambdaMaxEnc');
  const lmaxDec = num(report, 'lambdaMaxDec');
  const lmaxRegime =
    regime === 'weak'
      ? lmaxEnc === null
        ? null
        : nu2 * lmaxEnc
      : regime === 'decoder'
        ? lmaxDec === null
          ? null
          : k2 * lmaxDec
        : num(report, 'lambdaMaxJoint');
  const lminRegime =
    regime === 'weak' ? mul(nu2, num(report, 'lambdaEnc')) : regime === 'decoder' ? mul(k2, num(report, 'lambdaDec')) : num(report, 'lambdaJoint');
  const usable = !tied && lmaxRegime !== null && lmaxRegime > 0;
  const given = regime === 'decoder' ? (ctx.decoderLearningRate ?? ctx.learningRate ?? null) : (ctx.learningRate ?? null);
  const automatic = usable ? (ctx.stepScale ?? 1) / (f * lmaxRegime) : null;
  const eta = tied ? null : (given ?? automatic);
  return {
    ...(report as Record<string, unknown>),
    warnings: at(raw, 'warnings'),
    automaticEta: automatic,
    maxStableEta: usable ? 2 / (f * lmaxRegime) : null,
    rateBound: eta !== null && lminRegime !== null ? 1 - (eta * f * Math.max(0, lminRegime)) / 2 : null,
    lambdaMinRegime: tied ? null : lminRegime,
    lambdaMaxRegime: tied ? null : lmaxRegime,
    eta,
  };
}

function mul(a: number, b: number | null): number | null {
  return b === null ? null : a * b;
}

/**
 * Extracts the fields the UI uses from an engine theory object of unknown shape; `ctx` is the regime (the
 * run's or the form's) or, for a theory:compute preview, the form's settings that scale it.
 */
export function readTheory(theory: unknown, ctx: string | null | PreviewContext = null): TheoryView {
  const t = fromPreview(theory, typeof ctx === 'object' && ctx !== null ? ctx : { regime: ctx }) ?? {};
  const propDRaw = at(t, 'propD') ?? at(t, 'propositionD') ?? at(t, 'weightTied') ?? at(t, 'tied');
  let propD: Record<string, number | string | null> | null = null;
  if (propDRaw && typeof propDRaw === 'object' && !Array.isArray(propDRaw)) {
    propD = {};
    for (const [k, v] of Object.entries(propDRaw as Record<string, unknown>)) {
      if (typeof v === 'number' || typeof v === 'string' || v === null) propD[k] = v;
    }
  }
  const warnings = at(t, 'warnings');
  const spectrum = numArray(at(t, 'spectrum')) ?? numArray(at(t, 'eigenvalues')) ?? numArray(at(t, 'hInfEigenvalues')) ?? numArray(at(t, 'kernel.eigenvalues'));
  return {
    lambda0: num(t, 'lambdaEnc', 'lambda0', 'lambda_0', 'eigen.lambda0', 'kernels.lambda0'),
    lambdaDec: num(t, 'lambdaDec', 'lambda_dec', 'eigen.lambdaDec', 'kernels.lambdaDec'),
    lambdaJ: num(t, 'lambdaJoint', 'lambdaJ', 'lambda_J', 'eigen.lambdaJ', 'kernels.lambdaJ'),
    lambdaMin: num(t, 'lambdaMinRegime', 'lambdaMin', 'regimeLambdaMin', 'eigen.lambdaMin'),
    lambdaMax: num(t, 'lambdaMaxRegime', 'lambdaMax', 'regimeLambdaMax', 'eigen.lambdaMax'),
    etaAuto: num(t, 'automaticEta', 'etaAuto', 'autoLearningRate', 'learningRate', 'eta.auto', 'learningRates.auto'),
    etaMax: num(t, 'maxStableEta', 'etaMax', 'maxStableLearningRate', 'eta.max', 'learningRates.maxStable'),
    rateBound: num(t, 'rateBound.factor', 'rateBound', 'rate', 'rate.bound', 'convergence.rate'),
    widthA: num(t, 'sufficientWidth.A_sufficient', 'theoremA.width', 'theoremA.sufficientWidth', 'theoremA.m', 'widthA', 'sufficientWidthA'),
    widthB: num(t, 'sufficientWidth.B_sufficient', 'theoremB.width', 'theoremB.sufficientWidth', 'theoremB.m', 'widthB', 'sufficientWidthB'),
    memorization: num(t, 'testPrediction.memorizationShare', 'memorization', 'memorization.value', 'memorization.spanFraction', 'memorization.energyInSpan'),
    memorizationBaseline: num(t, 'testPrediction.memorizationBaseline', 'memorizationBaseline'),
    eta: num(t, 'eta'),
    notes: notesOf(t),
    linearizedCurve: curve(at(t, 'linearizedLoss') ?? at(t, 'linearizedCurve') ?? at(t, 'linearized')),
    spectrum: spectrum ? [...spectrum].sort((a, b) => a - b) : null,
    gram: matrix(at(t, 'gram') ?? at(t, 'hInf') ?? at(t, 'H') ?? at(t, 'kernel.matrix'), num(t, 'n')),
    propD,
    warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}

/** Every numeric or string leaf of an object as [dotted path, value], arrays longer than 8 summarised. */
export function flattenTheory(theory: unknown, prefix = '', out: [string, string][] = [], depth = 0): [string, string][] {
  if (theory === null || typeof theory !== 'object' || depth > 4) return out;
  for (const [k, v] of Object.entries(theory as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') out.push([key, Number.isFinite(v) ? String(Number(v.toPrecision(5))) : String(v)]);
    else if (typeof v === 'string' || typeof v === 'boolean') out.push([key, String(v)]);
    else if (v === null) out.push([key, '—']);
    else if (Array.isArray(v)) {
      if (v.length <= 8 && v.every((x) => typeof x === 'number')) out.push([key, `[${(v as number[]).map((x) => Number(x.toPrecision(4))).join(', ')}]`]);
      else out.push([key, `(${v.length} values)`]);
    } else flattenTheory(v, key, out, depth + 1);
  }
  return out;
}
