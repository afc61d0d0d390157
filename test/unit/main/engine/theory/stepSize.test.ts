import { describe, expect, it } from 'vitest';
import { automaticLearningRate, maxStableLearningRate } from '../../../../../src/main/engine/theory/stepSize';

describe('automaticLearningRate()', () => {
  it('is c/λ_max for NTK scaling and m·c/λ_max for mean-field', () => {
    expect(automaticLearningRate(4, { stepScale: 1, scaling: 'ntk', m: 100 })).toBe(0.25);
    expect(automaticLearningRate(4, { stepScale: 0.5, scaling: 'ntk', m: 100 })).toBe(0.125);
    expect(automaticLearningRate(4, { stepScale: 1, scaling: 'mean-field', m: 100 })).toBe(25);
  });

  it('refuses a zero kernel with a message', () => {
    expect(() => automaticLearningRate(0, { stepScale: 1, scaling: 'ntk', m: 10 })).toThrow(/λ_max\(H\) = 0/);
  });
});

describe('maxStableLearningRate()', () => {
  it('is 2/λ_max, null for a zero kernel', () => {
    expect(maxStableLearningRate(4)).toBe(0.5);
    expect(maxStableLearningRate(0)).toBeNull();
  });
});
