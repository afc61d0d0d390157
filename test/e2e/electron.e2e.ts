/**
 * Electron E2E through Playwright's _electron: the same path as the browser test (set Hidden width and
 * Steps, Run, see the loss fall). Where Electron's binary is absent (it cannot be downloaded here) the test
 * prints why and is reported as skipped.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { findElectronBinary } from '../../scripts/electron-path.mjs';
import { artifact, repoRoot } from './support/harness';

describe('Electron app', () => {
  it('trains a joint autoencoder and shows its loss falling', async (ctx) => {
    const found = findElectronBinary();
    if (!found.path) {
      process.stdout.write(`SKIPPED Electron E2E: ${found.reason}\n`);
      ctx.skip(found.reason);
      return;
    }
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    expect(build.status).toBe(0);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ntk-electron-'));
    let app;
    try {
      app = await electron.launch({ executablePath: found.path, args: [repoRoot, '--data-dir', dataDir], cwd: repoRoot });
    } catch (e) {
      const reason = `Electron could not start here: ${(e as Error).message.split('\n')[0]}`;
      process.stdout.write(`SKIPPED Electron E2E: ${reason}\n`);
      ctx.skip(reason);
      return;
    }
    try {
      const page = await app.firstWindow();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.getByLabel('Hidden width').fill('256');
      await page.getByLabel('Steps', { exact: true }).fill('200');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await expect.poll(async () => page.getByTestId('run-status').textContent(), { timeout: 120_000 }).toMatch(/finished/i);
      const first = Number(await page.getByTestId('first-loss').getAttribute('data-value'));
      const last = Number(await page.getByTestId('last-loss').getAttribute('data-value'));
      expect(last).toBeLessThan(first);
      await page.screenshot({ path: artifact('electron-run.png') });
      expect(errors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
