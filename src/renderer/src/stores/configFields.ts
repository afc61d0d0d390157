/**
 * The config form as data: one entry per Config key the form edits, with its visible label (which is
 * also the control's accessible name), its kind and its group. The order here is the order on screen.
 */
import { BACKENDS, DATASETS, DTYPES, INITS, LOSS_NORMALIZATIONS, REGIMES, SCALINGS } from '../../../shared/config/schema';
import type { Config } from '../../../shared/config/schema';

export type FieldKind = 'int' | 'number' | 'optional-number' | 'optional-int' | 'select' | 'checkbox';
export type FieldGroup = 'data' | 'model' | 'training' | 'tracking';

export interface FieldDef {
  key: Exclude<keyof Config, 'csvText' | 'csvName'>;
  label: string;
  kind: FieldKind;
  group: FieldGroup;
  options?: readonly string[];
  /** labels for select options (defaults to the value) */
  optionLabels?: Record<string, string>;
  /** placeholder shown when an optional field is empty */
  placeholder?: string;
  /** a one-line hint shown as the control's title */
  hint?: string;
  /** only shown with "All options" open */
  advanced?: boolean;
  /** takes a whole row (selects whose option texts would be cut at half width) */
  wide?: boolean;
}

export const FIELD_GROUP_TITLES: Record<FieldGroup, string> = {
  data: 'Data',
  model: 'Model',
  training: 'Training',
  tracking: 'Tracking and output',
};

export const FIELDS: readonly FieldDef[] = [
  {
    key: 'dataset',
    label: 'Data set',
    kind: 'select',
    group: 'data',
    options: DATASETS,
    wide: true,
    optionLabels: {
      sphere: 'sphere (uniform on Sᵈ⁻¹)',
      gaussian: 'gaussian N(0, I/d)',
      halfcircle: 'half circle (d = 2)',
      trig: 'trig (deterministic)',
      trig_scaled: 'trig, scaled norms',
      mnist: 'MNIST digits',
      csv: 'CSV file',
    },
  },
  { key: 'samples', label: 'Samples', kind: 'int', group: 'data', hint: 'n: training samples' },
  { key: 'testSamples', label: 'Test samples', kind: 'int', group: 'data', hint: 'held-out samples from the same distribution' },
  { key: 'inputDim', label: 'Input dimension', kind: 'int', group: 'data', hint: 'd: the dimension of synthetic data' },
  { key: 'normalize', label: 'Normalize MNIST', kind: 'checkbox', group: 'data', hint: 'scale each digit to unit norm', advanced: true },
  { key: 'hiddenWidth', label: 'Hidden width', kind: 'int', group: 'model', hint: 'm: hidden neurons' },
  {
    key: 'regime',
    label: 'Regime',
    kind: 'select',
    group: 'model',
    options: REGIMES,
    wide: true,
    optionLabels: { weak: 'weak (encoder only)', joint: 'joint (encoder + decoder)', decoder: 'decoder only', tied: 'weight-tied' },
  },
  {
    key: 'scaling',
    label: 'Scaling',
    kind: 'select',
    group: 'model',
    options: SCALINGS,
    optionLabels: { ntk: 'NTK (s = 1/√m)', 'mean-field': 'mean-field (s = 1/m)' },
    advanced: true,
  },
  { key: 'init', label: 'Initialization', kind: 'select', group: 'model', options: INITS, advanced: true },
  { key: 'kappa', label: 'Encoder scale κ', kind: 'number', group: 'model', advanced: true },
  { key: 'nu', label: 'Decoder scale ν', kind: 'number', group: 'model', advanced: true },
  {
    key: 'learningRate',
    label: 'Learning rate',
    kind: 'optional-number',
    group: 'training',
    placeholder: 'automatic',
    hint: 'η (η_W for joint); empty = c/λ_max(H)',
  },
  { key: 'decoderLearningRate', label: 'Decoder learning rate', kind: 'optional-number', group: 'training', placeholder: 'same as η', advanced: true },
  { key: 'stepScale', label: 'Step scale c', kind: 'number', group: 'training', hint: 'automatic η = c/λ_max(H); stable for c < 2', advanced: true },
  { key: 'steps', label: 'Steps', kind: 'int', group: 'training' },
  { key: 'seed', label: 'Seed', kind: 'int', group: 'training' },
  {
    key: 'lossNormalization',
    label: 'Loss normalization',
    kind: 'select',
    group: 'training',
    options: LOSS_NORMALIZATIONS,
    wide: true,
    optionLabels: { sum: 'sum: ½‖X−U‖²', mean: 'mean: ½‖X−U‖²/n' },
    advanced: true,
  },
  { key: 'dtype', label: 'Precision', kind: 'select', group: 'training', options: DTYPES, advanced: true },
  {
    key: 'targetLossRatio',
    label: 'Target loss ratio',
    kind: 'number',
    group: 'training',
    hint: 'stop when L/L₀ falls below this (0 = never)',
    advanced: true,
  },
  { key: 'batchSize', label: 'Batch size', kind: 'optional-int', group: 'training', placeholder: 'full batch', advanced: true },
  { key: 'backend', label: 'Backend', kind: 'select', group: 'training', options: BACKENDS, advanced: true },
  {
    key: 'trackEvery',
    label: 'Tracking interval K',
    kind: 'int',
    group: 'tracking',
    hint: 'record NTK eigenvalues and movement every K steps',
    advanced: true,
  },
  { key: 'trackEigenvalues', label: 'Tracked eigenvalues', kind: 'int', group: 'tracking', hint: 'extreme eigenvalues tracked at each end', advanced: true },
  {
    key: 'linearizedSideBySide',
    label: 'Linearized network side by side',
    kind: 'checkbox',
    group: 'tracking',
    hint: 'train f(θ₀) + J(θ₀)(θ − θ₀), the finite-width linearization with kernel G(W₀), beside the network (its loss is drawn on the loss chart)',
    advanced: true,
  },
  { key: 'checkpointEvery', label: 'Checkpoint interval', kind: 'int', group: 'tracking', hint: 'steps between checkpoints (0 = off)', advanced: true },
  { key: 'memoryLimitMiB', label: 'Memory limit (MiB)', kind: 'int', group: 'tracking', advanced: true },
];

/** The visible label of a config key (what messages name), or the key itself for keys without a field. */
export function labelOf(key: string): string {
  if (key === 'csvText' || key === 'csvName') return 'CSV file';
  return FIELDS.find((f) => f.key === key)?.label ?? key;
}

/**
 * Why a field does not apply to the form's current values (null when it does): the input dimension of
 * MNIST, the half circle and CSV files is fixed by the data; "Normalize MNIST" only acts on MNIST.
 */
export function notApplicable(key: FieldDef['key'], form: { dataset: unknown }): string | null {
  const ds = form.dataset;
  if (key === 'inputDim') {
    if (ds === 'mnist') return 'd = 784 for MNIST';
    if (ds === 'halfcircle') return 'd = 2 for the half circle';
    if (ds === 'csv') return "d = the CSV file's columns";
  }
  if (key === 'normalize' && ds !== 'mnist') return 'only for MNIST';
  return null;
}
