/**
 * Every kernel of the app behind one function, so that kernel regression, the CLI and the panels take any
 * of them: the autoencoder kernels (enc, dec, joint; SPEC §5.4), the weighted NTK (§10.6), Jacot's deep NTK
 * (§10.1), the recurrent NTK (§10.2–§10.3) and the random-feature NTK (§10.4). Also turns the shared
 * data descriptions (CSV text, rows, built-ins) into engine arrays.
 */
import { WorkbenchException } from '../../../shared/api/result';
import type { KernelData, KernelSpec, SequenceData, VectorData } from '../../../shared/related/schema';
import { regimeKernel } from '../ntk/infiniteKernels';
import { parseCsv } from '../datasets/csv';
import { sphereData } from '../datasets/synthetic';
import { createRng, STREAMS } from '../random';
import { jacotKernels } from './jacot';
import { weightedKernel } from './weightedNtk';
import { rntkKernels } from './rntk';
import { rfNtkGram } from './rfNtk';
import {
  builtinSequences,
  parseSequencesCsv,
  parseSequencesJson,
  rowsAsSequences,
  sequencesFromArrays,
  type SequenceDataset,
  type SequenceSet,
} from './sequences';

/** Points a kernel is evaluated on: vectors X [d, n] or a sequence set. */
export type KernelInput = { kind: 'vectors'; X: Float64Array; d: number; n: number } | { kind: 'sequences'; set: SequenceSet };

/** Number of points (samples or sequences) of an input. */
export function inputCount(x: KernelInput): number {
  return x.kind === 'vectors' ? x.n : x.set.data.length;
}

/** Vector data → X [d, n]: CSV rows (line/column errors), explicit rows, or sphere samples (seeded). */
export function vectorInput(data: VectorData): Extract<KernelInput, { kind: 'vectors' }> {
  if (data.source === 'csv') {
    const { X, d, n } = parseCsv(data.csvText);
    return { kind: 'vectors', X, d, n };
  }
  if (data.source === 'sphere') {
    const { X, d, n } = sphereData(createRng(data.seed, STREAMS.data), data.d, data.n);
    return { kind: 'vectors', X, d, n };
  }
  const n = data.rows.length;
  const d = data.rows[0]!.length;
  const X = new Float64Array(d * n);
  data.rows.forEach((row, i) => {
    if (row.length !== d) throw new WorkbenchException('invalid-data', `rows[${i}]: expected ${d} values (as rows[0]), got ${row.length}`);
    row.forEach((v, a) => (X[a * n + i] = v));
  });
  return { kind: 'vectors', X, d, n };
}

/** Sequence data → a data set (built-ins carry targets and labels; explicit and CSV data do not). */
export function sequenceInput(data: SequenceData): SequenceDataset {
  if (data.source === 'builtin') {
    if (data.maxLength < data.minLength)
      throw new WorkbenchException('invalid-request', `maxLength: expected ≥ minLength = ${data.minLength}, got ${data.maxLength}`);
    return builtinSequences(data.name, data);
  }
  const set =
    data.source === 'arrays'
      ? sequencesFromArrays(data.sequences)
      : data.source === 'sequence-json'
        ? parseSequencesJson(data.jsonText)
        : parseSequencesCsv(data.csvText, data.format, data.features);
  return { name: data.source, set, targets: null, labels: null, classes: null, description: `${set.data.length} sequences` };
}

/** Either kind of data description → a kernel input. */
export function kernelInput(data: KernelData): KernelInput {
  if (data.source === 'builtin' || data.source === 'arrays' || data.source === 'sequence-json' || data.source === 'sequence-csv')
    return { kind: 'sequences', set: sequenceInput(data).set };
  return vectorInput(data);
}

function asVectors(kernel: string, x: KernelInput): Extract<KernelInput, { kind: 'vectors' }> {
  if (x.kind === 'vectors') return x;
  const lengths = new Set(x.set.data.map((s) => s.length));
  if (lengths.size !== 1)
    throw new WorkbenchException('invalid-data', `the ${kernel} kernel needs vectors of one dimension; these sequences have different lengths`);
  const d = x.set.data[0]!.length;
  const n = x.set.data.length;
  const X = new Float64Array(d * n);
  x.set.data.forEach((s, i) => s.forEach((v, a) => (X[a * n + i] = v)));
  return { kind: 'vectors', X, d, n };
}

function asSequences(x: KernelInput): SequenceSet {
  return x.kind === 'sequences' ? x.set : rowsAsSequences(x.X, x.d, x.n);
}

/**
 * The kernel `spec` between the points of A and of B (B defaults to A; then the result is symmetric) →
 * [nA, nB] row-major. Vector kernels read sequences of one length as flattened vectors; the recurrent kernel
 * reads vector rows as sequences of scalars (the pooled-RNTK paper's use of tabular data).
 */
export function kernelMatrix(spec: KernelSpec, A: KernelInput, B?: KernelInput, signal?: { readonly aborted: boolean }): Float64Array {
  if (spec.kind === 'rntk') {
    const o = { readout: spec.readout, bidirectional: spec.bidirectional, sigmaW: spec.sigmaW, sigmaU: spec.sigmaU, sigmaB: spec.sigmaB, sigmaV: spec.sigmaV };
    return rntkKernels(asSequences(A), o, B ? asSequences(B) : undefined, signal).ntk;
  }
  const a = asVectors(spec.kind, A);
  const b = B ? asVectors(spec.kind, B) : undefined;
  if (b && b.d !== a.d) throw new WorkbenchException('invalid-data', `the two point sets have dimensions ${a.d} and ${b.d}; they must match`);
  switch (spec.kind) {
    case 'enc':
    case 'dec':
    case 'joint':
      return regimeKernel(spec.kind === 'enc' ? 'weak' : spec.kind === 'dec' ? 'decoder' : 'joint', a.X, a.d, a.n, spec, b?.X, b?.n);
    case 'weighted':
      return weightedKernel(a.X, a.d, a.n, spec, b?.X, b?.n);
    case 'jacot':
      return jacotKernels(a.X, a.d, a.n, spec, b?.X, b?.n).ntk;
    case 'rf-ntk':
      return rfNtkGram(
        a.X,
        a.d,
        a.n,
        {
          m0: spec.m0,
          m1: spec.m1 ?? spec.m0 * a.d,
          sketch: spec.sketch,
          seed: spec.seed,
          ...(spec.sketchDim !== undefined ? { sketchDim: spec.sketchDim } : {}),
        },
        b?.X,
        b?.n,
      ).gram;
    default: {
      const never: never = spec;
      throw new WorkbenchException('invalid-request', `kernel: unknown kind ${JSON.stringify(never)}`);
    }
  }
}
