/**
 * Eigenvalue bench cases (issue 5): `eig-full`, `eig-top5`, `eig-bottom5` on the joint traced NTK at init
 * (sphere data, d = 100, m = 10000), each against NumPy/SciPy (bench/numpy_eig.py) on the same matrix in the
 * same run. Used by bench/run.ts; alone: `node bin/run-ts.mjs bench/cases/eig.ts [--quick] [--sizes 500,1000]
 * [--repeats 5]` prints one JSON line per case.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, STREAMS } from '../../src/main/engine/random';
import { extremeEigen, gramUpperAdd, installFloat64Gemm, installSymvThreads, matmul, mirrorUpperToLower, symmetricEigen } from '../../src/main/engine/linalg';
import { loadSyncFloat64Gemm } from '../../src/main/engine/backends/float64Matmul';
import { spawnHelperThread } from '../../src/main/engine/backends/threads';
import { startPyServer, timeAlternating, type PyServer } from '../pyServer';

const D = 100;
const M = 10000;
const BACKEND = 'typescript-f64';

/**
 * Joint traced NTK at init as in numpy_baseline.py eig(): X [d, n] unit columns, W [m, d], V [d, m] N(0, 1),
 * Z = W X, S = 1[Z > 0], A = relu(Z), vv_r = ‖v_r‖²; K = (XᵀX)∘(Sᵀ diag(vv) S)/(m d) + AᵀA/m (SPEC §5.2).
 */
export function jointTracedNtk(n: number, d = D, m = M, seed = 0): Float64Array {
  const rng = createRng(seed, STREAMS.data);
  const x = new Float64Array(d * n);
  rng.fillNormal(x, 1);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = 0; p < d; p++) s += x[p * n + i]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let p = 0; p < d; p++) x[p * n + i]! *= inv;
  }
  const init = createRng(seed, STREAMS.init);
  const w = new Float64Array(m * d);
  init.fillNormal(w, 1);
  const v = new Float64Array(d * m);
  init.fillNormal(v, 1);
  const z = matmul(w, x, m, d, n);
  const vv = new Float64Array(m);
  for (let a = 0; a < d; a++) for (let r = 0; r < m; r++) vv[r]! += v[a * m + r]! ** 2;
  const sScaled = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    const sv = Math.sqrt(vv[r]!);
    for (let i = 0; i < n; i++) {
      const zi = z[r * n + i]!;
      sScaled[r * n + i] = zi > 0 ? sv : 0;
      z[r * n + i] = Math.max(zi, 0);
    }
  }
  const enc = new Float64Array(n * n);
  gramUpperAdd(enc, n, 0, n, sScaled, m);
  const dec = new Float64Array(n * n);
  gramUpperAdd(dec, n, 0, n, z, m);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let xx = 0;
      for (let p = 0; p < d; p++) xx += x[p * n + i]! * x[p * n + j]!;
      k[i * n + j] = (xx * enc[i * n + j]!) / (m * d) + dec[i * n + j]! / m;
    }
  }
  mirrorUpperToLower(k, n);
  return k;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
}

function maxRelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ours[i]! - ref[i]!) / Math.abs(ref[i]!));
  return m;
}

type EigCase = 'full' | 'top5' | 'bottom5';

/**
 * The eig bench cases for each n: eig-full, eig-top5, eig-bottom5 rows, ours vs NumPy/SciPy (median of
 * repeats). The two sides alternate, one timed solve each, with a settle pause before each (pyServer.ts),
 * after one untimed warm-up solve per side; NumPy's full eigenvalues are the reference of every error.
 */
