import { describe, expect, it } from 'vitest';
import { CollapseDetector, deadUnitFraction, patternStats, zeroOutputLoss, type CollapseContext } from '../../../../../src/main/engine/training/collapse';
import { runTraining, type RunCallbacks } from '../../../../../src/main/engine/training';
import { createJsBackend } from '../../../../../src/main/engine/backends/jsBackend';
import { freeRunning } from '../../../../../src/main/engine/protocol';
import { parseConfig } from '../../../../../src/shared/config/schema';
import type { MetricRecord } from '../../../../../src/shared/run/format';

const ctx: CollapseContext = { n: 16, d: 784, m: 256, learningRate: 0.25, lossWeight: 1, initialLoss: 3465, zeroOutputLoss: 8, nu: 1 };
const obs = (step: number, loss: number, extra: Partial<{ lambdaMin: number | null; lambdaMax: number | null; deadFraction: number | null }> = {}) => ({
  step,
  loss,
  lambdaMin: 0.2,
  lambdaMax: 7.7,
  deadFraction: 0,
  ...extra,
});

describe('deadUnitFraction()', () => {
  it('counts the units inactive on every sample of A [n, m]', () => {
    // n = 2 samples, m = 4 units: unit 0 active on sample 1 only, unit 2 on both, units 1 and 3 never
    const A = Uint8Array.from([0, 0, 1, 0, 1, 0, 1, 0]);
    expect(deadUnitFraction(A, 2, 4)).toBe(0.5);
    expect(() => deadUnitFraction(A, 3, 4)).toThrow(/expected \[3, 4\]/);
  });
});

describe('patternStats()', () => {
  it('counts flips against A0 and dead units in one pass, as the two separate counts do', () => {
    const rng = (k: number) => (Math.sin(12.9898 * k) * 43758.5453) % 1;
    const n = 7;
    const m = 11;
    const A = Uint8Array.from({ length: n * m }, (_, k) => (Math.abs(rng(k)) > 0.8 || k % m === 3 ? 1 : 0));
    const A0 = Uint8Array.from({ length: n * m }, (_, k) => (Math.abs(rng(k + 500)) > 0.5 ? 1 : 0));
    let flips = 0;
    for (let k = 0; k < A.length; k++) if (A[k] !== A0[k]) flips++;
    expect(patternStats(A, A0, n, m)).toEqual({ flips, deadFraction: deadUnitFraction(A, n, m) });
    expect(patternStats(A, A0, n, m).deadFraction).toBeGreaterThan(0);
    expect(() => patternStats(A, A0.subarray(1), n, m)).toThrow(/expected \[7, 11\]/);
  });

  it('gives the same counts on the word-at-a-time path (m a multiple of 4), whatever the byte values', () => {
    const rng = (k: number) => Math.abs((Math.sin(78.233 * k) * 43758.5453) % 1);
    for (const [n, m, values] of [
      [9, 12, [0, 1]],
      [5, 64, [0, 1]],
      [6, 8, [0, 1, 2, 255, 128]],
    ] as const) {
      const draw = (k: number, p: number) => (rng(k) > p ? values[Math.floor(rng(k + 7) * values.length)]! : 0);
      // a unit (column 2) never active: dead; some rows equal A0 entirely
      const A = Uint8Array.from({ length: n * m }, (_, k) => (k % m === 2 ? 0 : draw(k, 0.6)));
      const A0 = Uint8Array.from({ length: n * m }, (_, k) => (Math.floor(k / m) % 3 === 0 ? A[k]! : draw(k + 900, 0.5)));
      let flips = 0;
      for (let k = 0; k < A.length; k++) if (A[k] !== A0[k]) flips++;
      expect(flips).toBeGreaterThan(0);
      expect(patternStats(A, A0, n, m)).toEqual({ flips, deadFraction: deadUnitFraction(A, n, m) });
      // an unaligned view takes the byte path and agrees
      const buf = new Uint8Array(n * m + 1);
      buf.set(A, 1);
      expect(patternStats(buf.subarray(1), A0, n, m)).toEqual({ flips, deadFraction: deadUnitFraction(A, n, m) });
    }
  });
});

