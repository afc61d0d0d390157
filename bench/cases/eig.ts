/**
 * Eigenvalue bench cases (issue 5): `eig-full`, `eig-top5`, `eig-bottom5` on the joint traced NTK at init
 * (sphere data, d = 100, m = 10000), each against NumPy/SciPy (bench/numpy_eig.py) on the same matrix in the
 * same run. Used by bench/run.ts; alone: `node bin/run-ts.mjs bench/cases/eig.ts [--quick] [--sizes 500,1000]
 * [--repeats 5]` prints one JSON line per case.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, STREAMS } from '../../src/main/engine/random';
import { matmul } from '../../src/main/engine/linalg/dense';
import { gramUpperAdd } from '../../src/main/engine/linalg/syr2k';
import { mirrorUpperToLower } from '../../src/main/engine/linalg/householderTridiagonal';
import { symmetricEigen } from '../../src/main/engine/linalg/symmetricEigen';
import { extremeEigen } from '../../src/main/engine/linalg/extremeEigen';

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

function time<T>(repeats: number, fn: () => T): { ms: number; out: T } {
  const times: number[] = [];
  let out = fn(); // warm-up (JIT), not counted
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    out = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), out };
}

function maxRelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ours[i]! - ref[i]!) / Math.abs(ref[i]!));
  return m;
}

interface NumpyEig {
  eigvalsh_ms: number;
  values: number[];
  top5_ms?: number;
  bottom5_ms?: number;
  top5?: number[];
  bottom5?: number[];
  numpy?: string;
  scipy?: string;
  scipy_note?: string;
}

/** Runs bench/numpy_eig.py on the matrix with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its env. */
function runNumpy(file: string, n: number, repeats: number): { res: NumpyEig | null; note: string } {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'numpy_eig.py');
  const p = spawnSync('python3', [script, file, String(n), String(repeats)], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (p.error !== undefined) return { res: null, note: `numpy not measured: ${p.error.message}` };
  if (p.status !== 0) return { res: null, note: `numpy not measured: ${p.stderr.trim().split('\n').pop() ?? 'failed'}` };
  try {
    return { res: JSON.parse(p.stdout.trim().split('\n').pop()!) as NumpyEig, note: '' };
  } catch {
    return { res: null, note: 'numpy not measured: unreadable output' };
  }
}

/** The eig bench cases for each n: eig-full, eig-top5, eig-bottom5 rows, ours vs NumPy/SciPy (median of repeats). */
export async function eigCases(opts: {
  sizes: number[];
  repeats: number;
  log: (msg: string) => void;
}): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  const repeats = Math.max(5, opts.repeats);
  const dir = mkdtempSync(join(tmpdir(), 'ntk-eig-'));
  try {
    for (const n of opts.sizes) {
      opts.log(`eig: building the joint traced NTK, n=${n}, d=${D}, m=${M}`);
      const k = jointTracedNtk(n);
      const file = join(dir, `ntk-${n}.f64`);
      writeFileSync(file, new Uint8Array(k.buffer, k.byteOffset, k.byteLength));
      opts.log(`eig: numpy/scipy n=${n}`);
      const { res: np, note } = runNumpy(file, n, repeats);
      opts.log(`eig: ours n=${n}`);
      const full = time(repeats, () => symmetricEigen(k, n));
      const top = time(repeats, () => extremeEigen({ n, matrix: k }, { k: 5, which: 'largest' }));
      const bottom = time(repeats, () => extremeEigen({ n, matrix: k }, { k: 5, which: 'smallest' }));
      const base = { n, d: D, m: M, backend: BACKEND, dtype: 'float64', repeats };
      const row = (
        name: string,
        ours: number,
        npMs: number | undefined,
        values: ArrayLike<number>,
        ref: number[] | undefined,
        extra: Record<string, unknown>,
      ): Record<string, unknown> => ({
        case: name,
        ...base,
        ours_ms: ours,
        numpy_ms: npMs ?? null,
        ratio: npMs !== undefined ? npMs / ours : null,
        max_rel_err: ref !== undefined ? maxRelErr(values, ref) : null,
        ...extra,
        ...(npMs === undefined ? { note: note || np?.scipy_note || 'numpy not measured' } : {}),
      });
      const npAsc = np?.values;
      rows.push(
        row('eig-full', full.ms, np?.eigvalsh_ms, full.out.values, npAsc, {
          lambda_min: full.out.values[0],
          lambda_min_rel_err: npAsc !== undefined ? maxRelErr([full.out.values[0]!], [npAsc[0]!]) : null,
        }),
        row('eig-top5', top.ms, np?.top5_ms, top.out.values, npAsc?.slice(-5).reverse(), {
          method: top.out.diagnostics.method,
          iterations: top.out.diagnostics.iterations,
          scipy_max_rel_err: np?.top5 !== undefined && npAsc ? maxRelErr(np.top5, npAsc.slice(-5).reverse()) : null,
        }),
        row('eig-bottom5', bottom.ms, np?.bottom5_ms, bottom.out.values, npAsc?.slice(0, 5), {
          method: bottom.out.diagnostics.method,
          iterations: bottom.out.diagnostics.iterations,
          lambda_min_rel_err: npAsc !== undefined ? maxRelErr([bottom.out.values[0]!], [npAsc[0]!]) : null,
        }),
      );
    }
  } finally {
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
