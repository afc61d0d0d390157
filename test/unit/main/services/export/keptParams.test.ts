import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../../../../src/main/engine/training';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { createRng, STREAMS } from '../../../../../src/main/engine/random';
import type { KeptParams, RunControl } from '../../../../../src/main/engine/protocol';
import { readKeptParams, writeKeptParams } from '../../../../../src/main/services/export/keptParams';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-kept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tiny(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    dataset: 'sphere',
    samples: 5,
    testSamples: 0,
    inputDim: 3,
    hiddenWidth: 8,
    steps: 7,
    trackEvery: 5,
    dtype: 'float64',
    backend: 'js',
    targetLossRatio: 0,
    ...over,
  };
}

async function train(config: Config, control?: RunControl): Promise<{ kept: KeptParams[]; status: string }> {
  const kept: KeptParams[] = [];
  let t = 0;
  const out = await runTraining(config, createJsBackend(), control ?? { aborted: false, paused: false, gate: () => true }, {
    onMeta: () => {},
    onRecord: () => {},
    onParams: (p) => kept.push(p),
    now: () => (t += 1),
  });
  return { kept, status: out.status };
}

describe('kept parameters', () => {
  it('the engine reports θ₀ (the seeded init) and the parameters at the last step', async () => {
    const c = tiny();
    const { kept, status } = await train(c);
    expect(status).toBe('finished');
    expect(kept.map((k) => [k.which, k.step])).toEqual([
      ['initial', 0],
      ['final', 7],
    ]);
    const init = initParams({ m: 8, d: 3, init: c.init, kappa: c.kappa, nu: c.nu, tied: false }, createRng(c.seed, STREAMS.init));
    expect(Array.from(kept[0]!.W)).toEqual(Array.from(init.W));
    expect(Array.from(kept[0]!.V)).toEqual(Array.from(init.V));
    expect(Array.from(kept[1]!.W)).not.toEqual(Array.from(init.W));
  });

  it("a run stopped at step 3 keeps the parameters of step 3, equal to a 3-step run's", async () => {
    let gates = 0;
    const stopAt3: RunControl = {
      get aborted() {
        return gates > 3;
      },
      paused: false,
      gate: () => ++gates <= 3,
    };
    const stopped = await train(tiny(), stopAt3);
    expect(stopped.status).toBe('stopped');
    const three = await train(tiny({ steps: 3 }));
    expect(stopped.kept[1]!.step).toBe(3);
    expect(Array.from(stopped.kept[1]!.W)).toEqual(Array.from(three.kept[1]!.W));
  });

  it('writes params/initial.npz and params/final.npz and reads them back exactly', async () => {
    const { kept } = await train(tiny());
    for (const k of kept) await writeKeptParams(dir, k);
    const fin = await readKeptParams(dir, 'final');
    expect(fin).not.toBeNull();
    expect(fin!.step).toBe(7);
    expect(fin!.W.shape).toEqual([8, 3]);
    expect(fin!.V.shape).toEqual([3, 8]);
    expect(Array.from(fin!.W.data as Float64Array)).toEqual(Array.from(kept[1]!.W));
    expect((await readKeptParams(dir, 'initial'))!.step).toBe(0);
    expect(await readKeptParams(path.join(dir, 'none'), 'final')).toBeNull();
  });
});
