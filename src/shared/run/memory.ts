/**
 * The memory a training run allocates, estimated before anything is allocated: one pure function that the
 * form (next to the field that drives it, with Run disabled), the services' start paths (app, API, CLI,
 * sweep cells) and the engine itself use, so that all of them refuse the same runs with the same numbers.
 *
 * The model follows what the engine allocates (src/main/engine/training/ and the backends), in bytes, with
 * n training samples, t test samples, d the input dimension, m the width and b the bytes of the run's
 * dtype (4 or 8):
 *
 *   data          8·d·(n + t)  (CSV: twice, the parsed file and the split)
 *   parameters    8·2md at init (kept as the reference of the weight movement) + 8·2md per tracked step
 *   trainer       the backend's parameters, gradients and per-step work: js b·(4md + 2dn + dn + mn) + mn + 16dn;
 *                 onnx/onnx-cuda b·(8mn + 6md + 4dn) (measured: ~350 MB at n = 1000, d = 100, m = 10⁴, float32);
 *                 tfjs/wasm b·(6mn + 6md + 4dn); `auto` counts the largest of them
 *   patterns      2·mn (the activation pattern at init and at the tracked step, one byte each)
 *   checkpoints   3·16md when checkpointEvery > 0 (one in the message, one being written, one waiting)
 *   automatic η   4·8n² (cosines, H_enc∞, H_dec∞ and their sum) for untied regimes without a given η;
 *                 weight-tied: the empirical NTK at step 0 (full (nd)² when nd ≤ 600, else traced 8mn + 8n²)
 *   linearized    3·8n² (the frozen-kernel model of the spectral bias, n ≤ 1000, untied) and 3·8(nd)² for the
 *                 linearized network side by side (nd ≤ 600)
 *   test outputs  16·m·t at each tracked step
 *   kernels       6·8n² + 8mn (H(0), H(t) and EIGEN_IN_FLIGHT_MAX = 2 more while earlier tracked steps'
 *                 eigenvalues are on the engine's thread aside, the eigensolver's copy, Qᵀ; the traced NTK's pre-activations) —
 *                 optional: the run tracks kernels only where they fit
 *   theory        8·8n² for n ≤ 2000 (the infinite-width kernels and their eigendecompositions) — optional
 *
 * The peak is the part held for the whole run plus the largest of three phases (start: the automatic step;
 * theory: H(0) and the theory; steps: the tracked kernels and the per-step temporaries). A run whose peak
 * without the optional parts exceeds the limit is refused; the optional parts are planned only where the
 * peak with them still fits.
 */
import type { Config } from '../config/schema';
import { effectiveInputDim } from '../config/schema';
import { WorkbenchException } from '../api/result';

const MIB = 1024 * 1024;

/** n at or below which the run computes its theory (eigendecompositions), as engine/theory/runTheory.ts. */
export const THEORY_MAX_N = 2000;
/**
 * Tracked steps whose eigenvalues may be on the engine's thread aside at once, each with an n×n float64 kernel
 * buffer of its own (engine/training/tracker.ts: the run waits for the oldest before another one beyond this).
 */
export const EIGEN_IN_FLIGHT_MAX = 2;
/** n at or below which untied runs build the frozen-kernel model of the spectral bias (engine/training/setup.ts). */
export const LINEARIZED_MAX_N = 1000;
/** nd at or below which the linearized network side by side and the tied automatic step use the full NTK. */
export const FULL_NTK_MAX_ND = 600;

/** The config keys the estimate reads. */
export type MemoryConfig = Pick<
  Config,
  | 'dataset'
  | 'samples'
  | 'testSamples'
  | 'inputDim'
  | 'hiddenWidth'
  | 'regime'
  | 'dtype'
  | 'backend'
  | 'learningRate'
  | 'linearizedSideBySide'
  | 'checkpointEvery'
  | 'memoryLimitMiB'
>;

/** One part of a run's memory. */
export interface MemoryItem {
  key: 'data' | 'parameters' | 'trainer' | 'patterns' | 'checkpoints' | 'automaticStep' | 'linearized' | 'testOutputs' | 'kernels' | 'theory';
  /** what it is, for messages ("the 20000×20000 kernels of the automatic step size") */
  what: string;
  bytes: number;
  /** the config key whose value drives it most */
  field: keyof Config;
  /** optional parts are skipped when they do not fit; the rest must fit or the run is refused */
  optional: boolean;
}

