/**
 * Everything a training run sets up before its first step: the data set, the seeded init θ₀, the learning
 * rates, the trainer at θ₀ (L₀, U₀, H(0) on the run's backend and dtype), the linearized network side by side,
 * and the meta the host is told about. The theory of the run (several n×n eigendecompositions: seconds at
 * n = 1000) is not in the way of step 0 (issue 13): {@link RunSetup.finishTheory} computes it (./theoryJob.ts),
 * with the frozen-kernel model the tracked steps compare against and the data's near-singular check (which
 * shares the theory's decomposition of the joint kernel): from n = {@link THEORY_THREAD_MIN_N} on, on a thread
 * of its own beside the GD steps where the engine worker installed one, else on the run's thread once step 0 is
 * recorded. Until it is in, the meta says `theoryPending`.
 */
import type { Config } from '../../../shared/config/schema';
import type { RunMeta } from '../../../shared/api/contract';
import { WorkbenchException } from '../../../shared/api/result';
import { assertRunFits, FULL_NTK_MAX_ND } from '../../../shared/run/memory';
import type { ComputeBackend, Trainer, TrainerSpec } from '../backends/types';
import { buildDataset, parallelPairWarnings, prepareDataset, type Dataset } from '../datasets';
import { initParams } from '../autoencoder/init';
import { outputScale } from '../autoencoder/model';
import { fullEmpiricalNtk } from '../ntk/empiricalNtk';
import { sharedInfiniteKernels } from '../ntk/infiniteKernels';
import { createRng, STREAMS } from '../random';
import { linearizedModel, RUN_THEORY_MAX_N, type LinearizedModel } from '../theory';
import { chooseLearningRates, leadingRate, reportedLearningRates, type ChosenLearningRates } from './learningRates';
import { computeTheory, linearModelOf, theoryTooLarge, type TheoryJobInput, type TheoryJobOutput } from './theoryJob';
import { buildPreview } from './preview';
import { heldOutOutputs } from './testOutputs';

/** The linearized finite-width network side by side needs the full nd×nd NTK's eigendecomposition: up to this nd. */
export const LINEARIZED_NETWORK_MAX_ND = FULL_NTK_MAX_ND;

/** A run, set up: what the loop, the tracker and the divergence check read. */
export interface RunSetup {
  data: Dataset;
  m: number;
  /** output scale s (SPEC §1.2) */
  scale: number;
  /**
   * θ₀ in float64, handed over once: a second call throws. The set-up keeps no reference to it, so that the
   * run can let it go once it has no more use for it (15 MiB at m = 10000, d = 100; issue 13: memory).
   */
  takeInit(): { W: Float64Array; V: Float64Array };
  /** 1, or 1/n for the 1/n-normalized loss */
  lossWeight: number;
  /** 1, or 1/nTest */
  testWeight: number;
  rates: ChosenLearningRates;
  /** the trainer's spec without the parameters (a resumed run makes a new trainer from it) */
  spec: Omit<TrainerSpec, 'W0' | 'V0'>;
  /** the trainer at θ₀ */
  trainer: Trainer;
  /** L(θ₀) */
  L0: number;
  /** traced NTK at init (null when kernel tracking does not fit) */
  H0: Float64Array | null;
  /** mini-batch size, or null for full-batch GD */
  batch: number | null;
  linearNet: LinearizedModel | null;
  /** the meta at set-up: `theory` null and `theoryPending` true (see {@link RunSetup.finishTheory}) */
  meta: RunMeta;
  /**
   * The theory of the run (runTheory), the frozen-kernel model of its linearized loss and spectral bias, and
   * the data's near-singular warning: the meta to report again (theory in place, `theoryPending` false).
   */
  finishTheory(): Promise<{ meta: RunMeta; linear: LinearizedModel | null }>;
  /**
   * The data warnings the set-up left to the theory (parallel samples), computed here: for a run that stops
   * before the theory is in.
   */
  warningsLeftToTheory(): string[];
  /** whether {@link RunSetup.finishTheory} runs on a thread of its own (then the GD steps go on beside it) */
  theoryOffloaded: boolean;
}

/** Runs a theory job on a thread of its own (the engine worker installs one: ./theoryThread.ts). */
export type TheoryRunner = (job: TheoryJobInput) => Promise<TheoryJobOutput>;
let theoryRunner: TheoryRunner | null = null;
let theoryLog: (message: string) => void = () => {};

/** From this n on, a run's theory goes to the installed runner (below it takes milliseconds in place). */
export const THEORY_THREAD_MIN_N = 400;

