/**
 * The related-work engine tasks (SPEC §10): what the CLI commands `jacot`, `krr`, `rntk`, `rf-ntk`,
 * `kernel --kernel weighted` and the Related-work panels ask of an engine worker. Arguments arrive as
 * structured-cloned data and are parsed here with the shared schemas (src/shared/related/schema.ts);
 * matrices go back as row arrays. Large matrices are refused up front with their memory estimate.
 */
import { spectralNormOfValues, symmetricEigen, symmetricSpectralNorm } from '../linalg';
import type { z } from 'zod';
import { WorkbenchException } from '../../../shared/api/result';
import {
  circleRequestSchema,
  jacotRequestSchema,
  kernelRequestSchema,
  krrNetworkRequestSchema,
  krrRequestSchema,
  relatedIssues,
  rfNtkRequestSchema,
  rfSweepRequestSchema,
  rntkRequestSchema,
  rntkStudyRequestSchema,
  weightedRequestSchema,
} from '../../../shared/related/schema';
import type { KernelResult, KrrResult, RfSweepResult, RntkResult, RntkStudyResult } from '../../../shared/related/results';
import { infiniteKernels } from '../ntk/infiniteKernels';
import { assertFits, matrixBytes } from '../memory';
import { circleExperiment } from './deepNet';
import { jacotKernels } from './jacot';
import { inputCount, kernelInput, kernelMatrix, sequenceInput, vectorInput, type KernelInput } from './kernels';
import { fitKernelRegression } from './kernelRegression';
import { krrVersusNetwork } from './krrNetwork';
import { rfNtkGram, rfSweep } from './rfNtk';
import { rntkKernels } from './rntk';
import { sequenceLengths, sequencesToArrays } from './sequences';
import { sequenceStudy } from './sequenceStudy';
import { weightedExperiment } from './weightedNtk';

/** The related-work tasks an engine worker runs. */
export const RELATED_TASKS = [
  'related-kernel',
  'jacot',
  'jacot-circle',
  'weighted-ntk',
  'krr',
  'krr-network',
  'rntk',
  'rntk-study',
  'rf-ntk',
  'rf-sweep',
] as const;
export type RelatedTask = (typeof RELATED_TASKS)[number];

/** True for the name of a related-work task. */
export function isRelatedTask(task: string): task is RelatedTask {
  return (RELATED_TASKS as readonly string[]).includes(task);
}

/**
 * Runs `fn` and puts the request field in front of a data error's message (`train: line 3, column 2: …`), so
 * that an adapter can name the file or flag the field came from.
 */
function field<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WorkbenchException && e.code === 'invalid-data') throw new WorkbenchException(e.code, `${name}: ${e.message}`, e.details);
    throw e;
  }
}

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new WorkbenchException('invalid-request', relatedIssues(r.error));
  return r.data;
}

/** Row arrays of a row-major [rows, cols] matrix (JSON-friendly). */
function rows(a: Float64Array, n: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(a.subarray(i * c, (i + 1) * c)));
  return out;
}

/** The transpose's rows: [p, n] (one output per row) → n rows of p values (one sample per row). */
function sampleRows(a: Float64Array, p: number, n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r: number[] = [];
    for (let k = 0; k < p; k++) r.push(a[k * n + i]!);
    out.push(r);
  }
  return out;
}

