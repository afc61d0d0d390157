import { describe, expect, it } from 'vitest';
import { runTraining, type RunCallbacks } from '../../../../../src/main/engine/training';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { createOnnxBackend } from '../../../../../src/main/engine/backends/onnxBackend';
import { freeRunning } from '../../../../../src/main/engine/protocol';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';
import { collectGarbage, collectionProbe, nextTasks } from '../../../../support/gc';
import { makeSpec } from '../backends/fixtures';

// Issue 13 (memory): what a run or a trainer no longer needs must not stay reachable through it for the rest of
// the run. Each test drops its own references, collects mid-run and asserts the object was collected then.

function config(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    dataset: 'sphere',
    samples: 6,
    testSamples: 3,
    inputDim: 3,
    hiddenWidth: 64,
    steps: 60,
    trackEvery: 10,
    // float32: the tracker holds θ₀ as the trainer does, in float32 (a float64 run holds θ₀ itself for good)
    dtype: 'float32',
    backend: 'js',
    regime: 'joint',
    targetLossRatio: 0,
    ...over,
  };
}

describe('memory a run lets go of', () => {
  for (const regime of ['joint', 'weak', 'tied'] as const) {
    it(`θ₀ in float64 is not held through the steps once the initial parameters are out (${regime})`, async () => {
      const probe = collectionProbe();
      let collectedMidRun: string[] | null = null;
      let finalSeen = false;
      const cb: RunCallbacks = {
        onMeta: () => {},
        onRecord: (r) => {
          // Mid-run: the run is still going (its later records and final parameters are still to come).
          if (r.step === 40) collectGarbage();
        },
        onParams: (p) => {
          if (p.which === 'initial') {
            probe.watch(p.W, 'W0');
            probe.watch(p.V, 'V0');
          } else {
            finalSeen = true;
          }
        },
        now: () => performance.now(),
      };
      const out = await runTraining(config({ regime }), createJsBackend(), freeRunning, cb);
      // The finalizers of what the mid-run collection found unreachable run now, before anything else collects.
      await nextTasks();
      collectedMidRun = probe.collected();
      expect(out.status).toBe('finished');
      expect(finalSeen).toBe(true);
      expect(collectedMidRun.sort()).toEqual(['V0', 'W0']);
    });
  }
});

describe('OnnxTrainer', () => {
  it('does not hold a tracked step’s activation pattern once the parameters move on', async () => {
    const t = createOnnxBackend({ threads: 1 }).createTrainer(makeSpec('joint', 'float32', { d: 3, n: 40, m: 30 }));
    try {
      const probe = collectionProbe();
      await t.tracedNtk();
      probe.watch(await t.activationPattern!(), 'A');
      await nextTasks();
      collectGarbage();
      await nextTasks();
      // Still at the same parameters, the pattern is the trainer's to give again: it stays.
      expect(probe.collected()).not.toContain('A');
      await t.step(1);
      await nextTasks();
      collectGarbage();
      await nextTasks();
      expect(probe.collected()).toEqual(['A']);
    } finally {
      t.dispose();
    }
  });
});
