/**
 * Browser-mode entry: `node bin/run-ts.mjs src/main/server/main.ts [--port N] [--data-dir DIR]`.
 * Serves the built renderer (out/web) and prints the URL with its token on a line of its own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WorkbenchService } from '../services/workbench';
import { resolveDataDir } from '../services/dataDir';
import { startBrowserServer } from './server';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

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
  const dataDir = resolveDataDir({ flag: values['data-dir'], env: process.env });
  const log = (m: string): void => void process.stderr.write(`[workbench] ${m}\n`);
  const service = new WorkbenchService({ mode: 'browser', dataDir, log });
  await service.start();
  const server = await startBrowserServer({ api: service, staticDir, port, log, transfers: service.exports.transfers });
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
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await serveMain(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
