import { describe, expect, it } from 'vitest';
import {
  buildCircleOption,
  buildCircleWidthOption,
  buildContinuumOption,
  buildNetworkVsKernelOption,
  buildRegressionOption,
  buildRfErrorOption,
  buildSigmaStudyOption,
  buildWeightedLossOption,
  gramByLabel,
} from '../../../../src/shared/charts/related';
import type { CircleExperiment, KrrNetworkResult, RfSweep, SequenceStudy, WeightedExperiment } from '../../../../src/shared/related/results';
import { seeded } from './seeded';

type Opt = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function circle(seed = 3): CircleExperiment {
  const rnd = seeded(seed);
  const gammas = Array.from({ length: 9 }, (_, k) => -Math.PI + (k * Math.PI) / 4);
  const limit = gammas.map((g) => 1 + Math.cos(g));
  const band = (m: number) => {
    const curves = Array.from({ length: 4 }, () => limit.map((v) => v + (rnd() - 0.5) / Math.sqrt(m)));
    const mean = limit.map((_, k) => curves.reduce((s, c) => s + c[k]!, 0) / 4);
    const std = limit.map((_, k) => Math.sqrt(curves.reduce((s, c) => s + (c[k]! - mean[k]!) ** 2, 0) / 3));
    return { mean, std, curves };
  };
  return {
    gammas,
    limit,
    widths: [16, 256].map((width) => ({ width, init: band(width), trained: band(width), relativeMovement: 1 / Math.sqrt(width), finalLoss: 0.01 })),
    learningRate: 0.5,
    train: { gammas: [-2, 0, 2], targets: [0.1, 0, -0.1] },
  };
}

describe('buildCircleOption()', () => {
  it('draws a mean line and a ±std band per width, and the limit', () => {
    const exp = circle();
    const o = buildCircleOption(exp, { theme: 'light', phase: 'init' }) as Opt;
    const names = o.series.map((s: Opt) => s.name);
    expect(names.filter((n: string) => n === 'm = 16')).toHaveLength(1);
    expect(names).toContain('Θ∞ (limit)');
    const [lower, height, mean] = o.series.slice(0, 3) as [Opt, Opt, Opt];
    expect(lower.stack).toBe(height.stack);
    const w = exp.widths[0]!.init;
    expect(lower.data[2][1]).toBeCloseTo(w.mean[2]! - w.std[2]!, 15);
    expect(height.data[2][1]).toBeCloseTo(2 * w.std[2]!, 15);
    expect(mean.data[2][1]).toBe(w.mean[2]);
    expect(o.xAxis.min).toBeCloseTo(-Math.PI, 15);
  });

  it('adds one thin line per seed when asked, and the training inputs after training', () => {
    const exp = circle();
    const o = buildCircleOption(exp, { theme: 'dark', phase: 'trained', showSeeds: true }) as Opt;
    expect(o.series.filter((s: Opt) => s.name === 'm = 256 seeds')).toHaveLength(4);
    expect(o.series.find((s: Opt) => s.name === 'training inputs').data).toHaveLength(3);
  });

  it('says what to do when there is no result', () => {
    const o = buildCircleOption(null, { theme: 'light', phase: 'init' }) as Opt;
    expect(o.series).toEqual([]);
    expect(o.title.subtext).toMatch(/Compute/);
  });
});

describe('buildCircleWidthOption()', () => {
  it('plots fluctuation and movement against width on log axes with an m^{-1/2} guide through the first point', () => {
    const o = buildCircleWidthOption(circle(), 'light') as Opt;
    expect(o.xAxis.type).toBe('log');
    expect(o.yAxis.type).toBe('log');
    const [spread, , guide] = o.series as [Opt, Opt, Opt];
    expect(guide.data[1][1] / guide.data[0][1]).toBeCloseTo(Math.sqrt(16 / 256), 12);
    expect(guide.data[0][1]).toBeCloseTo(spread.data[0][1], 15);
  });
});

const weighted: WeightedExperiment = {
  lambdaMin: 0.01,
  lambdaMax: 2,
  learningRate: 0.25,
  stable: true,
  steps: [0, 1, 2, 3],
  predictedLoss: [4, 2, 1, 0],
  actualLoss: [4, 2.1, 1.1, 0.5],
  continuum: { t: [0, 1, 2], omegaW: [1, 1, 0], omegaV: [0, 1, 1], lambdaMin: [0.02, 0.05, 0.01] },
};

describe('buildWeightedLossOption() and buildContinuumOption()', () => {
  it('draws both loss curves on a log axis, dropping a zero loss', () => {
    const o = buildWeightedLossOption(weighted, 'light') as Opt;
    expect(o.yAxis.type).toBe('log');
    expect(o.series[0].data).toHaveLength(4);
    expect(o.series[1].data).toHaveLength(3);
  });

  it('marks the current slider position on the λ_min continuum and names weak, joint, decoder', () => {
    const o = buildContinuumOption(weighted, 1.5, 'light') as Opt;
    expect(o.series[0].markLine.data[0].xAxis).toBe(1.5);
    expect([0, 1, 2].map((v) => o.xAxis.axisLabel.formatter(v))).toEqual(['weak', 'joint', 'decoder']);
    expect(buildContinuumOption(weighted, null, 'light').series).toHaveLength(1);
  });
});

