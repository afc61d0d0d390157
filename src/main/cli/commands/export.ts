/**
 * `export`: what leaves the workbench for a paper or for Python —
 *   export csv RUN_DIR... --out FILE.csv [--wide]          metrics (long format, or wide with --wide)
 *   export spectra RUN_DIR... --out FILE.csv               spectra (empirical, spectral bias, H∞)
 *   export figures RUN_DIR... --out DIR [--format svg|png] [--scale S]
 *   export report RUN_OR_SESSION_DIR... --out FILE.html
 *   export npy RUN_DIR --out DIR                           kept parameters and spectra as .npy
 * A session folder or a sweep's folder (`sweep`/`experiment` output, sweep.json) stands for all of its runs.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { WorkbenchException } from '../../../shared/api/result';
import { metricsCsv, spectraCsv } from '../../services/export/csv';
import { exportFigures, MAX_SCALE, MIN_SCALE } from '../../services/export/figures';
import { runArrays } from '../../services/export/arrays';
import { buildReport } from '../../services/export/report';
import { readRunFolder, readRunsOrSessions, type RunData } from '../../services/export/runData';
import { writeOutputFile } from '../../services/export/output';
import { APP_VERSION } from '../../services/appVersion';
import { out, printJson, type CliState } from '../common';

function scaleArg(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < MIN_SCALE || x > MAX_SCALE)
    throw new WorkbenchException('invalid-request', `--scale: expected a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${JSON.stringify(v)}`);
  return x;
}

async function writeFiles(dir: string, files: { name: string; data: Uint8Array }[]): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw new WorkbenchException('io-error', `--out: cannot create ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  });
  const written: string[] = [];
  for (const f of files) {
    const p = path.resolve(dir, f.name);
    await writeOutputFile(p, f.data);
    written.push(p);
  }
  return written;
}

const noRuns = (label: string): WorkbenchException => new WorkbenchException('invalid-request', `${label}: the folders hold no runs`);

/** The runs of RUN_DIR arguments: a run folder, or a session or sweep folder for all of its runs. */
async function runsOf(dirs: readonly string[]): Promise<RunData[]> {
  const { runs } = await readRunsOrSessions(dirs, 'RUN_DIR');
  if (runs.length === 0) throw noRuns('RUN_DIR');
  return runs;
}

function report(json: boolean | undefined, files: string[], extra: Record<string, unknown> = {}): void {
  if (json) printJson({ files, ...extra });
  else for (const f of files) out(f);
}

/** Registers `export` and its subcommands on the program. */
export function register(p: Command, _state: CliState): void {
  const e = p.command('export').description('export runs: metrics and spectra as CSV, figures as SVG/PNG, an HTML report, arrays as .npy');

  e.command('csv')
    .description('the metrics of one or more runs in one CSV: run_id,step,metric,value, then the config fields that differ')
    .argument('<RUN_DIR...>', 'run folders (a session or sweep folder: all of its runs)')
    .requiredOption('--out <FILE.csv>', 'the CSV file to write')
    .option('--wide', 'one row per run and step, one column per metric')
    .option('--json', 'print only JSON ({"files": [...]})')
    .action(async (dirs: string[], o: { out: string; wide?: boolean; json?: boolean }) => {
      const runs = await runsOf(dirs);
      await writeOutputFile(o.out, metricsCsv(runs, { wide: o.wide === true }));
      report(o.json, [path.resolve(o.out)], { runs: runs.map((r) => r.runId) });
    });

  e.command('spectra')
    .description('the spectra of runs as CSV: run_id,step,kind,index,value (kind: spectrum, spectralBias, hInfinity)')
    .argument('<RUN_DIR...>', 'run folders (a session or sweep folder: all of its runs)')
    .requiredOption('--out <FILE.csv>', 'the CSV file to write')
    .option('--json', 'print only JSON')
    .action(async (dirs: string[], o: { out: string; json?: boolean }) => {
      const runs = await runsOf(dirs);
      await writeOutputFile(o.out, spectraCsv(runs));
      report(o.json, [path.resolve(o.out)]);
    });

  e.command('figures')
    .description('every chart of the runs as a publication figure, one file per chart (runs overlaid where they can be)')
    .argument('<RUN_DIR...>', 'run folders (a session or sweep folder: all of its runs)')
    .requiredOption('--out <DIR>', 'folder to write the figures into')
    .addOption(new Option('--format <fmt>', 'file format').choices(['svg', 'png']).default('svg'))
    .option('--scale <S>', `PNG scale, ${MIN_SCALE} to ${MAX_SCALE}`, scaleArg, 2)
    .option('--json', 'print only JSON')
    .action(async (dirs: string[], o: { out: string; format: 'svg' | 'png'; scale: number; json?: boolean }) => {
      const runs = await runsOf(dirs);
      const files = exportFigures(runs, { format: o.format, scale: o.scale });
      report(o.json, await writeFiles(o.out, files));
    });

  e.command('report')
    .description('one self-contained HTML file: config table, theory values, figures (inline SVG), provenance')
    .argument('<RUN_OR_SESSION_DIR...>', 'run folders, session folders or sweep folders (sweep.json: the runs of its cells)')
    .requiredOption('--out <FILE.html>', 'the HTML file to write')
    .option('--json', 'print only JSON')
    .action(async (dirs: string[], o: { out: string; json?: boolean }) => {
      const { runs, sessions } = await readRunsOrSessions(dirs, 'RUN_OR_SESSION_DIR');
      if (runs.length === 0) throw noRuns('RUN_OR_SESSION_DIR');
      await writeOutputFile(o.out, buildReport(runs, { sessions, appVersion: APP_VERSION }));
      report(o.json, [path.resolve(o.out)]);
    });

  e.command('npy')
    .description('kept parameters (W0, V0, W, V) and spectra of a run as .npy files (np.load opens each)')
    .argument('<RUN_DIR>', 'a run folder')
    .requiredOption('--out <DIR>', 'folder to write the .npy files into')
    .option('--json', 'print only JSON')
    .action(async (dir: string, o: { out: string; json?: boolean }) => {
      const run = await readRunFolder(dir);
      const arrays = await runArrays(run);
      report(o.json, await writeFiles(o.out, arrays.files), { notes: arrays.notes });
      if (!o.json) for (const n of arrays.notes) out(`note: ${n}`);
    });
}
