/**
 * The training loop run inside the engine worker (issue 4, items 1–3, 7, 8): sets the run up (./setup.ts),
 * then runs GD on a compute backend with Pause/Step/Stop through RunControl, metric records, the tracked
 * diagnostics every K steps (./tracker.ts), checkpoints and the stopping rules (target L/L₀, maximum steps,
 * divergence: ./divergence.ts).
 *
 * Records (MetricRecord of src/shared/run/format.ts):
 *   - step 0, then every `stride` steps with stride = ⌈steps/5000⌉ (every step for runs ≤ 5000 steps), the
 *     loss L(θ_k) and L/L₀;
 *   - every trackEvery (K) steps and at the last step, also `testLoss` and `tracked` (SPEC §5, §7 diagnostics)
 *     including `tracked.preview`: the updated model-view preview (same shape as RunMeta.preview);
 *   - on divergence the non-finite record is still emitted (the run writer stores it as null + nonFinite).
 * Non-finite numbers are passed through as they are; encoding is the writer's job.
 *
 * Streams of the seeded generator (seed = config.seed): data STREAMS.data/testData (datasets), init
 * STREAMS.init, mini-batch indices STREAMS.batches (its state travels in checkpoints).
 */
import type { Config } from '../../../shared/config/schema';
import type { RunMeta } from '../../../shared/api/contract';
import { WorkbenchException } from '../../../shared/api/result';
import type { LossPoint, MetricRecord } from '../../../shared/run/format';
import { roundNumbers } from '../../../shared/charts/common';
import type { Checkpoint, KeptParams, RunControl, RunOutcome } from '../protocol';
import type { ComputeBackend, Trainer } from '../backends/types';
import { largestEigenvalue } from '../linalg';
import { suggestedLearningRate } from '../theory/stepSize';
import { createRng, STREAMS, type Rng } from '../random';
import { CollapseDetector, zeroOutputLoss } from './collapse';
import { DivergenceMonitor } from './divergence';
import { empiricalLambdaMax, leadingRate } from './learningRates';
import { setUpRun } from './setup';
import { Tracker, type TrackedStep } from './tracker';
import { EIGEN_THREAD_MIN_N, startEigenThread, type EigenThread } from './trackedEigen';

/** Most loss records per run (plus tracked and final records). */
export const MAX_LOSS_RECORDS = 5000;
/** Bytes of residuals a run keeps for held tracked records (see runTraining) before it waits for the theory. */
export const HELD_RESIDUAL_BYTES = 64 * 2 ** 20;

/** Callbacks of {@link runTraining}; `now` is the only clock the engine sees (ms). */
export interface RunCallbacks {
  /**
   * the run's meta: during the set-up once L(θ₀) is known (`initialLoss`; `theoryPending` true, theory null),
   * and again after the first record with the theory and any data warnings that came with it (`theoryPending` false)
   */
  onMeta(meta: RunMeta): void;
  onRecord(rec: MetricRecord): void;
  /**
   * the loss of a record that is held back (see `held` in runTraining) as soon as it is known, so that a live
   * chart need not wait for the theory; its record follows, whole, once the theory is in
   */
  onAhead?(point: LossPoint): void;
  onCheckpoint?(cp: Checkpoint): void;
  /** the parameters to keep: θ₀ once set up (also on resume, recomputed from the seed), θ at the end */
  onParams?(p: KeptParams): void;
  now(): number;
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** continue from a checkpoint of the same config (same backend and dtype give the same result) */
  resumeFrom?: Checkpoint;
}

/**
 * Runs GD training for `config` on `backend` (see the module doc for records, streams and stopping rules).
 * Returns finished (max steps or target L/L₀), stopped (control said stop; a last record is emitted) or
 * failed with 'run-diverged' (non-finite loss, or the loss above L₀ and growing over 20 steps), whose details
 * hold { step, learningRate, suggestedLearningRate } (suggestion 1/λ_max of the effective empirical NTK at
 * init). Configuration and data errors are thrown as WorkbenchException.
 */
