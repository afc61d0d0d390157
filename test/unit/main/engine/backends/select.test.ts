import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import type { BackendName } from '../../../../../src/shared/config/schema';
import { AUTO_ORDER, loadBackend, probeBackends, type BackendLoader } from '../../../../../src/main/engine/backends/select';
import type { ComputeBackend } from '../../../../../src/main/engine/backends/types';
import { REL_TOL, makeSpec, referenceSteps, relErr } from './fixtures';

const fake =
  (name: BackendName, dtypes: ComputeBackend['dtypes']): BackendLoader =>
  async () => ({
    name,
    dtypes,
    description: `fake ${name}`,
    createTrainer: () => {
      throw new Error('not used');
    },
    dispose: () => undefined,
  });
const failing =
  (why: string): BackendLoader =>
  async () => {
    throw new Error(why);
  };

describe('loadBackend()', () => {
  it('falls back in the order tensorflow, onnx-cuda, onnx, wasm, tfjs-cpu, js and logs each reason', async () => {
    const log: string[] = [];
    const { backend, attempts } = await loadBackend('auto', 'float32', {
      log: (m) => log.push(m),
      loaders: {
        tensorflow: failing('native addon missing'),
        'onnx-cuda': failing('no CUDA device'),
        onnx: failing('no binary for this platform'),
        wasm: failing('wasm blocked'),
        'tfjs-cpu': fake('tfjs-cpu', ['float32']),
      },
    });
    expect(backend.name).toBe('tfjs-cpu');
    expect(attempts.map((a) => a.name)).toEqual(['tensorflow', 'onnx-cuda', 'onnx', 'wasm', 'tfjs-cpu']);
    expect(log).toEqual([
      "backend 'tensorflow' skipped: failed to load: native addon missing",
      "backend 'onnx-cuda' skipped: failed to load: no CUDA device",
      "backend 'onnx' skipped: failed to load: no binary for this platform",
      "backend 'wasm' skipped: failed to load: wasm blocked",
      "backend 'tfjs-cpu' (float32) loaded: fake tfjs-cpu",
    ]);
  });

  it('skips float32-only backends for float64 without loading them, landing on onnx', async () => {
    const loaded: string[] = [];
    const spy =
      (name: BackendName): BackendLoader =>
      async (o) => {
        loaded.push(name);
        if (name === 'onnx-cuda') throw new Error('no CUDA device');
        return fake(name, name === 'onnx' ? ['float32', 'float64'] : ['float32'])(o);
      };
    const log: string[] = [];
    const { backend } = await loadBackend('auto', 'float64', { log: (m) => log.push(m), loaders: Object.fromEntries(AUTO_ORDER.map((n) => [n, spy(n)])) });
    expect(backend.name).toBe('onnx');
    expect(loaded).toEqual(['onnx-cuda', 'onnx']);
    expect(log[0]).toBe("backend 'tensorflow' skipped: offers float32 only, not float64");
    expect(log[1]).toBe("backend 'onnx-cuda' skipped: failed to load: no CUDA device");
  });

  it('ends on js when every library fails', async () => {
    const { backend, attempts } = await loadBackend('auto', 'float64', { loaders: { 'onnx-cuda': failing('no GPU'), onnx: failing('broken') } });
    expect(backend.name).toBe('js');
    expect(attempts.filter((a) => a.ok).map((a) => a.name)).toEqual(['js']);
    backend.dispose();
  });

  it("names a pinned 'tensorflow' backend and why it is missing (tfjs-node is not installed here)", async () => {
    const err = await loadBackend('tensorflow', 'float32').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbenchException);
    expect((err as WorkbenchException).code).toBe('backend-unavailable');
    expect((err as WorkbenchException).message).toMatch(
      /^backend 'tensorflow' is not available: failed to load: @tensorflow\/tfjs-node-gpu: .+; @tensorflow\/tfjs-node: /,
    );
  });

  it('refuses a pinned backend that lacks the dtype, naming both', async () => {
    await expect(loadBackend('wasm', 'float64')).rejects.toThrow("backend 'wasm' is not available: offers float32 only, not float64");
  });

  it('loads a pinned onnx backend in float64 with its description', async () => {
    const { backend, attempts } = await loadBackend('onnx', 'float64', { threads: 1 });
    expect(backend.name).toBe('onnx');
    expect(attempts).toEqual([{ name: 'onnx', ok: true, reason: expect.stringMatching(/^onnxruntime-node 1\.\d+\.\d+ CPU, 1 thread$/) }]);
  });
});

describe('probeBackends()', () => {
  it('reports every backend in order, with tensorflow unavailable here and js available', async () => {
    const attempts = await probeBackends({ threads: 1 });
    expect(attempts.map((a) => a.name)).toEqual([...AUTO_ORDER]);
    expect(attempts[0]).toMatchObject({ name: 'tensorflow', ok: false });
    expect(attempts.find((a) => a.name === 'js')).toMatchObject({ ok: true, reason: expect.stringContaining('float64') });
  });
});

/** Starts a worker thread that trains `steps` onnx GD steps on the fixture network and posts W back. */
function trainInWorker(steps: number): Promise<Float64Array> {
  // tsx's ESM API (its package "import" condition), registered inside the worker so it can load TypeScript.
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const selectUrl = new URL('../../../../../src/main/engine/backends/select.ts', import.meta.url).href;
  const fixturesUrl = new URL('./fixtures.ts', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      (await import(workerData.tsx)).register();
      const { loadBackend } = await import(workerData.selectUrl);
      const { makeSpec } = await import(workerData.fixturesUrl);
      const { backend } = await loadBackend('onnx', 'float64', { threads: 1 });
      const t = backend.createTrainer(makeSpec('joint', 'float64'));
      await t.step(workerData.steps);
      parentPort.postMessage((await t.params()).W);
      t.dispose();
    })().catch((e) => { throw e; });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { tsx, selectUrl, fixturesUrl, steps } });
    w.once('message', (W: Float64Array) => {
      resolve(W);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('onnx backend in worker threads', () => {
  it('trains in two worker threads at once, each matching the float64 reference', async () => {
    const [a, b] = await Promise.all([trainInWorker(3), trainInWorker(5)]);
    const spec = makeSpec('joint', 'float64');
    expect(relErr(a, referenceSteps(spec, 3).W)).toBeLessThan(REL_TOL.float64);
    expect(relErr(b, referenceSteps(spec, 5).W)).toBeLessThan(REL_TOL.float64);
  }, 20_000);
});
