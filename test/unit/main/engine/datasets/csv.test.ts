import { describe, expect, it } from 'vitest';
import { buildDataset, parseCsv } from '../../../../../src/main/engine/datasets/index';
import { defaultConfig } from '../../../../../src/shared/config/schema';
import { WorkbenchException } from '../../../../../src/shared/api/result';

function errorOf(f: () => unknown): WorkbenchException {
  try {
    f();
  } catch (e) {
    if (e instanceof WorkbenchException) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('parseCsv()', () => {
  it('reads quoted fields whole (a quoted header name may hold the separator, a doubled quote is one quote)', () => {
    const r = parseCsv('"x, first","the ""y""",z\n1,"2",3\n"4",5,6\n');
    expect(r.header).toEqual(['x, first', 'the "y"', 'z']);
    expect(Array.from(r.X)).toEqual([1, 4, 2, 5, 3, 6]);
    // A naive split at every comma would see four columns on the header line.
    expect(r.d).toBe(3);
  });

  it('names the line and column of a quote that is never closed, and of a quoted field that is no number', () => {
    expect(errorOf(() => parseCsv('1,2\n3,"4\n')).message).toMatch(/^line 2, column 2: Quote Not Closed/);
    const e = errorOf(() => parseCsv('a;b\n1;2\n3;"4,5"\n'));
    expect(e.message).toBe('line 3, column 2: "4,5" is not a number');
    expect(e.details).toEqual({ line: 3, column: 2 });
  });

  it('reads one sample per row into X [d, n] and detects a header', () => {
    const r = parseCsv('a,b,c\n1,2,3\n4,5,6\n');
    expect(r.header).toEqual(['a', 'b', 'c']);
    expect([r.d, r.n]).toEqual([3, 2]);
    expect(Array.from(r.X)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('accepts no header, CRLF, blank lines, exponents, semicolons and a BOM', () => {
    const r = parseCsv('\ufeff1e-3, -2.5\r\n\r\n.5,+7\r\n');
    expect(r.header).toBeNull();
    expect(Array.from(r.X)).toEqual([1e-3, 0.5, -2.5, 7]);
    const s = parseCsv('1;2\n3;4');
    expect(Array.from(s.X)).toEqual([1, 3, 2, 4]);
  });

  const cases: [string, string, string][] = [
    ['an empty file', '', 'line 1, column 1: the file is empty'],
    ['a blank file', '\n  \n', 'line 1, column 1: the file is empty'],
    ['a header without data', 'a,b\n', 'line 2, column 1: no data rows after the header'],
    ['a row with too many columns', '1,2\n3,4\n5,6,7\n', 'line 3, column 3: expected 2 columns (as on line 1), found 3'],
    ['a row with too few columns', 'x,y,z\n1,2,3\n\n4,5\n', 'line 4, column 3: expected 3 columns (as on line 1), found 2'],
    ['a non-number', '1,2\n3,abc\n', 'line 2, column 2: "abc" is not a number'],
    ['a half number', '1,2\n3,4x\n', 'line 2, column 2: "4x" is not a number'],
    ['NaN', '1,2\nNaN,4\n', 'line 2, column 1: "NaN" is not a finite number'],
    ['Inf', 'a,b\n1,2\n3,-Infinity\n', 'line 3, column 2: "-Infinity" is not a finite number'],
    ['an overflow', '1,1e999\n', 'line 1, column 2: "1e999" overflows float64'],
    ['an empty field', '1,,3\n', 'line 1, column 2: empty field'],
    ['a data row in first place with one bad field', '1,x\n2,3\n', 'line 1, column 2: "x" is not a number'],
  ];
  for (const [name, text, message] of cases) {
    it(`reports ${name} with its line and column`, () => {
      const e = errorOf(() => parseCsv(text));
      expect(e.code).toBe('invalid-data');
      expect(e.message.startsWith(message), e.message).toBe(true);
    });
  }
});

describe('buildDataset() csv', () => {
  const rows = Array.from({ length: 10 }, (_, i) => `${i + 1},${(i * 7) % 5},${i % 3}`);
  const csvText = 'p,q,r\n' + rows.join('\n');
  const base = { ...defaultConfig(), dataset: 'csv' as const, csvText, csvName: 'toy.csv', samples: 6, testSamples: 3, seed: 5 };

  it('shuffles with the seed and holds out testSamples rows, deterministically', () => {
    const a = buildDataset(base);
    const b = buildDataset(base);
    expect(a.name).toBe('csv:toy.csv');
    expect([a.d, a.n, a.nTest]).toEqual([3, 6, 3]);
    expect(Array.from(a.X)).toEqual(Array.from(b.X));
    // Every chosen sample is a distinct row of the file (first coordinate = row number).
    const firsts = [...Array.from(a.X.subarray(0, 6)), ...Array.from(a.Xtest.subarray(0, 3))];
    expect(new Set(firsts).size).toBe(9);
    for (const f of firsts) expect(f >= 1 && f <= 10 && Number.isInteger(f)).toBe(true);
    const c = buildDataset({ ...base, seed: 6 });
    expect(Array.from(c.X)).not.toEqual(Array.from(a.X));
  });

  it('refuses a file with fewer rows than samples + testSamples', () => {
    const e = errorOf(() => buildDataset({ ...base, samples: 8, testSamples: 3 }));
    expect(e.code).toBe('invalid-data');
    expect(e.message).toBe('the CSV file has 10 data rows, but samples (8) + testSamples (3) = 11 are needed; lower samples or testSamples');
  });
});
