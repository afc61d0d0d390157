/**
 * Data sets of SPEC §2 with a held-out test split, built from a config (deterministic per seed).
 *
 * Streams of the generator (seed = config.seed): training data STREAMS.data, test data
 * STREAMS.testData, shuffles (csv, mnist) STREAMS.shuffle. Test splits:
 *   sphere, gaussian  fresh samples from the test-data stream
 *   halfcircle        the half-way angles π(j + ½)/n, j = 0..nTest−1
 *   trig              sample indices n..n+nTest−1 of the same formula
 *   trig_scaled       trig directions n..n+nTest−1, norms 0.5 + 1.5(j + ½)/nTest (inside the training range)
 *   csv, mnist        shuffled with the seed; the first n rows train, the next nTest are held out; if the
 *                     source has fewer than n + nTest rows, invalid-data names both numbers
 */
import type { Config } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import { STREAMS, createRng, randomPermutation } from '../random';
import { parseCsv } from './csv';
import { MNIST_PIXELS, cachedMnist, loadMnist, type MnistImages } from './mnist';
import { gaussianData, halfcircleData, normalizeColumns, selectColumns, sphereData, trigData, trigScaledData } from './synthetic';
import { datasetWarnings } from './warnings';

export { parseCsv, type ParsedCsv } from './csv';
export { datasetWarnings, nearSingularWarning, parallelPairWarnings } from './warnings';

/** Loads what {@link buildDataset} reads asynchronously (the MNIST digits, once); await it before building. */
export async function prepareDataset(config: Pick<Config, 'dataset'>): Promise<void> {
  if (config.dataset === 'mnist') await loadMnist();
}

/** A training set X [d, n] and its held-out test set Xtest [d, nTest], with data warnings. */
export interface Dataset {
  name: string;
  /** [d, n] row-major, columns are samples */
  X: Float64Array;
  d: number;
  n: number;
  /** [d, nTest] row-major */
  Xtest: Float64Array;
  nTest: number;
  warnings: string[];
  /** MNIST only: digit labels of the training and test samples */
  labels?: { train: number[]; test: number[] };
}

/** Options of {@link buildDataset}. */
export interface BuildDatasetOptions {
  /** Skip the data warnings (e.g. when rebuilding a data set whose warnings are already stored). */
  skipWarnings?: boolean;
  /** Leave out the near-singular check (see DatasetWarningOptions.conditioning). */
  skipConditioning?: boolean;
  /** Leave out the pairwise scan for parallel samples (see DatasetWarningOptions.pairs). */
  skipPairwise?: boolean;
  /** Injected MNIST images (tests); defaults to the `mnist` package. */
  mnist?: () => MnistImages;
  signal?: { readonly aborted: boolean };
}

type DatasetConfig = Pick<Config, 'dataset' | 'samples' | 'testSamples' | 'inputDim' | 'csvText' | 'csvName' | 'normalize' | 'seed' | 'kappa' | 'nu'>;

/** Builds the training and test data of a config (SPEC §2), deterministic per seed; see the module doc for test splits. */
export function buildDataset(config: DatasetConfig, opts: BuildDatasetOptions = {}): Dataset {
  const n = config.samples;
  const nTest = config.testSamples;
  const seed = config.seed;
  let name: string = config.dataset;
  let X: Float64Array;
  let Xtest: Float64Array;
  let d: number;
  let labels: Dataset['labels'];
  switch (config.dataset) {
    case 'sphere':
    case 'gaussian': {
      d = config.inputDim;
      const gen = config.dataset === 'sphere' ? sphereData : gaussianData;
      X = gen(createRng(seed, STREAMS.data), d, n).X;
      Xtest = gen(createRng(seed, STREAMS.testData), d, nTest).X;
      break;
    }
    case 'halfcircle':
      d = 2;
      X = halfcircleData(n, n, 0).X;
      Xtest = halfcircleData(n, nTest, 0.5).X;
      break;
    case 'trig':
      d = config.inputDim;
      X = trigData(d, n, 0).X;
      Xtest = trigData(d, nTest, n).X;
      break;
    case 'trig_scaled':
      d = config.inputDim;
      X = trigScaledData(d, n).X;
      Xtest = trigScaledData(d, n, { nTest }).X;
      break;
    case 'csv': {
      if (config.csvText === undefined || config.csvText.trim() === '') {
        throw new WorkbenchException('invalid-data', 'csv: no CSV text given (config key csvText)');
      }
      const parsed = parseCsv(config.csvText);
      d = parsed.d;
      name = config.csvName ? `csv:${config.csvName}` : 'csv';
      const split = shuffledSplit(parsed.n, n, nTest, seed, `the CSV file has ${parsed.n} data rows`);
      X = selectColumns(parsed.X, d, parsed.n, split.train);
      Xtest = selectColumns(parsed.X, d, parsed.n, split.test);
      break;
    }
    case 'mnist': {
      const images = (opts.mnist ?? cachedMnist)();
      d = MNIST_PIXELS;
      const split = shuffledSplit(images.count, n, nTest, seed, `mnist has ${images.count} digits`);
      X = imagesToColumns(images, split.train);
      Xtest = imagesToColumns(images, split.test);
      if (config.normalize) {
        normalizeColumns(X, d, n);
        normalizeColumns(Xtest, d, nTest);
      }
      labels = { train: Array.from(split.train, (i) => images.labels[i]!), test: Array.from(split.test, (i) => images.labels[i]!) };
      break;
    }
    default:
      throw new WorkbenchException('invalid-request', `unknown data set ${String(config.dataset)}`);
  }
  const warnings = opts.skipWarnings
    ? []
    : datasetWarnings(X, d, n, {
        kappa: config.kappa,
        nu: config.nu,
        signal: opts.signal,
        conditioning: opts.skipConditioning !== true,
        pairs: opts.skipPairwise !== true,
      });
  const ds: Dataset = { name, X, d, n, Xtest, nTest, warnings };
  if (labels) ds.labels = labels;
  return ds;
}

/** A seeded permutation of `total` rows split into n training rows and nTest held-out rows. */
function shuffledSplit(total: number, n: number, nTest: number, seed: number, what: string): { train: Int32Array; test: Int32Array } {
  if (n + nTest > total) {
    throw new WorkbenchException(
      'invalid-data',
      `${what}, but samples (${n}) + testSamples (${nTest}) = ${n + nTest} are needed; lower samples or testSamples`,
      { rows: total, samples: n, testSamples: nTest },
    );
  }
  const perm = randomPermutation(createRng(seed, STREAMS.shuffle), total);
  return { train: perm.slice(0, n), test: perm.slice(n, n + nTest) };
}

function imagesToColumns(images: MnistImages, indices: Int32Array): Float64Array {
  const k = indices.length;
  const out = new Float64Array(MNIST_PIXELS * k);
  for (let j = 0; j < k; j++) {
    const base = indices[j]! * MNIST_PIXELS;
    for (let a = 0; a < MNIST_PIXELS; a++) out[a * k + j] = images.pixels[base + a]!;
  }
  return out;
}