/** Runs one related-work task and returns a structured-clonable result. */
export async function runRelatedTask(task: RelatedTask, raw: unknown): Promise<unknown> {
  switch (task) {
    case 'related-kernel': {
      const a = parse(kernelRequestSchema, raw);
      const input = field('data', () => kernelInput(a.data));
      const n = inputCount(input);
      assertFits(matrixBytes(n, n) * 3, a.memoryLimitMiB, `the ${n}×${n} ${a.spec.kind} Gram matrix and its eigendecomposition`);
      const gram = kernelMatrix(a.spec, input);
      const eig = symmetricEigen(gram, n);
      const result: KernelResult & { diagnostics: unknown } = {
        kernel: a.spec.kind,
        n,
        ...(input.kind === 'vectors' ? { d: input.d } : {}),
        gram: rows(gram, n, n),
        eigenvalues: Array.from(eig.values),
        lambdaMin: eig.values[0]!,
        lambdaMax: eig.values[n - 1]!,
        spec: a.spec,
        diagnostics: eig.diagnostics,
      };
      return result;
    }
    case 'jacot': {
      const a = parse(jacotRequestSchema, raw);
      const { X, d, n } = field('data', () => vectorInput(a.data));
      assertFits(matrixBytes(n, n) * 2, a.memoryLimitMiB, `the two ${n}×${n} kernels`);
      const k = jacotKernels(X, d, n, a);
      return { ntk: rows(k.ntk, n, n), nngp: rows(k.nngp, n, n), n, d, layers: a.layers, beta: a.beta, sigmaW: a.sigmaW };
    }
    case 'jacot-circle':
      return circleExperiment(parse(circleRequestSchema, raw));
    case 'weighted-ntk': {
      const a = parse(weightedRequestSchema, raw);
      const { X, d, n } = field('data', () => vectorInput(a.data));
      assertFits(matrixBytes(n, n) * 6 + matrixBytes(a.width, d) * 8, a.memoryLimitMiB, `the ${n}×${n} kernels and a width-${a.width} network`);
      return weightedExperiment(X, d, n, a);
    }
    case 'krr': {
      const a = parse(krrRequestSchema, raw);
      return kernelRegressionTask(a);
    }
    case 'krr-network':
      return krrVersusNetwork(parse(krrNetworkRequestSchema, raw));
    case 'rntk': {
      const a = parse(rntkRequestSchema, raw);
      const ds = field('data', () => sequenceInput(a.data));
      const n = ds.set.data.length;
      assertFits(matrixBytes(n, n) * 4 + 64 * 2 ** 20, a.memoryLimitMiB, `the two ${n}×${n} recurrent kernels`);
      const k = rntkKernels(ds.set, a);
      const res: RntkResult = {
        ntk: rows(k.ntk, n, n),
        nngp: rows(k.nngp, n, n),
        n,
        p: ds.set.p,
        lengths: sequenceLengths(ds.set),
        readout: a.readout,
        bidirectional: a.bidirectional,
        sigmaW: a.sigmaW,
        sigmaU: a.sigmaU,
        sigmaB: a.sigmaB,
        sigmaV: a.sigmaV,
        dataset: {
          name: ds.name,
          description: ds.description,
          labels: ds.labels,
          classes: ds.classes,
          targets: ds.targets,
          ...(ds.set.names ? { names: ds.set.names } : {}),
        },
        ...(n <= 12 ? { sequences: sequencesToArrays(ds.set) } : {}),
      };
      return res;
    }
    case 'rntk-study': {
      const a = parse(rntkStudyRequestSchema, raw);
      const ds = field('data', () => sequenceInput(a.data));
      const n = ds.set.data.length;
      assertFits(matrixBytes(n, n) * 4 + 64 * 2 ** 20, a.memoryLimitMiB, `the ${n}×${n} recurrent kernels`);
      const res: RntkStudyResult = { dataset: ds.name, description: ds.description, ...sequenceStudy(ds, a) };
      return res;
    }
    case 'rf-ntk': {
      const a = parse(rfNtkRequestSchema, raw);
      const { X, d, n } = field('data', () => vectorInput(a.data));
      const m1 = a.m1 ?? a.m0 * d;
      const D = (a.sketch === 'none' ? a.m0 * d : (a.sketchDim ?? Math.ceil((a.m0 * d) / 4))) + m1;
      assertFits(matrixBytes(D, n) + matrixBytes(n, n) * 5, a.memoryLimitMiB, `${D} features of ${n} points and the ${n}×${n} kernels`);
      const opts = { m0: a.m0, m1, sketch: a.sketch, seed: a.seed, ...(a.sketchDim !== undefined ? { sketchDim: a.sketchDim } : {}) };
      const { gram, dim } = rfNtkGram(X, d, n, opts);
      const { enc, dec } = infiniteKernels(X, d, n);
      const exact = enc.map((v, i) => v + dec[i]!);
      const diff = gram.map((v, i) => v - exact[i]!);
      // One decomposition of the exact kernel for its norm and its smallest eigenvalue.
      const exactValues = symmetricEigen(exact, n).values;
      return {
        ntk: rows(gram, n, n),
        exact: rows(exact, n, n),
        n,
        d,
        D: dim,
        m0: a.m0,
        m1,
        sketch: a.sketch,
        sketchDim: a.sketch === 'none' ? null : dim - m1,
        seed: a.seed,
        relativeSpectralError: symmetricSpectralNorm(diff, n) / spectralNormOfValues(exactValues),
        lambdaMin: symmetricEigen(gram, n).values[0]!,
        lambdaMinExact: exactValues[0]!,
      };
    }
    case 'rf-sweep': {
      const a = parse(rfSweepRequestSchema, raw);
      const { X, d, n } = field('data', () => vectorInput(a.data));
      const m1Factor = a.m1Factor ?? d;
      const maxD = Math.max(...a.m0s) * (d + m1Factor);
      assertFits(matrixBytes(maxD, n) + matrixBytes(n, n) * 8, a.memoryLimitMiB, `${maxD} features of ${n} points and the ${n}×${n} kernels`);
      const res: RfSweepResult = { n, d, sketch: a.sketch, seeds: a.seeds, ...rfSweep(X, d, n, { ...a, m1Factor }) };
      return res;
    }
    default: {
      const never: never = task;
      throw new WorkbenchException('invalid-request', `unknown related-work task ${String(never)}`);
    }
  }
}

