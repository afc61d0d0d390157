/**
 * A comparison script run as a line-oriented JSON server (`python3 SCRIPT --serve`): one request per line on
 * stdin, one JSON answer per line on stdout, `{"error": …}` for a failed request. Both bench comparisons
 * (numpy_gd.py, numpy_eig.py) use it, so that NumPy and our code are timed alternately in the same run.
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the script's environment only (STACK-NOTES).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { withoutHugePages } from '../scripts/huge-pages.mjs';

export interface PyServer {
  ask(msg: object): Promise<Record<string, unknown>>;
  stop(): void;
}

/**
 * The environment of a NumPy script: this one without the OpenBLAS overrides and without the huge-pages
 * tunable our side runs with (scripts/huge-pages.mjs), as a researcher's shell would run it.
 */
export function numpyEnv(): NodeJS.ProcessEnv {
  const env = withoutHugePages(process.env);
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Starts bench/SCRIPT --serve; throws (with the script's last stderr line) when it cannot answer `info`. */
export async function startPyServer(script: string): Promise<{ server: PyServer; info: Record<string, unknown> }> {
  const env = numpyEnv();
  const path = join(dirname(fileURLToPath(import.meta.url)), script);
  const child: ChildProcessWithoutNullStreams = spawn('python3', [path, '--serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  const server: PyServer = {
    async ask(msg) {
      child.stdin.write(`${JSON.stringify(msg)}\n`);
      const next = await Promise.race([lines.next(), spawnError]);
      if (next.done) throw new Error(`${script} exited: ${stderr.trim().split('\n').pop() ?? 'no output'}`);
      const r = JSON.parse(next.value) as Record<string, unknown>;
      if (typeof r.error === 'string') throw new Error(`${script}: ${r.error}`);
      return r;
    },
    stop() {
      child.stdin.end();
      child.kill();
    },
  };
  try {
    return { server, info: await server.ask({ op: 'info' }) };
  } catch (err) {
    server.stop();
    throw err;
  }
}

/**
 * Pause before each side's timed run. Both libraries' worker threads busy-wait after a call (OpenBLAS for
 * about 0.1 s, onnxruntime's intra-op pool briefly), so a run started right after the other side's would
 * share the cores with those spinning threads; on a 2-core machine that inflated whichever side went second
 * by up to 1.6×. Each side is timed on a quiet machine instead.
 */
const SETTLE_MS = 300;

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/**
 * `repeats` timed runs of ours alternating with one of theirs (theirs reports its own milliseconds, measured
 * inside its process), each after a {@link settle} pause; theirs null = ours only.
 */
export async function timeAlternating(
  repeats: number,
  ours: () => unknown,
  theirs: (() => Promise<number>) | null,
): Promise<{ ours: number[]; theirs: number[] }> {
  const out = { ours: [] as number[], theirs: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    await settle();
    const t0 = performance.now();
    await ours();
    out.ours.push(performance.now() - t0);
    if (theirs !== null) {
      await settle();
      out.theirs.push(await theirs());
    }
  }
  return out;
}
