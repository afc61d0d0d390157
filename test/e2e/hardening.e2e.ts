/**
 * Hardening in the browser (issues 17 and 21): a data file larger than a message travels once as an upload
 * and the WebSocket only carries its id, for the theory preview and for Run alike; a run that cannot fit the
 * memory limit is refused in the form, with the estimate under the field that drives it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchBrowser, removeDir, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { WorkbenchPage, realErrors } from './pages/workbenchPage';

describe('hardening in browser mode', () => {
  let server: ServerHandle;
  let browser: BrowserHandle;
  let wb: WorkbenchPage;
  const frames: number[] = [];
  const uploads: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    wb = new WorkbenchPage(browser.page);
    browser.page.on('websocket', (ws) => ws.on('framesent', (f) => frames.push(typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength)));
    browser.page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/upload') uploads.push(`${r.method()} ${new URL(r.url()).search}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('uploads a large CSV once and refers to it by id in the theory preview and the run', async () => {
    await wb.open(server.url);
    // ~600 KiB: 16 000 rows of 4 coordinates on the unit sphere.
    const rows: string[] = [];
    for (let i = 0; i < 16_000; i++) {
      const a = (i * 0.7) % (2 * Math.PI);
      const b = (i * 0.3) % Math.PI;
      rows.push([Math.sin(b) * Math.cos(a), Math.sin(b) * Math.sin(a), Math.cos(b) * 0.6, Math.cos(b) * 0.8].map((x) => x.toFixed(6)).join(','));
    }
    const csv = rows.join('\n') + '\n';
    expect(csv.length).toBeGreaterThan(512 * 1024);
    await browser.page.locator('#cfg-csv').setInputFiles({ name: 'sphere.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await wb.set('Samples', '40');
    await wb.set('Test samples', '10');
    await wb.set('Hidden width', '64');
    await wb.set('Steps', '30');
    await browser.page.getByTestId('theory-lambda0').filter({ hasText: /\d/ }).waitFor({ timeout: 60_000 });
    await wb.startRun();
    await wb.waitForStatus(['finished', 'stopped', 'failed'], 120_000);
    expect(await wb.status()).toBe('finished');
    expect(uploads).toEqual(['POST ?kind=csv&name=sphere.csv']);
    expect(Math.max(...frames)).toBeLessThan(16 * 1024);
    expect(realErrors(browser.errors)).toEqual([]);
  });

  it('refuses a run that cannot fit the memory limit: the estimate under Samples, Run disabled', async () => {
    await wb.open(server.url);
    await wb.set('Samples', '20000');
    await expect(wb.fieldError('samples').textContent()).resolves.toMatch(
      /this run needs ~1\d\.\d GiB \(largest: the 20000×20000 kernels of the automatic step size/,
    );
    expect(await wb.button('Run').isEnabled()).toBe(false);
    await browser.page.screenshot({ path: artifact('memory-refused.png') });
    await wb.set('Samples', '16');
    expect(await wb.button('Run').isEnabled()).toBe(true);
    expect(realErrors(browser.errors)).toEqual([]);
  });
});
