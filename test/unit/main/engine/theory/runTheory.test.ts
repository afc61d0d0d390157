import { describe, expect, it } from 'vitest';
import { runTheory, logSpacedSteps, THEORY_EXTREMES_MIN_N } from '../../../../../src/main/engine/theory/runTheory';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import { buildDataset, type Dataset } from '../../../../../src/main/engine/datasets/index';
import { infiniteKernels } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { matmul } from '../../../../../src/main/engine/linalg/dense';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';
import { jacobiEigen } from '../ntk/eigenHelper';

const cfg = (over: Partial<Config>): Config => ({ ...defaultConfig(), samples: 10, testSamples: 4, inputDim: 6, seed: 3, steps: 300, ...over });

/** ½ weight ‖E(k)‖² with E ← E − E·S, S = η_W ν²H_enc + η_V κ²H_dec (times factors), by direct iteration. */
function directLoss(ds: Dataset, U0: Float64Array, S: Float64Array, k: number, weight = 1): number {
  const { d, n, X } = ds;
  const M = Float64Array.from(S, (v, idx) => (Math.floor(idx / n) === idx % n ? 1 : 0) - v);
  let E: Float64Array = Float64Array.from(U0, (u, i) => u - X[i]!);
  for (let t = 0; t < k; t++) E = matmul(E, M, d, n, n);
  return 0.5 * weight * E.reduce((s, v) => s + v * v, 0);
}