describe('buildNetworkVsKernelOption() and buildRegressionOption()', () => {
  it('pairs each test coordinate of the network with the kernel prediction, and draws y = x over their range', () => {
    const r = { kernelPrediction: [0.1, -0.2, 0.3], linearizedPrediction: [0.1, -0.19, 0.31], networkPrediction: [0.11, -0.21, 0.29] } as KrrNetworkResult;
    const o = buildNetworkVsKernelOption(r, 'light') as Opt;
    expect(o.series[0].data).toEqual([
      [0.1, 0.11],
      [-0.2, -0.21],
      [0.3, 0.29],
    ]);
    expect(o.series[2].data).toEqual([
      [-0.21, -0.21],
      [0.31, 0.31],
    ]);
  });

  it('pairs predictions with targets row by row', () => {
    const o = buildRegressionOption(
      {
        kernel: 'jacot',
        ridge: 0.01,
        predictions: [
          [1, 2],
          [3, 4],
        ],
      } as never,
      [
        [1.1, 2.1],
        [2.9, 4.2],
      ],
      'light',
    ) as Opt;
    expect(o.series[0].data).toEqual([
      [1.1, 1],
      [2.1, 2],
      [2.9, 3],
      [4.2, 4],
    ]);
  });
});

describe('buildRfErrorOption()', () => {
  it('draws the error on log–log axes with the fitted line of the given slope', () => {
    const rows = [100, 400, 1600].map((D) => ({
      m0: D / 20,
      m1: D / 2,
      D,
      relativeSpectralError: { mean: 2 / Math.sqrt(D), std: 0.2 / Math.sqrt(D) },
      lambdaMinError: { mean: 1 / Math.sqrt(D), std: 0 },
      predictionError: { mean: 0.5 / Math.sqrt(D), std: 0 },
      ms: null,
    }));
    const sweep: RfSweep = { rows, slope: -0.5, slopeStdError: 0.01, exactMs: null, lambdaMinExact: 0.1 };
    const o = buildRfErrorOption(sweep, 'light') as Opt;
    expect(o.xAxis.type).toBe('log');
    const fit = o.series.find((s: Opt) => String(s.name).startsWith('fit: slope -0.5'));
    // an exact power law: the fitted line passes through the first and last means
    expect(fit.data[0][0]).toBeCloseTo(100, 9);
    expect(fit.data[0][1]).toBeCloseTo(0.2, 12);
    expect(fit.data[1][1]).toBeCloseTo(2 / 40, 12);
    const [bottom, top] = o.series.find((s: Opt) => s.type === 'lines').data[0].coords;
    expect(bottom[0]).toBe(100);
    expect(top[0]).toBe(100);
    expect(bottom[1]).toBeCloseTo(0.18, 15);
    expect(top[1]).toBeCloseTo(0.22, 15);
    expect(o.series.map((s: Opt) => s.name)).toContain('prediction error');
  });
});

describe('buildSigmaStudyOption()', () => {
  it('draws accuracy and R² against σ_w with the majority-class baseline', () => {
    const study: SequenceStudy = {
      rows: [0.5, 1, 2].map((s, i) => ({ sigmaW: s, rmse: 1, r2: i === 2 ? -7 : -0.5 + i * 0.6, accuracy: 0.5 + 0.2 * i, lambdaMin: 1 })),
      nTrain: 40,
      nTest: 20,
      baselineAccuracy: 0.55,
    };
    const o = buildSigmaStudyOption(study, 'light') as Opt;
    expect(o.series.map((s: Opt) => s.name)).toEqual(['test accuracy', 'test R² (clipped at -1)', 'majority class']);
    expect(o.series[1].data[0]).toEqual([0.5, -0.5]);
    expect(o.series[1].data[2]).toEqual([2, -1]);
    expect(o.series[2].data).toEqual([
      [0.5, 0.55],
      [2, 0.55],
    ]);
  });
});

describe('gramByLabel()', () => {
  it('reorders rows and columns by label, stably, and flattens row-major', () => {
    const g = [
      [1, 2, 3],
      [2, 4, 5],
      [3, 5, 6],
    ];
    const r = gramByLabel(g, [1, 0, 1]);
    expect(r.order).toEqual([1, 0, 2]);
    expect(r.values).toEqual([4, 2, 5, 2, 1, 3, 5, 3, 6]);
    expect(gramByLabel(g, null).values).toEqual([1, 2, 3, 2, 4, 5, 3, 5, 6]);
  });
});
