/** `experiment E1..E9 [--quick]` and `sweep --config FILE --grid KEY=v1,v2 …`: presets and sweeps on the local runner. */
import type { Command } from 'commander';
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { WorkbenchException } from '../../../shared/api/result';
import { PRESET_IDS, findPreset } from '../../../shared/experiments/presets';
import { expandSweep, parseGridArg, parseSeedsArg, SweepSpecError } from '../../../shared/sweeps/spec';
import { runExperiment } from '../../services/experiments/runExperiment';
import { SweepRunner, sweepFolder, type SweepProgress } from '../../services/sweeps/runner';
import { localExecutor } from '../../services/sweeps/executor';
import { cellId } from '../../services/sweeps/cellId';
import { errln, out, printJson, readConfig, type CliState } from '../common';
import { cliRedisExecutor, REDIS_JOBS } from '../distributed';

function parseJobs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(Number.isInteger(x) && x >= 1 && x <= 256)) throw new WorkbenchException('invalid-request', `--jobs: expected an integer from 1 to 256, got '${v}'`);
  return x;
}

/** A stderr progress line at most twice a second (and at the end). */
function progressPrinter(label: string): (p: SweepProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    const end = p.pending === 0 && p.running === 0;
    if (!end && now - last < 500) return;
    last = now;
    const eta = p.etaMs === null ? '?' : `${Math.round(p.etaMs / 1000)} s`;
    errln(`${label}: ${p.finished + p.failed}/${p.total} cells (${p.failed} failed, ${p.skipped} kept, ${p.running} running), ETA ${eta}`);
  };
}

function withSigint<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  return fn(ac.signal).finally(() => process.off('SIGINT', onSig));
}

