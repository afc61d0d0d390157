/**
 * Related-work bench cases (issue 20): the recurrent NTK Gram against the sequence length T and against the
 * number of sequences n (both readouts), and the random-feature NTK Gram against the exact two-layer NTK Gram as n
 * grows — ours against NumPy (bench/numpy_related.py) in the same run, alternating. Used by bench/run.ts; alone:
 * `node bin/run-ts.mjs bench/cases/related.ts [--quick] [--repeats 5]` prints one JSON line per row.
 *
 * Rows: `rntk-gram` (n, T, p, readout; max_rel_err of our first Gram row against NumPy's), `rf-ntk-gram` (n, d,
 * D; exact_ms = our exact Gram, numpy_exact_ms = NumPy's; rf_over_exact = ours_ms / exact_ms).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, STREAMS } from '../../src/main/engine/random';
import { rntkKernels, type RntkReadout } from '../../src/main/engine/related/rntk';
import { rfNtkGram } from '../../src/main/engine/related/rfNtk';
import { infiniteKernels } from '../../src/main/engine/ntk/infiniteKernels';
import type { SequenceSet } from '../../src/main/engine/related/sequences';
import { startPyServer, timeAlternating, type PyServer } from '../pyServer';

const SIGMAS = { sigmaW: 1, sigmaU: 1, sigmaB: 0.1, sigmaV: 1 };
const P = 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
}

function sequences(n: number, T: number, seed: number): { set: SequenceSet; flat: Float64Array } {
  const rng = createRng(seed, STREAMS.data);
  const flat = new Float64Array(n * T * P);
  rng.fillNormal(flat, 1);
  return { set: { p: P, data: Array.from({ length: n }, (_, i) => flat.slice(i * T * P, (i + 1) * T * P)) }, flat };
}

/** Bench sizes: (n, T) for the two RNTK sweeps and n for the RF sweep. */
function sizes(quick: boolean) {
  return quick
    ? { byT: [5, 10], nForT: 10, byN: [5, 10], tForN: 5, rf: [50, 100], rfD: 10, rfM0: 16 }
    : { byT: [10, 25, 50, 100], nForT: 40, byN: [25, 50, 100, 200], tForN: 20, rf: [250, 500, 1000, 2000], rfD: 10, rfM0: 64 };
}

/** The related-work rows (see the module doc). `py` null: NumPy columns are null with a note. */
export async function relatedCases(opts: { quick: boolean; repeats: number; log: (msg: string) => void }): Promise<Array<Record<string, unknown>>> {
  const s = sizes(opts.quick);
  const rows: Array<Record<string, unknown>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'ntk-related-'));
  let py: PyServer | null = null;
  let note = '';
  try {
    py = (await startPyServer('numpy_related.py')).server;
  } catch (err) {
    note = `numpy not measured (python3 with numpy is needed): ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    const rntkRow = async (n: number, T: number, readout: RntkReadout, sweep: string): Promise<void> => {
      const { set, flat } = sequences(n, T, n * 1000 + T);
      const file = join(dir, `seq-${n}-${T}.f64`);
      writeFileSync(file, new Uint8Array(flat.buffer));
      const o = { readout, bidirectional: false, ...SIGMAS };
      let ntk = rntkKernels(set, o).ntk; // warm-up, not timed
      const server = py;
      const ask = { op: 'rntk', file, n, T, p: P, readout, sw: SIGMAS.sigmaW, su: SIGMAS.sigmaU, sb: SIGMAS.sigmaB, sv: SIGMAS.sigmaV };
      const npRow = server ? ((await server.ask(ask)).ntk as number[]) : null;
      opts.log(`related: rntk ${readout} n=${n} T=${T}`);
      const t = await timeAlternating(opts.repeats, () => (ntk = rntkKernels(set, o).ntk), server ? async () => Number((await server.ask(ask)).ms) : null);
      const ours = median(t.ours);
      const np = t.theirs.length > 0 ? median(t.theirs) : null;
      let err: number | null = null;
      if (npRow) {
        err = 0;
        for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(ntk[j]! - npRow[j]!) / Math.abs(npRow[j]!));
      }
      rows.push({
        case: 'rntk-gram',
        sweep,
        n,
        d: P,
        m: 0,
        T,
        p: P,
        readout,
        backend: 'typescript-f64',
        dtype: 'float64',
        ours_ms: ours,
        numpy_ms: np,
        ratio: np !== null ? np / ours : null,
        max_rel_err: err,
        ...(np === null ? { note } : {}),
      });
    };
    for (const readout of ['last', 'avg'] as const) {
      for (const T of s.byT) await rntkRow(s.nForT, T, readout, 'T');
      for (const n of s.byN) await rntkRow(n, s.tForN, readout, 'n');
    }

    const d = s.rfD;
    const m0 = s.rfM0;
    const m1 = m0 * d;
    for (const n of s.rf) {
      const rng = createRng(n, STREAMS.data);
      const X = new Float64Array(d * n);
      rng.fillNormal(X, 1);
      const file = join(dir, `x-${n}.f64`);
      writeFileSync(file, new Uint8Array(X.buffer));
      opts.log(`related: rf-ntk vs exact n=${n} d=${d} D=${m0 * d + m1}`);
      const rf = () => rfNtkGram(X, d, n, { m0, m1, sketch: 'none', seed: 1 });
      const exact = () => infiniteKernels(X, d, n);
      rf();
      exact();
      const server = py;
      const tRf = await timeAlternating(opts.repeats, rf, server ? async () => Number((await server.ask({ op: 'rf', file, n, d, m0, m1 })).ms) : null);
      const tEx = await timeAlternating(opts.repeats, exact, server ? async () => Number((await server.ask({ op: 'exact', file, n, d })).ms) : null);
      const ours = median(tRf.ours);
      const np = tRf.theirs.length > 0 ? median(tRf.theirs) : null;
      const exactMs = median(tEx.ours);
      rows.push({
        case: 'rf-ntk-gram',
        n,
        d,
        m: m0,
        D: m0 * d + m1,
        backend: 'typescript-f64',
        dtype: 'float64',
        ours_ms: ours,
        numpy_ms: np,
        ratio: np !== null ? np / ours : null,
        exact_ms: exactMs,
        numpy_exact_ms: tEx.theirs.length > 0 ? median(tEx.theirs) : null,
        rf_over_exact: ours / exactMs,
        ...(np === null ? { note } : {}),
      });
    }
  } finally {
    py?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--repeats');
  const repeats = i >= 0 ? Number(args[i + 1]) : 5;
  for (const r of await relatedCases({ quick: args.includes('--quick'), repeats, log: (msg) => process.stderr.write(`${msg}\n`) }))
    process.stdout.write(`${JSON.stringify(r)}\n`);
}
