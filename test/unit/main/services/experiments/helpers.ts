/** Runs a preset at its quick size into a temporary folder and reads back what it wrote. */
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runExperiment } from '../../../../../src/main/services/experiments/runExperiment';
import type { ExperimentSummary, PresetId } from '../../../../../src/shared/experiments/presets';

export interface QuickRun {
  dir: string;
  summary: ExperimentSummary;
  /** data.csv as header and rows */
  header: string[];
  rows: string[][];
  figures: string[];
}

const dirs: string[] = [];

/** Runs `preset --quick` with 2 jobs; the fixed seeds are the preset's. */
export async function quick(preset: PresetId): Promise<QuickRun> {
  const dir = mkdtempSync(path.join(tmpdir(), `exp-${preset}-`));
  dirs.push(dir);
  await runExperiment({ preset, quick: true, outDir: dir, jobs: 2 });
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as ExperimentSummary;
  const lines = readFileSync(path.join(dir, 'data.csv'), 'utf8').trim().split('\n');
  const figures = existsSync(path.join(dir, 'figures')) ? readdirSync(path.join(dir, 'figures')) : [];
  return { dir, summary, header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')), figures };
}

/** Removes the folders of {@link quick}. */
export function cleanUp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The column `name` of a run's data.csv as numbers. */
export function column(r: QuickRun, name: string): number[] {
  const k = r.header.indexOf(name);
  if (k < 0) throw new Error(`no column ${name} in ${r.header.join(',')}`);
  return r.rows.map((row) => Number(row[k]));
}
