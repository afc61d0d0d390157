#!/usr/bin/env node
// The ntk-workbench command. It runs the compiled CLI of out/node/ (scripts/node-bundle.mjs) when that was
// built from the sources as they are now, and builds it first when not (well under a second); where that
// fails, or with NTK_WORKBENCH_FROM_SOURCE=1, it runs the TypeScript sources through tsx's loader. Either
// way it works in a fresh clone after `npm install` alone. This file wires the shells: the command line gets
// browser mode's entry for `serve` (adapters do not import each other).
import { fileURLToPath } from 'node:url';
import { rerunWithHugePages } from '../scripts/huge-pages.mjs';

// The commands that train or serve allocate large blocks again and again: they run in a child started with
// transparent huge pages for those blocks (scripts/huge-pages.mjs: signals forwarded once, the child's exit
// code and signal are this process's, and killed outright this process takes the child along).
// `worker` is not among them: its id names its process, and a killed worker must stop at once.
const HEAVY = new Set(['train', 'experiment', 'sweep', 'ntk', 'serve']);
if (HEAVY.has(process.argv.slice(2).find((a) => !a.startsWith('-')))) await rerunWithHugePages([fileURLToPath(import.meta.url), ...process.argv.slice(2)]);

let tsxOn = false;
const fromSource = async () => {
  if (!tsxOn) (await import('tsx/esm/api')).register();
  tsxOn = true;
};

async function loadMain() {
  if (process.env.NTK_WORKBENCH_FROM_SOURCE !== '1') {
    try {
      const bundle = await import('../scripts/node-bundle.mjs');
      const url = bundle.currentBundle() ?? (await bundle.buildBundle());
      return (await import(url)).main;
    } catch (e) {
      process.stderr.write(
        `ntk-workbench: running from the TypeScript sources (the compiled CLI could not be built: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})\n`,
      );
    }
  }
  await fromSource();
  return (await import('../src/main/cli/index.ts')).main;
}

const main = await loadMain();
const serve = async (argv) => {
  await fromSource();
  return (await import('../src/main/server/main.ts')).serveMain(argv);
};
process.exitCode = await main(process.argv.slice(2), { serve });
