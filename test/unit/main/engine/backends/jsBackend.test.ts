import { describe, expect, it } from 'vitest';
import { createJsBackend, createJsGd } from '../../../../../src/main/engine/backends/jsBackend';
import type { TrainerSpec } from '../../../../../src/main/engine/backends/types';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { gdStep, outputScale } from '../../../../../src/main/engine/autoencoder/model';
import { tracedEmpiricalNtk } from '../../../../../src/main/engine/ntk/empiricalNtk';
import { createRng } from '../../../../../src/main/engine/random';
import type { Regime } from '../../../../../src/shared/config/schema';
import { relativeDifference } from '../../../../support/relative';

/** Same float64 operations in a possibly different order: round-off only. */
const F64_REL = 1e-12;
/** float32 (ε ≈ 6e-8) over tens of steps with condition-number growth: well under 1e-4 relative. */
const F32_REL = 1e-4;

function spec(regime: Regime, dtype: 'float32' | 'float64', seed = 1, d = 4, n = 6, m = 32): TrainerSpec {
  const X = new Float64Array(d * n);
  createRng(seed, 0).fillNormal(X, 1 / Math.sqrt(d));
  const { W, V } = initParams({ m, d, init: 'gaussian', kappa: 1, nu: 1, tied: regime === 'tied' }, createRng(seed, 2));
  return { X, d, n, m, scale: outputScale('ntk', m), regime, etaW: 0.2, etaV: 0.3, lossWeight: 1, dtype, W0: W, V0: V };
}

describe('createJsBackend()', () => {
  for (const regime of ['weak', 'joint', 'decoder', 'tied'] as const) {
    it(`float64 trainer equals the reference gdStep iteration (${regime})`, async () => {
      const sp = spec(regime, 'float64');
      const tr = createJsBackend().createTrainer(sp);
      const lossBefore = await tr.step(10);
      let W = sp.W0;
      let V = regime === 'tied' ? initParams({ m: sp.m, d: sp.d, init: 'gaussian', kappa: 1, nu: 1, tied: true }, createRng(1, 2)).V : sp.V0;
      let last = 0;
      for (let k = 0; k < 10; k++) {
        const r = gdStep(W, V, sp.X, sp, { regime, scale: sp.scale, etaW: sp.etaW, etaV: sp.etaV, lossWeight: 1 });
        W = r.W;
        V = r.V;
        last = r.loss;
      }
      const p = await tr.params();
      expect(relativeDifference(p.W, W)).toBeLessThan(F64_REL);
      expect(relativeDifference(p.V, V)).toBeLessThan(F64_REL);
      expect(Math.abs(lossBefore - last) / last).toBeLessThan(F64_REL);
      const H = await tr.tracedNtk();
      expect(relativeDifference(H, tracedEmpiricalNtk({ ...sp, W, V, etaW: sp.etaW, etaV: sp.etaV }))).toBeLessThan(F64_REL);
      tr.dispose();
    });
  }

  it('float32 and float64 trainers agree within a float32 tolerance and the loss falls', async () => {
    for (const regime of ['joint', 'tied'] as const) {
      const t64 = createJsBackend().createTrainer(spec(regime, 'float64', 3));
      const t32 = createJsBackend().createTrainer(spec(regime, 'float32', 3));
      const l0 = await t64.loss();
      await t64.step(30);
      await t32.step(30);
      const [a, b] = [await t64.loss(), await t32.loss()];
      expect(a).toBeLessThan(l0);
      expect(Math.abs(a - b) / a).toBeLessThan(F32_REL);
      expect(relativeDifference((await t32.params()).W, (await t64.params()).W)).toBeLessThan(F32_REL);
      // float32 storage really rounds: parameters are representable in float32.
      const w32 = (await t32.params()).W;
      expect(w32.every((x) => Math.fround(x) === x)).toBe(true);
    }
  });

  it('step(k) returns L(θ_{k−1}) and loss() returns L(θ_k)', async () => {
    const tr = createJsBackend().createTrainer(spec('joint', 'float64'));
    await tr.step(4);
    const l4 = await tr.loss();
    const reported = await tr.step(1);
    expect(reported).toBe(l4);
    expect(await tr.loss()).toBeLessThan(l4);
  });

  it('a mini-batch step with all indices equals a full-batch step', () => {
    const sp = spec('joint', 'float64', 5);
    const a = createJsGd(sp);
    const b = createJsGd(sp);
    a.step(3);
    for (let k = 0; k < 3; k++) b.stepBatch(Int32Array.from({ length: sp.n }, (_, i) => i));
    expect(relativeDifference(b.params().W, a.params().W)).toBeLessThan(F64_REL);
    expect(() => b.stepBatch(Int32Array.from([0, sp.n]))).toThrow(/index 6 at position 1/);
  });

  it('rejects parameters of the wrong shape naming the argument and both shapes', () => {
    const sp = spec('joint', 'float64');
    expect(() => createJsBackend().createTrainer({ ...sp, W0: new Float64Array(5) })).toThrow(/W0 has 5 entries, expected \[32, 4\]/);
  });

  it('gives u₀ = 0 exactly for an antisymmetric init in float32 and float64', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const sp = spec('joint', dtype);
      const { W, V } = initParams({ m: sp.m, d: sp.d, init: 'antisymmetric', kappa: 1, nu: 1, tied: false }, createRng(2, 2));
      const tr = createJsBackend().createTrainer({ ...sp, W0: W, V0: V });
      expect((await tr.outputs()).every((u) => u === 0)).toBe(true);
    }
  });
});
