import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, issuesToText } from '../../../src/shared/config/schema';

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