/** Lets runs set up from now on compute their theory through `runner` (null: in place, the default). */
export function installTheoryRunner(runner: TheoryRunner | null, log?: (message: string) => void): void {
  theoryRunner = runner;
  if (log) theoryLog = log;
}

/** Options of {@link setUpRun}. */
export interface SetUpOptions {
  /**
   * Told the meta as soon as L(θ₀) is known, before H(0) and the rest of the set-up (a UI draws step 0 from
   * it, issue 13); the returned {@link RunSetup.meta} is the same meta.
   */
  announce?(meta: RunMeta): void;
  /** ms since the run's start, for {@link RunMeta.initialLossMs} */
  elapsedMs?(): number;
}

/** Sets up a run of `config` on `backend` (throws WorkbenchException for config, data and memory errors). */
export async function setUpRun(config: Config, backend: ComputeBackend, opts: SetUpOptions = {}): Promise<RunSetup> {
  if (!backend.dtypes.includes(config.dtype)) {
    throw new WorkbenchException('backend-unavailable', `backend ${backend.name} offers ${backend.dtypes.join(', ')}, not dtype ${config.dtype}`);
  }
  // Nothing large is allocated before the run is known to fit memoryLimitMiB (the services check the same
  // estimate before they start a run); the plan says which optional parts (kernels, theory) fit beside it.
  const memory = assertRunFits(config);
  await prepareDataset(config);
  // The near-singular check of the data decomposes the joint kernel, as the theory does: it runs with it. So
  // does the pairwise scan for parallel samples (O(n²d), ~0.1 s at n = 1000), off the way to L₀ and step 0, in
  // every run alike so that the warnings come in the same order wherever the theory runs.
  const data = buildDataset(config, { skipConditioning: true, skipPairwise: true });
  const { X, d, n, Xtest, nTest } = data;
  const m = config.hiddenWidth;
  const regime = config.regime;
  const scale = outputScale(config.scaling, m);
  const init = initParams({ m, d, init: config.init, kappa: config.kappa, nu: config.nu, tied: regime === 'tied' }, createRng(config.seed, STREAMS.init));
  const lossWeight = config.lossNormalization === 'mean' ? 1 / n : 1;
  const testWeight = config.lossNormalization === 'mean' ? 1 / Math.max(nTest, 1) : 1;
  // The theory goes to a thread of its own from THEORY_THREAD_MIN_N on: the steps then share the cores with it.
  const offload = theoryRunner !== null && n >= THEORY_THREAD_MIN_N ? theoryRunner : null;
  const tooLarge = theoryTooLarge(memory, config.memoryLimitMiB);
  // Joint training with the automatic step reads its kernel from H_enc∞ and H_dec∞, which the theory needs too:
  // computed once here, in shared memory, they go to its thread with the job without a copy (read only there).
  // Their pass also screens the sample pairs for the data's parallel-sample check, which the theory then runs on
  // those pairs alone (issue 13: no Gram matrix of the samples of its own, ~0.1 s of the theory's CPU at n = 1000).
  const shared =
    offload !== null && tooLarge === null && regime === 'joint' && config.learningRate === null && n <= RUN_THEORY_MAX_N
      ? sharedInfiniteKernels(X, d, n)
      : undefined;
  const kernels = shared === undefined ? undefined : { enc: shared.enc, dec: shared.dec };
  const rates = await chooseLearningRates(config, data, init, backend, kernels);
  const warnings = [...data.warnings];
  const spec = { X, d, n, m, scale, regime, etaW: rates.etaW, etaV: rates.etaV, lossWeight, dtype: config.dtype, spinWait: offload === null };
  // The trainer at init gives L₀, U₀ and H(0) on this backend and dtype, also when resuming.
  const trainer: Trainer = backend.createTrainer({ ...spec, W0: init.W, V0: init.V });
  // H0, the tracked steps' H, the eigensolvers' working copy and Qᵀ of the spectral bias: four n×n arrays.
  const trackKernel = memory.plan.trackKernels;
  if (!trackKernel)
    warnings.push(`kernel tracking is off: the ${n}×${n} traced NTK does not fit beside the run within memoryLimitMiB (${config.memoryLimitMiB} MiB)`);
  const batch = config.batchSize !== null && config.batchSize < n ? config.batchSize : null;
  const linearizeNet = config.linearizedSideBySide && n * d <= LINEARIZED_NETWORK_MAX_ND;
  if (config.linearizedSideBySide && !linearizeNet) warnings.push(`linearized network side by side skipped: nd = ${n * d} > ${LINEARIZED_NETWORK_MAX_ND}`);
  if (linearizeNet && batch !== null) warnings.push('the linearized network side by side follows full-batch GD; this run uses mini-batches');
  // L₀ and U₀ first, from the forward pass alone: the meta with L₀ goes out now, and step 0 is drawn from it
  // while H(0) (two n×m Gram products at n = 1000, then its eigenvalues for step 0's record) is computed.
  const L0 = await trainer.loss();
  const U0 = await trainer.outputs();
  const Utest0 = nTest > 0 ? heldOutOutputs(init.W, init.V, Xtest, { d, n: nTest, m }, scale) : new Float64Array(0);
  const learningRates = reportedLearningRates(regime, rates);
  const meta: RunMeta = {
    backend: backend.name,
    dtype: config.dtype,
    learningRates,
    n,
    d,
    m,
    warnings,
    theory: null,
    theoryPending: true,
    initialLoss: Number.isFinite(L0) ? L0 : null,
    ...(opts.elapsedMs ? { initialLossMs: opts.elapsedMs() } : {}),
    preview: buildPreview(data, U0, Utest0),
  };
  opts.announce?.(meta);
  // A fused trainer (onnx) also takes the first GD step in the run that gives H(0).
  const H0 = trackKernel ? await trainer.tracedNtk() : null;

  // The linearized finite-width network f(θ₀) + J(θ₀)(θ − θ₀) under full-batch GD: its residual obeys
  // r(k+1) = (I − η lossWeight H(0)) r(k) exactly, H(0) the full effective empirical NTK at init, so
  // its loss follows from one eigendecomposition (the [1, nd] residual r = vec_out(E₀) as a single row).
  let linearNet: LinearizedModel | null = null;
  if (linearizeNet) {
    const H0full = fullEmpiricalNtk({ X, d, n, m, W: init.W, V: init.V, scale, regime, etaW: rates.etaW, etaV: rates.etaV }, config.memoryLimitMiB);
    const r0 = new Float64Array(d * n);
    for (let k = 0; k < d * n; k++) r0[k] = U0[k]! - X[k]!;
    linearNet = linearizedModel(H0full, n * d, r0, 1, leadingRate(regime, rates) * lossWeight);
  }

  const job: TheoryJobInput = {
    config,
    data: { name: data.name, X, d, n, Xtest, nTest, warnings: data.warnings },
    m,
    U0,
    Utest0,
    learningRates: { encoder: learningRates.encoder, decoder: learningRates.decoder },
    rates: { etaW: rates.etaW, etaV: rates.etaV },
    lossWeight,
    scale,
    tooLarge,
    ...(kernels !== undefined ? { kernels } : {}),
    pairsPending: true,
    ...(shared !== undefined ? { screenedPairs: shared.screenedPairs } : {}),
  };
  async function finishTheory(): Promise<{ meta: RunMeta; linear: LinearizedModel | null }> {
    let out: TheoryJobOutput;
    if (offload !== null) {
      const answer = offload(job);
      // Posted: the thread reads the kernels where they lie (shared memory) and lets them go once its
      // decompositions no longer need them; this thread needs them no more (the fallback below computes its own).
      delete job.kernels;
      try {
        out = await answer;
      } catch (e) {
        // The thread could not run it (it failed to start, or died): the same job here.
        theoryLog(`theory thread failed (${e instanceof Error ? e.message : String(e)}); computing the theory on the run's thread`);
        out = computeTheory(job);
      }
    } else {
      out = computeTheory(job);
    }
    // The kernels served the theory (computeTheory takes them out of the job); the run keeps no other reference.
    const linear = out.linear === null ? null : linearModelOf(out.linear);
    return { meta: { ...meta, warnings: [...meta.warnings, ...out.warnings], theory: out.theory, theoryPending: false }, linear };
  }

  let handOver: { W: Float64Array; V: Float64Array } | null = init;
  return {
    data,
    m,
    scale,
    takeInit: () => {
      if (handOver === null) throw new Error('setUpRun: θ₀ was taken already');
      const out = handOver;
      handOver = null;
      return out;
    },
    lossWeight,
    testWeight,
    rates,
    spec,
    trainer,
    L0,
    H0,
    batch,
    linearNet,
    meta,
    finishTheory,
    warningsLeftToTheory: () => parallelPairWarnings(X, d, n),
    theoryOffloaded: offload !== null,
  };
}
