#!/usr/bin/env node
// `npm start`: opens NTK Workbench as an Electron window where Electron's binary is present; otherwise
// says so in one line and starts the same UI in browser mode, printing its URL on a line of its own.
// `npm run serve -- --port N` (this script with --browser) always starts browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { findElectronBinary } from './electron-path.mjs';
import { hugePagesEnv } from './huge-pages.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceBrowser = args[0] === '--browser';
const rest = forceBrowser ? args.slice(1) : args;

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the browser-mode UI when it is missing or older than its sources. */
function ensureWebBuild() {
  const index = path.join(root, 'out/web/index.html');
  const src = path.join(root, 'src/renderer');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(src)) return;
  process.stderr.write('Building the UI (once, ~20 s)…\n');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.web.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const found = forceBrowser ? null : findElectronBinary();
const bin = found?.path ?? null;
if (bin) {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const child = spawn(bin, ['.', ...rest], { cwd: root, stdio: 'inherit', env: hugePagesEnv() });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!forceBrowser) {
    process.stdout.write(`No desktop window: ${found.reason}. Starting browser mode instead.\n`);
  }
  ensureWebBuild();
  const child = spawn(process.execPath, [path.join(root, 'bin/run-ts.mjs'), path.join(root, 'src/main/server/main.ts'), ...rest], {
    cwd: root,
    stdio: 'inherit',
    env: hugePagesEnv(),
  });
  const forward = (sig) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 0));
}
