/**
 * The symmetric-product helper threads in the Electron build: electron-vite bundles the engine worker
 * (engine/workerElectron.ts), which also serves as the helper's file. Builds the app into a scratch folder
 * (inside the repo, so that the bundle's external packages resolve) and runs the bundle on Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { lcg } from './lcg';
import { spawnHelperThread } from '../../../../../src/main/engine/backends/threads';
import { createSimdSymvWorkspace } from '../../../../../src/main/engine/linalg/simdSymv';
import { installSymvThreads, setSymvHelperScript, symvHelperBands } from '../../../../../src/main/engine/linalg/symvThreads';

const root = path.resolve(__dirname, '../../../../..');
let outDir = '';
let workerFile = '';

beforeAll(() => {
  mkdirSync(path.join(root, '.tmp'), { recursive: true });
  outDir = mkdtempSync(path.join(root, '.tmp', 'bundle-'));
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', outDir, '--logLevel', 'warn'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  expect(build.status, build.stderr).toBe(0);
  const chunks = path.join(outDir, 'main', 'chunks');
  const found = readdirSync(chunks).filter((f) => /^workerElectron-.*\.js$/.test(f));
  expect(found).toHaveLength(1);
  workerFile = path.join(chunks, found[0]!);
});

afterAll(() => {
  installSymvThreads(null, 1);
  if (outDir !== '') rmSync(outDir, { recursive: true, force: true });
});

describe('the Electron build', () => {
  it("runs a symmetric-product helper from the bundled engine worker's file", () => {
    const logged: string[] = [];
    setSymvHelperScript(pathToFileURL(workerFile));
    installSymvThreads(spawnHelperThread, 2, (m) => logged.push(m));
    const n = 1000;
    const r = lcg(5);
    const ws = createSimdSymvWorkspace(n);
    for (let i = 0; i < n * n; i++) ws.a[i] = r();
    const before = symvHelperBands();
    // Products until the bundled helper (started above, up in tens of ms) has taken a band, for up to 10 s.
    const until = Date.now() + 10_000;
    while (symvHelperBands() === before && Date.now() < until) ws.symvUpper(0, (n - 1) * n);
    ws.release();
    expect(logged).toEqual([]);
    expect(symvHelperBands()).toBeGreaterThan(before);
  });

  it('starts the helpers of its engine worker from that same file, without a failure', async () => {
    // An 800-point kernel: its Householder reduction offers products of order ≥ 768 to the helpers.
    const r = lcg(9);
    const csvText = Array.from({ length: 800 }, () => [r(), r(), r()].join(',')).join('\n');
    const worker = new Worker(workerFile, { stderr: true, stdout: true });
    let stderr = '';
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const result = await new Promise<{ ok: boolean; value?: { eigenvalues: number[] }; error?: unknown }>((resolve, reject) => {
        worker.on('message', (msg: { type: string; ok: boolean }) => {
          if (msg.type === 'task-result') resolve(msg);
        });
        worker.on('error', reject);
        worker.postMessage({ type: 'task', id: 1, task: 'kernel', args: { csvText, kernel: 'joint', kappa: 1, nu: 1, memoryLimitMiB: 512 }, threads: 2 });
      });
      expect(result.ok, JSON.stringify(result.error)).toBe(true);
      expect(result.value!.eigenvalues).toHaveLength(800);
      // A helper that failed to start reports on the worker's event loop, once the task has returned.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(stderr).not.toMatch(/helper thread/);
    } finally {
      await worker.terminate();
    }
  });
});
