/** Checks shared by every backend's trainer factory. */
import type { TrainerSpec } from './types';

function checkLength(name: string, a: ArrayLike<number>, rows: number, cols: number): void {
  if (a.length !== rows * cols) {
    throw new RangeError(`createTrainer: ${name} must be [${rows}, ${cols}] (${rows * cols} values), got ${a.length} values`);
  }
}

/** Validates a trainer spec's shapes and numbers (messages name the argument and both shapes). */
export function checkTrainerSpec(spec: TrainerSpec): void {
  const { d, n, m } = spec;
  for (const [k, v] of [['d', d], ['n', n], ['m', m]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`createTrainer: ${k} must be a positive integer, got ${v}`);
  }
  checkLength('X', spec.X, d, n);
  checkLength('W0', spec.W0, m, d);
  checkLength('V0', spec.V0, d, m);
  for (const k of ['scale', 'etaW', 'etaV', 'lossWeight'] as const) {
    if (!Number.isFinite(spec[k])) throw new RangeError(`createTrainer: ${k} must be finite, got ${spec[k]}`);
  }
}
