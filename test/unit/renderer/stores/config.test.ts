import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { configToForm, formToInput, useConfigStore } from '../../../../src/renderer/src/stores/config';
import { FIELDS } from '../../../../src/renderer/src/stores/configFields';
import { configObjectSchema, defaultConfig } from '../../../../src/shared/config/schema';

describe('FIELDS', () => {
  it('covers every config key except the CSV payload keys', () => {
    const keys = Object.keys(configObjectSchema.shape).filter((k) => k !== 'csvText' && k !== 'csvName').sort();
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
    expect(s.issuesByKey.hiddenWidth).toEqual(['hiddenWidth: expected an integer ≥ 1, got 0']);
  });

  it('applies the cross-field rules (batch size above samples)', () => {
    const s = useConfigStore();
    s.set('batchSize', '100');
    expect(s.issuesByKey.batchSize?.[0]).toMatch(/^batchSize: expected at most samples \(16\), got 100$/);
  });

  it('puts an imported CSV text (not a path) into the config and switches the data set to csv', () => {
    const s = useConfigStore();
    s.set('dataset', 'csv');
    expect(s.issuesByKey.csvText?.[0]).toBe('csvText: the csv data set needs a CSV file');
    s.importCsv('points.csv', '1,0\n0,1\n');
    expect(s.valid).toBe(true);
    expect(s.parsed.config?.csvText).toBe('1,0\n0,1\n');
    expect(s.parsed.config?.csvName).toBe('points.csv');
  });
});
