/**
 * Flags shared by the related-work commands (`krr`, `kernel --kernel weighted`, `rntk`, `rf-ntk`): the
 * hyper-parameters of every kernel, turned into the shared kernel spec (src/shared/related/schema.ts), and the
 * data files turned into the shared data descriptions. A flag that does not apply to the chosen kernel is an
 * error naming it, not silently ignored.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { WorkbenchException } from '../../shared/api/result';
import {
  KERNEL_KINDS,
  RF_SKETCHES,
  RNTK_READOUTS,
  type KernelData,
  type KernelKind,
  type KernelSpecInput,
  type SequenceData,
} from '../../shared/related/schema';
import { readInput } from './common';

/** A commander parser for a number ≥ 0. */
export function nonNegativeNumber(flag: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`${flag}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** A commander parser for an integer ≥ min. */
export function integerAtLeast(flag: string, min: number) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isInteger(x) || x < min) throw new InvalidArgumentError(`${flag}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return x;
  };
}

/** A commander parser for a comma-separated list of integers ≥ 1. */
export function positiveIntList(flag: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => Number(s.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1))
      throw new InvalidArgumentError(`${flag}: expected comma-separated integers ≥ 1, got ${JSON.stringify(v)}`);
    return xs;
  };
}

/** The kernel hyper-parameter flags as commander parses them (absent = the kernel's default). */
export interface KernelFlags {
  kappa?: number;
  nu?: number;
  omegaW?: number;
  omegaV?: number;
  layers?: number;
  beta?: number;
  sigmaW?: number;
  readout?: 'last' | 'avg';
  bidirectional?: boolean;
  sw?: number;
  su?: number;
  sb?: number;
  sv?: number;
  m0?: number;
  m1?: number;
  sketch?: (typeof RF_SKETCHES)[number];
  sketchDim?: number;
  seed?: number;
}

/** Which flags each kernel takes (CLI spelling → KernelFlags key). */
const FLAGS_OF: Record<KernelKind, [string, keyof KernelFlags][]> = {
  enc: [
    ['--kappa', 'kappa'],
    ['--nu', 'nu'],
  ],
  dec: [
    ['--kappa', 'kappa'],
    ['--nu', 'nu'],
  ],
  joint: [
    ['--kappa', 'kappa'],
    ['--nu', 'nu'],
  ],
  weighted: [
    ['--kappa', 'kappa'],
    ['--nu', 'nu'],
    ['--omega-w', 'omegaW'],
    ['--omega-v', 'omegaV'],
  ],
  jacot: [
    ['--layers', 'layers'],
    ['--beta', 'beta'],
    ['--sigma-w', 'sigmaW'],
  ],
  rntk: [
    ['--readout', 'readout'],
    ['--bidirectional', 'bidirectional'],
    ['--sw', 'sw'],
    ['--su', 'su'],
    ['--sb', 'sb'],
    ['--sv', 'sv'],
  ],
  'rf-ntk': [
    ['--m0', 'm0'],
    ['--m1', 'm1'],
    ['--sketch', 'sketch'],
    ['--sketch-dim', 'sketchDim'],
    ['--seed', 'seed'],
  ],
};

/** Adds every kernel's hyper-parameter flags (no defaults here: the shared schema has them). */
export function addKernelFlags(c: Command, only?: KernelKind[]): Command {
  const want = (k: KernelKind) => only === undefined || only.includes(k);
  if (want('enc') || want('dec') || want('joint') || want('weighted')) {
    c.option('--kappa <k>', 'AE kernels: encoder init scale κ (default 1)', nonNegativeNumber('--kappa')).option(
      '--nu <n>',
      'AE kernels: decoder init scale ν (default 1)',
      nonNegativeNumber('--nu'),
    );
  }
  if (want('weighted')) {
    c.option('--omega-w <A>', 'weighted: encoder step weight ω_W ≥ 0 (default 1)', nonNegativeNumber('--omega-w')).option(
      '--omega-v <B>',
      'weighted: decoder step weight ω_V ≥ 0 (default 1)',
      nonNegativeNumber('--omega-v'),
    );
  }
  if (want('jacot')) {
    c.option('--layers <L>', 'jacot: weight layers L ≥ 1 (default 2)', integerAtLeast('--layers', 1))
      .option('--beta <B>', 'jacot: bias scale β ≥ 0 (default 0)', nonNegativeNumber('--beta'))
      .option('--sigma-w <S>', 'jacot: weight scale σ_w (default 1)', nonNegativeNumber('--sigma-w'));
  }
  if (want('rntk')) {
    c.addOption(new Option('--readout <r>', 'rntk: last state or average pooling (default last)').choices([...RNTK_READOUTS]))
      .option('--bidirectional', 'rntk: independent RNNs on x and on reversed x')
      .option('--sw <σ>', 'rntk: σ_w (default 1)', nonNegativeNumber('--sw'))
      .option('--su <σ>', 'rntk: σ_u (default 1)', nonNegativeNumber('--su'))
      .option('--sb <σ>', 'rntk: σ_b (default 0)', nonNegativeNumber('--sb'))
      .option('--sv <σ>', 'rntk: σ_v (default 1)', nonNegativeNumber('--sv'));
  }
  if (want('rf-ntk')) {
    c.option('--m0 <m>', 'rf-ntk: features of the order-0 (tensor) block (default 64)', integerAtLeast('--m0', 0))
      .option('--m1 <m>', 'rf-ntk: features of the order-1 (ReLU) block (default m0·d)', integerAtLeast('--m1', 0))
      .addOption(new Option('--sketch <s>', 'rf-ntk: sketch of the tensor block (default none)').choices([...RF_SKETCHES]))
      .option('--sketch-dim <k>', 'rf-ntk: sketch size (default a quarter of m0·d)', integerAtLeast('--sketch-dim', 1))
      .option('--seed <s>', 'rf-ntk: seed of the random features (default 0)', integerAtLeast('--seed', 0));
  }
  return c;
}