function kernelRegressionTask(a: z.output<typeof krrRequestSchema>): KrrResult {
  const train = field('train', () => kernelInput(a.train));
  const test = field('test', () => kernelInput(a.test));
  const n = inputCount(train);
  const nTest = inputCount(test);
  let Y: Float64Array;
  let p: number;
  if (a.targets) {
    const targets = a.targets;
    const t = field('targets', () => vectorInput(targets));
    if (t.n !== n) throw new WorkbenchException('invalid-data', `targets: ${t.n} rows for ${n} training samples; they must match`);
    Y = t.X;
    p = t.d;
  } else if (train.kind === 'vectors') {
    Y = train.X;
    p = train.d;
  } else {
    throw new WorkbenchException('invalid-request', 'targets: sequences have no default targets; give a targets file with one row per training sequence');
  }
  assertFits(matrixBytes(n, n) * 4 + matrixBytes(n, nTest) * 2, a.memoryLimitMiB, `the ${n}×${n} kernel, its eigenvectors and the ${n}×${nTest} cross kernel`);
  checkSameKind(train, test);
  const K = kernelMatrix(a.spec, train);
  const Q = kernelMatrix(a.spec, train, test);
  const fit = fitKernelRegression(K, n, Y, p, a.ridge);
  const pred = fit.predict(Q, nTest);
  const fitted = fit.fitted();
  let num = 0;
  let den = 0;
  for (let i = 0; i < Y.length; i++) {
    num += (fitted[i]! - Y[i]!) ** 2;
    den += Y[i]! ** 2;
  }
  // The autoencoder's task: the test rows are their own targets, so the error on them is known.
  const aeTask = !a.targets && test.kind === 'vectors' && test.d === p;
  let testRelativeError: number | null = null;
  if (aeTask) {
    let e = 0;
    let t = 0;
    for (let i = 0; i < pred.length; i++) {
      e += (pred[i]! - test.X[i]!) ** 2;
      t += test.X[i]! ** 2;
    }
    testRelativeError = t > 0 ? Math.sqrt(e / t) : Math.sqrt(e);
  }
  return {
    kernel: a.spec.kind,
    spec: a.spec,
    ridge: a.ridge,
    n,
    nTest,
    outputs: p,
    predictions: sampleRows(pred, p, nTest),
    trainRelativeResidual: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num),
    testRelativeError,
    testTargets: aeTask && test.kind === 'vectors' ? sampleRows(test.X, p, nTest) : null,
    lambdaMin: fit.eigenvalues[0]!,
    lambdaMax: fit.eigenvalues[n - 1]!,
  };
}

function checkSameKind(a: KernelInput, b: KernelInput): void {
  if (a.kind === 'sequences' && b.kind === 'sequences' && a.set.p !== b.set.p) {
    throw new WorkbenchException('invalid-data', `the training and test sequences have ${a.set.p} and ${b.set.p} features per step; they must match`);
  }
}
