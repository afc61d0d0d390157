/**
 * The model-view preview of a run (RunMeta.preview, and `tracked.preview` every K steps): 2-D points, MNIST
 * thumbnails, or per-sample reconstruction errors.
 */
import type { Dataset } from '../datasets';
import type { RunPreview } from '../../../shared/run/preview';

export type { RunPreview };

/** Per-sample reconstruction errors in the preview: at most this many samples. */
export const PREVIEW_MAX_SAMPLES = 512;

function columns(M: Float64Array, d: number, n: number, count: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < Math.min(n, count); i++) {
    const c: number[] = [];
    for (let a = 0; a < d; a++) c.push(M[a * n + i]!);
    out.push(c);
  }
  return out;
}

function image28(col: number[]): number[][] {
  const img: number[][] = [];
  for (let y = 0; y < 28; y++) img.push(col.slice(y * 28, y * 28 + 28));
  return img;
}

function columnErrors(U: Float64Array, X: Float64Array, d: number, n: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, count); i++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += (U[a * n + i]! - X[a * n + i]!) ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

/**
 * Builds the preview shown in the model view from inputs and reconstructions: d = 2 → all train and test
 * points with their reconstructions; mnist → 16 training and 8 test digits and their reconstructions as
 * 28×28 arrays;
 * otherwise ‖u(x_i) − x_i‖ per sample (at most 512 train and 512 test samples).
 */
export function buildPreview(data: Pick<Dataset, 'name' | 'X' | 'd' | 'n' | 'Xtest' | 'nTest'>, U: Float64Array, Utest: Float64Array): RunPreview {
  const { X, d, n, Xtest, nTest } = data;
  if (d === 2) {
    return {
      kind: 'points2d',
      train: columns(X, d, n, n),
      trainRecon: columns(U, d, n, n),
      test: columns(Xtest, d, nTest, nTest),
      testRecon: columns(Utest, d, nTest, nTest),
    };
  }
  if (data.name.startsWith('mnist') && d === 784) {
    return {
      kind: 'mnist',
      inputs: columns(X, d, n, 16).map(image28),
      reconstructions: columns(U, d, n, 16).map(image28),
      testInputs: columns(Xtest, d, nTest, 8).map(image28),
      testReconstructions: columns(Utest, d, nTest, 8).map(image28),
    };
  }
  return {
    kind: 'errors',
    train: columnErrors(U, X, d, n, PREVIEW_MAX_SAMPLES),
    test: columnErrors(Utest, Xtest, d, nTest, PREVIEW_MAX_SAMPLES),
    truncated: n > PREVIEW_MAX_SAMPLES || nTest > PREVIEW_MAX_SAMPLES,
  };
}
