/**
 * The command-line adapter (`ntk-workbench`). Conventions for every command: results on stdout (with
 * --json, only JSON), progress and logs on stderr; exit codes 0 ok, 2 bad arguments or data, 3 run
 * diverged, 4 refused (too large for memory), 1 internal error. Non-finite numbers in JSON are `null`
 * with a sibling `<key>Note`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { defaultConfig, issuesToText, parseConfig, type Config } from '../../shared/config/schema';
import { exitCodeFor, WorkbenchException } from '../../shared/api/result';
import { toScriptJson } from '../../shared/json';
import { EngineHost } from '../services/engineHost';
import { trainToFolder } from '../services/batchTrain';
import { APP_VERSION } from '../services/workbench';

const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const errln = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : s + '\n');

function printJson(v: unknown): void {
  out(JSON.stringify(toScriptJson(v), null, 2));
}

/** Reads a text file named on the command line, refusing huge files before reading them. */
async function readInput(file: string, flag: string): Promise<string> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new WorkbenchException('invalid-request', `${flag}: cannot read ${file} (no such file)`);
  }
  if (!st.isFile()) throw new WorkbenchException('invalid-request', `${flag}: ${file} is not a file`);
  if (st.size > MAX_INPUT_BYTES) throw new WorkbenchException('invalid-request', `${flag}: ${file} is ${st.size} bytes, above the ${MAX_INPUT_BYTES}-byte limit`);
  return fsp.readFile(file, 'utf8');
}

async function readConfig(file: string): Promise<Config> {
  const text = await readInput(file, '--config');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WorkbenchException('invalid-config', `--config: ${file} is not valid JSON (${(e as Error).message})`);
  }
  const r = parseConfig(raw);
  if (!r.ok) throw new WorkbenchException('invalid-config', `--config ${file}:\n${issuesToText(r.issues)}`, { issues: r.issues });
  return r.config;
}

function positiveNumber(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${flag}: expected a number > 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

function stepList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new InvalidArgumentError(`--steps: expected comma-separated integers ≥ 0, got ${JSON.stringify(v)}`);
  }
  return xs;
}