/**
 * The kernel spec for `kind` from the flags; a flag of another kernel is refused naming it. (Errors found in
 * an action are WorkbenchExceptions: the CLI prints those; commander prints only its own parse errors.)
 */
export function kernelSpec(kind: KernelKind, f: KernelFlags): KernelSpecInput {
  if (!(KERNEL_KINDS as readonly string[]).includes(kind))
    throw new WorkbenchException('invalid-request', `--kernel: expected one of ${KERNEL_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const allowed = new Set(FLAGS_OF[kind].map(([, key]) => key));
  for (const [other, flags] of Object.entries(FLAGS_OF)) {
    if (other === kind) continue;
    for (const [flag, key] of flags) {
      if (f[key] !== undefined && !allowed.has(key))
        throw new WorkbenchException('invalid-request', `${flag}: applies to --kernel ${kindsTaking(key).join('|')}, not ${kind}`);
    }
  }
  if ((f.kappa === 0 || f.nu === 0) && allowed.has('kappa'))
    throw new WorkbenchException('invalid-request', `${f.kappa === 0 ? '--kappa' : '--nu'}: expected a number > 0, got 0`);
  if (f.sigmaW === 0) throw new WorkbenchException('invalid-request', '--sigma-w: expected a number > 0, got 0');
  const pick = (pairs: [string, unknown][]) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined));
  switch (kind) {
    case 'enc':
    case 'dec':
    case 'joint':
      return {
        kind,
        ...pick([
          ['kappa', f.kappa],
          ['nu', f.nu],
        ]),
      };
    case 'weighted':
      return {
        kind,
        ...pick([
          ['kappa', f.kappa],
          ['nu', f.nu],
          ['omegaW', f.omegaW],
          ['omegaV', f.omegaV],
        ]),
      };
    case 'jacot':
      return {
        kind,
        ...pick([
          ['layers', f.layers],
          ['beta', f.beta],
          ['sigmaW', f.sigmaW],
        ]),
      };
    case 'rntk':
      return {
        kind,
        ...pick([
          ['readout', f.readout],
          ['bidirectional', f.bidirectional],
          ['sigmaW', f.sw],
          ['sigmaU', f.su],
          ['sigmaB', f.sb],
          ['sigmaV', f.sv],
        ]),
      };
    case 'rf-ntk':
      return {
        kind,
        ...pick([
          ['m0', f.m0],
          ['m1', f.m1],
          ['sketch', f.sketch],
          ['sketchDim', f.sketchDim],
          ['seed', f.seed],
        ]),
      };
  }
}

function kindsTaking(key: keyof KernelFlags): string[] {
  return Object.entries(FLAGS_OF)
    .filter(([, flags]) => flags.some(([, k]) => k === key))
    .map(([kind]) => kind);
}

/** How a CSV of sequences is laid out (`--format`; auto: long when the header starts with sequence,t); undefined reads a CSV as vectors. */
export type SequenceCsvFlag = 'rows' | 'long' | 'auto' | undefined;

/**
 * Reads a data file named by `flag` into a data description: `.json` → `{"sequences": …}`; CSV → vectors, or
 * sequences when `format` is given (one sequence per row with `features` per step, or long format).
 */
export async function dataFile(file: string, flag: string, format: Exclude<SequenceCsvFlag, undefined>, features?: number): Promise<SequenceData>;
export async function dataFile(file: string, flag: string, format: SequenceCsvFlag, features?: number): Promise<KernelData>;
export async function dataFile(file: string, flag: string, format: SequenceCsvFlag, features = 1): Promise<KernelData> {
  const text = await readInput(file, flag);
  if (/\.json$/i.test(file)) return { source: 'sequence-json', jsonText: text };
  if (format !== undefined) return { source: 'sequence-csv', csvText: text, format, features };
  return { source: 'csv', csvText: text };
}

/**
 * Runs `fn`; an engine error about a request field (`train: line 3, column 2: …`) is rethrown with the flag
 * and file that field came from (`--train a.csv: line 3, column 2: …`).
 */
export async function naming<T>(fields: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WorkbenchException) {
      for (const [field, flag] of Object.entries(fields)) {
        if (e.message.startsWith(`${field}: `)) throw new WorkbenchException(e.code, `${flag}: ${e.message.slice(field.length + 2)}`, e.details);
      }
    }
    throw e;
  }
}
