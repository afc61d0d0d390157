/** Checks shared by every backend's trainer factory. */
import type { TrainerSpec } from './types';

function checkLength(name: string, a: ArrayLike<number>, rows: number, cols: number): void {
  if (a.length !== rows * cols) {
    throw new RangeError(`createTrainer: ${name} must be [${rows}, ${cols}] (${rows * cols} values), got ${a.length} values`);
  }
}

/**
 * The float64 result of Trainer.tracedNtk(out): `values` (n² entries, any dtype) copied into `out` when it is
 * given (its length checked), else into a new array.
 */
export function kernelInto(values: ArrayLike<number>, n: number, out?: Float64Array): Float64Array {
  if (values.length !== n * n) throw new Error(`tracedNtk: the backend returned ${values.length} values, expected ${n * n}`);
  if (out === undefined) return Float64Array.from(values);
  checkKernelOut(n, out);
  out.set(values);
  return out;
}

/** Rejects a Trainer.tracedNtk(out) buffer of the wrong length before any work is done. */
export function checkKernelOut(n: number, out: Float64Array | undefined): void {
  if (out !== undefined && out.length !== n * n) {
    throw new RangeError(`tracedNtk: out has ${out.length} entries, expected ${n * n} for [${n}, ${n}]`);
  }
}

/** Validates a trainer spec's shapes and numbers (messages name the argument and both shapes). */
export function checkTrainerSpec(spec: TrainerSpec): void {
  const { d, n, m } = spec;
  for (const [k, v] of [
    ['d', d],
    ['n', n],
    ['m', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`createTrainer: ${k} must be a positive integer, got ${v}`);
  }
  checkLength('X', spec.X, d, n);
  checkLength('W0', spec.W0, m, d);
  checkLength('V0', spec.V0, d, m);
  for (const k of ['scale', 'etaW', 'etaV', 'lossWeight'] as const) {
    if (!Number.isFinite(spec[k])) throw new RangeError(`createTrainer: ${k} must be finite, got ${spec[k]}`);
  }
}
