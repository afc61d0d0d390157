/**
 * Case `run-e2e` (issue 13): a whole run measured as a user runs it, `ntk-workbench train` in a fresh process,
 * against bench/numpy_run.py (the script a researcher would write instead: H∞ and its eigendecomposition for
 * η and the linearized curve, the GD steps, the traced NTK and its full float64 spectrum every K steps, the
 * loss every step), alternating ours and theirs as the other cases do; medians of the repeats.
 *
 * Both sides are timed from the spawn of their process (interpreter start-up included):
 *   wall_ms            until the process exits;
 *   first_record_ms    until the step-0 record is out (ours: the `step 0/…` progress line on stderr; theirs:
 *                      its first JSON line on stdout);
 *   first_record_run_ms (ours only) the step-0 record's own wallMs, i.e. from the run's start;
 *   first_point_ms     until step 0's loss is known (ours: the `initial loss …` line, L(θ₀) from the set-up's
 *                      meta, which the UI draws as step 0 before the record with H(0)'s eigenvalues; theirs:
 *                      its first JSON line, as first_record_ms);
 *   first_point_run_ms (ours only) the same from the run's start (the `set up in … s` of that line: what a UI
 *                      user waits after clicking Run, the engine being loaded there already);
 *   tracked_step_ms    mean time from the record before a tracked step to the tracked record (k = K, 2K, …);
 *   peak_rss_mib       the process's peak resident memory (ours: GNU time's %M, which covers the child the
 *                      command trains in, else the largest /proc VmHWM of the process tree last read;
 *                      theirs: getrusage in the script);
 *   cpu_ms             user + system CPU time of every thread (ours: GNU time's %U + %S, the command's child
 *                      included, null without GNU time; theirs: getrusage in the script at its end): on a machine
 *                      with few cores a whole run is bound by it, so it says how much of the wall-time gap is
 *                      work rather than waiting; cpu_ratio = ours/NumPy (as memory_ratio).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './gd';
import { numpyEnv } from '../pyServer';
import { withoutHugePages } from '../../scripts/huge-pages.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '../..');

/** The run of the issue (and a tiny one for --quick). */
export function runE2eSize(quick: boolean): { n: number; d: number; m: number; steps: number; trackEvery: number } {
  return quick ? { n: 40, d: 8, m: 500, steps: 20, trackEvery: 5 } : { n: 1000, d: 100, m: 10000, steps: 50, trackEvery: 10 };
}

interface SideResult {
  wallMs: number;
  firstRecordMs: number | null;
  firstRecordRunMs?: number | null;
  /** ours: spawn → the `initial loss …` line (L(θ₀) from the set-up's meta, drawn as step 0 by the UI) */
  firstPointMs?: number | null;
  /** ours: from the run's start to that meta (the `set up in … s` of that line) */
  firstPointRunMs?: number | null;
  trackedStepMs: number | null;
  peakRssMiB: number | null;
  cpuMs: number | null;
  theoryMs?: number | null;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};
const round = (x: number | null, digits = 1): number | null => (x === null ? null : Number(x.toFixed(digits)));

/** Mean of t(k) − t(k−1) over the tracked steps k > 0 of records [{step, t, tracked}]. */
function trackedStepMs(records: Array<{ step: number; t: number; tracked: boolean }>): number | null {
  const byStep = new Map(records.map((r) => [r.step, r]));
  const gaps: number[] = [];
  for (const r of records) {
    if (!r.tracked || r.step === 0) continue;
    const prev = byStep.get(r.step - 1);
    if (prev) gaps.push(r.t - prev.t);
  }
  return gaps.length === 0 ? null : gaps.reduce((a, b) => a + b, 0) / gaps.length;
}

/** VmHWM of a live process in MiB (Linux), null elsewhere or once it is gone. */
function vmHwmMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The largest VmHWM of `pid` and its descendants: `ntk-workbench train` runs in a child of the command
 * (bin/ntk-workbench.mjs, huge pages), and that child holds the memory.
 */
function treeHwmMiB(pid: number): number | null {
  let best = vmHwmMiB(pid);
  let kids: number[] = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no children file (older kernels): the process alone
  }
  for (const k of kids) {
    const h = treeHwmMiB(k);
    if (h !== null && (best === null || h > best)) best = h;
  }
  return best;
}

