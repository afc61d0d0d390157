/**
 * Run table E2E (issue 15), as a new user in browser mode: six runs (two regimes × three seeds) made through
 * the form; the table filtered to one regime (and a bad filter named); runs selected and compared; grouped
 * by regime with a band; the config diff read with "Diff only"; a config string copied and pasted into a
 * fresh page gives the same form. Screenshots of the table and an overlay at 1280×720 go to test-results/.
 * Any page error fails the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { WorkbenchPage, realErrors } from './pages/workbenchPage';
import { RunTablePage } from './pages/runTablePage';

describe('the run table in browser mode', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let wb: WorkbenchPage;
  let rt: RunTablePage;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser({ width: 1280, height: 720 });
    wb = new WorkbenchPage(browser.page);
    rt = new RunTablePage(browser.page);
    await wb.open(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('makes six runs through the form: two regimes × three seeds', async () => {
    await wb.set('Samples', '6');
    await wb.set('Test samples', '2');
    await wb.set('Input dimension', '3');
    await wb.set('Hidden width', '32');
    await wb.set('Steps', '40');
    await wb.set('Tracking interval K', '5');
    for (const regime of ['joint', 'weak']) {
      for (const seed of ['1', '2', '3']) {
        await wb.choose('Regime', regime);
        await wb.set('Seed', seed);
        await wb.startRun();
        expect(await wb.waitForStatus(['finished', 'failed', 'stopped'], 120_000)).toBe('finished');
      }
    }
  });

  it('lists them, filters to one regime and names a bad filter', async () => {
    await rt.open();
    await rt.waitForRows(6);
    await browser.page.screenshot({ path: artifact('runtable-table.png') });
    await rt.filter('regime = joint');
    await rt.waitForRows(3);
    expect(await rt.column('regime')).toEqual(['joint', 'joint', 'joint']);
    await rt.filter('regime = joint and');
    await expect.poll(() => rt.filterError()).toContain('expected a column name, tag:NAME or ( at column 19');
    await rt.filter('regime = weak and seed >= 2');
    await rt.waitForRows(2);
    expect((await rt.column('seed')).sort()).toEqual(['2', '3']);
    await rt.filter('');
    await rt.waitForRows(6);
  });

  it('compares selected runs, groups them by regime with a band, and reads the config diff with Diff only', async () => {
    const page = browser.page;
    await rt.selectAllShown();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const comparison = page.getByRole('region', { name: 'Comparison' });
    await comparison.getByTestId('compare-loss').waitFor();
    // six legend entries, each a run that can be hidden
    const shows = comparison.getByRole('checkbox', { name: /^Show run / });
    await expect.poll(() => shows.count()).toBe(6);
    const names = await rt.chartSeriesNames('compare-loss');
    expect(names).toHaveLength(6);
    await shows.first().uncheck();
    await expect.poll(async () => (await rt.chartSeriesNames('compare-loss')).length).toBe(5);
    await shows.first().check();
    await page.screenshot({ path: artifact('runtable-overlay.png') });

    await comparison.getByLabel('Group by').selectOption('regime');
    await comparison.getByLabel('Band').selectOption('minmax');
    await expect
      .poll(() => rt.chartSeriesNames('compare-loss'))
      .toEqual([
        'regime = joint (3 runs) band lower (min–max)',
        'regime = joint (3 runs) band height (min–max)',
        'regime = joint (3 runs)',
        'regime = weak (3 runs) band lower (min–max)',
        'regime = weak (3 runs) band height (min–max)',
        'regime = weak (3 runs)',
      ]);
    await page.screenshot({ path: artifact('runtable-groupby.png') });

    const diff = comparison.getByRole('table', { name: 'Config diff' });
    const switchDiff = comparison.getByRole('switch', { name: 'Diff only' });
    expect(await diff.getByRole('row').count()).toBeGreaterThan(10);
    await switchDiff.click();
    expect(await switchDiff.getAttribute('aria-checked')).toBe('true');
    const keys = await diff.locator('tbody th').allTextContents();
    expect(keys.map((k) => k.trim()).sort()).toEqual(['regime', 'seed']);
    const seedRow = diff.getByRole('row').filter({ has: page.locator('th', { hasText: /^seed$/ }) });
    expect((await seedRow.locator('td').allTextContents()).map((s) => s.trim()).sort()).toEqual(['1', '1', '2', '2', '3', '3']);
  });

  it('copies a config string and pastes it into a fresh page to get the same form', async () => {
    const page = browser.page;
    await page.getByRole('tab', { name: 'Workbench', exact: true }).click();
    await wb.tab('Configure').click();
    await wb.choose('Regime', 'tied');
    await wb.set('Seed', '4242');
    await wb.set('Learning rate', '0.05');
    const before = await rt.formValues();
    await page.getByRole('button', { name: 'Copy config', exact: true }).click();
    const text = await page.getByTestId('config-string').inputValue();
    expect(text).toMatch(/^ntkwb1\./);
    const link = await page.getByTestId('config-link').inputValue();

    const fresh = await browser.context.newPage();
    const freshErrors: string[] = [];
    fresh.on('pageerror', (e) => freshErrors.push(e.message));
    const wb2 = new WorkbenchPage(fresh);
    await wb2.open(server.url);
    const rt2 = new RunTablePage(fresh);
    expect(await rt2.formValues()).not.toEqual(before);
    await fresh.getByRole('button', { name: 'Paste config', exact: true }).click();
    await fresh.getByLabel('Config string to paste').fill(text.slice(0, 20) + 'x' + text.slice(21));
    await fresh.getByRole('button', { name: 'Apply to form', exact: true }).click();
    expect(await fresh.getByTestId('paste-error').textContent()).toMatch(/damaged|not valid/);
    await fresh.getByLabel('Config string to paste').fill(text);
    await fresh.getByRole('button', { name: 'Apply to form', exact: true }).click();
    expect(await rt2.formValues()).toEqual(before);

    // the browser-mode link opens the form with it too
    const viaLink = await browser.context.newPage();
    await viaLink.goto(link);
    await viaLink.getByTestId('app-info').waitFor({ timeout: 30_000 });
    await expect.poll(() => new RunTablePage(viaLink).formValues()).toEqual(before);
    expect(freshErrors).toEqual([]);
    await fresh.close();
    await viaLink.close();
  });

  it('tags a run, filters by the tag, and clones a run into the form', async () => {
    const page = browser.page;
    await rt.open();
    await rt.filter('regime = weak and seed = 2');
    await rt.waitForRows(1);
    await rt.clearSelection();
    await page.getByRole('checkbox', { name: 'Select run' }).first().check();
    await page.getByLabel('Tags', { exact: true }).fill('baseline');
    await page.getByLabel('Note', { exact: true }).fill('the weak baseline');
    await page.getByRole('button', { name: 'Save tags and note' }).click();
    await page.getByText('Saved.').waitFor();
    await rt.filter('tag:baseline');
    await rt.waitForRows(1);
    await page.getByRole('button', { name: 'Clone with changes', exact: true }).click();
    await wb.field('Regime').waitFor();
    expect(await wb.field('Regime').inputValue()).toBe('weak');
    expect(await wb.field('Seed').inputValue()).toBe('2');
    expect(await page.getByTestId('share-notice').textContent()).toContain('Form filled from run');

    // The Sessions tab fits its side panel at 1280×720 (nothing wider than the panel).
    await wb.tab('Sessions').click();
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.waitFor();
    await page.screenshot({ path: artifact('runtable-sessions.png') });
    const overflow = await page.evaluate(() => {
      const panel = document.getElementById('side-panel-sessions')!;
      return [...panel.querySelectorAll('*')]
        .filter((e) => e.getBoundingClientRect().right > panel.getBoundingClientRect().right + 1)
        .map((e) => e.tagName + '.' + e.className);
    });
    expect(overflow).toEqual([]);
    expect(realErrors(browser.errors)).toEqual([]);
  });
});
