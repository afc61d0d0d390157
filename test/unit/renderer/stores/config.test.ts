import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { configToForm, formToInput, useConfigStore } from '../../../../src/renderer/src/stores/config';
import { FIELDS } from '../../../../src/renderer/src/stores/configFields';
import { DATASET_DEFAULTS, configObjectSchema, defaultConfig } from '../../../../src/shared/config/schema';
import { setApi } from '../../../../src/renderer/src/api/current';
import { fakeApi } from '../fakeApi';

describe('FIELDS', () => {
  it('covers every config key except the CSV payload keys', () => {
    const keys = Object.keys(configObjectSchema.shape)
      .filter((k) => k !== 'csvText' && k !== 'csvName')
      .sort();
    expect(FIELDS.map((f) => f.key).sort()).toEqual(keys);
  });
});

describe('formToInput()', () => {
  it('round-trips the defaults', () => {
    const { input, issues } = formToInput(configToForm(defaultConfig()));
    expect(issues).toEqual([]);
    expect(configObjectSchema.parse(input)).toEqual(defaultConfig());
  });

  it('reads an empty learning rate as automatic (null) and an empty width as a missing value', () => {
    const form = { ...configToForm(defaultConfig()), learningRate: '', hiddenWidth: '  ' };
    const { input, issues } = formToInput(form);
    expect(input.learningRate).toBeNull();
    expect(issues).toEqual([{ key: 'hiddenWidth', message: 'required' }]);
  });

  it('names text that is not a number', () => {
    const { issues } = formToInput({ ...configToForm(defaultConfig()), seed: 'abc' });
    expect(issues).toEqual([{ key: 'seed', message: 'expected a number, got "abc"' }]);
  });
});

describe('useConfigStore()', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('reports hidden width 0 with the schema rule and becomes invalid', () => {
    const s = useConfigStore();
    expect(s.valid).toBe(true);
    s.set('hiddenWidth', '0');
    expect(s.valid).toBe(false);
    expect(s.issuesByKey.hiddenWidth).toEqual(['Hidden width: expected an integer ≥ 1, got 0']);
  });

  it('applies the cross-field rules (batch size above samples)', () => {
    const s = useConfigStore();
    s.set('batchSize', '100');
    expect(s.issuesByKey.batchSize?.[0]).toMatch(/^Batch size: expected at most samples \(16\), got 100$/);
  });

  it('puts an imported CSV text (not a path) into the config and switches the data set to csv', () => {
    const s = useConfigStore();
    s.set('dataset', 'csv');
    expect(s.issuesByKey.csvText?.[0]).toBe('CSV file: the csv data set needs a CSV file');
    s.importCsv('points.csv', '1,0\n0,1\n');
    // not runnable until the file's check has come back
    expect(s.valid).toBe(false);
    expect(s.issuesByKey.csvText).toEqual(['CSV file: checking the file…']);
    s.setCsvCheck({ status: 'ok', rows: 2, columns: 2, header: false });
    s.set('samples', '2');
    s.set('testSamples', '0');
    expect(s.valid).toBe(true);
    expect(s.parsed.config?.csvText).toBe('1,0\n0,1\n');
    expect(s.parsed.config?.csvName).toBe('points.csv');
  });
});

describe('useConfigStore() and late defaults', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('never overwrites a field the user touched before the server defaults arrived', async () => {
    let answer!: (r: unknown) => void;
    const api = fakeApi();
    api.invoke = ((channel: string) => {
      if (channel !== 'config:defaults') return Promise.resolve({ ok: false, error: { code: 'internal', message: channel } });
      return new Promise<unknown>((resolve) => (answer = resolve));
    }) as typeof api.invoke;
    setApi(api);
    const s = useConfigStore();
    const loading = s.loadDefaults();
    s.set('steps', '77');
    s.set('backend', 'js');
    answer({ ok: true, value: { ...defaultConfig(), steps: 900, backend: 'wasm', seed: 5, hiddenWidth: 512 } });
    await loading;
    expect(s.form.steps).toBe('77');
    expect(s.form.backend).toBe('js');
    // untouched fields take the server's values
    expect(s.form.seed).toBe('5');
    expect(s.form.hiddenWidth).toBe('512');
    expect(s.parsed.config).toMatchObject({ steps: 77, backend: 'js', seed: 5, hiddenWidth: 512 });
    // a reset forgets what was touched
    s.resetForm();
    expect(s.form.steps).toBe('900');
  });

  it('gives MNIST its own defaults in the fields the user has not touched, and takes them back for other data', () => {
    const s = useConfigStore();
    s.set('dataset', 'mnist');
    expect(s.form.nu).toBe(String(DATASET_DEFAULTS.mnist!.nu));
    s.set('dataset', 'sphere');
    expect(s.form.nu).toBe('1');
    s.set('nu', '0.7');
    s.set('dataset', 'mnist');
    expect(s.form.nu).toBe('0.7');
  });
});
