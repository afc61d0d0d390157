/**
 * Foundation E2E (issue 3): a new user opens the app in browser mode, sets Hidden width 256 and Steps
 * 200, presses Run, sees the loss chart grow and the loss fall, and stops a second run. Any page error
 * or console error fails the test. A screenshot of the running chart is kept under test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { WorkbenchPage } from './pages/workbenchPage';

describe('foundation: configure, run and watch the loss fall', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let wb: WorkbenchPage;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    wb = new WorkbenchPage(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('runs a joint training from the form and shows the loss falling live', async () => {
    await wb.open(server.url);
    // the one-time token was exchanged for a cookie and removed from the address bar
    expect(new URL(wb.page.url()).searchParams.has('token')).toBe(false);
    await wb.set('Hidden width', '256');
    await wb.set('Steps', '200');
    await expect(wb.button('Run').isEnabled()).resolves.toBe(true);
    await wb.watchRecordCounts();
    await wb.button('Run').click();
    await wb.waitForRecords(2);
    await wb.page.screenshot({ path: artifact('foundation-running.png') });
    await wb.waitForStatus(['finished', 'stopped', 'failed'], 120_000);
    expect(await wb.status()).toBe('finished');
    // the chart grew from empty to every record of the run (a 200-step run may arrive in one or a few batches)
    const counts = await wb.seenRecordCounts();
    process.stdout.write(`record counts seen while running: ${JSON.stringify(counts)}\n`);
    expect(counts[0]).toBe(0);
    expect(counts.at(-1)).toBe(await wb.recordCount());
    expect(await wb.recordCount()).toBeGreaterThanOrEqual(100);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
    // the loss fell: the last record's loss is well below the first one's
    const first = await wb.firstLoss();
    const last = await wb.lastLoss();
    expect(first).toBeGreaterThan(0);
    expect(last).toBeLessThan(first * 0.5);
    const step = await wb.progressStep();
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThanOrEqual(200);
    await wb.page.screenshot({ path: artifact('foundation-finished.png') });
    expect(browser.errors).toEqual([]);
  });

  it('stops a second run with Stop', async () => {
    // Never finish on its own (no step limit in reach, no target-loss stop), whatever the machine's speed.
    await wb.set('Steps', '10000000');
    await wb.set('Target loss ratio', '0');
    // the page shows the first, finished run (and its records) until this one has started
    await wb.startRun();
    await wb.waitForRecords(1);
    await wb.waitForStatus(['running']);
    await wb.button('Stop').click();
    expect(await wb.waitForStatus(['stopped', 'finished', 'failed'], 30_000)).toBe('stopped');
    expect(await wb.progressStep()).toBeLessThan(10_000_000);
    expect(browser.errors).toEqual([]);
  });
});
