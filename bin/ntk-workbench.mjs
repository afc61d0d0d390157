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
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
// All but `serve` end with their work: they also keep freed heap for the next step (BATCH_TUNABLES).
if (HEAVY.has(command)) await rerunWithHugePages([fileURLToPath(import.meta.url), ...process.argv.slice(2)], { batch: command !== 'serve' });
/** The commands whose first step is to start an engine worker: it starts here, beside the CLI's modules loading. */
const ENGINE = new Set(['train', 'experiment', 'sweep', 'ntk']);

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
      // The engine worker loads its modules while this thread loads the CLI's (~0.2 s of a run's start, issue
      // 13): the engine host takes it for its first worker. onnxruntime reads its telemetry switch from the
      // process environment, which must be set before any worker starts (services/engineHost.ts).
      let early = null;
      if (ENGINE.has(command) && !process.argv.includes('--help')) {
        process.env.ORT_DISABLE_TELEMETRY ??= '1';
        const { Worker } = await import('node:worker_threads');
        const script = new URL('../engine/workerElectron.mjs', url);
        // Started as the engine host starts its workers, with ENGINE_THREAD_LIMITS (src/main/engine/protocol.ts):
        // the host takes no early worker with other limits.
        early = { worker: new Worker(script, { stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: 3 } }), script };
        early.worker.unref();
        early.worker.on('error', () => {});
      }
      const cli = await import(url);
      if (early) cli.offerEarlyWorker(early.worker, early.script);
      return cli.main;
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
