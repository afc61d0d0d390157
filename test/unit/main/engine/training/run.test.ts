import { describe, expect, it } from 'vitest';
import { runTraining, type RunCallbacks } from '../../../../../src/main/engine/training';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { createOnnxBackend } from '../../../../../src/main/engine/backends/onnxBackend';
import { activationPatternF64 } from '../../../../../src/main/engine/training/tracker';
import { patternStats } from '../../../../../src/main/engine/training/collapse';
import { freeRunning, type Checkpoint, type RunControl } from '../../../../../src/main/engine/protocol';
import { defaultConfig, parseConfig, type Config } from '../../../../../src/shared/config/schema';
import type { RunMeta } from '../../../../../src/shared/api/contract';
import type { MetricRecord } from '../../../../../src/shared/run/format';
import { buildDataset, datasetWarnings } from '../../../../../src/main/engine/datasets';
import { collectGarbage, collectionProbe, nextTasks } from '../../../../support/gc';
import { tracedEmpiricalNtk } from '../../../../../src/main/engine/ntk/empiricalNtk';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import type { KeptParams } from '../../../../../src/main/engine/protocol';
import { relativeDifference } from '../../../../support/relative';

function tiny(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    dataset: 'sphere',
    samples: 6,
    testSamples: 3,
    inputDim: 3,
    hiddenWidth: 64,
    steps: 150,
    trackEvery: 10,
    dtype: 'float64',
    backend: 'js',
    regime: 'joint',
    targetLossRatio: 0,
    ...over,
  };
}

interface Collected {
  meta: RunMeta[];
  /** how many records had been emitted when each meta came */
  recordsAtMeta: number[];
  records: MetricRecord[];
  checkpoints: Checkpoint[];
  cb: RunCallbacks;
}

function collector(): Collected {
  const c: Collected = { meta: [], recordsAtMeta: [], records: [], checkpoints: [], cb: undefined as unknown as RunCallbacks };
  let clock = 0;
  c.cb = {
    onMeta: (m) => {
      c.meta.push(m);
      c.recordsAtMeta.push(c.records.length);
    },
    onRecord: (r) => c.records.push(r),
    onCheckpoint: (cp) => c.checkpoints.push(cp),
    now: () => (clock += 1),
  };
  return c;
}

const withoutTime = (rs: MetricRecord[]) => rs.map(({ wallMs: _w, ...r }) => r);

