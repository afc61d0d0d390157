import { describe, expect, it } from 'vitest';
import { deflateSync, strToU8 } from 'fflate';
import { CONFIG_STRING_VERSION, decodeConfigString, encodeConfigString } from '../../../../src/shared/config/share';
import { defaultConfig, parseConfig } from '../../../../src/shared/config/schema';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

describe('encodeConfigString() / decodeConfigString()', () => {
  it('round-trips a config exactly, seed and non-default values included', () => {
    const r = parseConfig({
      ...defaultConfig(),
      regime: 'weak',
      hiddenWidth: 1234,
      seed: 4242,
      learningRate: 0.37,
      dataset: 'csv',
      csvText: '1,2\n3,4\n',
      csvName: 'x.csv',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = encodeConfigString(r.config);
    expect(s.startsWith(`ntkwb${CONFIG_STRING_VERSION}.`)).toBe(true);
    expect(s).toMatch(/^ntkwb\d+\.[A-Za-z0-9_-]+$/);
    const d = decodeConfigString(`  ${s}\n`);
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.config).toEqual(r.config);
      expect(d.changes).toEqual([]);
    }
  });

  it('is compact: the default config fits in a short string', () => {
    expect(encodeConfigString(defaultConfig()).length).toBeLessThan(400);
  });

  it('refuses text that is not a config string, a damaged one and a newer format', () => {
    expect(decodeConfigString('hello')).toMatchObject({ ok: false, message: expect.stringMatching(/not a config string/) });
    const s = encodeConfigString(defaultConfig());
    expect(decodeConfigString(s.slice(0, s.length - 10))).toMatchObject({ ok: false, message: expect.stringMatching(/damaged/) });
    expect(decodeConfigString(s.replace(/\.(.)/, '.$1!'))).toMatchObject({ ok: false, message: expect.stringMatching(/damaged/) });
    expect(decodeConfigString(`ntkwb${CONFIG_STRING_VERSION + 1}.abc`)).toMatchObject({ ok: false, message: expect.stringMatching(/newer version/) });
  });

  it('names the key and the rule when the decoded config is invalid', () => {
    const bad = `ntkwb1.${b64url(deflateSync(strToU8(JSON.stringify({ ...defaultConfig(), hiddenWidth: 0 }))))}`;
    const d = decodeConfigString(bad);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.message).toMatch(/hiddenWidth: expected an integer ≥ 1, got 0/);
      expect(d.issues?.[0]?.key).toBe('hiddenWidth');
    }
    const unknown = `ntkwb1.${b64url(deflateSync(strToU8(JSON.stringify({ ...defaultConfig(), oldKey: 1 }))))}`;
    expect(decodeConfigString(unknown)).toMatchObject({ ok: false, message: expect.stringMatching(/oldKey: unknown key/) });
  });

  it('stops inflating a deflate bomb instead of exhausting memory', () => {
    const bomb = `ntkwb1.${b64url(deflateSync(new Uint8Array(4 * 1024 * 1024)))}`;
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(decodeConfigString(bomb, 1024 * 1024)).toMatchObject({ ok: false, message: 'the config string is too large' });
  });
});