/** The estimate of one run. */
export interface RunMemoryEstimate {
  n: number;
  d: number;
  m: number;
  nTest: number;
  items: MemoryItem[];
  /** the peak without the optional parts: above the limit the run is refused */
  requiredBytes: number;
  /** the peak with the optional parts that are planned */
  peakBytes: number;
  limitBytes: number;
  fits: boolean;
  /** which optional parts the run will compute (they fit beside the rest) */
  plan: { trackKernels: boolean; theory: boolean };
  /** the config key of the largest required part: where the form shows the estimate */
  field: keyof Config;
  /** the refusal, or null when the run fits */
  message: string | null;
}

/** Known sizes of a data file (CSV): columns = d, rows = all data rows. */
export interface DataShape {
  rows: number;
  columns: number;
}

/** Formats bytes for messages: MiB below 1 GiB (one decimal under 10 MiB), else GiB with one decimal. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'an unbounded amount';
  const mib = bytes / MIB;
  if (mib < 10) return `${(Math.ceil(mib * 10) / 10).toFixed(1)} MiB`;
  if (mib < 1024) return `${Math.ceil(mib)} MiB`;
  return `${(Math.ceil((mib / 1024) * 10) / 10).toFixed(1)} GiB`;
}

let shapeCache: { text: string; shape: DataShape | null } | null = null;

/**
 * The rows and columns of CSV text, counted cheaply for the estimate (the separator rule of the engine's
 * parser: a comma, else a semicolon or tab on the first non-blank line; a first row without numbers is a
 * header). Null for empty text. The last answer is cached, as a form asks again on every keystroke.
 */
export function csvShape(text: string): DataShape | null {
  if (shapeCache !== null && shapeCache.text === text) return shapeCache.shape;
  let rows = 0;
  let first: string | null = null;
  let second: string | null = null;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (line.trim() !== '') {
      rows++;
      if (first === null) first = line;
      else if (second === null) second = line;
    }
    start = end + 1;
  }
  let shape: DataShape | null = null;
  if (first !== null) {
    const sep = first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',';
    const fields = first.split(sep).map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
    const header = fields.every((f) => !/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(f) && !/^[+-]?(?:nan|inf|infinity)$/i.test(f));
    shape = { rows: header ? rows - 1 : rows, columns: header && second !== null ? second.split(sep).length : fields.length };
  }
  shapeCache = { text, shape };
  return shape;
}

/** Per-backend work of the trainer, in entries of the run's dtype (plus raw bytes), for the largest candidate of `auto`. */
function trainerBytes(backend: Config['backend'], b: number, n: number, d: number, m: number): number {
  const js = b * (4 * m * d + 3 * d * n + m * n) + m * n + 16 * d * n;
  const onnx = b * (8 * m * n + 6 * m * d + 4 * d * n);
  const tfjs = b * (6 * m * n + 6 * m * d + 4 * d * n);
  switch (backend) {
    case 'js':
      return js;
    case 'onnx':
    case 'onnx-cuda':
      return onnx;
    case 'tensorflow':
    case 'wasm':
    case 'tfjs-cpu':
      return tfjs;
    default:
      return Math.max(js, onnx, tfjs);
  }
}

/**
 * The memory estimate of a run (see the module doc). `shape` gives a CSV's size; without it the CSV text
 * in the config is counted with {@link csvShape} (or, without text, d = inputDim).
 */
