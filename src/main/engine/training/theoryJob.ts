/**
 * The theory of a run as one job (issue 13): runTheory's panel, the frozen-kernel model the tracked steps
 * compare against, and the data's near-singular (and, where the set-up left them, parallel-sample) warnings,
 * from plain inputs to plain outputs, so the same function runs on the engine thread (small n) or on a thread
 * of its own beside the GD steps (./theoryThread.ts), whose structured clone carries the inputs and results
 * unchanged.
 */
import type { Config } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import { formatBytes, LINEARIZED_MAX_N } from '../../../shared/run/memory';
import { nearSingularWarning, parallelPairWarnings, type Dataset } from '../datasets';
import { datasetWarnings } from '../datasets/warnings';
import { regimeKernel } from '../ntk/infiniteKernels';
import { linearizedModel, runTheory, type LinearizedModel, type RunTheory } from '../theory';
import type { AbortFlag } from '../linalg';
import { leadingRate, type ChosenLearningRates } from './learningRates';

/** What the theory of a run is computed from (structured-cloneable). */
export interface TheoryJobInput {
  config: Config;
  data: Pick<Dataset, 'name' | 'X' | 'd' | 'n' | 'Xtest' | 'nTest' | 'warnings'>;
  m: number;
  /** the network's outputs at θ₀ on the training [d, n] and test [d, nTest] inputs */
  U0: Float64Array;
  Utest0: Float64Array;
  /** the learning rates the run reports (RunMeta.learningRates) */
  learningRates: { encoder: number | null; decoder: number | null };
  rates: Pick<ChosenLearningRates, 'etaW' | 'etaV'>;
  lossWeight: number;
  scale: number;
  /** null when the theory fits beside the run; else why it is skipped (memory plan) */
  tooLarge: string | null;
  /** H_enc∞ and H_dec∞ of the data [n, n], when the set-up computed them already (for the automatic step) */
  kernels?: { enc: Float64Array; dec: Float64Array };
  /** the set-up left the data's parallel-sample scan to the theory (BuildDatasetOptions.skipPairwise) */
  pairsPending?: boolean;
  /** the sample pairs that the set-up's kernels screened for that scan (sharedInfiniteKernels), where it computed them */
  screenedPairs?: Int32Array;
}

/** A frozen-kernel model as data: what {@link linearModelOf} rebuilds the model from. */
export interface LinearModelData {
  values: Float64Array;
  vectors: Float64Array;
  /** c = E(0)Q [d, n] */
  coefficients: Float64Array;
  E0: Float64Array;
  n: number;
  d: number;
  eta: number;
}

/** The theory of a run (structured-cloneable). */
export interface TheoryJobOutput {
  theory: RunTheory | null;
  /** warnings found on the way (theory skipped or unavailable, the data's near-singular check) */
  warnings: string[];
  linear: LinearModelData | null;
}

/** The theory thread's one answer. */
export type TheoryThreadReply = { ok: true; out: TheoryJobOutput } | { ok: false; message: string };

/** The abort flag of a theory job: raised once entry 0 of the Int32Array over `buffer` is not 0 (never without one). */
export function flagSignal(buffer: SharedArrayBuffer | undefined): AbortFlag {
  const flag = buffer !== undefined ? new Int32Array(buffer) : null;
  return {
    get aborted(): boolean {
      return flag !== null && Atomics.load(flag, 0) !== 0;
    },
  };
}

/**
 * A thread's answer to a theory job (the theory thread's, or the engine's thread aside): the result or the error,
 * with the result's large buffers to transfer rather than copy.
 */
export function theoryReply(job: TheoryJobInput, signal: AbortFlag): { reply: TheoryThreadReply; transfer: ArrayBuffer[] } {
  try {
    const out = computeTheory(job, signal);
    const l = out.linear;
    const bufs = l === null ? [] : [l.values.buffer, l.vectors.buffer, l.coefficients.buffer, l.E0.buffer];
    return { reply: { ok: true, out }, transfer: [...new Set(bufs)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer) };
  } catch (e) {
    return { reply: { ok: false, message: e instanceof Error ? e.message : String(e) }, transfer: [] };
  }
}

/** The frozen-kernel model of {@link LinearModelData} (its eigendecomposition is not repeated). */
export function linearModelOf(l: LinearModelData): LinearizedModel {
  return linearizedModel(null, l.n, l.E0, l.d, l.eta, { values: l.values, vectors: l.vectors, coefficients: l.coefficients });
}

/**
 * The job's kernels as runTheory's option, taken out of the job: runTheory lets go of them once it needs them no
 * more, and the job (which the theory thread holds until it answers) keeps no other reference.
 */
function takeKernels(input: TheoryJobInput): { kernels?: { enc: Float64Array; dec: Float64Array } } {
  const kernels = input.kernels;
  if (kernels === undefined) return {};
  delete input.kernels;
  return { kernels };
}

