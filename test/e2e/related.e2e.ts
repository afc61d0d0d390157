/**
 * Related work E2E (issues 19, 20): a user opens the Related work view in browser mode, computes the
 * recurrent NTK Gram of the built-in sines and moves the weighted-NTK slider, and sees the heatmap and a live
 * λ_min. Any page error or console error fails the test. A screenshot is kept under test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { RelatedPage } from './pages/relatedPage';
import { realErrors } from './pages/workbenchPage';

describe('related work: compute a kernel from the panel', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let related: RelatedPage;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    related = new RelatedPage(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('computes the recurrent NTK Gram of the built-in sequences and draws its heatmap', async () => {
    await related.open(server.url);
    await related.panel('Recurrent NTK');
    await related.page.getByLabel('Sequences', { exact: true }).fill('12');
    await related.page.getByLabel('Readout').selectOption('avg');
    expect(await related.compute('Compute Gram')).toBeNull();
    await expect(related.fact('rntk-count').textContent()).resolves.toBe('12');
    await expect(related.page.getByTestId('rntk-heatmap').locator('canvas').count()).resolves.toBeGreaterThan(0);
    await related.page.screenshot({ path: artifact('related-rntk.png') });
    expect(realErrors(browser.errors)).toEqual([]);
  });

  it('shows a live λ_min(Θ_ω) that changes with the continuum slider', async () => {
    await related.panel('Weighted NTK');
    const lambda = related.fact('weighted-lambda-min');
    await related.page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="weighted-lambda-min"]')?.textContent ?? ''), undefined, {
      timeout: 60_000,
    });
    const joint = await lambda.textContent();
    await related.page.getByLabel('Regime continuum').fill('2');
    await related.page.waitForFunction((before) => document.querySelector('[data-testid="weighted-lambda-min"]')?.textContent !== before, joint, {
      timeout: 60_000,
    });
    expect(Number(await lambda.textContent())).toBeGreaterThan(0);
    expect(realErrors(browser.errors)).toEqual([]);
  });
});
