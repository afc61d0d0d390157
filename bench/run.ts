/**
 * `npm run bench`: our fused trainer and eigen-solvers against the same work in NumPy, measured in the same
 * run. A human table by default; `--json` prints ONLY one JSON line per case on stdout (logs go to stderr).
 *
 *   npm run bench -- [--json] [--quick] [--cases gd-step-joint,gd-step-weak,ntk-traced,eig,figures,related,ui,checkpoint-pressure,run-e2e,sweep,sweep-distributed,run-table]
 *                    [--repeats N] [--threads T] [--js] [--eig-sizes 1000,2000] [--backend auto|onnx-cuda|onnx|…]
 *
 * The `related` cases time the recurrent NTK Gram against T and n and the random-feature NTK Gram against the
 * exact one as n grows (bench/cases/related.ts, NumPy side bench/numpy_related.py).
 *
 * The `ui` case reports the responsiveness figures the browser E2E test measured last
 * (test-results/responsiveness.json: frames per second while an n=1000, m=10000 run trains, the
 * click-on-Pause-to-paused time, and the time from the click on Run to step 0 on the loss chart). The
 * `run-e2e` case times a whole `ntk-workbench train` run (n = 1000, d = 100,
 * m = 10000, float32, 50 steps, tracked every 10) against bench/numpy_run.py: wall time, time to the first
 * record, time per tracked step and peak memory (bench/cases/runE2e.ts). The `checkpoint-pressure` case measures the service's `app:info` latency
 * while a run checkpoints after every step (bench/cases/checkpointPressure.ts). The `sweep` case reports cells per
 * minute of the E5 quick grid with 1 and 2 jobs (bench/cases/sweep.ts). The `sweep-distributed`
 * case gives cells per minute of one small sweep on the local queue and on BullMQ + Redis (bench/cases/distributed.ts).
 * The `run-table` case times the run table's listing of 1,000 runs from their summary files
 * (bench/cases/runTable.ts).
 *
 * Our side runs as the app and the CLI run the engine: with huge pages for large blocks (the bench re-runs
 * itself with them, scripts/huge-pages.mjs); the NumPy scripts run without them, as a researcher's shell runs
 * them (bench/pyServer.ts, numpyEnv).
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BACKENDS, type BackendChoice, type Dtype } from '../src/shared/config/schema';
import { loadBackend } from '../src/main/engine/backends/select';
import type { ComputeBackend } from '../src/main/engine/backends/types';
import { gdCases, type BenchRow, type GdCaseName, type NumpyTimer } from './cases/gd';
import { startPyServer } from './pyServer';
import { checkpointPressureCase } from './cases/checkpointPressure';
import { relatedCases } from './cases/related';
import { runE2eCase } from './cases/runE2e';
import { sweepCases } from './cases/sweep';
import { distributedCases } from './cases/distributed';
import { runTableCase } from './cases/runTable';
import { rerunWithHugePages } from '../scripts/huge-pages.mjs';

await rerunWithHugePages([join(dirname(fileURLToPath(import.meta.url)), '../bin/run-ts.mjs'), fileURLToPath(import.meta.url), ...process.argv.slice(2)]);

const GD_CASES: GdCaseName[] = ['gd-step-joint', 'gd-step-weak', 'ntk-traced'];
const ALL_CASES = [...GD_CASES, 'eig', 'figures', 'related', 'ui', 'checkpoint-pressure', 'run-e2e', 'sweep', 'sweep-distributed', 'run-table'];

const program = new Command()
  .name('bench')
  .option('--json', 'only JSON lines on stdout, one per case')
  .option('--quick', 'tiny sizes (a smoke run)')
  .option('--cases <list>', `comma-separated: ${ALL_CASES.join(',')}`, ALL_CASES.join(','))
  .option('--repeats <n>', 'repeats per case (median)', '5')
  .option('--threads <n>', "threads of the native backend and of the eig cases' large products (default: all cores, as NumPy uses)")
  .option('--js', 'also measure the plain-TypeScript float64 backend (small cases only)')
  .option('--eig-sizes <list>', 'matrix sizes of the eig cases')
  .option('--backend <name>', `backend of the GD/NTK cases: ${BACKENDS.join(', ')}`, 'auto');
program.parse();
const o = program.opts<{
  json?: boolean;
  quick?: boolean;
  cases: string;
  repeats: string;
  threads?: string;
  js?: boolean;
  eigSizes?: string;
  backend: string;
}>();

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const cases = o.cases
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
for (const c of cases) if (!ALL_CASES.includes(c)) program.error(`--cases: unknown case '${c}' (expected ${ALL_CASES.join(', ')})`);
const repeats = Number(o.repeats);
if (!Number.isInteger(repeats) || repeats < 1) program.error(`--repeats: expected an integer ≥ 1, got ${o.repeats}`);
const threads = o.threads === undefined ? availableParallelism() : Number(o.threads);
const quick = o.quick === true;
if (!(BACKENDS as readonly string[]).includes(o.backend)) program.error(`--backend: unknown backend '${o.backend}' (expected ${BACKENDS.join(', ')})`);
const backendChoice = o.backend as BackendChoice;

/** Starts numpy_gd.py --serve (see pyServer.ts); without python3/NumPy the rows carry a note instead. */
async function startNumpy(): Promise<{ timer: NumpyTimer | null; note: string; info: Record<string, unknown>; stop: () => void }> {
  try {
    const { server, info } = await startPyServer('numpy_gd.py');
    const timer: NumpyTimer = {
      setup: async (p) => void (await server.ask({ op: 'setup', ...p })),
      time: async () => Number((await server.ask({ op: 'time' })).ms),
    };
    return { timer, note: '', info, stop: () => server.stop() };
  } catch (err) {
    return {
      timer: null,
      note: `numpy not measured (python3 with numpy is needed): ${err instanceof Error ? err.message : String(err)}`,
      info: {},
      stop: () => undefined,
    };
  }
}