/**
 * Runs the theory of a run (see the module doc): several n×n eigendecompositions, seconds at n = 1000. With
 * `signal` set it stops at the eigensolvers' next check and returns what it has (the theory then says it is
 * unavailable, and there is no frozen-kernel model).
 */
export function computeTheory(input: TheoryJobInput, signal?: AbortFlag): TheoryJobOutput {
  const { config, data, m, U0, Utest0, learningRates, rates, lossWeight, scale } = input;
  const { X, d, n } = data;
  const regime = config.regime;
  // The data's parallel samples first, when the set-up left them here: they come before the theory's own notes.
  const later: string[] = input.pairsPending === true ? parallelPairWarnings(X, d, n, input.screenedPairs) : [];
  let theory: RunTheory | null = null;
  let jointChecked = false;
  // runTheory's frozen-kernel model has the same GD map I − η_W·f·H as the one below (f = s²m·lossWeight),
  // so its eigendecomposition (the costly part at large n) is reused.
  let theoryModel: { model: LinearizedModel; eta: number; E0: Float64Array } | null = null;
  try {
    if (input.tooLarge !== null) throw new WorkbenchException('too-large', input.tooLarge);
    theory = runTheory(
      config,
      data as Dataset,
      { U0, Utest0, learningRates },
      {
        onModel: (model, E0) => void (theoryModel = { model, eta: model.eta, E0 }),
        onJointExtremes: (lmin, lmax) => {
          jointChecked = true;
          const w = nearSingularWarning(lmin, lmax);
          if (w !== null) later.push(w);
        },
        ...takeKernels(input),
        ...(signal !== undefined ? { signal } : {}),
      },
    );
  } catch (e) {
    if (e instanceof WorkbenchException && e.code === 'too-large') later.push(`theory skipped: ${e.message}`);
    else if (e instanceof WorkbenchException) later.push(`theory unavailable: ${e.message}`);
    else throw e;
  }
  // Called off (the run ended before it came in): nothing more is computed.
  if (signal?.aborted === true) return { theory, warnings: later, linear: null };
  // Where the theory did not decompose the joint kernel, the data check does it itself.
  // Its parallel-sample warnings are in data.warnings or `later` already: the pairwise scan is not repeated.
  if (!jointChecked) {
    const all = datasetWarnings(X, d, n, { kappa: config.kappa, nu: config.nu, pairs: false });
    for (const w of all) if (!data.warnings.includes(w)) later.push(w);
  }
  const found = theoryModel as { model: LinearizedModel; eta: number; E0: Float64Array } | null;
  if (found !== null) {
    const { model, eta, E0 } = found;
    return { theory, warnings: later, linear: { values: model.eigenvalues, vectors: model.eigenvectors, coefficients: model.coefficients, E0, n, d, eta } };
  }

  // Frozen-kernel (infinite-width) model for the linearized loss and the spectral bias (untied regimes).
  let linear: LinearModelData | null = null;
  if (regime !== 'tied' && n <= LINEARIZED_MAX_N) {
    const kopts = { kappa: config.kappa, nu: config.nu };
    let hInf: Float64Array;
    if (regime === 'joint' && rates.etaV !== rates.etaW) {
      // Effective kernel ν²H_enc + (η_V/η_W)κ²H_dec (SPEC §10.6), paired with the step η_W.
      const enc = regimeKernel('weak', X, d, n, kopts);
      const dec = regimeKernel('decoder', X, d, n, kopts);
      hInf = enc.map((e, k) => e + (rates.etaV / rates.etaW) * dec[k]!);
    } else {
      hInf = regimeKernel(regime, X, d, n, kopts);
    }
    const E0 = new Float64Array(d * n);
    for (let k = 0; k < d * n; k++) E0[k] = U0[k]! - X[k]!;
    // The frozen-kernel map is I − η·(s²m)·lossWeight·H (s²m = 1/m for mean-field, SPEC §5.3).
    const etaEff = leadingRate(regime, rates) * lossWeight * scale * scale * m;
    const model = linearizedModel(hInf, n, E0, d, etaEff);
    linear = { values: model.eigenvalues, vectors: model.eigenvectors, coefficients: model.coefficients, E0, n, d, eta: etaEff };
  }
  return { theory, warnings: later, linear };
}

/** The memory plan's verdict on the theory: null when it fits, else the message of its refusal. */
export function theoryTooLarge(memory: { items: { key: string; what: string; bytes: number }[]; plan: { theory: boolean } }, limitMiB: number): string | null {
  const item = memory.items.find((i) => i.key === 'theory');
  if (!item || memory.plan.theory) return null;
  return `${item.what} need ~${formatBytes(item.bytes)}, more than fits beside the run within memoryLimitMiB (${limitMiB} MiB)`;
}
