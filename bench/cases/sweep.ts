/**
 * Case `sweep-e5`: throughput of the local sweep runner on the E5 quick grid (issue 16): cells per minute
 * with 1 and 2 jobs, each job keeping its engine worker across cells; and, for comparison, the time per cell
 * when every cell starts a fresh worker (`train`'s path). NumPy has no counterpart: numpy_ms and ratio are null.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../../src/main/services/experiments/runExperiment';
import { EXPERIMENTS } from '../../src/main/services/experiments/definitions';
import { presetParams } from '../../src/shared/experiments/presets';
import { driveRun } from '../../src/main/services/runDriver';
import { EngineHost } from '../../src/main/services/engineHost';
import type { BenchRow } from './gd';

/** Runs the case: the E5 quick grid (with --quick: one seed and three widths) at 1 and 2 jobs. */
export async function sweepCases(opts: { quick: boolean; log: (m: string) => void }): Promise<BenchRow[]> {
  const params = opts.quick ? { seeds: [0], widths: [8, 16, 32] } : {};
  const rows: BenchRow[] = [];
  const cellsOf = EXPERIMENTS.E5.cells(presetParams('E5', true, params), {});
  for (const jobs of [1, 2]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-sweep-'));
    try {
      const t0 = performance.now();
      const res = await runExperiment({ preset: 'E5', quick: true, outDir: dir, params, jobs });
      const ms = performance.now() - t0;
      const perMinute = (res.sweep.finished + res.sweep.failed) / (ms / 60_000);
      opts.log(
        `sweep-e5 jobs=${jobs}: ${cellsOf.length} cells in ${(ms / 1000).toFixed(1)} s (${perMinute.toFixed(1)} cells/min), verdict ${res.summary.holds ? 'holds' : 'does not hold'}`,
      );
      rows.push({
        case: 'sweep-e5',
        n: 16,
        d: 8,
        m: 0,
        backend: 'auto',
        dtype: 'float64',
        ours_ms: ms,
        numpy_ms: null,
        ratio: null,
        jobs,
        cells: cellsOf.length,
        cells_per_minute: perMinute,
        ms_per_cell: ms / cellsOf.length,
        note: 'E5 quick grid through the sweep runner, one kept engine worker per job; no NumPy counterpart',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  // The same kind of cell with a fresh worker each (the path of `ntk-workbench train`), a few cells.
  const sample = cellsOf.slice(0, 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-fresh-'));
  try {
    const t0 = performance.now();
    // The host starts a fresh worker for every run (the path of `train`).
    const host = new EngineHost({ threads: 1 });
    try {
      for (const c of sample) if (c.work.kind === 'train') await driveRun({ config: c.work.config, runDir: path.join(dir, c.id), engine: host });
    } finally {
      await host.dispose();
    }
    const ms = (performance.now() - t0) / sample.length;
    opts.log(`sweep-e5 fresh worker per cell: ${ms.toFixed(0)} ms per cell`);
    rows.push({
      case: 'sweep-e5-fresh-worker',
      n: 16,
      d: 8,
      m: 0,
      backend: 'auto',
      dtype: 'float64',
      ours_ms: ms,
      numpy_ms: null,
      ratio: null,
      jobs: 1,
      cells: sample.length,
      ms_per_cell: ms,
      note: 'first cells of the grid, each in a fresh engine worker (for comparison with the kept workers above)',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
