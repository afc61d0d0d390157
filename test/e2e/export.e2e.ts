/**
 * Export E2E (issue 14): the CSV of two selected runs downloaded from browser mode, a chart's PNG
 * downloaded from its export menu, an archive imported through the Sessions view's upload, and the HTML
 * report opened in Chromium with the network blocked, every figure drawn. Any page error fails a test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { artifact, launchBrowser, removeDir, repoRoot, startServer } from './support/harness';
import type { BrowserHandle, ServerHandle } from './support/harness';
import { WorkbenchPage, realErrors } from './pages/workbenchPage';
import { buildReport } from '../../src/main/services/export/report';
import { readRunFolder } from '../../src/main/services/export/runData';
import { createArchive } from '../../src/main/services/export/archive';
import { parseMetricsText } from '../../src/shared/run/format';
import { recordMetrics } from '../../src/shared/export/csv';
import { decodePng, inkStats } from '../support/png';

const fixtures = path.join(repoRoot, 'test/fixtures/runs');
const servers: ServerHandle[] = [];
const browsers: BrowserHandle[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) removeDir(d);
});

/** A data directory holding one session with the two seeded fixture runs. */
function seededDataDir(): { dataDir: string; runIds: string[] } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ntk-e2e-export-'));
  dirs.push(dataDir);
  const session = path.join(dataDir, 'sessions/s-fixture');
  const runIds: string[] = [];
  for (const name of ['seeded-joint', 'seeded-weak']) {
    const id = JSON.parse(readFileSync(path.join(fixtures, name, 'config.json'), 'utf8')).runId as string;
    cpSync(path.join(fixtures, name), path.join(session, 'runs', id), { recursive: true });
    runIds.push(id);
  }
  writeFileSync(
    path.join(session, 'session.json'),
    JSON.stringify({
      schemaVersion: 1,
      sessionId: 's-fixture',
      name: 'Fixture session',
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
    }),
  );
  return { dataDir, runIds };
}

describe('export in browser mode', () => {
  it("downloads the CSV of two selected runs and a chart's PNG", async () => {
    const { dataDir, runIds } = seededDataDir();
    const server = await startServer({ dataDir });
    servers.push(server);
    const browser = await launchBrowser();
    browsers.push(browser);
    const wb = new WorkbenchPage(browser.page);
    const page = browser.page;
    await wb.open(server.url);
    await wb.tab('Runs').click();
    const boxes = page.getByRole('checkbox', { name: 'Select run' });
    await boxes.nth(1).waitFor();
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV', exact: true }).click()]);
    const csvPath = artifact('export-two-runs.csv');
    await csvDownload.saveAs(csvPath);
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    // Expected rows computed from the run folders' metrics.ndjson, independently of the exporter's reading.
    let expected = 0;
    for (const name of ['seeded-joint', 'seeded-weak']) {
      const parsed = parseMetricsText(readFileSync(path.join(fixtures, name, 'metrics.ndjson'), 'utf8'));
      if ('error' in parsed) throw new Error(parsed.error);
      expected += parsed.records.reduce((s, r) => s + recordMetrics(r).length, 0);
      const first = parsed.records[0]!;
      const id = JSON.parse(readFileSync(path.join(fixtures, name, 'config.json'), 'utf8')).runId;
      expect(Number(rows.find((r) => r.run_id === id && r.step === '0' && r.metric === 'loss')!.value)).toBe(first.loss);
    }
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set(runIds));

    // Open a run: its loss chart appears; export it as PNG at 2× from the chart's menu.
    await page.getByRole('button', { name: /joint · m=16/ }).click();
    await page.getByTestId('loss-chart').waitFor();
    await page.getByRole('button', { name: 'Export Loss chart' }).click();
    const [pngDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('group', { name: 'Export Loss chart' }).getByRole('button', { name: 'Save PNG' }).click(),
    ]);
    expect(pngDownload.suggestedFilename()).toBe('loss-chart@2x.png');
    const pngPath = artifact('export-loss-chart.png');
    await pngDownload.saveAs(pngPath);
    const png = decodePng(readFileSync(pngPath));
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThanOrEqual(840);
    const ink = inkStats(png);
    expect(ink.inkShare).toBeGreaterThan(0.01);
    expect(ink.colours).toBeGreaterThan(4);
    await page.screenshot({ path: artifact('export-menu.png') });
    expect(realErrors(browser.errors)).toEqual([]);
  });

  it("imports an archive through the Sessions view's upload", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ntk-e2e-import-'));
    dirs.push(dataDir);
    const { bytes } = await createArchive(path.join(fixtures, 'seeded-weak'), '0.1.0');
    const zip = path.join(dataDir, '..', `weak-${path.basename(dataDir)}.zip`);
    writeFileSync(zip, bytes);
    mkdirSync(path.join(dataDir, 'sessions'), { recursive: true });
    const server = await startServer({ dataDir });
    servers.push(server);
    const browser = await launchBrowser();
    browsers.push(browser);
    const wb = new WorkbenchPage(browser.page);
    await wb.open(server.url);
    await wb.tab('Sessions').click();
    await browser.page.getByLabel('Archive file to import').setInputFiles(zip);
    await browser.page.getByRole('status').filter({ hasText: 'Imported' }).waitFor();
    await browser.page.getByRole('button', { name: /^Imported 1 run/ }).waitFor();
    expect(realErrors(browser.errors)).toEqual([]);
  });
});

describe('the HTML report', () => {
  it('opens offline in Chromium with no request leaving the file, every figure drawn', async () => {
    const runs = [await readRunFolder(path.join(fixtures, 'seeded-joint')), await readRunFolder(path.join(fixtures, 'seeded-weak'))];
    const file = artifact('report.html');
    writeFileSync(file, buildReport(runs, { appVersion: '0.1.0' }));
    const browser = await launchBrowser({ width: 1200, height: 900 });
    browsers.push(browser);
    const requests: string[] = [];
    await browser.context.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    await browser.page.goto(pathToFileURL(file).href);
    expect(requests).toEqual([pathToFileURL(file).href]);
    const figures = await browser.page.$$eval('figure', (fs) =>
      fs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          name: f.getAttribute('data-figure'),
          paths: svg?.querySelectorAll('path').length ?? 0,
          w: box?.width ?? 0,
          h: box?.height ?? 0,
          text: svg?.textContent ?? '',
        };
      }),
    );
    expect(figures.map((f) => f.name)).toEqual(expect.arrayContaining(['loss', 'eigenvalues', 'spectrum']));
    for (const f of figures) {
      expect(f.paths, f.name!).toBeGreaterThan(3);
      expect(f.w, f.name!).toBeGreaterThan(300);
      expect(f.h, f.name!).toBeGreaterThan(200);
      expect(f.text.length, f.name!).toBeGreaterThan(0);
    }
    await expect(browser.page.getByRole('heading', { name: 'Configuration' }).isVisible()).resolves.toBe(true);
    await browser.page.screenshot({ path: artifact('report.png'), fullPage: false });
    expect(realErrors(browser.errors)).toEqual([]);
  });
});