const GNU_TIME = '/usr/bin/time';

/** One `ntk-workbench train` run in a fresh process. */
async function oursOnce(configFile: string, outDir: string, threads: number | undefined): Promise<SideResult> {
  const rssFile = `${outDir}.rss`;
  const cli = [
    path.join(repo, 'bin/ntk-workbench.mjs'),
    'train',
    '--config',
    configFile,
    '--out',
    outDir,
    '--json',
    ...(threads !== undefined ? ['--threads', String(threads)] : []),
  ];
  const useTime = fs.existsSync(GNU_TIME);
  const [cmd, args] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...cli]] : [process.execPath, cli];
  const t0 = performance.now();
  // Started as from a shell: the command sets up its huge-pages child itself (bin/ntk-workbench.mjs).
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: withoutHugePages(process.env) });
  let firstRecordMs: number | null = null;
  let firstPointMs: number | null = null;
  let stderr = '';
  let hwm: number | null = null;
  const poll = setInterval(() => {
    // Without GNU time: the peak so far, read while the process lives (its last 50 ms can be missed).
    if (useTime || child.pid === undefined) return;
    const h = treeHwmMiB(child.pid);
    if (h !== null) hwm = Math.max(hwm ?? 0, h);
  }, 50);
  child.stderr.on('data', (b: Buffer) => {
    const s = b.toString();
    stderr += s;
    if (firstRecordMs === null && /(^|\n)step 0\//.test(stderr)) firstRecordMs = performance.now() - t0;
    if (firstPointMs === null && /(^|\n)initial loss /.test(stderr)) firstPointMs = performance.now() - t0;
  });
  child.stdout.resume();
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c ?? 1));
  });
  clearInterval(poll);
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`ntk-workbench train exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  let cpuMs: number | null = null;
  if (useTime) {
    // The last line is '%M %U %S' (earlier ones: a signal or exit status GNU time reports).
    const [kib, user, sys] = (fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '').split(/\s+/).map(Number);
    hwm = Number.isFinite(kib) ? kib! / 1024 : null;
    cpuMs = Number.isFinite(user) && Number.isFinite(sys) ? (user! + sys!) * 1000 : null;
  }
  const records = fs
    .readFileSync(path.join(outDir, 'metrics.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { step: number; wallMs: number; tracked?: unknown });
  const rec = records.map((r) => ({ step: r.step, t: r.wallMs, tracked: r.tracked !== undefined }));
  const setUp = /(^|\n)initial loss \S+ \(set up in ([\d.]+) s\)/.exec(stderr);
  const firstPointRunMs = setUp ? Number(setUp[2]) * 1000 : null;
  return {
    wallMs,
    firstRecordMs,
    firstRecordRunMs: rec[0]?.t ?? null,
    firstPointMs,
    firstPointRunMs,
    trackedStepMs: trackedStepMs(rec),
    peakRssMiB: hwm,
    cpuMs,
  };
}

/** One run of bench/numpy_run.py in a fresh process (throws when python3 or NumPy is missing). */
async function numpyOnce(size: ReturnType<typeof runE2eSize>): Promise<SideResult & { info: Record<string, unknown> }> {
  const env = numpyEnv();
  const t0 = performance.now();
  const child = spawn(
    'python3',
    [path.join(repo, 'bench/numpy_run.py'), String(size.n), String(size.d), String(size.m), String(size.steps), String(size.trackEvery), 'float32'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let firstRecordMs: number | null = null;
  let buf = '';
  let stderr = '';
  const rec: Array<{ step: number; t: number; tracked: boolean }> = [];
  let done: Record<string, unknown> | null = null;
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as { step?: number; tracked?: boolean; ms: number; done?: boolean };
      if (r.done) {
        done = r as Record<string, unknown>;
        continue;
      }
      firstRecordMs ??= performance.now() - t0;
      rec.push({ step: r.step!, t: r.ms, tracked: r.tracked === true });
    }
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c ?? 1));
  });
  const wallMs = performance.now() - t0;
  if (code !== 0 || done === null) throw new Error(`numpy_run.py exited ${code}: ${stderr.trim().split('\n').pop() ?? 'no output'}`);
  const d = done as Record<string, unknown>;
  const cpuMs = typeof d.cpu_s === 'number' ? d.cpu_s * 1000 : null;
  return { wallMs, firstRecordMs, trackedStepMs: trackedStepMs(rec), peakRssMiB: Number(d.peak_rss_kib) / 1024, cpuMs, info: { numpy: d.numpy, blas: d.blas } };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 500));

/** Runs the case: `repeats` runs of ours alternating with NumPy's; one row. */
export async function runE2eCase(opts: { quick: boolean; repeats: number; threads?: number; log: (m: string) => void }): Promise<BenchRow> {
  const size = runE2eSize(opts.quick);
  const { n, d, m, steps, trackEvery } = size;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-run-'));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      dataset: 'sphere',
      samples: n,
      testSamples: 0,
      inputDim: d,
      hiddenWidth: m,
      regime: 'joint',
      dtype: 'float32',
      steps,
      trackEvery,
      targetLossRatio: 0,
      seed: 0,
    }),
  );
  const row: BenchRow = {
    case: 'run-e2e',
    n,
    d,
    m,
    backend: '-',
    dtype: 'float32',
    ours_ms: null,
    numpy_ms: null,
    ratio: null,
    steps,
    track_every: trackEvery,
  };
  const ours: SideResult[] = [];
  const theirs: SideResult[] = [];
  let numpyNote = '';
  try {
    for (let r = 0; r < opts.repeats; r++) {
      await settle();
      opts.log(`run-e2e n=${n} d=${d} m=${m}: ours, repeat ${r + 1}/${opts.repeats} …`);
      ours.push(await oursOnce(configFile, path.join(dir, `run-${r}`), opts.threads));
      if (numpyNote !== '') continue;
      await settle();
      opts.log(`run-e2e: numpy, repeat ${r + 1}/${opts.repeats} …`);
      try {
        const t = await numpyOnce(size);
        theirs.push(t);
        row.numpy = t.info.numpy;
        row.blas = t.info.blas;
      } catch (err) {
        numpyNote = `numpy not measured (python3 with numpy is needed): ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const first = JSON.parse(fs.readFileSync(path.join(dir, 'run-0', 'config.json'), 'utf8')) as { backend?: string };
    row.backend = String(first.backend ?? '-');
    const med = (xs: SideResult[], f: (s: SideResult) => number | null | undefined) =>
      round(median(xs.map(f).filter((v): v is number => typeof v === 'number')));
    row.ours_ms = med(ours, (s) => s.wallMs);
    row.numpy_ms = med(theirs, (s) => s.wallMs);
    row.ratio = row.ours_ms !== null && row.numpy_ms !== null ? round(row.numpy_ms / row.ours_ms, 3) : null;
    row.first_record_ms = { ours: med(ours, (s) => s.firstRecordMs), numpy: med(theirs, (s) => s.firstRecordMs) };
    row.first_record_run_ms = med(ours, (s) => s.firstRecordRunMs);
    // The script's first record is its step-0 loss: the same point as our set-up's L(θ₀).
    row.first_point_ms = { ours: med(ours, (s) => s.firstPointMs), numpy: med(theirs, (s) => s.firstRecordMs) };
    row.first_point_run_ms = med(ours, (s) => s.firstPointRunMs);
    row.tracked_step_ms = { ours: med(ours, (s) => s.trackedStepMs), numpy: med(theirs, (s) => s.trackedStepMs) };
    row.peak_rss_mib = { ours: med(ours, (s) => s.peakRssMiB), numpy: med(theirs, (s) => s.peakRssMiB) };
    const pr = row.peak_rss_mib as { ours: number | null; numpy: number | null };
    row.memory_ratio = pr.ours !== null && pr.numpy !== null ? round(pr.ours / pr.numpy, 3) : null;
    const cpu = { ours: med(ours, (s) => s.cpuMs), numpy: med(theirs, (s) => s.cpuMs) };
    row.cpu_ms = cpu;
    row.cpu_ratio = cpu.ours !== null && cpu.numpy !== null ? round(cpu.ours / cpu.numpy, 3) : null;
    row.note = numpyNote !== '' ? numpyNote : 'targets: ratio ≥ 1.5, first_point_run_ms ≤ 1000 (step 0 drawn; its record follows), memory_ratio ≤ 1.5';
  } catch (err) {
    row.note = `failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return row;
}
