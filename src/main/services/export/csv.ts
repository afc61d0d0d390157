/**
 * CSV files of run folders (formats in src/shared/export/csv.ts): the metrics of one or more runs in long
 * or wide format, and their spectra.
 */
import { readTheory } from '../../../shared/charts/theory';
import { runsToLongCsv, runsToWideCsv, spectraToCsv, type CsvRun } from '../../../shared/export/csv';
import type { RunData } from './runData';

function csvRun(r: RunData): CsvRun {
  return { runId: r.runId, config: r.config.config as Record<string, unknown>, records: r.records };
}

/** The metrics CSV of runs: long format (`run_id,step,metric,value`, …) or, with `wide`, one column per metric. */
export function metricsCsv(runs: readonly RunData[], opts: { wide?: boolean } = {}): string {
  const rows = runs.map(csvRun);
  return opts.wide ? runsToWideCsv(rows) : runsToLongCsv(rows);
}

/** The spectra CSV of runs (`run_id,step,kind,index,value`: empirical spectra, spectral bias, H∞ eigenvalues). */
export function spectraCsv(runs: readonly RunData[]): string {
  return spectraToCsv(runs.map((r) => ({ ...csvRun(r), hInfinity: readTheory(r.theory, r.config.config.regime).spectrum })));
}