type EigCasesFn = (opts: { sizes: number[]; repeats: number; log: (msg: string) => void; threads?: number }) => Promise<Array<Record<string, unknown>>>;

/** "spectra"'s eig cases, imported dynamically so that the harness runs without them. */
async function loadEigCases(): Promise<{ eigCases: EigCasesFn | null; missing: string }> {
  try {
    const mod = (await import('./cases/' + 'eig')) as { eigCases?: EigCasesFn };
    if (typeof mod.eigCases !== 'function') return { eigCases: null, missing: 'bench/cases/eig.ts exports no eigCases()' };
    return { eigCases: mod.eigCases, missing: '' };
  } catch (err) {
    return { eigCases: null, missing: `bench/cases/eig.ts is not available: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

function machine(): Record<string, unknown> {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` };
}

const rows: BenchRow[] = [];
const emit = (r: BenchRow) => {
  rows.push(r);
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
};

const numpy = await startNumpy();
const m = machine();
log(
  `machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, node ${m.node}; numpy ${String(numpy.info.numpy ?? 'missing')} (${String(numpy.info.blas ?? '-')}); ours with ${threads} thread(s)`,
);
if (numpy.timer === null) log(numpy.note);

try {
  const gd = cases.filter((c): c is GdCaseName => (GD_CASES as string[]).includes(c));
  if (gd.length > 0) {
    const backends: Array<{ backend: ComputeBackend; dtype: Dtype }> = [];
    let reference: ComputeBackend | null = null;
    for (const dtype of ['float32', 'float64'] as const) {
      let backend: ComputeBackend;
      try {
        ({ backend } = await loadBackend(backendChoice, dtype, { log, threads }));
      } catch (err) {
        // A pinned backend without this dtype (wasm has no float64): its rows are left out, and said so.
        log(`${dtype} cases skipped: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      backends.push({ backend, dtype });
      if (dtype === 'float64') reference = backend;
    }
    if (o.js === true) backends.push({ backend: (await loadBackend('js', 'float64')).backend, dtype: 'float64' });
    for (const r of await gdCases({ cases: gd, backends, reference, repeats, quick, numpy: numpy.timer, numpyNote: numpy.note, log, jsLimit: 5e7 })) {
      emit(r);
    }
  }
  if (cases.includes('eig')) {
    const sizes = o.eigSizes !== undefined ? o.eigSizes.split(',').map(Number) : quick ? [64] : [1000, 2000];
    const { eigCases, missing } = await loadEigCases();
    if (eigCases === null) {
      emit({ case: 'eig', n: 0, d: 0, m: 0, backend: '-', dtype: 'float64', ours_ms: null, numpy_ms: null, ratio: null, note: missing });
    } else {
      for (const r of await eigCases({ sizes, repeats, log, threads })) emit(r as BenchRow);
    }
  }
  if (cases.includes('figures')) {
    const { figureCases } = await import('./cases/figures');
    for (const r of figureCases({ repeats, quick, log })) emit(r);
  }
  if (cases.includes('related')) {
    for (const r of await relatedCases({ quick, repeats, log })) emit(r as BenchRow);
  }
  if (cases.includes('ui')) {
    const file = join(dirname(fileURLToPath(import.meta.url)), '../test-results/responsiveness.json');
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      emit({
        case: 'ui-responsiveness',
        n: Number(r.n ?? 1000),
        d: Number(r.d ?? 100),
        m: Number(r.m ?? 10000),
        backend: String(r.backend ?? '-'),
        dtype: 'float32',
        ours_ms: null,
        numpy_ms: null,
        ratio: null,
        fps: r.fps,
        pause_ms: r.pauseMs,
        first_point_ms: r.firstPointMs ?? null,
        first_record_ms: r.firstRecordMs ?? null,
        measured_at: statSync(file).mtime.toISOString(),
        note: "measured by test/e2e/ui.e2e.ts (targets: ≥ 30 fps, ≤ 200 ms to pause, ≤ 1000 ms from Run to step 0 drawn: first_point_ms; first_record_ms is step 0's record)",
      } as BenchRow);
    } catch {
      emit({
        case: 'ui-responsiveness',
        n: 1000,
        d: 100,
        m: 10000,
        backend: '-',
        dtype: 'float32',
        ours_ms: null,
        numpy_ms: null,
        ratio: null,
        note: 'no measurement yet: run `npm test -- e2e` (test/e2e/ui.e2e.ts writes test-results/responsiveness.json)',
      } as BenchRow);
    }
  }
  if (cases.includes('checkpoint-pressure')) emit(await checkpointPressureCase({ quick, log }));
  if (cases.includes('run-e2e')) emit(await runE2eCase({ quick, repeats, log, ...(o.threads !== undefined ? { threads } : {}) }));
  if (cases.includes('sweep')) for (const r of await sweepCases({ quick, log })) emit(r);
  if (cases.includes('sweep-distributed')) for (const r of await distributedCases({ quick, log })) emit(r);
  if (cases.includes('run-table')) emit(await runTableCase({ quick, repeats, log }));
} finally {
  numpy.stop();
}

if (!o.json) {
  const cols = [
    'case',
    'n',
    'd',
    'm',
    'T',
    'readout',
    'backend',
    'dtype',
    'ours_ms',
    'numpy_ms',
    'ratio',
    'max_rel_err',
    'exact_ms',
    'p95_ms',
    'stop_ms',
    'first_record_ms',
    'first_record_run_ms',
    'first_point_ms',
    'first_point_run_ms',
    'tracked_step_ms',
    'peak_rss_mib',
    'queue',
    'jobs',
    'cells_per_min',
    'vs_local',
    'note',
  ];
  const cell = (v: unknown) => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const table = [cols, ...rows.map((r) => cols.map((c) => cell(r[c])))];
  const widths = cols.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  for (const r of table)
    process.stdout.write(
      `${r
        .map((c, k) => c.padEnd(widths[k]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  process.stdout.write(
    `\nmachine: ${m.cpu}, ${m.cores} cores; ours: ${threads} thread(s); ratio = numpy_ms / ours_ms (above 1 = faster than NumPy); median of ${repeats}\n`,
  );
}
