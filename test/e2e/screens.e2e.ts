/**
 * Screenshots of every tab at 1280×720, light and dark (issue 17), after an MNIST run with the data set's
 * own defaults — which must train, not collapse: the side panel's Configure, Runs and Sessions tabs and
 * each diagnostics tab, to test-results/screen-<theme>-<tab>.png. The images are for people to look at;
 * the test checks that each view drew (a chart or its empty-state text) without page or console errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { WorkbenchPage, realErrors } from './pages/workbenchPage';
import { SessionsPanel } from './pages/sessionsPanel';

const DIAGNOSTICS = [
  ['Eigenvalues', 'eigen'],
  ['Spectrum', 'spectrum'],
  ['Spectral bias', 'bias'],
  ['Movement', 'movement'],
  ['Neuron histogram', 'histogram'],
  ['Kernel distance', 'kernel'],
  ['Heatmap', 'heatmap'],
] as const;

describe('screenshots of every tab, light and dark', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let wb: WorkbenchPage;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser({ width: 1280, height: 720, colorScheme: 'light' });
    wb = new WorkbenchPage(browser.page);
    await wb.open(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('trains MNIST with its own defaults (no collapse) and draws the digits with their reconstructions', async () => {
    await wb.choose('Data set', 'mnist');
    expect(await wb.field('Decoder scale ν').inputValue()).toBe('0.1');
    await wb.set('Samples', '8');
    await wb.set('Test samples', '4');
    await wb.set('Steps', '100');
    await wb.startRun();
    expect(await wb.waitForStatus(['finished', 'failed', 'stopped'], 180_000)).toBe('finished');
    expect(await wb.lastLoss()).toBeLessThan((await wb.firstLoss()) * 0.01);
    expect(await browser.page.getByTestId('run-warning').count()).toBe(0);
    expect(await browser.page.getByTestId('model-view').getAttribute('data-kind')).toBe('images');
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`shows every tab in the ${theme} theme`, async () => {
      const page = browser.page;
      await page.emulateMedia({ colorScheme: theme });
      await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
      for (const [tab, id] of DIAGNOSTICS) {
        await wb.tab(tab).click();
        await page.locator(`[data-testid="chart-${id}"], [data-testid="chart-${id}-empty"]`).first().waitFor();
        expect(await page.getByTestId(`chart-${id}`).count(), `${tab} drew a chart`).toBe(1);
        await page.screenshot({ path: artifact(`screen-${theme}-${id}.png`) });
      }
      await wb.tab('Eigenvalues').click();
      await page.getByText(/^All theory fields/).click();
      await page.screenshot({ path: artifact(`screen-${theme}-configure.png`) });
      await page.getByText(/^All theory fields/).click();
      await wb.tab('Runs').click();
      await page.getByRole('region', { name: 'Runs' }).waitFor();
      await page.screenshot({ path: artifact(`screen-${theme}-runs.png`) });
      const sessions = new SessionsPanel(wb);
      await sessions.show();
      if ((await page.locator('[data-run]').count()) === 0) await sessions.expand('Default session');
      await page.screenshot({ path: artifact(`screen-${theme}-sessions.png`) });
      await wb.tab('Configure').click();
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await page.screenshot({ path: artifact(`screen-${theme}-shortcuts.png`) });
      await page.keyboard.press('Escape');
      expect(realErrors(browser.errors)).toEqual([]);
    });
  }
});