function nonNegativeInt(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError(`${flag}: expected an integer ≥ 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

function fmt(x: number | null | undefined, digits = 6): string {
  return typeof x === 'number' ? (Number.isFinite(x) ? x.toPrecision(digits) : String(x)) : '—';
}

/** Builds the commander program; actions set `state.code`. */
function program(state: { code: number }): Command {
  const p = new Command('ntk-workbench')
    .description('NTK Workbench: two-layer ReLU autoencoders and their neural tangent kernels')
    .version(APP_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'ntk-workbench: ')),
    });

  p.command('config')
    .description('print the default config as JSON (edit it and pass it to `train --config`)')
    .action(() => {
      printJson(defaultConfig());
    });

  p.command('train')
    .description('train an autoencoder and write a run folder (config.json, metrics.ndjson, status.json)')
    .requiredOption('--config <file>', 'config JSON (see `ntk-workbench config`)')
    .requiredOption('--out <dir>', 'run folder to create')
    .option('--json', 'print only the JSON summary on stdout')
    .option('--threads <n>', 'threads of the native compute backend and of the large symmetric products of the eigenvalue solvers (default: every core)')
    .action(async (o: { config: string; out: string; json?: boolean; threads?: string }) => {
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
        throw new WorkbenchException('invalid-request', `--threads: expected a positive integer, got '${o.threads}'`);
      }
      const config = await readConfig(o.config);
      const ac = new AbortController();
      const onSig = (): void => ac.abort();
      process.once('SIGINT', onSig);
      let lastPrint = 0;
      const res = await trainToFolder(config, path.resolve(o.out), {
        signal: ac.signal,
        ...(threads !== undefined ? { threads } : {}),
        onMeta: (m) => {
          errln(`backend ${m.backend} (${m.dtype}); n=${m.n} d=${m.d} m=${m.m}; η_W=${fmt(m.learningRates.encoder)} η_V=${fmt(m.learningRates.decoder)}`);
          for (const w of m.warnings) errln(`warning: ${w}`);
        },
        onProgress: (r) => {
          const now = Date.now();
          if (now - lastPrint > 500 || r.step === config.steps) {
            lastPrint = now;
            errln(`step ${r.step}/${config.steps}  loss ${fmt(r.loss)}`);
          }
        },
      });
      process.off('SIGINT', onSig);
      const summary = {
        status: res.outcome.status,
        reason: res.outcome.reason,
        ...(res.outcome.status === 'failed' ? { error: res.outcome.error } : {}),
        runDir: res.runDir,
        lastStep: res.lastStep,
        initialLoss: res.firstRecord?.loss ?? null,
        finalLoss: res.lastRecord?.loss ?? null,
        lossRatio: res.lastRecord?.lossRatio ?? null,
        backend: res.meta?.backend ?? null,
        dtype: res.meta?.dtype ?? null,
        learningRates: res.meta?.learningRates ?? null,
      };
      if (o.json) printJson(summary);
      else {
        out(`${res.outcome.status}: ${res.outcome.reason}`);
        out(`steps ${res.lastStep}, loss ${fmt(summary.initialLoss)} → ${fmt(summary.finalLoss)}; run folder ${res.runDir}`);
      }
      if (res.outcome.status === 'failed') {
        if (!o.json) errln(`ntk-workbench train: ${res.outcome.error.message}`);
        state.code = exitCodeFor(res.outcome.error.code);
      }
    });

  p.command('kernel')
    .description('infinite-width Gram matrix of the rows of a CSV file, with its eigenvalues (float64, ascending)')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .addOption(new Option('--kernel <kind>', 'which kernel').choices(['enc', 'dec', 'joint']).makeOptionMandatory())
    .option('--kappa <k>', 'encoder init scale κ', positiveNumber('--kappa'), 1)
    .option('--nu <n>', 'decoder init scale ν', positiveNumber('--nu'), 1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(async (o: { data: string; kernel: 'enc' | 'dec' | 'joint'; kappa: number; nu: number; memoryLimit: number; json?: boolean }) => {
      const csvText = await readInput(o.data, '--data');
      const r = await withHost((h) => h.runTask<{ kernel: string; n: number; d: number; gram: number[][]; eigenvalues: number[] }>('kernel', { csvText, kernel: o.kernel, kappa: o.kappa, nu: o.nu, memoryLimitMiB: o.memoryLimit }));
      if (o.json) printJson(r);
      else {
        out(`${o.kernel} kernel of ${r.n} samples in d=${r.d}`);
        out(`eigenvalues (ascending): ${r.eigenvalues.map((x) => fmt(x, 6)).join(' ')}`);
        if (r.n <= 12) for (const row of r.gram) out(row.map((x) => fmt(x, 5).padStart(12)).join(''));
      }
    });

  p.command('theory')
    .description('λ₀, λ_dec, λ_J, automatic step sizes, linearized loss ratios and sufficient widths for a CSV data set')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .option('--kappa <k>', 'encoder init scale κ', positiveNumber('--kappa'), 1)
    .option('--nu <n>', 'decoder init scale ν', positiveNumber('--nu'), 1)
    .option('--steps <list>', 'steps k for L(k)/L(0)', stepList, [10, 100, 1000])
    .option('--delta <δ>', 'failure probability for the width bounds', positiveNumber('--delta'), 0.1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(async (o: { data: string; kappa: number; nu: number; steps: number[]; delta: number; memoryLimit: number; json?: boolean }) => {
      if (o.delta >= 1) throw new InvalidArgumentError(`--delta: expected a number in (0, 1), got ${o.delta}`);
      const csvText = await readInput(o.data, '--data');
      const r = await withHost((h) => h.runTask<Record<string, unknown>>('theory', { csvText, kappa: o.kappa, nu: o.nu, steps: o.steps, delta: o.delta, memoryLimitMiB: o.memoryLimit }));
      if (o.json) printJson(r);
      else {
        for (const k of ['lambdaEnc', 'lambdaDec', 'lambdaJoint', 'lambdaMaxEnc', 'lambdaMaxDec', 'lambdaMaxJoint']) out(`${k.padEnd(16)} ${fmt(r[k] as number)}`);
        out(`eta              ${JSON.stringify(toScriptJson(r.eta))}`);
        out(`L(k)/L(0)        ${JSON.stringify(toScriptJson(r.linearizedLossRatio))}`);
        out(`sufficientWidth  ${JSON.stringify(toScriptJson(r.sufficientWidth), null, 2)}`);
      }
    });

  p.command('ntk')
    .description('empirical NTK spectrum and summary of a configured network, at init or after K steps')
    .requiredOption('--config <file>', 'config JSON')
    .option('--at-step <K>', 'train K GD steps first', nonNegativeInt('--at-step'), 0)
    .option('--full', 'the full nd×nd NTK instead of the output-traced n×n average')
    .option('--json', 'print only JSON')
    .action(async (o: { config: string; atStep: number; full?: boolean; json?: boolean }) => {
      const config = await readConfig(o.config);
      const r = await withHost((h) => h.runTask<Record<string, unknown>>('ntk', { config, atStep: o.atStep, full: Boolean(o.full) }));
      if (o.json) printJson(r);
      else for (const [k, v] of Object.entries(toScriptJson(r) as Record<string, unknown>)) out(`${k.padEnd(22)} ${Array.isArray(v) ? `[${v.length} values]` : JSON.stringify(v)}`);
    });

  p.command('serve')
    .description('start browser mode on 127.0.0.1 (prints the URL with its token)')
    .option('--port <N>', 'port (0 = any free port)', '0')
    .option('--data-dir <dir>', 'where sessions are stored')
    .action(async (o: { port: string; dataDir?: string }) => {
      const { serveMain } = await import('../server/main');
      const code = await serveMain(['--port', o.port, ...(o.dataDir ? ['--data-dir', o.dataDir] : [])]);
      if (code !== 0) state.code = code;
      else await new Promise(() => {}); // serve until interrupted
    });

  p.command('bench')
    .description('run the benchmarks (same as `npm run bench`); pass --json for JSON lines')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/run-ts.mjs'), path.join(repoRoot, 'bench/run.ts'), ...args], { stdio: 'inherit' });
      state.code = r.status ?? 1;
    });

  return p;
}

async function withHost<T>(fn: (h: EngineHost) => Promise<T>): Promise<T> {
  // No window to keep responsive: the eigensolvers may use every core, as `train` does.
  const h = new EngineHost({ threads: availableParallelism() });
  try {
    return await fn(h);
  } finally {
    await h.dispose();
  }
}

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const state = { code: 0 };
  const p = program(state);
  try {
    await p.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return state.code;
      return 2; // commander already printed a one-line message naming the flag
    }
    if (e instanceof InvalidArgumentError) {
      errln(`ntk-workbench: ${e.message}`);
      return 2;
    }
    if (e instanceof WorkbenchException) {
      errln(`ntk-workbench: ${e.message}`);
      return exitCodeFor(e.code);
    }
    errln(`ntk-workbench: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
