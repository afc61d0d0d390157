import { describe, expect, it } from 'vitest';
import { DATASET_DEFAULTS, defaultConfig, parseConfig, issuesToText } from '../../../src/shared/config/schema';
import { stepSizeWarning } from '../../../src/shared/config/stepSize';

describe('parseConfig()', () => {
  it('accepts the defaults and fills every key', () => {
    const r = parseConfig({});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config).toEqual(defaultConfig());
  });

  it.each([
    [{ hiddenWidth: 0 }, 'hiddenWidth', '≥ 1'],
    [{ learningRate: -0.1 }, 'learningRate', '> 0'],
    [{ samples: 100001 }, 'samples', '≤ 100000'],
    [{ regime: 'sideways' }, 'regime', 'expected one of weak, joint, decoder, tied'],
    [{ steps: '100' }, 'steps', 'expected a number'],
    [{ hiddenWidth: 2.5 }, 'hiddenWidth', 'integer'],
    [{ bogus: 1 }, 'bogus', 'unknown key'],
  ])('rejects %j naming the key and the rule', (input, key, rule) => {
    const r = parseConfig(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const text = issuesToText(r.issues);
      expect(text).toContain(`${key}:`);
      expect(text).toContain(rule);
    }
  });

  it('rejects non-objects', () => {
    expect(parseConfig('x').ok).toBe(false);
    expect(parseConfig([1]).ok).toBe(false);
    expect(parseConfig(null).ok).toBe(false);
  });

  it('applies cross-field rules (antisymmetric needs an even width)', () => {
    const r = parseConfig({ init: 'antisymmetric', hiddenWidth: 7 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(issuesToText(r.issues)).toMatch(/^hiddenWidth: antisymmetric init needs an even width/);
  });
});

describe('stepSizeWarning()', () => {
  const base = { regime: 'joint' as const, learningRate: null, decoderLearningRate: null, stepScale: 1 };
  it('warns above 2/λ_max with the limit, and not below it', () => {
    expect(stepSizeWarning({ ...base, learningRate: 0.5 }, 0.526)).toBeNull();
    const w = stepSizeWarning({ ...base, learningRate: 0.6 }, 0.526);
    expect(w).toMatchObject({ eta: 0.6, limit: 0.526 });
    expect(w!.message).toBe('η = 0.6 is above the stable limit 0.526 (2/λ_max of the infinite-width kernel); the run will likely diverge');
    expect(stepSizeWarning({ ...base, learningRate: 100 }, 0.526)!.message).toContain('η = 100 is above the stable limit 0.526');
  });
  it('checks the automatic step through c, η_V for decoder-only runs, and nothing for weight-tied runs', () => {
    expect(stepSizeWarning(base, 0.5)).toBeNull();
    expect(stepSizeWarning({ ...base, stepScale: 2.5 }, 0.5)!.message).toMatch(/^step scale c = 2.5 ≥ 2/);
    expect(stepSizeWarning({ ...base, regime: 'decoder', learningRate: 0.1, decoderLearningRate: 0.9 }, 0.5)?.eta).toBe(0.9);
    expect(stepSizeWarning({ ...base, regime: 'tied', learningRate: 100 }, 0.5)).toBeNull();
    expect(stepSizeWarning({ ...base, learningRate: 100 }, null)).toBeNull();
  });
});

describe('DATASET_DEFAULTS', () => {
  it('gives MNIST its own decoder scale where the config leaves ν out, and keeps a given ν', () => {
    const r = parseConfig({ dataset: 'mnist' });
    expect(r.ok && r.config.nu).toBe(DATASET_DEFAULTS.mnist!.nu);
    expect(defaultConfig('mnist').nu).toBe(DATASET_DEFAULTS.mnist!.nu);
    const given = parseConfig({ dataset: 'mnist', nu: 1 });
    expect(given.ok && given.config.nu).toBe(1);
    expect(defaultConfig('sphere')).toEqual({ ...defaultConfig(), dataset: 'sphere' });
  });
});
