import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, matchesFilter, parseFilter, type FilterRow } from '../../../../src/shared/runs/filter';

const row = (columns: FilterRow['columns'], tags: string[] = []): FilterRow => ({ columns, tags });
const joint64 = row({ regime: 'joint', hiddenWidth: 64, seed: 1, status: 'finished', finalLoss: 1e-9, backend: 'onnx' }, ['baseline']);
const weak32 = row({ regime: 'weak', hiddenWidth: 32, seed: 2, status: 'failed', finalLoss: null, backend: 'js' });

const keeps = (src: string, r: FilterRow): boolean => matchesFilter(parseFilter(src), r);

describe('parseFilter()', () => {
  it('keeps every run for an empty filter', () => {
    expect(keeps('', weak32)).toBe(true);
    expect(keeps('   ', joint64)).toBe(true);
  });

  it('compares strings case-insensitively and numbers numerically', () => {
    expect(keeps('regime = joint', joint64)).toBe(true);
    expect(keeps('regime = JOINT', joint64)).toBe(true);
    expect(keeps('regime = joint', weak32)).toBe(false);
    expect(keeps('hiddenWidth >= 64', joint64)).toBe(true);
    expect(keeps('hiddenWidth >= 64', weak32)).toBe(false);
    // numeric, not lexicographic: "100" > "64" only as numbers
    expect(keeps('hiddenWidth < 100', joint64)).toBe(true);
    expect(keeps('finalLoss < 1e-6', joint64)).toBe(true);
  });

  it('combines with and/or/not and parentheses, and binds and tighter than or', () => {
    expect(keeps('regime = joint and hiddenWidth >= 64', joint64)).toBe(true);
    expect(keeps('regime = joint and hiddenWidth >= 64', weak32)).toBe(false);
    expect(keeps('regime = weak or regime = joint and hiddenWidth > 1000', weak32)).toBe(true);
    expect(keeps('(regime = weak or regime = joint) and hiddenWidth > 1000', weak32)).toBe(false);
    expect(keeps('not status = finished', weak32)).toBe(true);
    expect(keeps('NOT (status = finished) AND seed = 2', weak32)).toBe(true);
  });

  it('matches tags and the contains operator', () => {
    expect(keeps('tag:baseline', joint64)).toBe(true);
    expect(keeps('tag:baseline', weak32)).toBe(false);
    expect(keeps('tag:"baseline"', joint64)).toBe(true);
    expect(keeps('backend ~ ONN', joint64)).toBe(true);
    expect(keeps('backend ~ onn', weak32)).toBe(false);
  });

  it('treats a missing or null cell as equal to nothing and different from everything', () => {
    expect(keeps('finalLoss < 1', weak32)).toBe(false);
    expect(keeps('finalLoss != 1', weak32)).toBe(true);
    expect(keeps('nosuch = 3', weak32)).toBe(false);
  });

  it('accepts quoted values with spaces', () => {
    expect(keeps('note = "two words"', row({ note: 'two words' }))).toBe(true);
    expect(keeps("note ~ 'two'", row({ note: 'two words' }))).toBe(true);
  });

  it.each([
    ['regime = = joint', /expected a value after 'regime =' at column 10/],
    ['regime joint', /expected an operator .* at column 8/],
    ['regime = joint and', /expected a column name, tag:NAME or \( at column 19, found the end/],
    ['(regime = joint', /expected '\)' at column 16/],
    ['regime = joint)', /expected 'and', 'or' or the end of the filter at column 15/],
    ['tag:', /expected a tag name after tag: at column 5/],
    ['note = "open', /unterminated string starting at column 8/],
    ['regime ! joint', /unexpected '!' at column 8/],
  ])('refuses %j with a message naming the column', (src, msg) => {
    expect(() => parseFilter(src)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(src)).toThrow(msg);
  });

  it('names the known columns when given a field list', () => {
    expect(() => parseFilter('regim = joint', ['regime', 'seed'])).toThrow(/unknown column 'regim' at column 1 \(known: regime, seed\)/);
    expect(parseFilter('regime = joint', ['regime', 'seed'])).toEqual({ kind: 'compare', field: 'regime', op: '=', value: 'joint' });
  });
});