export async function runTraining(
  config: Config,
  backend: ComputeBackend,
  control: RunControl,
  cb: RunCallbacks,
  opts: RunTrainingOptions = {},
): Promise<RunOutcome> {
  // The tracked steps' eigenvalues on a thread of their own, where one is installed: started first, so that it
  // has loaded by step 0.
  const eigenThread = startEigenThread(config.trackEigenvalues > 0 && config.samples >= EIGEN_THREAD_MIN_N);
  try {
    return await train(config, backend, control, cb, opts, eigenThread);
  } finally {
    eigenThread?.close();
  }
}

async function train(
  config: Config,
  backend: ComputeBackend,
  control: RunControl,
  cb: RunCallbacks,
  opts: RunTrainingOptions,
  eigenThread: EigenThread | null,
): Promise<RunOutcome> {
  const t0 = cb.now();
  const wall = () => cb.now() - t0;
  // The meta goes out from inside the set-up as soon as L(θ₀) is known (step 0 is drawn from it, issue 13).
  const setup = await setUpRun(config, backend, { announce: (meta) => cb.onMeta(meta), elapsedMs: wall });
  const { data, m, lossWeight, rates, L0, H0, batch } = setup;
  // θ₀ in float64: let go (null) once the initial parameters are out, unless the divergence check needs it.
  let init: { W: Float64Array; V: Float64Array } | null = setup.takeInit();
  // What the closures below read of the set-up, taken out of it (a closure that reads a variable keeps it for
  // the whole run).
  const { finishTheory, meta: setupMeta, warningsLeftToTheory, theoryOffloaded } = setup;
  const { X, d, n } = data;
  const regime = config.regime;
  let trainer: Trainer = setup.trainer;

  const tracker = await Tracker.create(
    {
      config,
      data,
      m,
      scale: setup.scale,
      testWeight: setup.testWeight,
      lossWeight,
      H0,
      linear: null,
      linearPending: config.regime !== 'tied',
      linearNet: setup.linearNet,
      resumed: opts.resumeFrom !== undefined,
      eigenThread,
    },
    trainer,
    init,
  );

  let startStep = 0;
  const batchRng: Rng = createRng(config.seed, STREAMS.batches);
  if (opts.resumeFrom) {
    const cp = opts.resumeFrom;
    if (cp.W.length !== m * d || cp.V.length !== d * m) {
      throw new WorkbenchException(
        'invalid-request',
        `resumeFrom: checkpoint W has ${cp.W.length} entries and V ${cp.V.length}, expected [${m}, ${d}] and [${d}, ${m}]`,
      );
    }
    if (!(cp.step >= 0 && cp.step <= config.steps))
      throw new WorkbenchException('invalid-request', `resumeFrom: step ${cp.step} is outside 0..${config.steps}`);
    trainer.dispose();
    trainer = backend.createTrainer({ ...setup.spec, W0: cp.W, V0: cp.V });
    batchRng.setState(cp.rngState);
    startStep = cp.step;
  }

  const stride = Math.max(1, Math.ceil(config.steps / MAX_LOSS_RECORDS));
  const K = config.trackEvery;
  const batchIdx = batch === null ? null : new Int32Array(batch);
  const perm = batch === null ? null : new Int32Array(n);
  const eta = leadingRate(regime, rates);
  // 1/λ_max of the effective empirical NTK at init, in the units of η_W (η_V for decoder-only); joint keeps
  // the ratio η_V/η_W, which the kernel's weighting already contains.
  // Weight-tied with the automatic step: its λ_max is already that of the full kernel at init.
  // θ₀ is kept for it only where the suggested rate needs the empirical λ_max at init.
  const initForRate = (regime === 'tied' && rates.lambdaMax === null) || (regime !== 'tied' && !H0) ? init : null;
  const divergence = new DivergenceMonitor(L0, eta, async () =>
    suggestedLearningRate(
      regime === 'tied' && rates.lambdaMax !== null
        ? rates.lambdaMax
        : initForRate !== null
          ? (await empiricalLambdaMax(config, data, initForRate, rates, backend)).lambdaMax
          : largestEigenvalue(H0!, n),
      lossWeight,
    ),
  );
  const collapse = new CollapseDetector({
    n,
    d,
    m,
    learningRate: eta,
    lossWeight,
    initialLoss: L0,
    zeroOutputLoss: zeroOutputLoss(X, lossWeight),
    nu: config.nu,
  });

  /**
   * Records held back, in order, from the first tracked record that waits for the theory (its frozen-kernel parts;
   * the GD steps go on meanwhile) or for its eigenvalues on the thread aside: they go out from the front, each once
   * what it waits for is in (its frozen-kernel parts then filled in from the residual kept at its step), so the
   * records are the same whenever the theory and the eigenvalues arrived.
   */
  const held: { rec: MetricRecord; complete?: () => void; eigenIn: boolean }[] = [];
  /** how many of `held` are tracked records waiting for their frozen-kernel parts (each keeps a residual) */
  const heldTracked = (): number => held.reduce((c, h) => c + (h.complete !== undefined ? 1 : 0), 0);
  /** an error of a tracked step's eigenvalues on the thread aside, thrown by the loop at its next turn */
  let asideError: unknown = null;
  /** Sends the held records from the front while what they wait for is in (all of them with `force`). */
  const flushHeld = (force = false): void => {
    while (held.length > 0) {
      const h = held[0]!;
      if (!force && (!h.eigenIn || (h.complete !== undefined && !theoryApplied))) return;
      held.shift();
      h.complete?.();
      cb.onRecord(h.rec);
    }
  };
  const record = (step: number, loss: number, tracked?: TrackedStep): void => {
    const rec: MetricRecord = { step, loss, lossRatio: loss / L0, wallMs: wall() };
    if (tracked) {
      if (tracked.testLoss !== null) rec.testLoss = tracked.testLoss;
      rec.tracked = tracked.tracked;
    }
    const complete = tracked?.completeLinear;
    const eigen = tracked?.eigen;
    if (held.length === 0 && complete === undefined && eigen === undefined) {
      cb.onRecord(rec);
      return;
    }
    const entry = { rec, complete, eigenIn: eigen === undefined };
    held.push(entry);
    eigen?.then(
      () => {
        entry.eigenIn = true;
        flushHeld();
      },
      (e: unknown) => {
        asideError ??= e;
      },
    );
    cb.onAhead?.({ step, loss, lossRatio: rec.lossRatio, wallMs: rec.wallMs });
  };
  /**
   * Waits for the eigenvalues of every tracked step so far and sends the records that then may go; throws the
   * error of one that failed.
   */
  const eigenvaluesIn = async (): Promise<void> => {
    await tracker.eigenvaluesIn();
    if (asideError !== null) throw asideError;
    flushHeld();
  };

  // The theory starts once the first record is out. On a thread of its own it goes on beside the GD steps and
  // is reported as soon as it is in; the tracked records after the first are held back until it is (see `held`),
  // and the run's last record waits for it. In place it is computed there and then.
  let theoryJob: ReturnType<typeof finishTheory> | null = null;
  let theoryArrived = false;
  const startTheory = (): ReturnType<typeof finishTheory> => {
    if (theoryJob === null) {
      theoryJob = finishTheory();
      void theoryJob.then(
        () => void (theoryArrived = true),
        () => void (theoryArrived = true),
      );
    }
    return theoryJob;
  };
  let theoryApplied = false;
  const applyTheory = async (): Promise<void> => {
    if (theoryApplied) return;
    theoryApplied = true;
    const finished = await startTheory();
    tracker.setLinear(finished.linear);
    cb.onMeta(finished.meta);
    flushHeld();
  };
  /**
   * A stop does not wait for a theory still being computed (seconds at n = 1000, more than the host's grace
   * before it terminates the engine): the run ends without it, and its meta says so.
   */
  const skipTheoryOnStop = (): boolean => {
    if (!control.aborted || theoryArrived || theoryApplied) return false;
    theoryApplied = true;
    tracker.setLinear(null);
    cb.onMeta({
      ...setupMeta,
      theory: null,
      theoryPending: false,
      warnings: [...setupMeta.warnings, ...warningsLeftToTheory(), 'theory not computed: the run was stopped before it was ready'],
    });
    // The held records go out without their frozen-kernel parts.
    theorySkipped = true;
    flushUnlessEigen();
    return true;
  };
  let theorySkipped = false;
  /**
   * After a stop that skipped the theory: the held records go out, without eigenvalues still on the thread
   * aside (they queue behind the theory there, which the engine worker calls off once the run is over).
   */
  const flushUnlessEigen = (): void => {
    for (const h of held) if (!h.eigenIn && h.rec.tracked) h.rec.tracked.eigNote = 'eigenvalues not computed: the run was stopped before they were ready';
    flushHeld(true);
  };
  /** Held tracked records (each keeps a residual) allowed within {@link HELD_RESIDUAL_BYTES}. */
  const heldMax = Math.max(1, Math.min(64, Math.floor(HELD_RESIDUAL_BYTES / (8 * d * n))));
  /**
   * Whether to wait for the theory and the eigenvalues before going on: when records are held and the run is
   * about to stop stepping for a while (paused), or when the held residuals reach their budget.
   */
  const mustCatchUp = (): boolean => held.length > 0 && (control.paused || heldTracked() >= heldMax);
  /** Waits for `p` to settle unless a Stop comes first (polled: the stop is a flag in shared memory). */
  const settledUnlessStopped = async (p: Promise<unknown>): Promise<void> => {
    let done = false;
    const settled = p.then(
      () => void (done = true),
      () => void (done = true),
    );
    while (!done && !control.aborted) await Promise.race([settled, new Promise((r) => setTimeout(r, 50))]);
  };
  /** Waits for the theory and applies it, then for the eigenvalues on the thread aside, unless a Stop comes first. */
  const catchUp = async (): Promise<void> => {
    await settledUnlessStopped(startTheory());
    if (!skipTheoryOnStop()) {
      await applyTheory();
      await eigenvaluesIn();
    }
  };
  let firstTracked = true;

  const trackedRecord = async (step: number, final = false): Promise<number> => {
    if (!firstTracked && final && !skipTheoryOnStop()) await applyTheory();
    firstTracked = false;
    // Its kernel needs a buffer the thread aside is not reading: at most EIGEN_IN_FLIGHT_MAX tracked steps wait
    // for their eigenvalues there (behind the theory, say) while the steps go on; a Stop does not wait.
    if (tracker.kernelsOut()) await settledUnlessStopped(tracker.eigenvaluesIn());
    const t = await tracker.diagnostics(trainer, step, final);
    const loss = await trainer.loss();
    const tr = t.tracked;
    // The collapse check reads the eigenvalues: where they are on the thread aside, once they are in (in order).
    const observe = (): void => {
      const c = collapse.observe({
        step,
        loss,
        lambdaMin: tr.eigMin?.[0] ?? null,
        lambdaMax: tr.eigMax?.[0] ?? null,
        deadFraction: tr.deadUnitFraction ?? null,
      });
      if (c) tr.collapse = c;
    };
    if (t.eigen !== undefined) t.eigen = t.eigen.then(observe);
    else observe();
    record(step, loss, t);
    return loss;
  };

  // θ₀ is what a later analysis compares the trained weights against; on resume it is recomputed from the seed.
  cb.onParams?.({ which: 'initial', step: 0, m, d, W: init.W, V: init.V });
  init = null;
  let k = startStep;
  /** the step the trainer's parameters are at (one ahead of k between a GD step and k++) */
  let paramStep = startStep;
  let threw = false;
  try {
    const outcome = await loop();
    if (skipTheoryOnStop() || theorySkipped) {
      flushUnlessEigen();
    } else {
      await applyTheory();
      await eigenvaluesIn();
    }
    return outcome;
  } catch (e) {
    threw = true;
    // What was computed before the error still goes out (without the theory's parts if it never came).
    flushHeld(true);
    throw e;
  } finally {
    // Every normal end (finished, stopped, diverged) keeps the parameters it ended with; after an exception
    // the trainer's state is not trustworthy, so nothing is kept and the error is what gets reported.
    if (!threw && cb.onParams) {
      const p = await trainer.params();
      cb.onParams({ which: 'final', step: paramStep, m, d, W: p.W, V: p.V });
    }
    trainer.dispose();
  }

  async function loop(): Promise<RunOutcome> {
    let lastRecorded = -1;
    if (k === 0 || k % K === 0) {
      const l = await trackedRecord(k);
      lastRecorded = k;
      if (!Number.isFinite(l)) return await divergence.outcome(k, 'non-finite loss');
    }
    // The first record is out: now the theory (seconds of n×n eigendecompositions at n = 1000), beside the steps
    // or here, reported as the meta again; the tracked steps compare against its frozen-kernel model.
    if (theoryOffloaded) void startTheory();
    else await applyTheory();
    for (;;) {
      if (asideError !== null) throw asideError;
      if (theoryArrived) await applyTheory();
      if (k >= config.steps) {
        if (lastRecorded !== k) await trackedRecord(k, true);
        return { status: 'finished', reason: `reached the maximum of ${config.steps} steps` };
      }
      if (config.checkpointEvery > 0 && k > startStep && k % config.checkpointEvery === 0 && cb.onCheckpoint) {
        // A checkpoint follows every record before it (a resume continues the file from there).
        if (held.length > 0) await catchUp();
        const p = await trainer.params();
        cb.onCheckpoint({ step: k, W: p.W, V: p.V, rngState: batchRng.getState() });
      }
      // About to wait while paused: record the loss at the step where the run stands now rather than inside
      // the next step, but only at a step the stride records anyway, so a paused run's records equal an
      // uninterrupted run's.
      if (control.paused && lastRecorded !== k && k % stride === 0) {
        record(k, await trainer.loss());
        lastRecorded = k;
      }
      if (mustCatchUp()) await catchUp();
      if (!control.gate()) {
        if (lastRecorded !== k) await trackedRecord(k, true);
        return { status: 'stopped', reason: `stopped at step ${k}` };
      }
      // One GD step θ_k → θ_{k+1}; the trainer reports L(θ_k).
      let lossK: number | null;
      if (batchIdx && perm) {
        if (!trainer.stepBatch) throw new WorkbenchException('backend-unavailable', `backend ${backend.name} has no mini-batch step; set batchSize to null`);
        // Partial Fisher–Yates from the identity: the batch depends only on the batch stream's state.
        for (let i = 0; i < n; i++) perm[i] = i;
        for (let j = 0; j < batchIdx.length; j++) {
          const r = j + batchRng.int(n - j);
          const t = perm[j]!;
          perm[j] = perm[r]!;
          perm[r] = t;
          batchIdx[j] = perm[j]!;
        }
        // The step's own loss is over the batch: records and checks use the full loss at record steps.
        lossK = k % stride === 0 && lastRecorded !== k ? await trainer.loss() : null;
        const lb = await trainer.stepBatch(batchIdx);
        paramStep = k + 1;
        if (lossK === null && !Number.isFinite(lb)) lossK = lb;
      } else {
        lossK = await trainer.step(1);
        paramStep = k + 1;
      }
      if (lossK === null) {
        k++;
        if (k % K === 0 && k < config.steps) {
          const l = await trackedRecord(k);
          lastRecorded = k;
          if (!Number.isFinite(l)) return await divergence.outcome(k, 'non-finite loss');
        }
        continue;
      }
      if (lastRecorded !== k && (k % stride === 0 || !Number.isFinite(lossK))) {
        record(k, lossK);
        lastRecorded = k;
      }
      const why = divergence.observe(lossK);
      if (why !== null) return await divergence.outcome(k, why);
      k++;
      if (config.targetLossRatio > 0 && lossK / L0 <= config.targetLossRatio) {
        await trackedRecord(k, true);
        return {
          status: 'finished',
          reason: `reached the target loss ratio ${config.targetLossRatio} (L/L₀ = ${roundNumbers(String(lossK / L0))} at step ${k - 1})`,
        };
      }
      if (k % K === 0 && k < config.steps) {
        const l = await trackedRecord(k);
        lastRecorded = k;
        if (!Number.isFinite(l)) return await divergence.outcome(k, 'non-finite loss');
      }
    }
  }
}
