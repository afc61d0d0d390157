/**
 * Learning on sequences with the recurrent NTK (SPEC §10.2–§10.3): kernel regression on a data set's targets
 * and classification of its labels on a seeded train/test split, for several σ_w — a larger σ_w keeps more
 * of the early steps in the kernel (the `first-value` set needs exactly that memory).
 */
import { symmetricEigen } from '../linalg';
import { WorkbenchException } from '../../../shared/api/result';
import type { SequenceStudy, SequenceStudyRow } from '../../../shared/related/results';
import { createRng, randomPermutation, STREAMS } from '../random';
import { classifyByKernelRegression, fitKernelRegression } from './kernelRegression';
import { rntkKernels, type RntkOptions } from './rntk';
import type { SequenceDataset, SequenceSet } from './sequences';

/** Options of {@link sequenceStudy}. */
export interface SequenceStudyOptions extends Omit<RntkOptions, 'sigmaW'> {
  sigmaWs: number[];
  ridge: number;
  testFraction: number;
  seed: number;
}

function pick(s: SequenceSet, idx: Int32Array | number[]): SequenceSet {
  return { p: s.p, data: Array.from(idx, (i) => s.data[i]!) };
}

/** Runs kernel regression and classification on a seeded split for each σ_w (see the module doc). */
export function sequenceStudy(ds: SequenceDataset, o: SequenceStudyOptions, signal?: { readonly aborted: boolean }): SequenceStudy {
  if (!ds.targets && !ds.labels)
    throw new WorkbenchException('invalid-request', `data: the ${ds.name} sequences have no targets or labels to learn (use a built-in set or Iris)`);
  const n = ds.set.data.length;
  const nTest = Math.max(1, Math.round(o.testFraction * n));
  const nTrain = n - nTest;
  if (nTrain < 2) throw new WorkbenchException('invalid-request', `testFraction: leaves ${nTrain} training sequences of ${n}; need at least 2`);
  const perm = randomPermutation(createRng(o.seed, STREAMS.shuffle), n);
  const trIdx = perm.subarray(0, nTrain);
  const teIdx = perm.subarray(nTrain);
  const train = pick(ds.set, trIdx);
  const test = pick(ds.set, teIdx);
  const classes = ds.classes?.length ?? 0;
  let baselineAccuracy: number | null = null;
  if (ds.labels) {
    const counts = new Array<number>(classes).fill(0);
    for (const i of trIdx) counts[ds.labels[i]!]!++;
    const major = counts.indexOf(Math.max(...counts));
    baselineAccuracy = Array.from(teIdx).filter((i) => ds.labels![i] === major).length / nTest;
  }
  const rows: SequenceStudyRow[] = [];
  for (const sigmaW of o.sigmaWs) {
    const opts: RntkOptions = { readout: o.readout, bidirectional: o.bidirectional, sigmaW, sigmaU: o.sigmaU, sigmaB: o.sigmaB, sigmaV: o.sigmaV };
    const K = rntkKernels(train, opts, undefined, signal).ntk;
    const Q = rntkKernels(train, opts, test, signal).ntk;
    let rmse: number | null = null;
    let r2: number | null = null;
    let lambdaMin = NaN;
    if (ds.targets) {
      const y = Float64Array.from(trIdx, (i) => ds.targets![i]!);
      const fit = fitKernelRegression(K, nTrain, y, 1, o.ridge, signal);
      lambdaMin = fit.eigenvalues[0]!;
      const pred = fit.predict(Q, nTest);
      const yt = Array.from(teIdx, (i) => ds.targets![i]!);
      const mean = yt.reduce((s, v) => s + v, 0) / nTest;
      let sse = 0;
      let sst = 0;
      yt.forEach((v, j) => {
        sse += (pred[j]! - v) ** 2;
        sst += (v - mean) ** 2;
      });
      rmse = Math.sqrt(sse / nTest);
      r2 = sst > 0 ? 1 - sse / sst : null;
    }
    let accuracy: number | null = null;
    if (ds.labels) {
      const c = classifyByKernelRegression(
        K,
        nTrain,
        Array.from(trIdx, (i) => ds.labels![i]!),
        classes,
        o.ridge,
        Q,
        nTest,
        Array.from(teIdx, (i) => ds.labels![i]!),
      );
      accuracy = c.accuracy;
    }
    if (Number.isNaN(lambdaMin)) lambdaMin = symmetricEigen(K, nTrain).values[0]!;
    rows.push({ sigmaW, rmse, r2, accuracy, lambdaMin });
  }
  return { rows, nTrain, nTest, baselineAccuracy };
}
