/**
 * The step-size check shown in the form before Run: gradient descent on the frozen (infinite-width) kernel
 * K is stable only for η·λ_max(K) < 2 (SPEC §5.4), so a learning rate above 2/λ_max — or an automatic
 * step c/λ_max with c ≥ 2 — gets a warning with the limit.
 */
import type { Config } from './schema';

/** A step-size warning: the rate the run will use (null = automatic), the stable limit, and the message. */
export interface StepSizeWarning {
  eta: number | null;
  limit: number;
  message: string;
}

function short(v: number): string {
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/**
 * Checks the form's step against `maxStableEta` = 2/λ_max of the regime's kernel, in the units of the run
 * (the 1/n loss and mean-field scaling included); null when it is fine or there is no limit (weight-tied
 * training has no infinite-width kernel, SPEC §7.6). Decoder-only training steps with η_V.
 */
export function stepSizeWarning(
  config: Pick<Config, 'regime' | 'learningRate' | 'decoderLearningRate' | 'stepScale'>,
  maxStableEta: number | null,
): StepSizeWarning | null {
  if (config.regime === 'tied' || maxStableEta === null || !(maxStableEta > 0) || !Number.isFinite(maxStableEta)) return null;
  const eta = config.regime === 'decoder' ? (config.decoderLearningRate ?? config.learningRate) : config.learningRate;
  if (eta === null) {
    if (config.stepScale < 2) return null;
    return {
      eta: null,
      limit: maxStableEta,
      message: `step scale c = ${short(config.stepScale)} ≥ 2: the automatic step c/λ_max is at or above the stable limit 2/λ_max (η ≤ ${short(maxStableEta)}); the run will likely diverge`,
    };
  }
  if (eta < maxStableEta) return null;
  return {
    eta,
    limit: maxStableEta,
    message: `η = ${short(eta)} is above the stable limit ${short(maxStableEta)} (2/λ_max of the infinite-width kernel); the run will likely diverge`,
  };
}
