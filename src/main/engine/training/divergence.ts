/**
 * Divergence of a run: a non-finite loss, or the loss above L₀ and strictly growing over
 * {@link DIVERGENCE_WINDOW} consecutive steps. The outcome names the step, the learning rate and a stable
 * one to try (theory/stepSize.ts: 1/λ_max of the effective empirical NTK at init).
 */
import type { RunOutcome } from '../protocol';
import { roundNumbers } from '../../../shared/charts/common';

/** Divergence: the loss above L₀ and strictly growing over this many consecutive steps. */
export const DIVERGENCE_WINDOW = 20;

/** Watches the losses of consecutive GD steps and builds the failed outcome of a diverged run. */
export class DivergenceMonitor {
  private readonly window: number[] = [];
  private suggested: number | null = null;

  /**
   * @param initialLoss L₀
   * @param learningRate the step the message names (η_W; η_V for decoder-only training)
   * @param suggest the stable step to suggest, computed once and only when a run diverges
   */
  constructor(
    private readonly initialLoss: number,
    private readonly learningRate: number,
    private readonly suggest: () => number,
  ) {}

  /** Feeds L(θ_k) of one step; returns why the run diverged, or null. */
  observe(loss: number): string | null {
    if (!Number.isFinite(loss)) return 'non-finite loss';
    const w = this.window;
    w.push(loss);
    if (w.length > DIVERGENCE_WINDOW) w.shift();
    if (w.length === DIVERGENCE_WINDOW && w[0]! > this.initialLoss && w.every((v, j) => j === 0 || v > w[j - 1]!)) {
      return `loss above L₀ and growing for ${DIVERGENCE_WINDOW} steps`;
    }
    return null;
  }

  /** The failed outcome ('run-diverged') of a run that diverged at `step`, with details { step, learningRate, suggestedLearningRate, reason }. */
  outcome(step: number, reason: string): RunOutcome {
    const eta = this.learningRate;
    const s = (this.suggested ??= this.suggest());
    const message = `diverged at step ${step} with learning rate ${roundNumbers(String(eta))}; try η ≤ ${s}`;
    return {
      status: 'failed',
      reason: `${message} (${reason})`,
      error: { code: 'run-diverged', message, details: { step, learningRate: eta, suggestedLearningRate: s, reason } },
    };
  }
}
