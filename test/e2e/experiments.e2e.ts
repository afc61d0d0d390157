/**
 * Experiments E2E (issue 16): a user opens the Experiments view in browser mode, reads the claim of E9,
 * edits its sample counts, runs it, and sees the progress, the verdict badge, the numbers and its figure; then
 * runs a small grid sweep with the Sweep form and finds its runs in a session named after it.
 * Any page error or console error fails the test. A screenshot is kept under test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { ExperimentsPage } from './pages/experimentsPage';
import { realErrors } from './pages/workbenchPage';

describe('experiments: run a preset from the view', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let exp: ExperimentsPage;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    exp = new ExperimentsPage(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('runs E9 with edited parameters and shows its verdict, numbers and figure', async () => {
    await exp.open(server.url);
    await exp.preset('E9');
    expect(await exp.page.getByTestId('experiment-claim').textContent()).toContain('Theorem A');
    await exp.field('Sample counts n').fill('4, 8, 16');
    expect(await exp.run('E9')).toBe('Holds');
    expect(await exp.progress().textContent()).toContain('3 of 3 cells done');
    expect(await exp.page.getByTestId('experiment-numbers').textContent()).toContain('minLog10AOverB');
    await expect(exp.page.getByTestId('e9-widths').locator('canvas').count()).resolves.toBeGreaterThan(0);
    const folder = ((await exp.page.getByText(/^Files: /).textContent()) ?? '').replace(/^Files: /, '');
    expect(existsSync(path.join(folder, 'summary.json'))).toBe(true);
    expect(existsSync(path.join(folder, 'data.csv'))).toBe(true);
    await exp.page.screenshot({ path: artifact('experiments-e9.png') });
    expect(realErrors(browser.errors)).toEqual([]);
  });

  it('runs a grid sweep from the Run form’s config with the Sweep form; its runs land in a session named after it', async () => {
    await exp.sweep();
    await exp.field('Grid').fill('hiddenWidth=4,8\nsteps=40');
    await exp.field('Sweep seeds').fill('0..1');
    expect(await exp.runSweep()).toBe('Finished: 4 of 4 cells done (0 running)');
    const where = ((await exp.page.getByTestId('sweep-where').textContent()) ?? '').trim();
    const id = /Sweep · (x-sweep-[a-z0-9-]+)/.exec(where)?.[1];
    expect(id).toBeDefined();
    const folder = where.replace(/^Folder /, '').split(';')[0]!;
    expect(existsSync(path.join(folder, 'sweep.json'))).toBe(true);
    // the data folder has the sweep's session, named after it, with its 4 runs (what the Sessions view lists)
    const sessionsDir = path.join(server.dataDir, 'sessions');
    const mine = readdirSync(sessionsDir).find(
      (s) =>
        existsSync(path.join(sessionsDir, s, 'session.json')) &&
        (JSON.parse(readFileSync(path.join(sessionsDir, s, 'session.json'), 'utf8')) as { name: string }).name === `Sweep · ${id}`,
    );
    expect(mine).toBeDefined();
    expect(readdirSync(path.join(sessionsDir, mine!, 'runs'))).toHaveLength(4);
    await exp.page.screenshot({ path: artifact('experiments-sweep.png') });
    expect(realErrors(browser.errors)).toEqual([]);
  });
});
