/**
 * A run's arrays as `.npy` files for NumPy (`np.load("W0.npy")`): the kept parameters W₀ [m, d], V₀ [d, m]
 * and the final W, V (float64), the H∞ eigenvalues (ascending) and Gram matrix [n, n] from the run's theory,
 * and the last full spectrum of the traced empirical NTK (ascending). What a run lacks is listed in `notes`.
 */
import { readTheory } from '../../../shared/charts/theory';
import { readKeptParams } from './keptParams';
import { encodeNpy } from './npy';
import type { RunData } from './runData';

/** The .npy files of a run and notes on the arrays it does not have. */
export async function runArrays(run: RunData): Promise<{ files: { name: string; mime: string; data: Uint8Array }[]; notes: string[] }> {
  const files: { name: string; mime: string; data: Uint8Array }[] = [];
  const notes: string[] = [];
  const add = (name: string, data: Float64Array, shape: number[]): void =>
    void files.push({ name, mime: 'application/octet-stream', data: encodeNpy(data, shape) });
  for (const which of ['initial', 'final'] as const) {
    const p = await readKeptParams(run.dir, which);
    const suffix = which === 'initial' ? '0' : '';
    if (p === null) {
      notes.push(`no ${which} parameters kept (params/${which}.npz): the run predates kept parameters${which === 'final' ? ' or has not ended' : ''}`);
      continue;
    }
    add(`W${suffix}.npy`, Float64Array.from(p.W.data as Float64Array), p.W.shape);
    add(`V${suffix}.npy`, Float64Array.from(p.V.data as Float64Array), p.V.shape);
    if (which === 'final') notes.push(`W.npy and V.npy are the parameters at step ${p.step}`);
  }
  const t = readTheory(run.theory, run.config.config.regime);
  if (t.spectrum) add('hinf_eigenvalues.npy', Float64Array.from(t.spectrum), [t.spectrum.length]);
  else notes.push('no H∞ eigenvalues in the run theory');
  if (t.gram) add('hinf_gram.npy', Float64Array.from(t.gram.values), [t.gram.n, t.gram.n]);
  for (let i = run.records.length - 1; i >= 0; i--) {
    const s = run.records[i]!.tracked?.spectrum;
    if (Array.isArray(s) && s.length > 0) {
      add(
        'ntk_spectrum.npy',
        Float64Array.from(s, (x) => (x === null ? NaN : x)),
        [s.length],
      );
      notes.push(`ntk_spectrum.npy is the traced empirical NTK's spectrum at step ${run.records[i]!.step}`);
      break;
    }
  }
  return { files, notes };
}
