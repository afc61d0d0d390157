/**
 * Step sizes (SPEC §1.2, §7.2, issue 4 item 3): one definition everywhere, η = c/λ_max(H).
 */
import type { Scaling } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';

/**
 * Automatic learning rate η = c/λ_max(H) with c = stepScale (GD is stable for c < 2), H the regime's
 * NTK-scaled infinite-width kernel; multiplied by m for mean-field scaling, whose kernel is H/m (SPEC §1.2),
 * and divided by the loss weight (1/n for the 1/n-normalized loss, whose kernel is H/n), so that both loss
 * normalizations follow the same dynamics under the automatic rule.
 */
export function automaticLearningRate(lambdaMax: number, opts: { stepScale: number; scaling: Scaling; m: number; lossWeight?: number }): number {
  if (!(lambdaMax > 0) || !Number.isFinite(lambdaMax)) {
    throw new WorkbenchException(
      'invalid-data',
      `automatic learning rate: λ_max(H) = ${lambdaMax} is not positive (is the data all zero?); set learningRate explicitly`,
    );
  }
  if (!(opts.stepScale > 0)) throw new WorkbenchException('invalid-config', `stepScale: expected a number > 0, got ${opts.stepScale}`);
  const base = opts.stepScale / (lambdaMax * (opts.lossWeight ?? 1));
  return opts.scaling === 'mean-field' ? base * opts.m : base;
}

/** Largest stable step of GD on a quadratic with kernel of largest eigenvalue λ_max: 2/λ_max. */
export function maxStableLearningRate(lambdaMax: number): number | null {
  return lambdaMax > 0 && Number.isFinite(lambdaMax) ? 2 / lambdaMax : null;
}

/**
 * The step suggested after a divergence: 1/λ_max of the effective empirical NTK at init (in the units of the
 * diverged step; `lossWeight` 1/n for the 1/n-normalized loss), rounded down to 3 significant digits so that
 * "try η ≤ X" is safe as printed.
 */
export function suggestedLearningRate(lambdaMax: number, lossWeight: number): number {
  return floor3(1 / (lambdaMax * lossWeight));
}

/** Rounds down to 3 significant digits (non-positive and non-finite values pass through). */
function floor3(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x;
  const p = 10 ** (Math.floor(Math.log10(x)) - 2);
  return Number((Math.floor(x / p) * p).toPrecision(3));
}