describe('runTraining()', () => {
  it('emits meta and records with a falling loss, tracked diagnostics every K steps and at the end', async () => {
    const c = collector();
    const out = await runTraining(tiny(), createJsBackend(), freeRunning, c.cb);
    expect(out.status).toBe('finished');
    // Step 0 first (issue 13): the meta at set-up has no theory yet; it comes again with it after record 0.
    expect(c.meta).toHaveLength(2);
    expect(c.meta[0]).toMatchObject({ theory: null, theoryPending: true });
    expect(c.meta[1]!.theoryPending).toBe(false);
    expect(c.meta[1]!.theory).not.toBeNull();
    expect(c.recordsAtMeta).toEqual([0, 1]);
    expect(c.records[0]!.tracked).toBeDefined();
    // The frozen-kernel loss at step 0 is L₀ itself, before any decomposition.
    expect(c.records[0]!.tracked!.linearizedLoss).toBeCloseTo(c.records[0]!.loss!, 10);
    const { theory: _t, theoryPending: _p, ...rest } = c.meta[1]!;
    const { theory: _t0, theoryPending: _p0, ...rest0 } = c.meta[0]!;
    expect(rest).toEqual(rest0);
    const meta = c.meta[1]!;
    expect(meta).toMatchObject({ backend: 'js', dtype: 'float64', n: 6, d: 3, m: 64 });
    expect(meta.learningRates.encoder).toBeGreaterThan(0);
    expect(meta.learningRates.decoder).toBe(meta.learningRates.encoder);
    const steps = c.records.map((r) => r.step);
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBe(150);
    expect(new Set(steps).size).toBe(steps.length);
    const first = c.records[0]!;
    const last = c.records.at(-1)!;
    expect(first.lossRatio).toBe(1);
    expect(last.loss!).toBeLessThan(0.1 * first.loss!);
    const tracked = c.records.filter((r) => r.tracked);
    expect(tracked.map((r) => r.step)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    const t = tracked.at(-1)!.tracked!;
    expect(t.weightMoveW!).toBeGreaterThan(0);
    expect(t.kernelDistance!).toBeGreaterThan(0);
    expect(t.eigMin).toHaveLength(3);
    expect(t.eigMax![0]!).toBeGreaterThanOrEqual(t.eigMax![1]!);
    expect(t.spectralBias).toHaveLength(6);
    // The eigenvectors are orthonormal, so the per-direction residual energies add up to ‖U − X‖_F² = 2L
    // (tiny() uses the sum loss, lossWeight 1).
    const biasSum = t.spectralBias!.reduce<number>((x, y) => x + (y ?? Number.NaN), 0);
    expect(Math.abs(biasSum - 2 * tracked.at(-1)!.loss!) / (2 * tracked.at(-1)!.loss!)).toBeLessThan(1e-9);
    expect(typeof t.linearizedLoss).toBe('number');
    // At step 0 the kernel is H0 itself.
    expect(tracked[0]!.tracked!.kernelDistance).toBe(0);
    expect(tracked[0]!.tracked!.spectrum).toHaveLength(6);
    expect(tracked.at(-1)!.testLoss).toBeGreaterThan(0);
  });

  it('announces L(θ₀) in the set-up meta before H(0) is computed (issue 13: step 0 drawn before its record)', async () => {
    const c = collector();
    const calls: string[] = [];
    const js = createJsBackend();
    const backend = {
      ...js,
      createTrainer: (spec: Parameters<typeof js.createTrainer>[0]) => {
        const t = js.createTrainer(spec);
        const tracedNtk = t.tracedNtk.bind(t);
        t.tracedNtk = (out?: Float64Array) => {
          calls.push(`H after ${c.meta.length} meta`);
          return tracedNtk(out);
        };
        return t;
      },
    };
    const metaAt = c.cb.onMeta;
    c.cb.onMeta = (m) => {
      calls.push('meta');
      metaAt(m);
    };
    await runTraining(tiny({ steps: 20 }), backend, freeRunning, c.cb);
    expect(calls.slice(0, 2)).toEqual(['meta', 'H after 1 meta']);
    expect(c.meta[0]!.initialLoss).toBe(c.records[0]!.loss);
    expect(c.meta[0]!.initialLossMs).toBeGreaterThan(0);
    expect(c.meta[0]!.initialLossMs!).toBeLessThan(c.records[0]!.wallMs);
    // the meta with the theory keeps them
    expect(c.meta[1]!.initialLoss).toBe(c.meta[0]!.initialLoss);
  });

  it('measures movement from θ₀ as the trainer holds it: exactly 0 at step 0, also in float32', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const c = collector();
      await runTraining(tiny({ dtype, steps: 20 }), createJsBackend(), freeRunning, c.cb);
      const t0 = c.records.find((r) => r.step === 0)!.tracked!;
      expect([t0.weightMoveW, t0.weightMoveV, t0.maxNeuronMove, t0.flipFraction], dtype).toEqual([0, 0, 0, 0]);
      expect(c.records.at(-1)!.tracked!.weightMoveW!, dtype).toBeGreaterThan(0);
    }
  });

  it("records the movement and the kernel's distance of the kept parameters, computed here independently", async () => {
    // The tracker takes ‖W − W(0)‖ from its per-unit pass and θ₀'s and H(0)'s norms from the run's start.
    for (const regime of ['joint', 'weak', 'tied'] as const) {
      const config = tiny({ regime, steps: 20 });
      const c = collector();
      const kept: KeptParams[] = [];
      await runTraining(config, createJsBackend(), freeRunning, { ...c.cb, onParams: (p) => kept.push(p) });
      const [init, fin] = [kept.find((p) => p.which === 'initial')!, kept.find((p) => p.which === 'final')!];
      expect(fin.step, regime).toBe(20);
      const last = c.records.at(-1)!.tracked!;
      // (the weak regime's V, and tied's, never moves: exactly 0 there)
      const same = (got: number, want: number, digits: number): void => {
        if (want === 0) expect(got, regime).toBe(0);
        else expect(got / want, regime).toBeCloseTo(1, digits);
      };
      same(last.weightMoveW!, relativeDifference(fin.W, init.W), 12);
      same(last.weightMoveV!, relativeDifference(fin.V, init.V), 12);
      const { X, d, n } = buildDataset(config, { skipConditioning: true, skipPairwise: true });
      const m = config.hiddenWidth;
      const ntk = (W: Float64Array, V: Float64Array): Float64Array => tracedEmpiricalNtk({ X, d, n, m, W, V, scale: 1 / Math.sqrt(m), regime });
      same(last.kernelDistance!, relativeDifference(ntk(fin.W, fin.V), ntk(init.W, init.V)), 10);
    }
  });

  it('records the activation flips and dead units of the kept parameters on onnx, which counts them in its tracked step (issue 13)', async () => {
    // The onnx trainer counts them in the fused run against the pattern at init, without the [n, m] pattern;
    // checked against the float64 patterns of the kept initial and final parameters, computed here.
    for (const regime of ['joint', 'weak', 'tied'] as const) {
      const config = tiny({ regime, steps: 20, backend: 'onnx', dtype: 'float64' });
      const c = collector();
      const kept: KeptParams[] = [];
      await runTraining(config, createOnnxBackend({ threads: 1 }), freeRunning, { ...c.cb, onParams: (p) => kept.push(p) });
      const [init, fin] = [kept.find((p) => p.which === 'initial')!, kept.find((p) => p.which === 'final')!];
      const { X, d, n } = buildDataset(config, { skipConditioning: true, skipPairwise: true });
      const m = config.hiddenWidth;
      const want = patternStats(activationPatternF64(fin.W, X, d, n, m), activationPatternF64(init.W, X, d, n, m), n, m);
      const last = c.records.at(-1)!.tracked!;
      expect(want.flips, regime).toBeGreaterThan(0);
      expect(last.flipFraction, regime).toBe(want.flips / (n * m));
      expect(last.deadUnitFraction, regime).toBe(want.deadFraction);
    }
  });

  it("records the traced NTK's extreme eigenvalues past the full solver's n (the smallest shifted from the last tracked step's)", async () => {
    // n = 320 > FULL_EIG_MAX_N: Lanczos on the Cholesky shift-invert operator, from step 10 on shifted to 0.9·λ_min of
    // the tracked step before; checked against the full spectrum of the final parameters' kernel, computed here.
    const config = tiny({ samples: 320, testSamples: 0, inputDim: 10, hiddenWidth: 400, steps: 20, trackEigenvalues: 3 });
    const c = collector();
    const kept: KeptParams[] = [];
    await runTraining(config, createJsBackend(), freeRunning, { ...c.cb, onParams: (p) => kept.push(p) });
    const fin = kept.find((p) => p.which === 'final')!;
    const last = c.records.at(-1)!;
    expect(last.step).toBe(20);
    const { X, d, n } = buildDataset(config, { skipConditioning: true, skipPairwise: true });
    const m = config.hiddenWidth;
    const all = symmetricEigen(tracedEmpiricalNtk({ X, d, n, m, W: fin.W, V: fin.V, scale: 1 / Math.sqrt(m), regime: 'joint' }), n).values;
    expect(all[0]!).toBeGreaterThan(0);
    const eigMin = last.tracked!.eigMin!;
    const eigMax = last.tracked!.eigMax!;
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(eigMin[j]! / all[j]! - 1)).toBeLessThan(1e-9);
      expect(Math.abs(eigMax[j]! / all[n - 1 - j]! - 1)).toBeLessThan(1e-9);
    }
  });

  it('is deterministic per seed: the same config gives the same records', async () => {
    const a = collector();
    const b = collector();
    await runTraining(tiny({ steps: 40 }), createJsBackend(), freeRunning, a.cb);
    await runTraining(tiny({ steps: 40 }), createJsBackend(), freeRunning, b.cb);
    expect(withoutTime(a.records)).toEqual(withoutTime(b.records));
  });

  it('stops when L/L₀ reaches the target ratio', async () => {
    const c = collector();
    const out = await runTraining(tiny({ steps: 5000, targetLossRatio: 1e-2 }), createJsBackend(), freeRunning, c.cb);
    expect(out.status).toBe('finished');
    // the ratio printed to four significant digits, not a float's seventeen
    expect(out.reason).toMatch(/^reached the target loss ratio 0\.01 \(L\/L₀ = 0\.00\d{1,4} at step \d+\)$/);
    const last = c.records.at(-1)!;
    expect(last.step).toBeLessThan(5000);
    expect(last.lossRatio!).toBeLessThanOrEqual(1e-2);
    const before = c.records.filter((r) => r.step < last.step - 1);
    expect(before.every((r) => r.lossRatio! > 1e-2)).toBe(true);
  });

  it('stops when the control says stop, with a last record at that step', async () => {
    let calls = 0;
    const control: RunControl = { aborted: false, paused: false, gate: () => ++calls <= 15 };
    const c = collector();
    const out = await runTraining(tiny(), createJsBackend(), control, c.cb);
    expect(out.status).toBe('stopped');
    expect(c.records.at(-1)!.step).toBe(15);
  });

  it('reports divergence with the step, η and a smaller suggested η for a huge learning rate', async () => {
    const c = collector();
    const out = await runTraining(tiny({ learningRate: 50 }), createJsBackend(), freeRunning, c.cb);
    expect(out.status).toBe('failed');
    if (out.status !== 'failed') return;
    expect(out.error.code).toBe('run-diverged');
    const det = out.error.details as { step: number; learningRate: number; suggestedLearningRate: number };
    expect(det.learningRate).toBe(50);
    expect(det.suggestedLearningRate).toBeGreaterThan(0);
    expect(det.suggestedLearningRate).toBeLessThan(50);
    expect(out.error.message).toBe(`diverged at step ${det.step} with learning rate 50; try η ≤ ${det.suggestedLearningRate}`);
    expect(det.step).toBeLessThan(150);
    // The suggested step is stable: the same run with it converges.
    const ok = collector();
    const out2 = await runTraining(tiny({ learningRate: det.suggestedLearningRate }), createJsBackend(), freeRunning, ok.cb);
    expect(out2.status).toBe('finished');
    expect(ok.records.at(-1)!.loss!).toBeLessThan(ok.records[0]!.loss!);
  });

  it('emits the non-finite record before failing when the loss overflows', async () => {
    const c = collector();
    const out = await runTraining(tiny({ learningRate: 1e6, steps: 3000 }), createJsBackend(), freeRunning, c.cb);
    expect(out.status).toBe('failed');
    if (out.status !== 'failed') return;
    const det = out.error.details as { step: number; reason: string };
    if (det.reason === 'non-finite loss') expect(Number.isFinite(c.records.at(-1)!.loss)).toBe(false);
    expect(c.records.at(-1)!.step).toBeLessThanOrEqual(det.step);
  });

  for (const batchSize of [null, 4]) {
    it(`resumed from a checkpoint equals the uninterrupted run (batchSize ${batchSize})`, async () => {
      const cfg = tiny({ steps: 90, checkpointEvery: 40, batchSize });
      const full = collector();
      await runTraining(cfg, createJsBackend(), freeRunning, full.cb);
      expect(full.checkpoints.map((cp) => cp.step)).toEqual([40, 80]);
      const resumed = collector();
      await runTraining(cfg, createJsBackend(), freeRunning, resumed.cb, { resumeFrom: full.checkpoints[0]! });
      const after = (rs: MetricRecord[]) => withoutTime(rs.filter((r) => r.step > 40));
      expect(after(resumed.records)).toEqual(after(full.records));
      expect(resumed.checkpoints[0]!.W).toEqual(full.checkpoints[1]!.W);
    });
  }

  it('trains every regime, the weight-tied one with η from the empirical NTK at step 0', async () => {
    for (const regime of ['weak', 'decoder', 'tied'] as const) {
      const c = collector();
      const out = await runTraining(tiny({ regime, steps: 60, dtype: 'float32' }), createJsBackend(), freeRunning, c.cb);
      expect(out.status).toBe('finished');
      expect(c.records.at(-1)!.loss!).toBeLessThan(c.records[0]!.loss!);
      const lr = c.meta[0]!.learningRates;
      if (regime === 'weak' || regime === 'tied') expect(lr.decoder).toBeNull();
      if (regime === 'decoder') expect(lr.encoder).toBeNull();
    }
  });

  it('tracks the linearized (frozen-kernel) loss better as the width grows (SPEC §11 c)', async () => {
    const gap = async (m: number) => {
      const c = collector();
      await runTraining(tiny({ hiddenWidth: m, steps: 60, init: 'antisymmetric' }), createJsBackend(), freeRunning, c.cb);
      const L0 = c.records[0]!.loss!;
      return Math.max(...c.records.filter((r) => r.tracked).map((r) => Math.abs(r.loss! - r.tracked!.linearizedLoss!) / L0));
    };
    const narrow = await gap(16);
    const wide = await gap(4096);
    // Deviations are O(m^(-1/2)): 256× the width should shrink the gap by ≈16×; ask for 4× to leave CLT slack.
    expect(wide).toBeLessThan(narrow / 4);
    expect(wide).toBeLessThan(0.05);
  });

  it('reports the near-singular data warning with the theory, from its decomposition of the joint kernel', async () => {
    const csvText = ['x,y,z', '1,0,0', '0,1,0', '2,0,0', '0,0.6,0.8', '0.5,0.5,0.7'].join('\n');
    const config = tiny({ dataset: 'csv', csvText, csvName: 'par.csv', samples: 5, testSamples: 0, inputDim: 3, steps: 3 });
    const c = collector();
    await runTraining(config, createJsBackend(), freeRunning, c.cb);
    const near = (m: RunMeta) => m.warnings.filter((w) => w.startsWith('near-singular H∞'));
    expect(near(c.meta[0]!)).toEqual([]);
    expect(near(c.meta[1]!)).toHaveLength(1);
    // The same warning the data set's own check gives.
    const own = datasetWarnings(buildDataset(config).X, 3, 5, { kappa: config.kappa, nu: config.nu });
    expect(own.filter((w) => w.startsWith('near-singular H∞'))).toEqual(near(c.meta[1]!));
    expect(c.meta[1]!.warnings.some((w) => w.startsWith('parallel samples'))).toBe(true);
  });

  it('passes the theory panel in the meta and a preview of the data', async () => {
    const c = collector();
    await runTraining(tiny({ steps: 5, dataset: 'halfcircle', samples: 5 }), createJsBackend(), freeRunning, c.cb);
    const meta = c.meta.at(-1)!;
    expect(meta.theory).not.toBeNull();
    expect((meta.theory as { eta: number }).eta).toBe(meta.learningRates.encoder);
    const preview = meta.preview as { kind: string; train: number[][]; trainRecon: number[][] };
    expect(preview.kind).toBe('points2d');
    expect(preview.train).toHaveLength(5);
    expect(preview.trainRecon[0]).toHaveLength(2);
    expect((c.records.at(-1)!.tracked as { preview?: { kind: string } }).preview?.kind).toBe('points2d');
  });

  it('trains the linearized network side by side: exact for decoder-only (linear in V), close at large width', async () => {
    const dec = collector();
    await runTraining(tiny({ regime: 'decoder', steps: 40, linearizedSideBySide: true }), createJsBackend(), freeRunning, dec.cb);
    for (const r of dec.records.filter((x) => x.tracked)) {
      // decoder-only: f is linear in V, so f_lin = f and the losses agree to round-off.
      expect(Math.abs(r.tracked!.linearizedNetworkLoss! - r.loss!)).toBeLessThan(1e-10 * dec.records[0]!.loss!);
    }
    const gap = async (m: number) => {
      const c = collector();
      await runTraining(tiny({ hiddenWidth: m, steps: 40, linearizedSideBySide: true }), createJsBackend(), freeRunning, c.cb);
      const L0 = c.records[0]!.loss!;
      return Math.max(...c.records.filter((r) => r.tracked).map((r) => Math.abs(r.loss! - r.tracked!.linearizedNetworkLoss!) / L0));
    };
    // Joint: the network leaves its linearization by O(m^(-1/2)); 64× the width, ask for 2×.
    expect(await gap(2048)).toBeLessThan((await gap(32)) / 2);
  });
});