export function estimateRunMemory(config: MemoryConfig & { csvText?: string }, shape?: DataShape | null): RunMemoryEstimate {
  const n = config.samples;
  const nTest = config.testSamples;
  const m = config.hiddenWidth;
  const csv = config.dataset === 'csv' ? (shape ?? (config.csvText !== undefined ? csvShape(config.csvText) : null)) : null;
  const d = csv ? csv.columns : effectiveInputDim(config);
  const b = config.dtype === 'float64' ? 8 : 4;
  const tied = config.regime === 'tied';
  const n2 = 8 * n * n;
  const items: MemoryItem[] = [];
  const add = (key: MemoryItem['key'], what: string, bytes: number, field: keyof Config, optional = false): number => {
    items.push({ key, what, bytes, field, optional });
    return bytes;
  };

  const data = add('data', `the data (${d}×${n + nTest}${csv ? ', parsed and split' : ''})`, 8 * d * (n + nTest) + (csv ? 8 * d * csv.rows : 0), 'samples');
  const params = add('parameters', `the parameters W [${m}, ${d}] and V [${d}, ${m}] (at init and at each tracked step)`, 2 * 16 * m * d, 'hiddenWidth');
  const trainer = add(
    'trainer',
    `the ${config.backend === 'auto' ? 'compute backend' : config.backend + ' backend'}'s parameters, gradients and work arrays (${config.dtype})`,
    trainerBytes(config.backend, b, n, d, m),
    'hiddenWidth',
  );
  const patterns = add('patterns', `the activation patterns [${n}, ${m}]`, 2 * m * n, 'hiddenWidth');
  const checkpoints = config.checkpointEvery > 0 ? add('checkpoints', 'the parameter checkpoints on their way to disk', 3 * 16 * m * d, 'hiddenWidth') : 0;
  let linearized = 0;
  if (!tied && n <= LINEARIZED_MAX_N) linearized += 3 * n2;
  if (config.linearizedSideBySide && n * d <= FULL_NTK_MAX_ND) linearized += 3 * 8 * (n * d) ** 2;
  if (linearized > 0) add('linearized', `the linearized model (${n}×${n})`, linearized, 'samples');
  const base = data + params + trainer + patterns + checkpoints + linearized;

  let start = 0;
  if (config.learningRate === null) {
    const bytes = tied ? (n * d <= FULL_NTK_MAX_ND ? 2 * 8 * (n * d) ** 2 : 8 * m * n + n2) : 4 * n2;
    start = add('automaticStep', `the ${n}×${n} kernels of the automatic step size`, bytes, 'samples');
  }
  const testOutputs = nTest > 0 ? add('testOutputs', `the outputs on the ${nTest} test samples`, 16 * m * nTest + 8 * d * nTest, 'testSamples') : 0;
  // H(t) once more for each tracked step whose eigenvalues may be on the thread aside.
  const kernels = (4 + EIGEN_IN_FLIGHT_MAX) * n2 + 8 * m * n;
  add(
    'kernels',
    `the tracked ${n}×${n} kernels (H(0), H(t) and those of the steps whose eigenvalues are out, the eigensolver's copy)`,
    kernels,
    'samples',
    true,
  );
  const theory = n <= THEORY_MAX_N ? 8 * n2 : 0;
  if (theory > 0) add('theory', `the theory's ${n}×${n} kernels and eigendecompositions`, theory, 'samples', true);

  const limitBytes = config.memoryLimitMiB * MIB;
  const peak = (track: boolean, withTheory: boolean): number =>
    base + Math.max(start, (track ? n2 : 0) + (withTheory ? theory : 0), (track ? kernels : 0) + testOutputs);
  const requiredBytes = peak(false, false);
  const trackKernels = peak(true, false) <= limitBytes;
  const withTheory = theory > 0 && peak(trackKernels, true) <= limitBytes;
  const peakBytes = peak(trackKernels, withTheory);
  const fits = requiredBytes <= limitBytes && Number.isFinite(requiredBytes);
  const largest = items.filter((i) => !i.optional).reduce((a, x) => (x.bytes > a.bytes ? x : a));
  const message = fits
    ? null
    : `this run needs ~${formatBytes(requiredBytes)} (largest: ${largest.what}, ~${formatBytes(largest.bytes)}), above the memory limit of ${config.memoryLimitMiB} MiB (memoryLimitMiB)`;
  return { n, d, m, nTest, items, requiredBytes, peakBytes, limitBytes, fits, plan: { trackKernels, theory: withTheory }, field: largest.field, message };
}

/**
 * Refuses a run that does not fit up front: WorkbenchException('too-large') with the estimate's message
 * and details { bytes, limitMiB, field, items }. Returns the estimate (its plan) when it fits.
 */
export function assertRunFits(config: MemoryConfig & { csvText?: string }, shape?: DataShape | null): RunMemoryEstimate {
  const e = estimateRunMemory(config, shape);
  if (!e.fits) {
    throw new WorkbenchException('too-large', e.message!, {
      bytes: e.requiredBytes,
      limitMiB: config.memoryLimitMiB,
      field: e.field,
      items: e.items.filter((i) => !i.optional).map((i) => ({ what: i.what, bytes: i.bytes })),
    });
  }
  return e;
}
