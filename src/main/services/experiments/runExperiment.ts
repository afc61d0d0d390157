/**
 * Runs an experiment preset into a folder: its cells through the sweep runner (`runs/<cellId>/`, state in
 * `sweep.json`, resumable), then its analysis, written as `data.csv` (tidy), `summary.json`
 * (`{experiment, claim, quick, holds, numbers}`) and its figures as SVG (`figures/<name>.svg`).
 * The same function serves the CLI (`experiment`) and the app.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PRESETS, presetParams, type ExperimentParams, type ExperimentSummary, type PresetId } from '../../../shared/experiments/presets';
import { buildExperimentOption, type ExperimentFigure } from '../../../shared/charts/experiments';
import { publicationStyle, figureHeight, FIGURE_WIDTH, FIGURE_HEIGHT } from '../../../shared/charts/publication';
import { WorkbenchException } from '../../../shared/api/result';
import { csvCell, csvNumber } from '../../../shared/export/csv';
import { toScriptJson } from '../../../shared/json';
import { EngineHost, type WorkerLocator } from '../engineHost';
import { realFs, writeFileAtomicSync, writeJsonAtomicSync } from '../fsAtomic';
import { localExecutor, type CellExecutor } from '../sweeps/executor';
import { SweepRunner, defaultJobs, sweepFolder, type SweepProgress, type SweepSummary } from '../sweeps/runner';
import { EXPERIMENTS, type CellView } from './definitions';
import { renderSvg, measureText } from '../export/figures';

export interface RunExperimentOptions {
  preset: PresetId;
  quick: boolean;
  outDir: string;
  /** edits of the preset's parameters */
  params?: Partial<ExperimentParams>;
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  worker?: WorkerLocator;
  /** default: the local executor (one engine worker per job) */
  executor?: CellExecutor;
}

export interface ExperimentResult {
  summary: ExperimentSummary;
  sweep: SweepSummary;
  files: string[];
  figures: ExperimentFigure[];
  /** true when the sweep was cancelled before every cell ended (then nothing is analysed) */
  cancelled: boolean;
}

/** The tidy CSV of rows (RFC 4180 quoting; numbers at full precision; null as empty). */
export function rowsToCsv(columns: readonly string[], rows: readonly Record<string, string | number | null>[]): string {
  const cell = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : typeof v === 'number' ? csvNumber(v) : csvCell(v));
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** Runs a preset (see the module doc). Throws 'invalid-request' for bad parameters or a folder holding something else. */
export async function runExperiment(o: RunExperimentOptions): Promise<ExperimentResult> {
  const preset = PRESETS[o.preset];
  const def = EXPERIMENTS[preset.experiment];
  let params: ExperimentParams;
  try {
    params = presetParams(o.preset, o.quick, o.params ?? {});
  } catch (e) {
    throw new WorkbenchException('invalid-request', `${o.preset}: ${(e as Error).message}`);
  }
  const out = path.resolve(o.outDir);
  await checkOutDir(out, o.preset);
  await fsp.mkdir(out, { recursive: true });
  const host = new EngineHost({ ...(o.worker ? { worker: o.worker } : {}), threads: availableParallelism() });
  const executor = o.executor ?? localExecutor({ ...(o.worker ? { worker: o.worker } : {}) });
  try {
    const prep = def.prepare ? await def.prepare(params, host) : {};
    const cells = def.cells(params, prep);
    writeJsonAtomicSync(realFs, path.join(out, 'experiment.json'), {
      schemaVersion: 1,
      preset: o.preset,
      experiment: preset.experiment,
      quick: o.quick,
      params,
      prep,
    });
    const runner = new SweepRunner({
      name: o.preset,
      ...sweepFolder(out),
      cells,
      executor,
      jobs: o.jobs ?? defaultJobs(),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const sweep = await runner.run();
    const byId = new Map(sweep.cells.map((c) => [c.id, c]));
    const seen = new Set<string>();
    const views: CellView[] = [];
    for (const cell of cells) {
      if (seen.has(cell.id)) continue;
      seen.add(cell.id);
      views.push({ cell, record: byId.get(cell.id)!, dir: path.join(out, 'runs', cell.id) });
    }
    const summaryBase = { experiment: o.preset, claim: preset.claim, quick: o.quick };
    if (sweep.cancelled) {
      return {
        summary: { ...summaryBase, holds: false, numbers: { cancelled: true, pending: sweep.pending } },
        sweep,
        files: [],
        figures: [],
        cancelled: true,
      };
    }
    const a = await def.analyze({ params, quick: o.quick, cells: views, host, prep });
    const failedCells = views.filter((v) => v.record.state === 'failed' && v.record.outcome?.errorCode !== 'run-diverged');
    const numbers = {
      ...a.numbers,
      cells: views.length,
      ...(failedCells.length ? { failedCells: failedCells.map((v) => ({ id: v.cell.id, point: v.cell.point, reason: v.record.outcome?.reason })) } : {}),
    };
    const summary: ExperimentSummary = { ...summaryBase, holds: a.holds, numbers };
    const files: string[] = [];
    const csvFile = path.join(out, 'data.csv');
    writeFileAtomicSync(realFs, csvFile, rowsToCsv(a.columns, a.rows));
    files.push(csvFile);
    await fsp.mkdir(path.join(out, 'figures'), { recursive: true });
    for (const fig of a.figures) {
      const option = buildExperimentOption(fig, 'light');
      const height = figureHeight(option, FIGURE_WIDTH, FIGURE_HEIGHT, measureText);
      const file = path.join(out, 'figures', `${fig.name}.svg`);
      writeFileAtomicSync(
        realFs,
        file,
        renderSvg(publicationStyle(option, { theme: 'light', width: FIGURE_WIDTH, height, measure: measureText }), FIGURE_WIDTH, height),
      );
      files.push(file);
    }
    // The figures as data, for the app to draw them again with its own theme.
    writeJsonAtomicSync(realFs, path.join(out, 'figures', 'figures.json'), toScriptJson(a.figures));
    const summaryFile = path.join(out, 'summary.json');
    writeJsonAtomicSync(realFs, summaryFile, toScriptJson(summary));
    files.push(summaryFile);
    return { summary, sweep, files, figures: a.figures, cancelled: false };
  } finally {
    await executor.dispose();
    await host.dispose();
  }
}

/** Where the app keeps the session its runs are linked into (manager.ts); written before the experiment's files. */
export const SESSION_LINK_FILE = 'session-link.json';

/** The out folder must be absent, empty, or an earlier run of the same preset (then it is resumed). */
async function checkOutDir(out: string, preset: PresetId): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new WorkbenchException('invalid-request', `--out: ${out} is not a folder`);
    throw new WorkbenchException('io-error', `--out: cannot read ${out}: ${(e as Error).message}`);
  }
  // The app's link to the session of the experiment's runs (manager.ts) may come before the experiment.
  if (entries.filter((e) => e !== SESSION_LINK_FILE).length === 0) return;
  try {
    const meta = JSON.parse(await fsp.readFile(path.join(out, 'experiment.json'), 'utf8')) as { preset?: string };
    if (meta.preset === preset) return;
    throw new WorkbenchException('invalid-request', `--out: ${out} holds experiment ${String(meta.preset)}, not ${preset}; choose another folder`);
  } catch (e) {
    if (e instanceof WorkbenchException) throw e;
    throw new WorkbenchException('invalid-request', `--out: ${out} is not empty and holds no experiment; choose an empty or new folder`);
  }
}
