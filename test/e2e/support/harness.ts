/**
 * E2E harness: builds the browser-mode UI when needed, starts the server on a free port with a temp
 * data dir, and launches Debian's Chromium through playwright-core. Page errors and console errors are
 * collected so a test can fail on them.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawnServer } from '../../../scripts/lib/serverProcess';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const resultsDir = path.join(repoRoot, 'test-results');

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary to drive: $CHROMIUM_PATH, else Debian's. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium not found: install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)');
  return found;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds out/web when it is missing or older than src/renderer, src/shared or resources/ (icon, samples). */
export function ensureWebBuild(): void {
  const index = path.join(repoRoot, 'out/web/index.html');
  const src = Math.max(newest(path.join(repoRoot, 'src/renderer')), newest(path.join(repoRoot, 'src/shared')), newest(path.join(repoRoot, 'resources')));
  if (existsSync(index) && statSync(index).mtimeMs >= src) return;
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.web.config.ts', '--logLevel', 'warn'],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('vite build of the UI failed');
}

export interface ServerHandle {
  url: string;
  origin: string;
  port: number;
  token: string;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `src/main/server/main.ts --port 0` with a data dir (a fresh temp dir unless given). */
export async function startServer(opts: { dataDir?: string } = {}): Promise<ServerHandle> {
  ensureWebBuild();
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'ntk-e2e-'));
  const { proc, url, output } = await spawnServer({ repoRoot, dataDir });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    dataDir,
    proc,
    output,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
  };
}

export interface BrowserHandle {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** page errors and console errors seen so far */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium (1280×720 by default) with error collection on the first page. */
export async function launchBrowser(opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserHandle> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 720 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => {
    errors.push(`pageerror: ${e.message}`);
    process.stderr.write(`[page error] ${e.message}\n`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') {
      errors.push(`console.error: ${m.text()}`);
      process.stderr.write(`[console.error] ${m.text()}\n`);
    }
  });
  return { browser, context, page, errors, close: () => browser.close() };
}

/** Path for a screenshot or other artifact under test-results/. */
export function artifact(name: string): string {
  mkdirSync(resultsDir, { recursive: true });
  return path.join(resultsDir, name);
}

/** Removes a temp data dir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
