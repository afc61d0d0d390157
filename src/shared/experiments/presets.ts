/**
 * The paper's experiments E1–E9 (SPEC §9) as presets: the claim each tests in one sentence, and its
 * parameters at the full size (what a user runs, what the README shows) and at the quick size (`--quick`,
 * a minute or two on two cores; what the tests run). Variants `E2-orth` and `E4-orth` compare Gaussian
 * with orthogonal initialization (SPEC §10.5, issue 19); `E5-nm` runs E5 over a grid of sample counts n too (the
 * (n, m) threshold heat map). Pure: every shell edits the same parameters.
 */
import { z } from 'zod';

export const EXPERIMENT_IDS = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9'] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];
export const PRESET_IDS = ['E1', 'E2', 'E2-orth', 'E3', 'E4', 'E4-orth', 'E5', 'E5-nm', 'E6', 'E7', 'E8', 'E9'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

const ints = (min: number, max: number) => z.array(z.number().int().min(min).max(max)).min(1).max(64);

/** The parameters a preset's form edits (each experiment reads the ones it needs). */
export const experimentParamsSchema = z
  .object({
    /** samples n (E2, E4–E8) */
    n: z.number().int().min(1).max(2000),
    /** input dimension d */
    d: z.number().int().min(1).max(2000),
    /** hidden widths m */
    widths: ints(1, 1_000_000),
    /** seeds (each a different data set and network) */
    seeds: ints(0, 2 ** 32 - 1),
    /** GD steps per run */
    steps: z.number().int().min(1).max(1_000_000),
    /** training regimes */
    regimes: z.array(z.enum(['weak', 'joint', 'decoder'])).min(1),
    /** initializations compared */
    inits: z.array(z.enum(['gaussian', 'orthogonal'])).min(1),
    /** Monte Carlo draws (E1) */
    draws: ints(10, 10_000_000),
    /** sample counts (E3, E9; E5-nm: the n axis of the (n, m) grid) */
    ns: ints(2, 2000),
    /** input dimensions (E3) */
    ds: ints(2, 2000),
    /** test inputs (E8) */
    testSamples: z.number().int().min(1).max(10_000),
  })
  .partial()
  .strict();
export type ExperimentParams = z.infer<typeof experimentParamsSchema>;

/** A preset: what it tests and its parameters at both sizes. */
export interface ExperimentPreset {
  id: PresetId;
  experiment: ExperimentId;
  title: string;
  /** one sentence: the claim the preset tests */
  claim: string;
  quick: ExperimentParams;
  full: ExperimentParams;
}

const seeds = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

export const PRESETS: Record<PresetId, ExperimentPreset> = {
  E1: {
    id: 'E1',
    experiment: 'E1',
    title: 'Closed forms vs Monte Carlo',
    claim:
      'The closed forms of H_enc∞ and H_dec∞ (and E[wσ(wᵀx)] = x/2) agree with Monte Carlo within its error, for unit, non-unit, near-parallel, anti-parallel and diagonal pairs.',
    quick: { d: 6, draws: [1000, 10_000, 100_000], seeds: [0] },
    full: { d: 6, draws: [1000, 10_000, 100_000, 1_000_000], seeds: [0] },
  },
  E2: {
    id: 'E2',
    experiment: 'E2',
    title: 'NTK concentration vs width',
    claim:
      'The empirical NTK at init approaches its infinite-width limit at rate m^(−1/2): the log–log slope of the relative spectral error against width is −1/2 in every regime.',
    quick: { n: 20, d: 10, widths: [500, 1000, 2000, 4000, 8000, 16_000], seeds: seeds(4), inits: ['gaussian'] },
    full: { n: 20, d: 10, widths: [500, 1000, 2000, 5000, 10_000, 20_000, 40_000, 80_000], seeds: seeds(10), inits: ['gaussian'] },
  },
  'E2-orth': {
    id: 'E2-orth',
    experiment: 'E2',
    title: 'NTK concentration: Gaussian vs orthogonal init',
    claim:
      'With orthogonal initialization the NTK concentrates at the same rate m^(−1/2), and the decoder kernel fluctuates less than with Gaussian initialization.',
    quick: { n: 20, d: 10, widths: [500, 1000, 2000, 4000, 8000, 16_000], seeds: seeds(4), inits: ['gaussian', 'orthogonal'] },
    full: { n: 20, d: 10, widths: [500, 1000, 2000, 5000, 10_000, 20_000, 40_000, 80_000], seeds: seeds(10), inits: ['gaussian', 'orthogonal'] },
  },
  E3: {
    id: 'E3',
    experiment: 'E3',
    title: 'λ landscape',
    claim: 'λ₀, λ_dec and λ_J decrease with the number of samples n, increase with the dimension d, and λ_dec < λ₀.',
    quick: { ns: [10, 20, 40, 80], ds: [5, 10, 30], seeds: seeds(5) },
    full: { ns: [10, 20, 50, 100, 200], ds: [3, 5, 10, 30, 100], seeds: seeds(10) },
  },
  E4: {
    id: 'E4',
    experiment: 'E4',
    title: 'Linear convergence per regime',
    claim:
      'At large width GD follows the linearized (frozen-kernel) prediction and stays below the rate bound; at small width weak training stalls (no L/L₀ < 10⁻⁶ within the steps) where joint training converges.',
    quick: { n: 16, d: 8, widths: [40, 400, 4000], steps: 1600, regimes: ['weak', 'joint'], seeds: [0], inits: ['gaussian'] },
    full: { n: 16, d: 8, widths: [40, 400, 4000, 40_000], steps: 1600, regimes: ['weak', 'joint', 'decoder'], seeds: [0], inits: ['gaussian'] },
  },
  'E4-orth': {
    id: 'E4-orth',
    experiment: 'E4',
    title: 'Linear convergence: Gaussian vs orthogonal init',
    claim:
      'Orthogonal initialization has the same infinite-width kernel, so in the lazy regime it converges at the same linearized rate as Gaussian initialization (no speed-up).',
    quick: { n: 16, d: 8, widths: [40, 400, 4000], steps: 1600, regimes: ['weak', 'joint'], seeds: [0], inits: ['gaussian', 'orthogonal'] },
    full: { n: 16, d: 8, widths: [40, 400, 4000, 40_000], steps: 1600, regimes: ['weak', 'joint', 'decoder'], seeds: [0], inits: ['gaussian', 'orthogonal'] },
  },
  E5: {
    id: 'E5',
    experiment: 'E5',
    title: 'Over-parameterization threshold',
    claim:
      'Joint training reaches L/L₀ < 10⁻⁶ at a smaller width than weak (encoder-only) training on the same data and seeds, with decoder-only in between or equal.',
    quick: { n: 16, d: 8, widths: [8, 16, 32, 64, 128], steps: 3000, regimes: ['weak', 'decoder', 'joint'], seeds: seeds(4) },
    full: { n: 16, d: 8, widths: [8, 16, 32, 64, 128, 256], steps: 3000, regimes: ['weak', 'decoder', 'joint'], seeds: seeds(8) },
  },
  'E5-nm': {
    id: 'E5-nm',
    experiment: 'E5',
    title: 'Over-parameterization threshold over (n, m)',
    claim:
      'At every sample count n of the grid, joint training reaches L/L₀ < 10⁻⁶ from a smaller width than weak (encoder-only) training on the same data and seeds, with decoder-only in between or equal: the (n, m) threshold map.',
    quick: { d: 8, ns: [4, 8, 16], widths: [8, 16, 32, 64, 128], steps: 3000, regimes: ['weak', 'decoder', 'joint'], seeds: seeds(3) },
    full: { d: 8, ns: [4, 8, 12, 16], widths: [8, 16, 32, 64, 128, 256], steps: 3000, regimes: ['weak', 'decoder', 'joint'], seeds: seeds(6) },
  },
  E6: {
    id: 'E6',
    experiment: 'E6',
    title: 'Lazy-training diagnostics',
    claim: 'Training is lazy: the relative weight movement ‖ΔW‖_F/‖W₀‖_F and the activation-flip fraction shrink like m^(−1/2).',
    quick: { n: 16, d: 8, widths: [100, 400, 1600, 6400], steps: 400, regimes: ['joint'], seeds: seeds(2) },
    full: { n: 16, d: 8, widths: [40, 400, 4000, 40_000], steps: 1600, regimes: ['weak', 'joint'], seeds: seeds(4) },
  },
  E7: {
    id: 'E7',
    experiment: 'E7',
    title: 'Weight-tied degeneracy',
    claim:
      'The weight-tied output at init grows like (√m/2)·x (Proposition D): the log–log slope of its component along x against m is 1/2, and with κ² = 2/√m the untrained network is the identity up to O(m^(−1/2)).',
    quick: { n: 16, d: 8, widths: [100, 300, 1000, 3000, 10_000, 30_000], seeds: seeds(3) },
    full: { n: 16, d: 8, widths: [100, 300, 1000, 3000, 10_000, 30_000, 100_000], seeds: seeds(5) },
  },
  E8: {
    id: 'E8',
    experiment: 'E8',
    title: 'Memorization',
    claim:
      'A wide jointly trained autoencoder started at u₀ ≡ 0 maps test inputs almost entirely into the span of the training examples and close to the kernel predictor.',
    quick: { n: 5, d: 20, widths: [4000], steps: 2000, seeds: [0], testSamples: 20 },
    full: { n: 5, d: 20, widths: [20_000], steps: 4000, seeds: [0], testSamples: 50 },
  },
  E9: {
    id: 'E9',
    experiment: 'E9',
    title: 'Sufficient-width calculator',
    claim: 'The sufficient width of Theorem A (weak training) exceeds that of Theorem B (joint training) by many orders of magnitude at every n: joint ≪ weak.',
    quick: { d: 8, ns: [4, 8, 16, 32], seeds: [0] },
    full: { d: 8, ns: [4, 8, 16, 32, 64, 128], seeds: seeds(3) },
  },
};

/** The parameters of a preset at a size, with the user's edits on top (validated). */
export function presetParams(id: PresetId, quick: boolean, edits: unknown = {}): ExperimentParams {
  const base = quick ? PRESETS[id].quick : PRESETS[id].full;
  const r = experimentParamsSchema.safeParse({ ...base, ...(edits as object) });
  if (!r.success) throw new RangeError(r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '));
  return r.data;
}

/** `E2-orth` → its preset; null for an unknown id. */
export function findPreset(id: string): ExperimentPreset | null {
  const key = PRESET_IDS.find((p) => p.toLowerCase() === id.toLowerCase());
  return key ? PRESETS[key] : null;
}

/** What an experiment writes as summary.json (issue 16's contract). */
export interface ExperimentSummary {
  experiment: PresetId;
  claim: string;
  quick: boolean;
  holds: boolean;
  numbers: Record<string, unknown>;
}
