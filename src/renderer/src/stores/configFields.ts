/**
 * The config form as data: one entry per Config key the form edits, with its visible label (which is
 * also the control's accessible name), its kind and its group. The order here is the order on screen.
 */
import {
  BACKENDS,
  DATASETS,
  DTYPES,
  INITS,
  LOSS_NORMALIZATIONS,
  REGIMES,
  SCALINGS,
} from '../../../shared/config/schema';
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
}

export const FIELD_GROUP_TITLES: Record<FieldGroup, string> = {
  data: 'Data',
  model: 'Model',
  training: 'Training',
  tracking: 'Tracking and output',
};

export const FIELDS: readonly FieldDef[] = [
  { key: 'dataset', label: 'Data set', kind: 'select', group: 'data', options: DATASETS,
    optionLabels: { sphere: 'sphere (uniform on Sᵈ⁻¹)', gaussian: 'gaussian N(0, I/d)', halfcircle: 'half circle (d = 2)', trig: 'trig (deterministic)', trig_scaled: 'trig, scaled norms', mnist: 'MNIST digits', csv: 'CSV file' } },
  { key: 'samples', label: 'Samples', kind: 'int', group: 'data', hint: 'n: training samples' },
  { key: 'testSamples', label: 'Test samples', kind: 'int', group: 'data', hint: 'held-out samples from the same distribution' },
  { key: 'inputDim', label: 'Input dimension', kind: 'int', group: 'data', hint: 'd (ignored for halfcircle, mnist and csv)' },
  { key: 'normalize', label: 'Normalize MNIST', kind: 'checkbox', group: 'data', hint: 'scale each digit to unit norm', advanced: true },
  { key: 'hiddenWidth', label: 'Hidden width', kind: 'int', group: 'model', hint: 'm: hidden neurons' },
  { key: 'regime', label: 'Regime', kind: 'select', group: 'model', options: REGIMES,
    optionLabels: { weak: 'weak (encoder only)', joint: 'joint (encoder + decoder)', decoder: 'decoder only', tied: 'weight-tied' } },
  { key: 'scaling', label: 'Scaling', kind: 'select', group: 'model', options: SCALINGS, optionLabels: { ntk: 'NTK (s = 1/√m)', 'mean-field': 'mean-field (s = 1/m)' }, advanced: true },
  { key: 'init', label: 'Initialization', kind: 'select', group: 'model', options: INITS, advanced: true },
  { key: 'kappa', label: 'Encoder scale κ', kind: 'number', group: 'model', advanced: true },
  { key: 'nu', label: 'Decoder scale ν', kind: 'number', group: 'model', advanced: true },
  { key: 'learningRate', label: 'Learning rate', kind: 'optional-number', group: 'training', placeholder: 'automatic', hint: 'η (η_W for joint); empty = c/λ_max(H)' },
  { key: 'decoderLearningRate', label: 'Decoder learning rate', kind: 'optional-number', group: 'training', placeholder: 'same as η', advanced: true },
  { key: 'stepScale', label: 'Step scale c', kind: 'number', group: 'training', hint: 'automatic η = c/λ_max(H); stable for c < 2', advanced: true },
  { key: 'steps', label: 'Steps', kind: 'int', group: 'training' },
  { key: 'seed', label: 'Seed', kind: 'int', group: 'training' },
  { key: 'lossNormalization', label: 'Loss normalization', kind: 'select', group: 'training', options: LOSS_NORMALIZATIONS, optionLabels: { sum: 'sum: ½‖X−U‖²', mean: 'mean: ½‖X−U‖²/n' }, advanced: true },
  { key: 'dtype', label: 'Precision', kind: 'select', group: 'training', options: DTYPES, advanced: true },
  { key: 'targetLossRatio', label: 'Target loss ratio', kind: 'number', group: 'training', hint: 'stop when L/L₀ falls below this (0 = never)', advanced: true },
  { key: 'batchSize', label: 'Batch size', kind: 'optional-int', group: 'training', placeholder: 'full batch', advanced: true },
  { key: 'backend', label: 'Backend', kind: 'select', group: 'training', options: BACKENDS, advanced: true },
  { key: 'trackEvery', label: 'Tracking interval K', kind: 'int', group: 'tracking', hint: 'record NTK eigenvalues and movement every K steps', advanced: true },
  { key: 'trackEigenvalues', label: 'Tracked eigenvalues', kind: 'int', group: 'tracking', hint: 'extreme eigenvalues tracked at each end', advanced: true },
  { key: 'linearizedSideBySide', label: 'Linearized network side by side', kind: 'checkbox', group: 'tracking', advanced: true },
  { key: 'checkpointEvery', label: 'Checkpoint interval', kind: 'int', group: 'tracking', hint: 'steps between checkpoints (0 = off)', advanced: true },
  { key: 'memoryLimitMiB', label: 'Memory limit (MiB)', kind: 'int', group: 'tracking', advanced: true },
];