describe('runTheory()', () => {
  it('reports λ₀, λ_dec, λ_J, automatic and maximal η, and a JSON-serializable panel (joint, NTK scaling)', () => {
    const c = cfg({ regime: 'joint', kappa: 0.8, nu: 1.1 });
    const ds = buildDataset(c);
    const U0 = new Float64Array(ds.d * ds.n);
    const t = runTheory(c, ds, { U0, learningRates: { encoder: null, decoder: null } });
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const J = Float64Array.from(k.enc, (v, i) => 1.21 * v + 0.64 * k.dec[i]!);
    const ref = jacobiEigen(J, ds.n).values;
    expect(t.lambdaJoint).toBeCloseTo(ref[0]!, 12);
    expect(t.lambdaMaxRegime).toBeCloseTo(ref[ds.n - 1]!, 12);
    expect(t.automaticEta).toBeCloseTo(1 / ref[ds.n - 1]!, 12);
    expect(t.maxStableEta).toBeCloseTo(2 / ref[ds.n - 1]!, 12);
    expect(t.rateBound!.factor).toBeCloseTo(1 - (t.automaticEta! * ref[0]!) / 2, 12);
    expect(t.linearizedCurve!.steps[0]).toBe(0);
    expect(t.linearizedCurve!.steps.at(-1)).toBe(300);
    expect(t.linearizedCurve!.loss[0]).toBeCloseTo(ds.n / 2, 12);
    expect(t.testPrediction!.memorizationBaseline).toBe(1);
    expect(t.sufficientWidth!.B_normW.satisfied).toBe(true);
    expect(t.tied).toBeNull();
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('with a run η_W = η_V the joint kernel is decomposed once and serves λ_J and the linearized model alike', () => {
    // K = ν²H_enc + κ²H_dec entry for entry (NTK scaling, sum loss, κ = 1): the shared decomposition, checked
    // against an independent Jacobi solve and against the direct iteration of the GD map.
    const c = cfg({ regime: 'joint', kappa: 1, nu: 1.1, steps: 40 });
    const ds = buildDataset(c);
    const U0 = Float64Array.from({ length: ds.d * ds.n }, (_, i) => 0.2 * Math.cos(i));
    const eta = 0.07;
    const t = runTheory(c, ds, { U0, learningRates: { encoder: eta, decoder: eta } });
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const J = Float64Array.from(k.enc, (v, i) => 1.21 * v + k.dec[i]!);
    const ref = jacobiEigen(J, ds.n).values;
    expect(Math.abs(t.lambdaJoint! - ref[0]!) / ref[0]!).toBeLessThan(1e-12);
    expect(t.lambdaMinRegime).toBe(t.lambdaJoint);
    expect(Math.abs(t.lambdaMaxRegime! - ref[ds.n - 1]!) / ref[ds.n - 1]!).toBeLessThan(1e-12);
    const S = Float64Array.from(J, (v) => eta * v);
    const idx = t.linearizedCurve!.steps.indexOf(40);
    const direct = directLoss(ds, U0, S, 40);
    expect(Math.abs(t.linearizedCurve!.loss[idx]! - direct) / direct).toBeLessThan(1e-9);
  });

  it('uses the effective kernel (η_W ν²H_enc + η_V κ²H_dec)/η_W when η_W ≠ η_V, from the actual U₀', () => {
    const c = cfg({ regime: 'joint', kappa: 1.2, nu: 0.7, steps: 50 });
    const ds = buildDataset(c);
    const U0 = Float64Array.from({ length: ds.d * ds.n }, (_, i) => 0.1 * Math.sin(i));
    const etaW = 0.05,
      etaV = 0.2;
    const t = runTheory(c, ds, { U0, learningRates: { encoder: etaW, decoder: etaV } });
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const S = Float64Array.from(k.enc, (v, i) => etaW * 0.49 * v + etaV * 1.44 * k.dec[i]!);
    const idx = t.linearizedCurve!.steps.indexOf(50);
    expect(t.eta).toBe(etaW);
    expect(t.etaDecoder).toBe(etaV);
    const direct = directLoss(ds, U0, S, 50);
    expect(Math.abs(t.linearizedCurve!.loss[idx]! - direct) / direct).toBeLessThan(1e-9);
  });

  it('multiplies the kernel by 1/m for mean-field (automatic η × m gives the same curve) and by 1/n for the mean loss', () => {
    const base = cfg({ regime: 'weak', hiddenWidth: 64 });
    const ds = buildDataset(base);
    const U0 = new Float64Array(ds.d * ds.n);
    const ntk = runTheory(base, ds, { U0, learningRates: { encoder: null, decoder: null } });
    const mf = runTheory({ ...base, scaling: 'mean-field' }, ds, { U0, learningRates: { encoder: null, decoder: null } });
    expect(mf.automaticEta! / ntk.automaticEta!).toBeCloseTo(64, 10);
    expect(mf.lambdaMaxRegime! * 64).toBeCloseTo(ntk.lambdaMaxRegime!, 12);
    mf.linearizedCurve!.loss.forEach((v, i) => expect(v).toBeCloseTo(ntk.linearizedCurve!.loss[i]!, 12));
    const mean = runTheory({ ...base, lossNormalization: 'mean' }, ds, { U0, learningRates: { encoder: 0.5, decoder: null } });
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const S = Float64Array.from(k.enc, (v) => (0.5 * v) / ds.n);
    const i30 = mean.linearizedCurve!.steps.indexOf(30);
    expect(mean.linearizedCurve!.loss[i30]).toBeCloseTo(directLoss(ds, U0, S, 30, 1 / ds.n), 12);
  });

  it('gives Prop. D diagnostics and no linearized curve for weight-tied runs, with the explanation', () => {
    const c = cfg({ regime: 'tied', hiddenWidth: 100 });
    const ds = buildDataset(c);
    const t = runTheory(c, ds, { U0: new Float64Array(ds.d * ds.n), learningRates: { encoder: null, decoder: null } });
    expect(t.linearizedCurve).toBeNull();
    expect(t.linearizedCurveNote).toMatch(/no non-degenerate infinite-width kernel/);
    expect(t.tied!.outputScale).toBeCloseTo(5, 12);
    expect(t.lambdaJoint).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it(`from n = ${THEORY_EXTREMES_MIN_N} on takes λ_min, λ_max of H_enc∞, H_dec∞ and the joint kernel from the extreme-eigenvalue solver, equal to the full spectra's to round-off`, () => {
    const n = THEORY_EXTREMES_MIN_N + 44;
    const base = cfg({ samples: n, testSamples: 0, inputDim: 12, kappa: 0.8, nu: 1.1, steps: 10 });
    const ds = buildDataset(base);
    const U0 = new Float64Array(ds.d * ds.n);
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const J = Float64Array.from(k.enc, (v, i) => 1.21 * v + 0.64 * k.dec[i]!);
    const [enc, dec, joint] = [k.enc, k.dec, J].map((a) => symmetricEigen(a, n).values);
    const close = (got: number | null, want: number, scale: number) => expect(Math.abs(got! - want)).toBeLessThan(1e-12 * scale);
    // weak: λ_max of ν²H_enc∞ gives η; joint with η_V ≠ η_W: the joint kernel is not the run's matrix K.
    const weak = runTheory({ ...base, regime: 'weak' }, ds, { U0, learningRates: { encoder: null, decoder: null } });
    const dcd = runTheory({ ...base, regime: 'decoder' }, ds, { U0, learningRates: { encoder: null, decoder: null } });
    const jnt = runTheory({ ...base, regime: 'joint' }, ds, { U0, learningRates: { encoder: 0.01, decoder: 0.02 } });
    for (const t of [weak, dcd, jnt]) {
      close(t.lambdaEnc, enc![0]!, enc![n - 1]!);
      close(t.lambdaDec, dec![0]!, dec![n - 1]!);
      close(t.lambdaJoint, joint![0]!, joint![n - 1]!);
    }
    close(weak.automaticEta! * 1.21 * enc![n - 1]!, 1, 1);
    close(dcd.automaticEta! * 0.64 * dec![n - 1]!, 1, 1);
    close(jnt.automaticEta! * joint![n - 1]!, 1, 1);
  });

  it(`from n = ${THEORY_EXTREMES_MIN_N} on, joint with the automatic η_W and η_V = η_W (κ ≠ 1): the joint kernel is the run's K and one decomposition with vectors serves λ_J, λ_max and the model`, () => {
    const n = THEORY_EXTREMES_MIN_N + 44;
    const c = cfg({ samples: n, testSamples: 0, inputDim: 12, kappa: 0.8, nu: 1.1, steps: 10, regime: 'joint' });
    const ds = buildDataset(c);
    const t = runTheory(c, ds, { U0: new Float64Array(ds.d * ds.n), learningRates: { encoder: null, decoder: null } });
    const k = infiniteKernels(ds.X, ds.d, ds.n);
    const ref = symmetricEigen(
      Float64Array.from(k.enc, (v, i) => 1.21 * v + 0.64 * k.dec[i]!),
      n,
    ).values;
    // The extreme-eigenvalue solver would agree to round-off only; the shared decomposition gives the same numbers.
    expect(t.lambdaMinRegime).toBe(t.lambdaJoint);
    expect(Math.abs(t.lambdaJoint! - ref[0]!)).toBeLessThan(1e-12 * ref[n - 1]!);
    expect(Math.abs(t.lambdaMaxRegime! - ref[n - 1]!)).toBeLessThan(1e-12 * ref[n - 1]!);
    expect(Math.abs(t.automaticEta! * t.lambdaMaxRegime! - 1)).toBeLessThan(1e-12);
  });

  it('skips the eigendecompositions above 2000 samples with a note', () => {
    const n = 2001,
      d = 2;
    const X = Float64Array.from({ length: d * n }, (_, i) => Math.cos(i));
    const ds: Dataset = { name: 'big', X, d, n, Xtest: new Float64Array(0), nTest: 0, warnings: [] };
    const t = runTheory(cfg({ samples: n }), ds, { U0: new Float64Array(d * n), learningRates: { encoder: 0.1, decoder: null } });
    expect(t.lambdaEnc).toBeNull();
    expect(t.lambdaNote).toMatch(/n = 2001 > 2000/);
    expect(t.linearizedCurve).toBeNull();
  });

  it('maps test inputs into span(X) when n < d (memorization), so their reconstruction error stays large', () => {
    const c = cfg({ dataset: 'sphere', samples: 5, testSamples: 50, inputDim: 20, regime: 'joint' });
    const ds = buildDataset(c);
    const t = runTheory(c, ds, { U0: new Float64Array(ds.d * ds.n), learningRates: { encoder: null, decoder: null } });
    expect(t.testPrediction!.memorizationShare).toBeCloseTo(1, 10);
    expect(t.testPrediction!.memorizationBaseline).toBe(0.25);
    expect(t.testPrediction!.testInputShare!).toBeLessThan(0.6);
    expect(t.testPrediction!.relativeErrorInfinite!).toBeGreaterThan(0.5);
  });
});

describe('logSpacedSteps()', () => {
  it('starts at 0, ends at K, is strictly increasing with at most 200 points', () => {
    const s = logSpacedSteps(100_000);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBe(100_000);
    expect(s.length).toBeLessThanOrEqual(200);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
    expect(logSpacedSteps(3)).toEqual([0, 1, 2, 3]);
  });
});

describe('runTheory() spectrum and gram', () => {
  it('carries the H∞ spectrum (ascending) and matrix whose eigenvalues it is, without the loss weight', async () => {
    const { defaultConfig } = await import('../../../../../src/shared/config/schema');
    const { buildDataset } = await import('../../../../../src/main/engine/datasets');
    const { regimeKernel } = await import('../../../../../src/main/engine/ntk/infiniteKernels');
    const { symmetricEigen } = await import('../../../../../src/main/engine/linalg/symmetricEigen');
    const { runTheory } = await import('../../../../../src/main/engine/theory');
    for (const lossNormalization of ['sum', 'mean'] as const) {
      const config = { ...defaultConfig(), samples: 10, testSamples: 0, inputDim: 4, regime: 'joint' as const, lossNormalization };
      const data = buildDataset(config);
      const t = runTheory(config, data, { U0: new Float64Array(data.d * data.n), learningRates: { encoder: 0.1, decoder: null } });
      const H = regimeKernel('joint', data.X, data.d, data.n, { kappa: 1, nu: 1 });
      const ev = symmetricEigen(H, data.n).values;
      expect(t.spectrum).toHaveLength(data.n);
      t.spectrum!.forEach((v, i) => expect(v).toBeCloseTo(ev[i]!, 10));
      expect(t.gram!.n).toBe(data.n);
      t.gram!.values.forEach((v, i) => expect(v).toBeCloseTo(H[i]!, 12));
    }
  });
});

describe('runTheory() onModel', () => {
  it('hands back the frozen-kernel model of the GD map I − η·s²m·lossWeight·H∞ (the one the training loop tracks)', async () => {
    const { defaultConfig } = await import('../../../../../src/shared/config/schema');
    const { buildDataset } = await import('../../../../../src/main/engine/datasets');
    const { regimeKernel } = await import('../../../../../src/main/engine/ntk/infiniteKernels');
    const { runTheory, linearizedModel } = await import('../../../../../src/main/engine/theory');
    const cases = [
      { regime: 'weak' as const, scaling: 'ntk' as const, lossNormalization: 'sum' as const, etaW: 0.3, etaV: null },
      { regime: 'joint' as const, scaling: 'ntk' as const, lossNormalization: 'mean' as const, etaW: 0.2, etaV: 0.05 },
      { regime: 'decoder' as const, scaling: 'mean-field' as const, lossNormalization: 'sum' as const, etaW: null, etaV: 4 },
    ];
    for (const c of cases) {
      const config = {
        ...defaultConfig(),
        samples: 9,
        testSamples: 0,
        inputDim: 5,
        hiddenWidth: 64,
        regime: c.regime,
        scaling: c.scaling,
        lossNormalization: c.lossNormalization,
      };
      const data = buildDataset(config);
      const { X, d, n } = data;
      const U0 = new Float64Array(d * n).map((_, i) => Math.sin(i));
      let model: { lossAt(k: number): number } | null = null;
      runTheory(config, data, { U0, learningRates: { encoder: c.etaW, decoder: c.etaV } }, { onModel: (mdl) => void (model = mdl) });
      expect(model).not.toBeNull();
      const m = config.hiddenWidth;
      const s = c.scaling === 'ntk' ? 1 / Math.sqrt(m) : 1 / m;
      const lossWeight = c.lossNormalization === 'mean' ? 1 / n : 1;
      const eta = c.regime === 'decoder' ? c.etaV! : c.etaW!;
      const enc = regimeKernel('weak', X, d, n, { kappa: 1, nu: 1 });
      const dec = regimeKernel('decoder', X, d, n, { kappa: 1, nu: 1 });
      const wDec = c.regime === 'weak' ? 0 : c.regime === 'joint' ? c.etaV! / c.etaW! : 1;
      const wEnc = c.regime === 'decoder' ? 0 : 1;
      const H = enc.map((e, i) => wEnc * e + wDec * dec[i]!);
      const E0 = U0.map((u, i) => u - X[i]!);
      const direct = linearizedModel(H, n, E0, d, eta * lossWeight * s * s * m);
      for (const k of [0, 1, 7, 50]) expect(model!.lossAt(k)).toBeCloseTo(direct.lossAt(k), 10);
    }
  });
});