describe('zeroOutputLoss()', () => {
  it('is ½·w·Σ‖x‖²', () => {
    expect(zeroOutputLoss(Float64Array.from([1, 2, 3, 4]), 1)).toBe(15);
    expect(zeroOutputLoss(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(7.5);
  });
});

describe('CollapseDetector', () => {
  it('flags a plateau at the zero-output level with dead units, from the second tracked step on it', () => {
    const det = new CollapseDetector(ctx);
    expect(det.observe(obs(0, 3465))).toBeNull();
    expect(det.observe(obs(5, 8.35, { deadFraction: 0.9 }))).toBeNull(); // 4 % above: in the band, no plateau yet
    const d = det.observe(obs(10, 7.93, { deadFraction: 1, lambdaMin: -7e-18, lambdaMax: 0.046 }));
    // 8.35 → 7.93 moved by 5 % of L_zero: still not a plateau
    expect(d).toBeNull();
    const e = det.observe(obs(15, 7.9305, { deadFraction: 1, lambdaMin: 0, lambdaMax: 0.046 }))!;
    expect(e).not.toBeNull();
    expect(e.since).toBe(5);
    expect(e.message).toContain('collapsed to the zero output since step 5: loss 7.93 ≈ ½Σ‖x‖² = 8, λ_min(H) ≤ 0, 100% of hidden units dead');
    expect(e.causes[0]).toMatch(/^width too small for n·d = 12544 \(m = 256\): the random network's output is 20.8× the data/);
    expect(e.causes[0]).toContain('smaller decoder scale ν (now 1)');
  });

  it('names a step above 2/λ_max(H(0)) as the first cause', () => {
    const det = new CollapseDetector({ ...ctx, m: 100_000, initialLoss: 9, learningRate: 1 });
    det.observe(obs(0, 9, { lambdaMax: 4 }));
    det.observe(obs(10, 8.1, { deadFraction: 0.7 }));
    const d = det.observe(obs(20, 8.05, { deadFraction: 0.7 }))!;
    expect(d.causes).toEqual(['step too large (η·λ_max(H(0)) = 4 ≥ 2; try η ≤ 0.25)']);
  });

  it('stays quiet for a loss passing the zero level on its way down, for a live kernel, and away from the level', () => {
    const passing = new CollapseDetector(ctx);
    expect([20, 8.2, 8.1, 8.0, 7.9, 7.8].map((l, k) => passing.observe(obs(10 * k, l, { deadFraction: 0.02 })))).toEqual(Array(6).fill(null));
    const below = new CollapseDetector(ctx);
    expect([20, 3, 2.9, 2.89].map((l, k) => below.observe(obs(10 * k, l, { deadFraction: 1, lambdaMin: 0 })))).toEqual(Array(4).fill(null));
  });

  it('forgets the plateau once the loss leaves the level', () => {
    const det = new CollapseDetector(ctx);
    det.observe(obs(10, 8.0, { deadFraction: 1 }));
    expect(det.observe(obs(20, 8.0, { deadFraction: 1 }))).not.toBeNull();
    expect(det.observe(obs(30, 5, { deadFraction: 1 }))).toBeNull();
    expect(det.observe(obs(40, 8.0, { deadFraction: 1 }))).toBeNull();
    expect(det.observe(obs(50, 8.0, { deadFraction: 1 }))!.since).toBe(40);
  });
});

describe('runTraining() collapse warning', () => {
  async function run(config: unknown): Promise<MetricRecord[]> {
    const r = parseConfig(config);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const records: MetricRecord[] = [];
    const cb: RunCallbacks = { onMeta: () => undefined, onRecord: (x) => records.push(x), now: () => 0 };
    await runTraining(r.config, createJsBackend(), freeRunning, cb);
    return records;
  }

  it('marks the tracked records of MNIST at ν = 1 (which collapses in ten steps) and none with MNIST’s default ν', async () => {
    const base = {
      dataset: 'mnist',
      samples: 8,
      testSamples: 0,
      hiddenWidth: 256,
      steps: 30,
      trackEvery: 5,
      trackEigenvalues: 1,
      dtype: 'float64',
      backend: 'js',
      targetLossRatio: 0,
    };
    const collapsed = await run({ ...base, nu: 1 });
    const flagged = collapsed.filter((r) => r.tracked?.collapse);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged[0]!.step).toBeLessThanOrEqual(20);
    expect(flagged.at(-1)!.step).toBe(30);
    expect(flagged[0]!.tracked!.collapse!.message).toMatch(/^collapsed to the zero output/);
    expect(flagged[0]!.tracked!.deadUnitFraction).toBeGreaterThanOrEqual(0.5);
    const trained = await run(base);
    expect(trained.some((r) => r.tracked?.collapse)).toBe(false);
    expect(trained.at(-1)!.loss!).toBeLessThan(trained[0]!.loss! * 0.1);
  });
});
