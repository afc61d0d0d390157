/**
 * The parameters a run keeps for good (issue 14): θ₀ = (W₀, V₀) at step 0 and the parameters the run ended
 * with, beside the rotating checkpoints (which keep only the newest two and never step 0):
 *
 *   <run>/params/initial.npz   W [m, d], V [d, m] (float64, C order) and step (int64, 0)
 *   <run>/params/final.npz     the same at the step the run ended (finished, stopped or diverged)
 *
 * `.npz` is NumPy's own archive of `.npy` files, so `np.load("params/final.npz")["W"]` opens them; each
 * file is written atomically in one piece, so W and V always belong to the same step.
 */
import * as path from 'node:path';
import { WorkbenchException } from '../../../shared/api/result';
import type { KeptParams } from '../../engine/protocol';
import { fsyncDir, ioError, readFileLimited, realFs, writeFileAtomicSync, type FsLayer } from '../fsAtomic';
import { decodeNpz, npzPieces, type NpyArray } from './npy';

export const PARAMS_DIR = 'params';
export const KEPT_PARAMS_FILES = { initial: 'initial.npz', final: 'final.npz' } as const;
/** Largest kept-parameters file read back (two float64 matrices of m·d ≤ 2^27 entries each). */
export const MAX_KEPT_PARAMS_BYTES = 2 * 8 * 2 ** 27 + 4096;

/** Kept parameters read back from a run folder. */
export interface KeptParamsFile {
  which: 'initial' | 'final';
  step: number;
  W: NpyArray;
  V: NpyArray;
}

/** Writes `params/initial.npz` or `params/final.npz` of a run atomically (replacing an earlier one). */
export async function writeKeptParams(runDir: string, p: KeptParams, fs: FsLayer = realFs): Promise<void> {
  if (p.W.length !== p.m * p.d || p.V.length !== p.d * p.m) {
    throw new WorkbenchException(
      'invalid-data',
      `kept parameters: W has ${p.W.length} and V ${p.V.length} entries, expected [${p.m}, ${p.d}] and [${p.d}, ${p.m}]`,
    );
  }
  const dir = path.join(runDir, PARAMS_DIR);
  try {
    if (fs.mkdirSync(dir, { recursive: true }) !== undefined) fsyncDir(fs, runDir);
  } catch (e) {
    throw ioError(dir, 'create', e);
  }
  // Written in pieces: W's and V's own bytes go to the file without a copy (issue 13: 16 MB each at m = 10 000).
  const pieces = npzPieces({
    W: { data: p.W, shape: [p.m, p.d] },
    V: { data: p.V, shape: [p.d, p.m] },
    step: { data: BigInt64Array.of(BigInt(p.step)), shape: [] },
  });
  writeFileAtomicSync(fs, path.join(dir, KEPT_PARAMS_FILES[p.which]), pieces);
}

/** Reads kept parameters of a run folder; null when the run has none (older runs, or still at set-up). */
export async function readKeptParams(runDir: string, which: 'initial' | 'final'): Promise<KeptParamsFile | null> {
  const file = path.join(runDir, PARAMS_DIR, KEPT_PARAMS_FILES[which]);
  const buf = await readFileLimited(file, MAX_KEPT_PARAMS_BYTES);
  if (buf === null) return null;
  const arrays = decodeNpz(buf, file, MAX_KEPT_PARAMS_BYTES);
  const { W, V, step } = arrays;
  if (!W || !V || !step || W.shape.length !== 2 || V.shape.length !== 2 || W.shape[0] !== V.shape[1] || W.shape[1] !== V.shape[0] || step.dtype !== '<i8') {
    throw new WorkbenchException('session-corrupt', `${file}: expected W [m, d], V [d, m] and an int64 step`, { file });
  }
  return { which, step: Number((step.data as BigInt64Array)[0]), W, V };
}
