/**
 * Case `run-table` (issue 15): listing 1,000 runs for the run table. Writes 1,000 synthetic finished runs in
 * 10 sessions (run folder format v1, 200 metrics records each with tracked eigenvalues), then times
 * `RunTable.list()`: once cold (every summary.json missing, so each is rebuilt from the run's files and
 * written) and then warm (from the summaries, the case that has to stay fast; median of the repeats). For
 * scale, `SessionStore.listAllRuns()` (the Runs tab's listing before the run table: it reads every
 * config.json and the tail of every metrics file) is timed on the same folder. NumPy has no counterpart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunTable } from '../../src/main/services/runs/runTable';
import { SessionStore } from '../../src/main/services/sessionStore';
import { defaultConfig } from '../../src/shared/config/schema';
import { metricLine } from '../../src/shared/run/format';
import type { BenchRow } from './gd';

/** A warm listing of 1,000 runs above this is a regression. */
export const RUN_TABLE_BUDGET_MS = 1000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function writeRuns(dir: string, runs: number, records: number): void {
  const sessions = 10;
  for (let s = 0; s < sessions; s++) {
    const sdir = path.join(dir, 'sessions', `s-${s}`);
    fs.mkdirSync(path.join(sdir, 'runs'), { recursive: true });
    const now = '2024-01-01T00:00:00.000Z';
    fs.writeFileSync(
      path.join(sdir, 'session.json'),
      JSON.stringify({ schemaVersion: 1, sessionId: `s-${s}`, name: `Session ${s}`, createdAt: now, updatedAt: now }),
    );
  }
  for (let i = 0; i < runs; i++) {
    const runId = `run-${String(i).padStart(5, '0')}`;
    const rdir = path.join(dir, 'sessions', `s-${i % sessions}`, 'runs', runId);
    fs.mkdirSync(rdir);
    const config = {
      ...defaultConfig(),
      regime: (['joint', 'weak', 'decoder', 'tied'] as const)[i % 4],
      seed: i,
      hiddenWidth: 2 ** (4 + (i % 6)),
      steps: records - 1,
    };
    const startedAt = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
    fs.writeFileSync(
      path.join(rdir, 'config.json'),
      JSON.stringify({
        schemaVersion: 1,
        runId,
        config,
        appVersion: '0.1.0',
        backend: 'onnx',
        dtype: 'float32',
        startedAt,
        machine: { platform: 'linux', arch: 'x64', cpus: 2, node: process.version },
      }),
    );
    let text = '';
    for (let k = 0; k < records; k++) {
      text += metricLine({
        step: k,
        loss: 2 * 0.99 ** k,
        lossRatio: 0.99 ** k,
        testLoss: 3 * 0.99 ** k,
        wallMs: k * 3,
        ...(k % 10 === 0 ? { tracked: { eigMin: [0.1, 0.2, 0.3], eigMax: [5, 4, 3], weightMoveW: k / 1e4, kernelDistance: k / 1e3 } } : {}),
      });
    }
    fs.writeFileSync(path.join(rdir, 'metrics.ndjson'), text);
    fs.writeFileSync(
      path.join(rdir, 'status.json'),
      JSON.stringify({ schemaVersion: 1, status: 'finished', reason: 'completed', lastStep: records - 1, updatedAt: startedAt, finishedAt: startedAt }),
    );
  }
}

/** Runs the case: 1,000 runs (100 with --quick). */
export async function runTableCase(opts: { quick: boolean; repeats: number; log: (m: string) => void }): Promise<BenchRow> {
  const runs = opts.quick ? 100 : 1000;
  const records = 200;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-runtable-'));
  try {
    writeRuns(dir, runs, records);
    const table = new RunTable(dir);
    let t0 = performance.now();
    const cold = await table.list();
    const coldMs = performance.now() - t0;
    if (cold.length !== runs) throw new Error(`run-table: listed ${cold.length} runs, expected ${runs}`);
    const warm: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      await new Promise((res) => setTimeout(res, 100));
      t0 = performance.now();
      const rows = await new RunTable(dir).list();
      warm.push(performance.now() - t0);
      if (rows.length !== runs) throw new Error(`run-table: listed ${rows.length} runs, expected ${runs}`);
    }
    const filtered: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      t0 = performance.now();
      await new RunTable(dir).list({ filter: 'regime = joint and hiddenWidth >= 64 and lossRatio < 0.5' });
      filtered.push(performance.now() - t0);
    }
    t0 = performance.now();
    const old = await new SessionStore(dir).listAllRuns();
    const storeMs = performance.now() - t0;
    if (old.length !== runs) throw new Error(`run-table: the session store listed ${old.length} runs, expected ${runs}`);
    const warmMs = median(warm);
    opts.log(
      `run-table: ${runs} runs, cold (rebuilding every summary) ${coldMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms, filtered ${median(filtered).toFixed(0)} ms, session store ${storeMs.toFixed(0)} ms`,
    );
    return {
      case: 'run-table',
      n: runs,
      d: 0,
      m: 0,
      backend: '-',
      dtype: 'float64',
      ours_ms: Math.round(warmMs * 10) / 10,
      numpy_ms: null,
      ratio: null,
      runs,
      records_per_run: records,
      cold_ms: Math.round(coldMs),
      filtered_ms: Math.round(median(filtered) * 10) / 10,
      session_store_ms: Math.round(storeMs),
      bound_ms: RUN_TABLE_BUDGET_MS,
      within_bound: warmMs <= RUN_TABLE_BUDGET_MS,
      note: `RunTable.list() of ${runs} runs from their summary files (ours_ms = warm median; cold_ms rebuilds every summary); budget ${RUN_TABLE_BUDGET_MS} ms`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
