/**
 * Browser-mode entry: `node bin/run-ts.mjs src/main/server/main.ts [--port N] [--data-dir DIR]`.
 * Serves the built renderer (out/web) and prints the URL with its token on a line of its own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WorkbenchService } from '../services/workbench';
import { WorkbenchException } from '../../shared/api/result';
import { resolveDataDir } from '../services/dataDir';
import { startBrowserServer } from './server';
import type { WorkerLocator } from '../services/engineHost';
import { ensureBundle } from '../../../scripts/node-bundle.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The engine workers of browser mode run from the compiled bundle of scripts/node-bundle.mjs (built first when
 * the sources changed), so a run starts without tsx's loader in its worker (issue 13: seconds per run); where
 * it cannot be built they run from the TypeScript sources.
 */
async function bundledWorker(log: (m: string) => void): Promise<{ worker?: WorkerLocator }> {
  if (process.env.NTK_WORKBENCH_FROM_SOURCE === '1') return {};
  try {
    const { worker } = await ensureBundle();
    return { worker: () => new URL(worker) };
  } catch (e) {
    log(
      `engine workers run from the TypeScript sources (the compiled bundle could not be built: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
    );
    return {};
  }
}

/** Parses flags, starts the service and the server; resolves once listening. */
export async function serveMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '0' },
        'data-dir': { type: 'string' },
        'static-dir': { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`ntk-workbench serve: ${(e as Error).message}\n`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`ntk-workbench serve: --port: expected an integer 0..65535, got ${JSON.stringify(values.port)}\n`);
    return 2;
  }
  const staticDir = values['static-dir'] ?? path.join(repoRoot, 'out/web');
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    process.stderr.write(`ntk-workbench serve: the UI is not built (${staticDir}/index.html missing): run \`npm run build:web\` or \`npm start\`\n`);
    return 2;
  }
  const log = (m: string): void => void process.stderr.write(`[workbench] ${m}\n`);
  let dataDir: string;
  let service: WorkbenchService;
  try {
    dataDir = resolveDataDir({ flag: values['data-dir'], env: process.env });
    service = new WorkbenchService({ mode: 'browser', dataDir, log, standbyWorker: true, ...(await bundledWorker(log)) });
    await service.start();
  } catch (e) {
    // Another instance on this data folder, or a data folder that cannot be made: say so, exit 2.
    if (!(e instanceof WorkbenchException)) throw e;
    process.stderr.write(`ntk-workbench serve: ${e.message}\n`);
    return 2;
  }
  const server = await startBrowserServer({ api: service, staticDir, port, log, transfers: service.exports.transfers });
  service.lock?.setUrl(`http://127.0.0.1:${server.port}/`);
  process.stdout.write(`NTK Workbench (browser mode) — data in ${dataDir}\nOpen this URL in your browser:\n${server.url}\n`);
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void (async () => {
      await server.close();
      await service.dispose();
      process.exit(0);
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // The last line of defence: whatever escapes a handler is logged, and the runs of every open page go on.
  process.on('uncaughtException', (e) => log(`uncaught exception (the server keeps running): ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`unhandled rejection (the server keeps running): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await serveMain(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
