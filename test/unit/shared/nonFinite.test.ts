import { describe, expect, it } from 'vitest';
import { decodeNonFinite, encodeNonFinite } from '../../../src/shared/json';
import { decodeServerMessage, encodeServerMessage, type ServerMessage } from '../../../src/shared/api/wire';
import { metricLine } from '../../../src/shared/run/format';

describe('the one encoding of non-finite numbers (src/shared/json.ts)', () => {
  it('encodes NaN and ±Infinity as null with a nonFinite map by path, and decodes them back', () => {
    const value = { loss: Infinity, a: { b: NaN, c: 1 }, list: [1, -Infinity, null], s: 'NaN', n: null };
    const enc = encodeNonFinite(value);
    expect(enc).toEqual({
      loss: null,
      a: { b: null, c: 1 },
      list: [1, null, null],
      s: 'NaN',
      n: null,
      nonFinite: { loss: 'Infinity', 'a.b': 'NaN', 'list[1]': '-Infinity' },
    });
    const back = decodeNonFinite(JSON.parse(JSON.stringify(enc)) as typeof value);
    expect(back.loss).toBe(Infinity);
    expect(back.a.b).toBeNaN();
    expect(back.list).toEqual([1, -Infinity, null]);
    expect(back.n).toBeNull();
    expect(back.s).toBe('NaN');
    expect('nonFinite' in back).toBe(false);
  });

  it('leaves finite values untouched (no map)', () => {
    const v = { a: 1, b: [2, 3], c: { d: 'x' } };
    expect(encodeNonFinite(v)).toEqual(v);
    expect(decodeNonFinite(v)).toBe(v);
  });

  it('is the run-file encoding: a diverged metrics line stores null + nonFinite', () => {
    const line = metricLine({ step: 3, loss: NaN } as Parameters<typeof metricLine>[0]);
    expect(JSON.parse(line)).toEqual({ step: 3, loss: null, nonFinite: { loss: 'NaN' } });
  });

  it("browser mode's WebSocket messages keep NaN and ±Infinity as Electron IPC does", () => {
    const msg = {
      t: 'result',
      id: 7,
      result: {
        ok: true,
        value: {
          lambdaMin: 0,
          condition: Infinity,
          eta: NaN,
          curve: [
            [0, 1],
            [1, -Infinity],
          ],
        },
      },
    } as unknown as ServerMessage;
    const text = encodeServerMessage(msg);
    expect(text).not.toContain('Infinity,'); // valid JSON: no bare Infinity
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    const back = decodeServerMessage(text) as unknown as { result: { value: { condition: number; eta: number; curve: number[][]; lambdaMin: number } } };
    expect(back.result.value.condition).toBe(Infinity);
    expect(back.result.value.eta).toBeNaN();
    expect(back.result.value.curve[1]![1]).toBe(-Infinity);
    expect(back.result.value.lambdaMin).toBe(0);
    expect(back).not.toHaveProperty('nonFinite');
  });
});

describe("the experiments' tidy CSV uses the shared CSV cells (numbers at full precision, non-finite named)", () => {
  it('writes NaN and ±Infinity by name, null as empty, and quotes per RFC 4180', async () => {
    const { rowsToCsv } = await import('../../../src/main/services/experiments/runExperiment');
    expect(
      rowsToCsv(
        ['a', 'b', 'c'],
        [
          { a: NaN, b: -Infinity, c: 'x,"y"' },
          { a: 0.1, b: null, c: 'z' },
        ],
      ),
    ).toBe('a,b,c\nNaN,-Infinity,"x,""y"""\n0.1,,z\n');
  });
});
