import { describe, expect, it } from 'vitest';
import { ntkReport } from '../../../../src/main/engine/ntkReport';
import { createJsBackend } from '../../../../src/main/engine/backends/jsBackend';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';
import { WorkbenchException } from '../../../../src/shared/api/result';

function cfg(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    dataset: 'sphere',
    samples: 8,
    testSamples: 0,
    inputDim: 3,
    hiddenWidth: 200,
    dtype: 'float64',
    backend: 'js',
    regime: 'joint',
    ...over,
  };
}

/** Round-off of an eigensolver on an O(1) matrix of size ≤ 24. */
const EIG_ABS = 1e-12;

describe('ntkReport()', () => {
  it('reports an ascending spectrum and its summary for the traced kernel at init', async () => {
    const r = await ntkReport(cfg(), createJsBackend(), { atStep: 0, full: false });
    expect(r).toMatchObject({ kind: 'traced', size: 8, n: 8, d: 3, m: 200, step: 0, regime: 'joint', lossRatio: 1 });
    expect(r.spectrum).toHaveLength(8);
    for (let i = 1; i < 8; i++) expect(r.spectrum[i]!).toBeGreaterThanOrEqual(r.spectrum[i - 1]!);
    expect(r.lambdaMin).toBe(r.spectrum[0]);
    expect(r.lambdaMax).toBe(r.spectrum[7]);
    expect(r.conditionNumber).toBeCloseTo(r.lambdaMax / r.lambdaMin, 8);
    expect(r.negativeCount).toBe(0);
    expect(r.asymmetry).toBe(0);
    expect(r.distanceToInfinite!.frobenius).toBeGreaterThan(0);
  });

  it('full decoder kernel I_d ⊗ G has the traced spectrum with multiplicity d', async () => {
    const c = cfg({ regime: 'decoder' });
    const traced = await ntkReport(c, createJsBackend(), { atStep: 0, full: false });
    const full = await ntkReport(c, createJsBackend(), { atStep: 0, full: true });
    expect(full.size).toBe(24);
    const expected = traced.spectrum.flatMap((v) => [v, v, v]);
    full.spectrum.forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(EIG_ABS * Math.max(1, full.lambdaMax)));
  });

  it('the distance to I_d ⊗ H∞ shrinks with width like m^(−1/2)', async () => {
    const dist = async (m: number) => {
      let s = 0;
      const seeds = [1, 2, 3, 4];
      for (const seed of seeds)
        s += (await ntkReport(cfg({ hiddenWidth: m, seed }), createJsBackend(), { atStep: 0, full: true })).distanceToInfinite!.frobenius ** 2;
      return Math.sqrt(s / seeds.length);
    };
    const narrow = await dist(50);
    const wide = await dist(3200);
    // 64× the width: RMS error 8× smaller in expectation; allow a factor 2 either way for 4 seeds.
    expect(wide).toBeLessThan(narrow / 4);
    expect(wide).toBeGreaterThan(narrow / 16);
  });

  it('reports the kernel after K GD steps with the loss reached', async () => {
    const r = await ntkReport(cfg(), createJsBackend(), { atStep: 30, full: false });
    expect(r.step).toBe(30);
    expect(r.lossRatio).toBeLessThan(1);
  });

  it('has no infinite-width distance for the weight-tied regime, and says why', async () => {
    const r = await ntkReport(cfg({ regime: 'tied' }), createJsBackend(), { atStep: 0, full: true });
    expect(r.distanceToInfinite).toBeNull();
    expect(r.distanceNote).toMatch(/weight-tied/);
  });

  it('refuses a full kernel above memoryLimitMiB up front with too-large', async () => {
    const p = ntkReport(cfg({ samples: 1500, inputDim: 20, hiddenWidth: 4, memoryLimitMiB: 16 }), createJsBackend(), { atStep: 0, full: true });
    await expect(p).rejects.toBeInstanceOf(WorkbenchException);
    await expect(p).rejects.toMatchObject({ code: 'too-large' });
    await expect(p).rejects.toThrow(/full empirical NTK \(nd×nd\) needs/);
  });
});