/** Registers `experiment` and `sweep` on the program. */
export function register(p: Command, state: CliState): void {
  p.command('experiment')
    .description(`run one of the paper's experiments (${PRESET_IDS.join(', ')}) and write data.csv, summary.json, figures/*.svg and the cells' run folders`)
    .argument('<id>', `the preset: ${PRESET_IDS.join(', ')}`)
    .option('--quick', 'small sizes (a minute or two on two cores; what the tests run)')
    .requiredOption('--out <dir>', 'folder to write (new, empty, or an earlier run of the same preset: it is resumed)')
    .option('--jobs <n>', 'cells at a time (default: every core but one)')
    .option('--params <json>', 'edits of the preset parameters as JSON, e.g. \'{"seeds":[0,1,2]}\'')
    .option('--redis <url>', 'run the cells on the workers of this Redis (ntk-workbench worker) instead of this machine')
    .option('--json', 'print only summary.json on stdout')
    .action(async (id: string, o: { quick?: boolean; out: string; jobs?: string; params?: string; redis?: string; json?: boolean }) => {
      const preset = findPreset(id);
      if (!preset) throw new WorkbenchException('invalid-request', `experiment: unknown preset '${id}' (expected one of ${PRESET_IDS.join(', ')})`);
      const jobs = parseJobs(o.jobs);
      let edits: unknown = {};
      if (o.params !== undefined) {
        try {
          edits = JSON.parse(o.params);
        } catch {
          throw new WorkbenchException('invalid-request', `--params: not valid JSON: ${o.params}`);
        }
        if (edits === null || typeof edits !== 'object' || Array.isArray(edits))
          throw new WorkbenchException('invalid-request', '--params: expected a JSON object');
      }
      if (!o.json) errln(`${preset.id}: ${preset.claim}`);
      const remote =
        o.redis !== undefined ? { executor: cliRedisExecutor(o.redis, path.resolve(o.out)), jobs: REDIS_JOBS } : jobs !== undefined ? { jobs } : {};
      const res = await withSigint((signal) =>
        runExperiment({
          preset: preset.id,
          quick: o.quick === true,
          outDir: o.out,
          params: edits as Record<string, unknown>,
          ...remote,
          signal,
          onProgress: progressPrinter(preset.id),
        }),
      );
      if (res.cancelled) {
        errln(`${preset.id}: cancelled; ${res.sweep.pending} cells left (run the same command again to resume)`);
        state.code = 130;
        return;
      }
      if (o.json) printJson(res.summary);
      else {
        out(`${preset.id} ${res.summary.holds ? 'HOLDS' : 'DOES NOT HOLD'}: ${preset.claim}`);
        out(JSON.stringify(res.summary.numbers, null, 2));
        out(`written: ${res.files.join(', ')}`);
      }
    });

  p.command('sweep')
    .description('run a grid (and seeds) of training runs from a base config into DIR/runs/<cellId>/, resumable; cells already finished are kept')
    .requiredOption('--config <file>', 'the base config JSON')
    .option(
      '--grid <KEY=v1,v2>',
      'a config key and its values (repeatable; a..b for integer ranges)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--seeds <A..B>', 'seeds per cell: A..B or a comma-separated list')
    .requiredOption('--out <dir>', 'the sweep folder (sweep.json, runs/)')
    .option('--jobs <n>', 'cells at a time (default: every core but one)')
    .option(
      '--redis <url>',
      'run the cells on the workers of this Redis (ntk-workbench worker) instead of this machine: redis://[user:password@]host[:port][/db] or rediss://… (TLS)',
    )
    .option('--json', 'print only the JSON summary on stdout')
    .action(async (o: { config: string; grid: string[]; seeds?: string; out: string; jobs?: string; redis?: string; json?: boolean }) => {
      const jobs = parseJobs(o.jobs);
      const base = await readConfig(o.config);
      let cells;
      try {
        const grid = Object.fromEntries(o.grid.map(parseGridArg));
        cells = expandSweep({ base, grid, ...(o.seeds !== undefined ? { seeds: parseSeedsArg(o.seeds) } : {}) });
      } catch (e) {
        if (e instanceof SweepSpecError) throw new WorkbenchException('invalid-config', e.message);
        throw e;
      }
      const outDir = path.resolve(o.out);
      await fsp.mkdir(outDir, { recursive: true });
      const runnerCells = cells.map((c) => ({ id: cellId(c.config), index: c.index, point: c.point, work: { kind: 'train' as const, config: c.config } }));
      const executor = o.redis !== undefined ? cliRedisExecutor(o.redis, outDir, runnerCells) : localExecutor();
      const jobsOpt = o.redis !== undefined ? { jobs: REDIS_JOBS } : jobs !== undefined ? { jobs } : {};
      try {
        const summary = await withSigint((signal) =>
          new SweepRunner({
            name: 'sweep',
            ...sweepFolder(outDir),
            cells: runnerCells,
            executor,
            ...jobsOpt,
            signal,
            onProgress: progressPrinter('sweep'),
          }).run(),
        );
        const result = {
          outDir,
          total: summary.total,
          finished: summary.finished,
          failed: summary.failed,
          skipped: summary.skipped,
          pending: summary.pending,
          cancelled: summary.cancelled,
          cells: summary.cells.map((c) => ({
            id: c.id,
            point: c.point,
            state: c.state,
            status: c.outcome?.status ?? null,
            reason: c.outcome?.reason ?? null,
            lossRatio: c.outcome?.metrics.lossRatio ?? null,
            runDir: path.join(outDir, 'runs', c.id),
          })),
        };
        if (o.json) printJson(result);
        else {
          for (const c of result.cells)
            out(
              `${c.id}  ${c.state.padEnd(8)}  ${Object.entries(c.point)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}  L/L0=${c.lossRatio ?? '—'}`,
            );
          out(`${summary.finished} finished, ${summary.failed} failed, ${summary.skipped} kept from before, ${summary.pending} pending; ${outDir}`);
        }
        if (summary.cancelled) state.code = 130;
      } finally {
        await executor.dispose();
      }
    });
}
