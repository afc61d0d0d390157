/**
 * Starts the browser-mode server as a child process (`--port 0`) and waits for the URL line it prints.
 * Shared by the E2E harness and the soak script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { hugePagesEnv } from '../huge-pages.mjs';

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  port: number;
  token: string;
  /** everything the server printed so far (stdout and stderr) */
  output: () => string;
}

/** Spawns `src/main/server/main.ts --port 0 --data-dir DIR [--static-dir DIR]` and resolves once it listens. */
export async function spawnServer(opts: { repoRoot: string; dataDir: string; staticDir?: string; timeoutMs?: number }): Promise<ServerProcess> {
  const args = [path.join(opts.repoRoot, 'bin/run-ts.mjs'), path.join(opts.repoRoot, 'src/main/server/main.ts'), '--port', '0', '--data-dir', opts.dataDir];
  if (opts.staticDir) args.push('--static-dir', opts.staticDir);
  // As `npm start` runs it: with huge pages for the numerics' large blocks (scripts/huge-pages.mjs).
  const proc = spawn(process.execPath, args, { cwd: opts.repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: hugePagesEnv() });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not print its URL within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  const u = new URL(url);
  return { proc, url, port: Number(u.port), token: u.searchParams.get('token')!, output: () => out };
}
