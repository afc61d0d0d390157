import { describe, expect, it } from 'vitest';
import {
  builtinSequences,
  parseSequencesCsv,
  parseSequencesJson,
  reverseSequences,
  sequenceLengths,
  sequencesToArrays,
} from '../../../../../src/main/engine/related/sequences';
import { sequenceStudy } from '../../../../../src/main/engine/related/sequenceStudy';

function expectError(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(message);
}

describe('parseSequencesJson()', () => {
  it('reads sequences of different lengths', () => {
    const s = parseSequencesJson('{"sequences": [[[1, 2], [3, 4], [5, 6]], [[0.5, -1]]]}');
    expect(s.p).toBe(2);
    expect(sequenceLengths(s)).toEqual([3, 1]);
    expect(sequencesToArrays(s)).toEqual([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [[0.5, -1]],
    ]);
    expect(sequencesToArrays(reverseSequences(s))[0]).toEqual([
      [5, 6],
      [3, 4],
      [1, 2],
    ]);
  });

  it('names the place of every malformed entry', () => {
    expectError(
      () => parseSequencesJson('{"sequences": [[[1, 2]], [[1, 2], [3]]]}'),
      /sequences\[1\]\[1\]: expected 2 features \(as sequences\[0\]\[0\]\), got 1/,
    );
    expectError(() => parseSequencesJson('{"sequences": [[[1, "x"]]]}'), /sequences\[0\]\[0\]\[1\]: expected a finite number, got "x"/);
    expectError(() => parseSequencesJson('{"sequences": [[]]}'), /sequences\[0\]: expected at least one time step/);
    expectError(() => parseSequencesJson('{"seqs": []}'), /no "sequences" key/);
    expectError(() => parseSequencesJson('{"sequences": [[[1]]'), /not valid JSON/);
  });
});

describe('parseSequencesCsv()', () => {
  it('reads one sequence per row, rows of different lengths, p features per step', () => {
    const s = parseSequencesCsv('1,2,3,4\n5,6\n', 'rows', 2);
    expect(sequencesToArrays(s)).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [[5, 6]],
    ]);
    expectError(() => parseSequencesCsv('1,2,3\n', 'rows', 2), /line 1, column 3: 3 values is not a whole number of time steps of 2 features/);
    expectError(() => parseSequencesCsv('a,b\n1,2\n3,x\n', 'rows'), /line 3, column 2: "x" is not a number/);
  });

  it('reads the long format, grouping by sequence and sorting by t', () => {
    const s = parseSequencesCsv('sequence,t,f1,f2\nb,2,5,6\na,1,1,2\nb,1,3,4\na,0,0,0\n');
    expect(s.names).toEqual(['b', 'a']);
    expect(sequencesToArrays(s)).toEqual([
      [
        [3, 4],
        [5, 6],
      ],
      [
        [0, 0],
        [1, 2],
      ],
    ]);
  });

  it('refuses a repeated time step and a short row, naming line and column', () => {
    expectError(() => parseSequencesCsv('sequence,t,x\na,1,1\na,1,2\n'), /line 3, column 2: sequence "a" has t = 1 twice \(lines 2 and 3\)/);
    expectError(() => parseSequencesCsv('sequence,t,x\na,1\n'), /line 2, column 3: expected 3 columns/);
    expectError(() => parseSequencesCsv(''), /line 1, column 1: the file is empty/);
  });
});

describe('builtinSequences()', () => {
  it('reads Iris as 150 standardized sequences of 4 steps with 3 classes', () => {
    const ds = builtinSequences('iris', { count: 1, minLength: 1, maxLength: 1, seed: 0 });
    expect(ds.set.data).toHaveLength(150);
    expect(new Set(sequenceLengths(ds.set))).toEqual(new Set([4]));
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const col0 = ds.set.data.map((x) => x[0]!);
    expect(col0.reduce((s, v) => s + v, 0) / 150).toBeCloseTo(0, 12);
  });

  it('makes the same synthetic sets from the same seed, with lengths in range', () => {
    const a = builtinSequences('sines', { count: 10, minLength: 3, maxLength: 8, seed: 4 });
    const b = builtinSequences('sines', { count: 10, minLength: 3, maxLength: 8, seed: 4 });
    expect(sequencesToArrays(a.set)).toEqual(sequencesToArrays(b.set));
    for (const T of sequenceLengths(a.set)) expect(T >= 3 && T <= 8).toBe(true);
    const f = builtinSequences('first-value', { count: 5, minLength: 4, maxLength: 4, seed: 1 });
    f.set.data.forEach((x, i) => expect(f.targets![i]).toBe(x[0]));
  });
});

describe('sequenceStudy()', () => {
  it('classifies Iris far above the majority baseline with the pooled RNTK', () => {
    const ds = builtinSequences('iris', { count: 1, minLength: 1, maxLength: 1, seed: 0 });
    const r = sequenceStudy(ds, {
      readout: 'avg',
      bidirectional: true,
      sigmaWs: [1],
      sigmaU: 1,
      sigmaB: 0,
      sigmaV: 1,
      ridge: 1e-3,
      testFraction: 0.3,
      seed: 2,
    });
    expect(r.nTest).toBe(45);
    expect(r.rows[0]!.accuracy!).toBeGreaterThan(0.8);
    expect(r.baselineAccuracy!).toBeLessThan(0.5);
  });

  it('remembers the first step of long sequences better with a larger σ_w', () => {
    const ds = builtinSequences('first-value', { count: 60, minLength: 12, maxLength: 12, seed: 3 });
    const r = sequenceStudy(ds, {
      readout: 'last',
      bidirectional: false,
      sigmaWs: [0.5, 1.5],
      sigmaU: 1,
      sigmaB: 0,
      sigmaV: 1,
      ridge: 1e-3,
      testFraction: 0.3,
      seed: 1,
    });
    expect(r.rows[1]!.r2!).toBeGreaterThan(r.rows[0]!.r2!);
  });
});