describe('automatic step with the 1/n-normalized loss', () => {
  it("follows the same dynamics as the summed loss: 'mean' and 'sum' give the same L/L₀ curve", async () => {
    const curve = async (lossNormalization: 'sum' | 'mean') => {
      const r = parseConfig({
        samples: 6,
        testSamples: 0,
        inputDim: 3,
        hiddenWidth: 64,
        steps: 30,
        seed: 5,
        backend: 'js',
        dtype: 'float64',
        lossNormalization,
      });
      if (!r.ok) throw new Error('bad config');
      const recs: { step: number; lossRatio?: number | null }[] = [];
      await runTraining(r.config, createJsBackend(), freeRunning, { onMeta: () => {}, onRecord: (x) => void recs.push(x), now: () => 0 });
      return recs.map((x) => x.lossRatio ?? null);
    };
    const sum = await curve('sum');
    const mean = await curve('mean');
    expect(mean.length).toBe(sum.length);
    for (let i = 0; i < sum.length; i++) expect(mean[i]!).toBeCloseTo(sum[i]!, 10);
  });
});

// Issue 13 (memory): what a run no longer needs must not stay reachable through it for the rest of the run.
describe('runTraining() memory', () => {
  for (const regime of ['joint', 'weak', 'tied'] as const) {
    it(`lets θ₀ in float64 go once the initial parameters are out, collected mid-run (${regime}, float32)`, async () => {
      // float32: the tracker holds θ₀ as the trainer does, in float32 (a float64 run keeps θ₀ itself for good)
      const probe = collectionProbe();
      let finalSeen = false;
      const cb: RunCallbacks = {
        onMeta: () => {},
        // Mid-run: its later records and final parameters are still to come.
        onRecord: (r) => void (r.step === 40 && collectGarbage()),
        onParams: (p) => {
          if (p.which !== 'initial') finalSeen = true;
          else {
            probe.watch(p.W, 'W0');
            probe.watch(p.V, 'V0');
          }
        },
        now: () => 0,
      };
      const out = await runTraining(tiny({ regime, dtype: 'float32', steps: 60 }), createJsBackend(), freeRunning, cb);
      // The finalizers of what the mid-run collection found unreachable run now, before anything else collects.
      await nextTasks();
      expect(out.status).toBe('finished');
      expect(finalSeen).toBe(true);
      expect(probe.collected().sort()).toEqual(['V0', 'W0']);
    });
  }
});
