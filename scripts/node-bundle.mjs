// The command line's compiled form (issue 13: start-up). From the TypeScript sources every process and every
// engine worker pays tsx's loader on each of ~200 modules (3 s before `--help` prints, as much again in the
// worker); esbuild turns the CLI and the engine worker into out/node/ in well under a second, and Node loads
// that without a loader. bin/ntk-workbench.mjs uses it while it is current and rebuilds it when any source
// changed (a stamp of every source file's path, size and mtime), so a fresh clone, an edit or a `git pull`
// never runs stale code; NTK_WORKBENCH_FROM_SOURCE=1 forces the TypeScript sources.
//   node scripts/node-bundle.mjs          builds out/node/ (also part of `npm run build`)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');
export const bundleDir = path.join(repoRoot, 'out', 'node');
/** The entries: the CLI (its engine host starts the worker next to it) and the engine worker. */
const ENTRIES = ['src/main/cli/bundled.ts', 'src/main/engine/workerElectron.ts'];
/** What the bundle is built from: every source the entries can reach, and what decides the packages. */
const WATCHED_DIRS = ['src/main', 'src/shared'];
const WATCHED_FILES = ['package.json', 'package-lock.json', 'scripts/node-bundle.mjs'];

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** A hash of every watched file's path, size and modification time (a few ms for ~200 files). */
export function sourceStamp(root = repoRoot) {
  const files = [];
  for (const d of WATCHED_DIRS) if (existsSync(path.join(root, d))) walk(path.join(root, d), files);
  for (const f of WATCHED_FILES) if (existsSync(path.join(root, f))) files.push(path.join(root, f));
  files.sort();
  const h = createHash('sha256');
  h.update(process.version);
  for (const f of files) {
    const s = statSync(f);
    h.update(`${path.relative(root, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** Where the bundle of a given stamp lives: out/node/<stamp>/ (a build never touches another stamp's folder). */
const folderOf = (stamp) => path.join(bundleDir, stamp.slice(0, 20));
const entryOf = (folder) => path.join(folder, 'cli', 'bundled.mjs');

/** The CLI entry's URL when out/node/ holds a bundle of the sources as they are now, else null. */
export function currentBundle(root = repoRoot) {
  try {
    const folder = folderOf(sourceStamp(root));
    return existsSync(path.join(folder, 'complete')) ? pathToFileURL(entryOf(folder)).href : null;
  } catch {
    return null;
  }
}

/** Bundles of other sources are removed a day after they were built (a process may still be running one). */
const KEEP_OLD_MS = 24 * 3600 * 1000;

/**
 * Builds the bundle of the sources as they are now into out/node/<stamp>/ (esbuild: ESM, code splitting so
 * lazily imported backends stay lazy, packages left to node_modules) and returns the CLI entry's URL. It is
 * built in a temporary folder and renamed into place, so no process sees half a bundle, and a process still
 * running an older bundle keeps its files (they go a day later).
 */
export async function buildBundle(root = repoRoot) {
  const { build } = await import('esbuild');
  const stamp = sourceStamp(root);
  const folder = folderOf(stamp);
  if (existsSync(path.join(folder, 'complete'))) return pathToFileURL(entryOf(folder)).href;
  mkdirSync(bundleDir, { recursive: true });
  const tmp = path.join(bundleDir, `.tmp-${process.pid}-${Date.now()}`);
  try {
    await build({
      absWorkingDir: root,
      entryPoints: ENTRIES.map((e) => path.join(root, e)),
      outbase: path.join(root, 'src/main'),
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    writeFileSync(path.join(tmp, 'complete'), JSON.stringify({ stamp, built: new Date().toISOString() }) + '\n');
    try {
      renameSync(tmp, folder);
    } catch (e) {
      // Another build of the same sources got there first: its bundle is the same.
      if (!existsSync(path.join(folder, 'complete'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const e of readdirSync(bundleDir, { withFileTypes: true })) {
    const p = path.join(bundleDir, e.name);
    if (p === folder || !e.isDirectory()) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > KEEP_OLD_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      /* removed by another build */
    }
  }
  return pathToFileURL(entryOf(folder)).href;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  await buildBundle();
  process.stdout.write(`out/node: the CLI and the engine worker bundled in ${Date.now() - t0} ms\n`);
}

/**
 * The current bundle's two entries, building it first when the sources changed: { cli, worker } file URLs.
 * Throws when it cannot be built (esbuild missing, a source that does not compile).
 */
export async function ensureBundle(root = repoRoot) {
  const cli = currentBundle(root) ?? (await buildBundle(root));
  return { cli, worker: new URL('../engine/workerElectron.mjs', cli).href };
}
