/**
 * Bench cases for the fused trainer: one GD step (joint, weak) and the traced NTK, ours against NumPy,
 * measured alternately (ours, NumPy, ours, …) so that machine noise hits both; median of the repeats.
 */
import type { Dtype, Regime } from '../../src/shared/config/schema';
import { createRng } from '../../src/main/engine/random';
import type { ComputeBackend, Trainer, TrainerSpec } from '../../src/main/engine/backends/types';
import { timeAlternating } from '../pyServer';

/** One result row (one JSON line of `npm run bench -- --json`). */
export interface BenchRow {
  case: string;
  n: number;
  d: number;
  m: number;
  backend: string;
  dtype: Dtype;
  ours_ms: number | null;
  numpy_ms: number | null;
  /** numpy_ms / ours_ms: above 1 = faster than NumPy */
  ratio: number | null;
  /** ‖ours − float64 reference‖∞ / ‖reference‖∞ of W after one step (or of H̄) */
  max_rel_err?: number;
  note?: string;
  [k: string]: unknown;
}

/** The NumPy side: a long-lived numpy_gd.py --serve process (null when python3/numpy are missing). */
export interface NumpyTimer {
  setup(p: { n: number; d: number; m: number; case: 'joint' | 'weak' | 'ntk'; dtype: Dtype }): Promise<void>;
  time(): Promise<number>;
}

export type GdCaseName = 'gd-step-joint' | 'gd-step-weak' | 'ntk-traced';

/** Sizes of each case (the list; --quick uses tiny ones). */
export function gdCaseSizes(name: GdCaseName, quick: boolean): Array<{ n: number; d: number; m: number }> {
  if (quick) return [{ n: 40, d: 8, m: 500 }];
  if (name === 'ntk-traced') return [{ n: 1000, d: 100, m: 10000 }];
  return [
    { n: 200, d: 20, m: 10000 },
    { n: 1000, d: 100, m: 10000 },
  ];
}

/** A seeded benchmark network: sphere data, Gaussian W, V, s = 1/√m, η = 1/n (stable: λ_max(H^∞) ≤ tr = n). */
export function benchSpec(n: number, d: number, m: number, regime: Regime, dtype: Dtype): TrainerSpec {
  const rng = createRng(0, 2);
  const X = new Float64Array(d * n);
  rng.fillNormal(X, 1);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let a = 0; a < d; a++) ss += X[a * n + i]! ** 2;
    for (let a = 0; a < d; a++) X[a * n + i]! /= Math.sqrt(ss);
  }
  const W0 = new Float64Array(m * d);
  const V0 = new Float64Array(d * m);
  rng.fillNormal(W0, 1);
  rng.fillNormal(V0, 1);
  return { X, d, n, m, scale: 1 / Math.sqrt(m), regime, etaW: 1 / n, etaV: 1 / n, lossWeight: 1, dtype, W0, V0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < b.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return num / den;
}

/** What one run of a case measures on a trainer (the traced NTK is timed on its own graph). */
async function prepare(t: Trainer, name: GdCaseName, n: number): Promise<() => Promise<unknown>> {
  if (name === 'ntk-traced') {
    // The first tracedNtk() also computes the next GD step (shared products) and keeps it pending; later
    // calls run the NTK-only graph, which is the work NumPy's figure measures. The kernel lands in one
    // reused buffer, as in a training run's kernel tracking (engine/training/tracker.ts).
    const H = new Float64Array(n * n);
    await t.tracedNtk(H);
    await t.tracedNtk(H);
    return () => t.tracedNtk(H);
  }
  await t.step(2);
  return () => t.step(1);
}

/** Options of {@link gdCases}. */
export interface GdCaseOptions {
  cases: GdCaseName[];
  /** backends to measure per dtype (the harness passes the fastest loadable one, and 'js' when asked) */
  backends: Array<{ backend: ComputeBackend; dtype: Dtype }>;
  /** float64 reference for max_rel_err (an onnx float64 or js float64 backend), null = skip */
  reference: ComputeBackend | null;
  repeats: number;
  quick: boolean;
  numpy: NumpyTimer | null;
  numpyNote: string;
  log: (msg: string) => void;
  /** largest m·n·d a plain-TypeScript backend is asked to run (it is ~50× slower) */
  jsLimit: number;
}

/** Runs the GD/NTK cases; one row per (case, size, backend, dtype). */
export async function gdCases(opts: GdCaseOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of opts.cases) {
    const regime: Regime = name === 'gd-step-weak' ? 'weak' : 'joint';
    for (const { n, d, m } of gdCaseSizes(name, opts.quick)) {
      for (const { backend, dtype } of opts.backends) {
        const row: BenchRow = { case: name, n, d, m, backend: backend.name, dtype, ours_ms: null, numpy_ms: null, ratio: null };
        rows.push(row);
        if (backend.name === 'js' && m * n * d > opts.jsLimit) {
          row.note = `skipped: m·n·d above ${opts.jsLimit} for the plain-TypeScript backend`;
          continue;
        }
        opts.log(`${name} n=${n} d=${d} m=${m} ${backend.name} ${dtype} …`);
        const spec = benchSpec(n, d, m, regime, dtype);
        const t = backend.createTrainer(spec);
        try {
          const run = await prepare(t, name, n);
          if (opts.numpy !== null) await opts.numpy.setup({ n, d, m, case: name === 'ntk-traced' ? 'ntk' : regime, dtype });
          const numpy = opts.numpy;
          const { ours, theirs: np } = await timeAlternating(opts.repeats, run, numpy === null ? null : () => numpy.time());
          row.ours_ms = round(median(ours));
          row.numpy_ms = np.length > 0 ? round(median(np)) : null;
          row.ratio = row.numpy_ms !== null && row.ours_ms > 0 ? round(row.numpy_ms / row.ours_ms, 3) : null;
          if (row.numpy_ms === null) row.note = opts.numpyNote;
          if (opts.reference !== null && !(opts.reference === backend && dtype === 'float64')) {
            row.max_rel_err = await referenceError(backend, opts.reference, spec, name);
          }
        } catch (err) {
          row.note = `failed: ${err instanceof Error ? err.message : String(err)}`;
        } finally {
          t.dispose();
        }
      }
    }
  }
  return rows;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** ‖·‖∞-relative error against the float64 reference: W after one step, or the traced NTK at θ₀. */
async function referenceError(backend: ComputeBackend, reference: ComputeBackend, spec: TrainerSpec, name: GdCaseName): Promise<number> {
  const a = backend.createTrainer(spec);
  const b = reference.createTrainer({ ...spec, dtype: 'float64' });
  try {
    if (name === 'ntk-traced') return Number(relErr(await a.tracedNtk(), await b.tracedNtk()).toExponential(2));
    await a.step(1);
    await b.step(1);
    return Number(relErr((await a.params()).W, (await b.params()).W).toExponential(2));
  } finally {
    a.dispose();
    b.dispose();
  }
}
