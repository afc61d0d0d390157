import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createTfjsBackend } from '../../../../../src/main/engine/backends/tfjsBackend';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import {
  REGIMES_ALL,
  REL_TOL,
  makeSpec,
  observe,
  observationDiff,
  batchScript,
  batchDiff,
  referenceForward,
  referenceSteps,
  referenceTracedNtk,
  relErr,
} from './fixtures';

for (const name of ['wasm', 'tfjs-cpu'] as const) {
  describe(`createTfjsBackend('${name}')`, () => {
    for (const regime of REGIMES_ALL) {
      it(`matches the float64 reference for ${regime} within float32 tolerance: steps, loss, outputs, traced NTK`, async () => {
        const backend = await createTfjsBackend(name);
        const spec = makeSpec(regime, 'float32');
        const t = backend.createTrainer(spec);
        try {
          expect(relErr(await t.tracedNtk(), referenceTracedNtk(spec, spec.W0, spec.V0))).toBeLessThan(REL_TOL.float32);
          const ref1 = referenceSteps(spec, 1);
          expect(Math.abs((await t.step(1)) - ref1.loss) / ref1.loss).toBeLessThan(REL_TOL.float32);
          const ref = referenceSteps(spec, 4);
          expect(Math.abs((await t.step(3)) - ref.loss) / ref.loss).toBeLessThan(REL_TOL.float32);
          const p = await t.params();
          expect(relErr(p.W, ref.W)).toBeLessThan(REL_TOL.float32);
          expect(relErr(p.V, ref.V)).toBeLessThan(REL_TOL.float32);
          const f = referenceForward(spec, ref.W, ref.V);
          expect(relErr(await t.outputs(), f.U)).toBeLessThan(REL_TOL.float32);
          expect(Math.abs((await t.loss()) - f.loss) / f.loss).toBeLessThan(REL_TOL.float32);
          expect(relErr(await t.tracedNtk(), referenceTracedNtk(spec, ref.W, ref.V))).toBeLessThan(REL_TOL.float32);
        } finally {
          t.dispose();
        }
      });
    }

    it('agrees with the js float64 backend on every regime within float32 tolerance', async () => {
      const backend = await createTfjsBackend(name);
      for (const regime of REGIMES_ALL) {
        const ref = createJsBackend().createTrainer(makeSpec(regime, 'float64'));
        const t = backend.createTrainer(makeSpec(regime, 'float32'));
        expect(observationDiff(await observe(t), await observe(ref)), regime).toBeLessThan(REL_TOL.float32);
        t.dispose();
        ref.dispose();
      }
    });

    it('takes mini-batch steps like the js float64 backend, without leaking tensors', async () => {
      const backend = await createTfjsBackend(name);
      for (const regime of REGIMES_ALL) {
        const ref = createJsBackend().createTrainer(makeSpec(regime, 'float64'));
        const t = backend.createTrainer(makeSpec(regime, 'float32'));
        const held = tf.memory().numTensors;
        expect(batchDiff(await batchScript(t), await batchScript(ref)), regime).toBeLessThan(REL_TOL.float32);
        expect(tf.memory().numTensors).toBe(held);
        t.dispose();
        ref.dispose();
      }
    });

    it('leaks no tensors across steps, reads and dispose', async () => {
      const backend = await createTfjsBackend(name);
      const before = tf.memory().numTensors;
      const t = backend.createTrainer(makeSpec('tied', 'float32'));
      const held = tf.memory().numTensors;
      await t.step(3);
      await t.loss();
      await t.outputs();
      await t.params();
      await t.tracedNtk();
      expect(tf.memory().numTensors).toBe(held);
      t.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('refuses float64, naming the backend', async () => {
      const backend = await createTfjsBackend(name);
      expect(backend.dtypes).toEqual(['float32']);
      expect(() => backend.createTrainer(makeSpec('joint', 'float64'))).toThrow(new RegExp(`'${name}' computes in float32 only`));
    });
  });
}

describe("createTfjsBackend('tensorflow')", () => {
  it('fails with the reason of each package it tried when tfjs-node is not installed', async () => {
    await expect(createTfjsBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu: .*; @tensorflow\/tfjs-node: /);
  });
});