export async function eigCases(opts: {
  sizes: number[];
  repeats: number;
  log: (msg: string) => void;
  /** Threads of the large symmetric products (as the engine worker installs them); default 1. */
  threads?: number;
}): Promise<Array<Record<string, unknown>>> {
  const threads = opts.threads ?? 1;
  installSymvThreads(spawnHelperThread, threads);
  // The fast float64 product every engine thread installs (onnxruntime's, one thread), so that the solvers run
  // as in a run (the Cholesky factor of eig-bottom5 multiplies in it from n = 600 on); null where it cannot load.
  const product = loadSyncFloat64Gemm(1);
  installFloat64Gemm(() => product);
  const rows: Array<Record<string, unknown>> = [];
  const repeats = Math.max(5, opts.repeats);
  const dir = mkdtempSync(join(tmpdir(), 'ntk-eig-'));
  let py: PyServer | null = null;
  let note = '';
  try {
    py = (await startPyServer('numpy_eig.py')).server;
  } catch (err) {
    note = `numpy/scipy not measured (python3 with numpy and scipy is needed): ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    for (const n of opts.sizes) {
      opts.log(`eig: building the joint traced NTK, n=${n}, d=${D}, m=${M}`);
      const k = jointTracedNtk(n);
      const file = join(dir, `ntk-${n}.f64`);
      writeFileSync(file, new Uint8Array(k.buffer, k.byteOffset, k.byteLength));
      if (py !== null) await py.ask({ op: 'setup', file, n });
      const solve = (c: EigCase): { values: ArrayLike<number>; extra: Record<string, unknown> } => {
        if (c === 'full') return { values: symmetricEigen(k, n).values, extra: {} };
        const r = extremeEigen({ n, matrix: k }, { k: 5, which: c === 'top5' ? 'largest' : 'smallest' });
        return { values: r.values, extra: { method: r.diagnostics.method, iterations: r.diagnostics.iterations } };
      };
      const results = {} as Record<
        EigCase,
        { ours: number[]; numpy: number[]; values: ArrayLike<number>; npValues: number[] | null; extra: Record<string, unknown> }
      >;
      for (const c of ['full', 'top5', 'bottom5'] as const) {
        opts.log(`eig: ${c} n=${n}, ours and numpy/scipy alternating`);
        let last = solve(c); // warm-up (JIT), not counted
        const server = py;
        const npValues = server === null ? null : ((await server.ask({ op: 'time', case: c })).values as number[]);
        const t = await timeAlternating(
          repeats,
          () => (last = solve(c)),
          server === null ? null : async () => Number((await server.ask({ op: 'time', case: c })).ms),
        );
        results[c] = { ours: t.ours, numpy: t.theirs, values: last.values, npValues, extra: last.extra };
      }
      const ref = results.full.npValues; // ascending, all n
      const base = { n, d: D, m: M, backend: BACKEND, dtype: 'float64', threads, fast_product: product !== null ? 'onnxruntime, 1 thread' : null, repeats };
      const row = (name: string, c: EigCase, want: number[] | undefined, extra: Record<string, unknown>): Record<string, unknown> => {
        const res = results[c];
        const ours = median(res.ours);
        const npMs = res.numpy.length > 0 ? median(res.numpy) : undefined;
        return {
          case: name,
          ...base,
          ours_ms: ours,
          numpy_ms: npMs ?? null,
          ratio: npMs !== undefined ? npMs / ours : null,
          max_rel_err: want !== undefined ? maxRelErr(res.values, want) : null,
          ...res.extra,
          ...extra,
          ...(npMs === undefined ? { note } : {}),
        };
      };
      const top = ref?.slice(-5).reverse();
      const bottom = ref?.slice(0, 5);
      rows.push(
        row('eig-full', 'full', ref ?? undefined, {
          lambda_min: results.full.values[0],
          lambda_min_rel_err: ref ? maxRelErr([results.full.values[0]!], [ref[0]!]) : null,
        }),
        row('eig-top5', 'top5', top, {
          scipy_max_rel_err: top && results.top5.npValues ? maxRelErr(results.top5.npValues, top) : null,
        }),
        row('eig-bottom5', 'bottom5', bottom, {
          lambda_min_rel_err: ref ? maxRelErr([results.bottom5.values[0]!], [ref[0]!]) : null,
        }),
      );
    }
  } finally {
    py?.stop();
    installSymvThreads(null, 1);
    installFloat64Gemm(null);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = arg('--sizes')?.split(',').map(Number) ?? (args.includes('--quick') ? [200, 400] : [1000, 2000]);
  const repeats = Number(arg('--repeats') ?? 5);
  const rows = await eigCases({ sizes, repeats, log: (msg) => process.stderr.write(`${msg}\n`) });
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
}
