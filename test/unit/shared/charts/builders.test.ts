import { describe, expect, it } from 'vitest';
import { buildLossOption, capCurve } from '../../../../src/shared/charts/loss';
import { buildEigenOption } from '../../../../src/shared/charts/eigen';
import { buildSpectrumOption } from '../../../../src/shared/charts/spectrum';
import { buildSpectralBiasOption, spreadIndices } from '../../../../src/shared/charts/spectralBias';
import { buildHistogramOption, buildKernelDistanceOption, buildMovementOption } from '../../../../src/shared/charts/movement';
import { blockAverage, buildHeatmapOption, buildHeatmapsOption } from '../../../../src/shared/charts/heatmap';
import { buildModelViewOption, extractModelView, squareGrid } from '../../../../src/shared/charts/modelView';
import { readTheory } from '../../../../src/shared/charts/theory';
import type { MetricRecord } from '../../../../src/shared/run/format';
import { seeded } from './seeded';

type Opt = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A seeded run: loss decaying like (1 − 0.01)^{2k} with noise, tracked diagnostics every 10 steps. */
function seededRun(steps: number, seed = 7): MetricRecord[] {
  const rnd = seeded(seed);
  const out: MetricRecord[] = [];
  for (let k = 0; k < steps; k++) {
    const loss = 8 * Math.pow(0.99, 2 * k) * (1 + 0.05 * (rnd() - 0.5));
    const r: MetricRecord = { step: k, loss, lossRatio: loss / 8, testLoss: loss * 1.5 + 0.01, wallMs: k * 12.5 };
    if (k % 10 === 0) {
      r.tracked = {
        eigMin: [0.1 + 0.001 * rnd(), 0.12 + 0.001 * rnd()],
        eigMax: [2 + 0.01 * rnd()],
        weightMoveW: 0.001 * Math.sqrt(k),
        weightMoveV: 0.002 * Math.sqrt(k),
        flipFraction: Math.min(1, 0.0001 * k),
        kernelDistance: 0.0005 * k,
        spectralBias: [1, 0.5, 0.25].map((e0, l) => e0 * Math.pow(1 - 0.1 * (l + 1), 2 * k)),
      };
    }
    out.push(r);
  }
  return out;
}

describe('buildLossOption()', () => {
  it('uses a log y axis when asked and drops non-positive losses from it', () => {
    const recs = seededRun(50);
    recs[3]!.loss = 0;
    const o = buildLossOption(recs, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light' }) as Opt;
    expect(o.yAxis.type).toBe('log');
    expect(o.series[0].data).toHaveLength(49);
    const lin = buildLossOption(recs, { logY: false, smoothing: 0, xAxis: 'step', theme: 'light' }) as Opt;
    expect(lin.yAxis.type).toBe('value');
    expect(lin.series[0].data).toHaveLength(50);
  });

  it('downsamples a long run to at most 2000 points per series while the input keeps every record', () => {
    const recs = seededRun(20_000);
    const o = buildLossOption(recs, { logY: true, smoothing: 0, xAxis: 'step', theme: 'dark' }) as Opt;
    expect(recs).toHaveLength(20_000);
    for (const s of o.series) expect(s.data.length).toBeLessThanOrEqual(2000);
    expect(o.series[0].data[0]).toEqual([0, recs[0]!.loss]);
    expect(o.series[0].data.at(-1)).toEqual([19_999, recs[19_999]!.loss]);
  });

  it('adds a faint raw series under the smoothed one and plots wall time in seconds', () => {
    const recs = seededRun(30);
    const o = buildLossOption(recs, { logY: true, smoothing: 0.9, xAxis: 'wall', theme: 'light' }) as Opt;
    expect(o.series.map((s: Opt) => s.name)).toEqual(['train loss (raw)', 'train loss', 'test loss']);
    expect(o.series[1].data[29][0]).toBeCloseTo((29 * 12.5) / 1000, 12);
    // a smoothed decaying curve lags above the raw one at the end
    expect(o.series[1].data[29][1]).toBeGreaterThan(o.series[0].data[29][1]);
  });

  it('draws the linearized theory curve dashed only against steps', () => {
    const recs = seededRun(10);
    const curve: [number, number][] = [
      [0, 8],
      [9, 6],
    ];
    const o = buildLossOption(recs, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light', theoryCurve: curve }) as Opt;
    const lin = o.series.find((s: Opt) => s.name === 'infinite-width prediction (H∞)');
    expect(lin.lineStyle.type).toBe('dashed');
    expect(lin.data).toEqual(curve);
    const wall = buildLossOption(recs, { logY: true, smoothing: 0, xAxis: 'wall', theme: 'light', theoryCurve: curve }) as Opt;
    expect(wall.series.some((s: Opt) => s.name === 'infinite-width prediction (H∞)')).toBe(false);
  });

  it('draws the theory curve only a little past the last recorded step', () => {
    const curve: [number, number][] = [
      [0, 8],
      [50, 4],
      [100, 2],
      [100_000, 1e-90],
    ];
    const o = buildLossOption(seededRun(91), { logY: true, smoothing: 0, xAxis: 'step', theme: 'light', theoryCurve: curve }) as Opt;
    const lin = o.series.find((s: Opt) => s.name === 'infinite-width prediction (H∞)');
    expect(lin.data).toEqual([
      [0, 8],
      [50, 4],
      [100, 2],
    ]);
  });

  it('cuts an exploding prediction where it leaves the real losses, so the real loss stays readable', () => {
    const recs = seededRun(40); // real losses ≤ ~12 (test loss 1.5 × 8)
    const curve: [number, number][] = Array.from({ length: 41 }, (_, k) => [k, 8 * 1.5 ** (2 * k)] as [number, number]);
    const o = buildLossOption(recs, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light', theoryCurve: curve }) as Opt;
    const pred = o.series.find((s: Opt) => s.name.startsWith('infinite-width prediction (H∞)'));
    expect(pred.name).toBe('infinite-width prediction (H∞) — leaves the chart (diverges)');
    const top = Math.max(...recs.flatMap((r) => [r.loss!, r.testLoss!]));
    expect(Math.max(...pred.data.map((d: number[]) => d[1]))).toBeLessThanOrEqual(top * 10);
    expect(pred.data.length).toBeGreaterThan(1);
    expect(
      capCurve(
        [
          [0, 1],
          [1, 5],
          [2, 50],
          [3, 2],
        ],
        10,
      ),
    ).toEqual({
      points: [
        [0, 1],
        [1, 5],
      ],
      cut: true,
    });
  });

  it('names the finite-width linearized curve on G(W₀) beside the infinite-width one', () => {
    const recs = seededRun(30);
    for (const r of recs) if (r.tracked) r.tracked.linearizedNetworkLoss = r.loss! * 0.9;
    const o = buildLossOption(recs, {
      logY: true,
      smoothing: 0,
      xAxis: 'step',
      theme: 'light',
      theoryCurve: [
        [0, 8],
        [20, 4],
      ],
    }) as Opt;
    expect(o.series.map((s: Opt) => s.name)).toEqual(['train loss', 'test loss', 'finite-width linearized (G(W₀))', 'infinite-width prediction (H∞)']);
  });

  it('has a stable structure (snapshot)', () => {
    expect(buildLossOption(seededRun(12), { logY: true, smoothing: 0.5, xAxis: 'step', theme: 'light' })).toMatchSnapshot();
  });
});

describe('buildEigenOption()', () => {
  it('draws one series per tracked eigenvalue and the references λ₀, λ_J as series named in the legend', () => {
    const o = buildEigenOption(seededRun(100), { theme: 'light', logY: true, references: { lambda0: 0.08, lambdaJ: 0.15, lambdaDec: null } }) as Opt;
    expect(o.yAxis.type).toBe('log');
    const names = o.series.map((s: Opt) => s.name);
    expect(names).toEqual(['λ_min', 'λ_min+1', 'λ_max', 'λ₀ = 0.08 (H∞)', 'λ_J = 0.15 (H∞)']);
    expect(o.series[0].data).toHaveLength(10);
    // ordinary data across the tracked steps, so the y axis reaches them; no labels drawn over the lines
    expect(o.series[3].data).toEqual([
      [0, 0.08],
      [90, 0.08],
    ]);
    expect(o.series[4].data).toEqual([
      [0, 0.15],
      [90, 0.15],
    ]);
    expect(o.series.some((x: Opt) => x.markLine)).toBe(false);
  });

  it('keeps a reference far below the tracked eigenvalues inside the y range', () => {
    const o = buildEigenOption(seededRun(40), { theme: 'light', logY: true, references: { lambda0: 1e-4 } }) as Opt;
    const ys = o.series.flatMap((x: Opt) => x.data.map((d: number[]) => d[1]));
    expect(Math.min(...ys)).toBe(1e-4);
    expect(o.yAxis.min).not.toBeTypeOf('number');
  });

  it('leaves out non-positive references on a log axis and counts the eigenvalues it cannot draw', () => {
    const o = buildEigenOption(seededRun(20), { theme: 'light', logY: true, references: { lambda0: -1e-17 } }) as Opt;
    expect(o.series.map((x: Opt) => x.name)).toEqual(['λ_min', 'λ_min+1', 'λ_max']);
    const recs = seededRun(30);
    recs[10]!.tracked!.eigMin = [0, -3e-18];
    recs[20]!.tracked!.eigMin = [-1e-17, 0.1];
    expect((buildEigenOption(recs, { theme: 'light', logY: true }) as Opt).title.text).toBe('NTK eigenvalues (3 values ≤ 0 not drawn on the log axis)');
    expect((buildEigenOption(recs, { theme: 'light', logY: false }) as Opt).title.text).toBe('NTK eigenvalues');
  });

  it('has a stable structure (snapshot)', () => {
    expect(buildEigenOption(seededRun(30), { theme: 'dark', logY: false, references: { lambda0: 0.08, lambdaDec: 0.05, lambdaJ: 0.15 } })).toMatchSnapshot();
  });
});

describe('buildSpectrumOption()', () => {
  it('sorts both spectra descending on a log axis and counts eigenvalues ≤ 0 in the title', () => {
    const o = buildSpectrumOption([0.5, 2, -1e-9, 1], [0.4, 1.5, 0.9], { theme: 'light', step: 40 }) as Opt;
    expect(o.yAxis.type).toBe('log');
    expect(o.series[0].data).toEqual([
      [1, 2],
      [2, 1],
      [3, 0.5],
    ]);
    expect(o.series[1].data).toEqual([
      [1, 1.5],
      [2, 0.9],
      [3, 0.4],
    ]);
    expect(o.title.text).toContain('1 eigenvalue ≤ 0');
    expect(o.series[0].name).toContain('step 40');
  });
});

describe('spreadIndices()', () => {
  it('spreads picks over the whole range, both ends included', () => {
    expect(spreadIndices(10, 4)).toEqual([0, 3, 6, 9]);
    expect(spreadIndices(3, 5)).toEqual([0, 1, 2]);
    expect(spreadIndices(0, 3)).toEqual([]);
  });
});

describe('buildSpectralBiasOption()', () => {
  it('draws the prediction e(0)(1 − ηλ)^{2k}, which matches data generated by that law', () => {
    const eig = [0.1, 0.2, 0.3];
    const o = buildSpectralBiasOption(seededRun(200), { theme: 'light', eigenvalues: eig, learningRate: 1, directions: 3 }) as Opt;
    expect(o.yAxis.type).toBe('log');
    // measured + predicted per direction
    expect(o.series).toHaveLength(6);
    for (let l = 0; l < 3; l++) {
      const measured = o.series[2 * l].data as [number, number][];
      const predicted = o.series[2 * l + 1].data as [number, number][];
      expect(o.series[2 * l + 1].lineStyle.type).toBe('dashed');
      const lastM = measured.at(-1)!;
      const lastP = predicted.at(-1)!;
      expect(lastP[0]).toBe(lastM[0]);
      expect(Math.abs(lastP[1] - lastM[1]) / lastM[1]).toBeLessThan(1e-9);
    }
  });

  it('titles the law with real superscripts and draws no line to the axis floor', () => {
    const recs = seededRun(60);
    // direction 3 is fitted in one step (ηλ = 1): its energy drops to rounding noise right after step 0
    for (const r of recs) if (r.tracked && r.step > 0) r.tracked.spectralBias![2] = 1e-40;
    const o = buildSpectralBiasOption(recs, { theme: 'light', eigenvalues: [0.1, 0.2, 1], learningRate: 1, directions: 3 }) as Opt;
    expect(o.title.text).toBe('Spectral bias (dashed: e(0)·(1 − ηλ)²ᵏ)');
    const [measured, predicted] = [o.series[4].data, o.series[5].data] as [number, number][][];
    expect(measured).toEqual([[0, 0.25]]);
    expect(predicted).toEqual([[0, 0.25]]);
    for (const s of o.series) for (const [, y] of s.data as [number, number][]) expect(y).toBeGreaterThan(1e-17);
    // predictions are drawn at whole steps only
    expect((o.series[1].data as [number, number][]).every(([k]) => Number.isInteger(k))).toBe(true);
  });

  it('leaves the predictions out without a learning rate', () => {
    const o = buildSpectralBiasOption(seededRun(50), { theme: 'light', eigenvalues: [0.1, 0.2, 0.3], learningRate: null }) as Opt;
    expect(o.series.every((s: Opt) => s.lineStyle.type !== 'dashed')).toBe(true);
  });
});

describe('buildMovementOption()', () => {
  it('puts the movements on the left axis and the flip fraction on a [0, 1] right axis', () => {
    const o = buildMovementOption(seededRun(100), { theme: 'light' }) as Opt;
    expect(o.yAxis).toHaveLength(2);
    expect(o.yAxis[1]).toMatchObject({ min: 0, max: 1 });
    const flip = o.series.find((s: Opt) => s.name === 'flip fraction');
    expect(flip.yAxisIndex).toBe(1);
    expect(o.series.map((s: Opt) => s.name)).toEqual(['‖ΔW‖/‖W₀‖', '‖ΔV‖/‖V₀‖', 'flip fraction']);
  });

  it('draws ‖ΔW‖ and ‖ΔV‖ so that both stay visible when they coincide (line type, width and symbol differ)', () => {
    const o = buildMovementOption(seededRun(100), { theme: 'dark' }) as Opt;
    const [w, v] = o.series as Opt[];
    expect(w!.lineStyle.type).not.toBe(v!.lineStyle.type);
    expect(w!.lineStyle.width).toBeGreaterThan(v!.lineStyle.width);
    expect(w!.symbol).not.toBe(v!.symbol);
  });
});

describe('buildKernelDistanceOption()', () => {
  it('plots one point per tracked step', () => {
    const o = buildKernelDistanceOption(seededRun(100), { theme: 'light' }) as Opt;
    expect(o.series[0].data).toHaveLength(10);
    expect(o.series[0].data[5]).toEqual([50, 0.025]);
  });
});

describe('buildHistogramOption()', () => {
  it('places each bar at its bin centre with its count', () => {
    const o = buildHistogramOption({ edges: [0, 1, 2, 4], counts: [5, 3, 1] }, { theme: 'light', step: 30 }) as Opt;
    expect(o.series[0].data.map((d: number[]) => [d[0], d[1]])).toEqual([
      [0.5, 5],
      [1.5, 3],
      [3, 1],
    ]);
  });

  it('rejects counts that do not match the edges, naming both lengths', () => {
    expect(() => buildHistogramOption({ edges: [0, 1], counts: [1, 2] }, { theme: 'light' })).toThrow('hist: expected counts of length edges − 1 = 1, got 2');
  });
});

describe('blockAverage()', () => {
  it('averages b×b blocks exactly', () => {
    // 4×4 matrix with entry = i*4 + j; 2×2 blocks
    const v = Array.from({ length: 16 }, (_, i) => i);
    const { k, cells } = blockAverage(v, 4, 2);
    expect(k).toBe(2);
    expect(cells).toEqual([(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
  });

  it('checks the shape, naming both', () => {
    expect(() => blockAverage([1, 2, 3], 2, 2)).toThrow('values: expected [2, 2] = 4 entries, got 3');
  });
});

describe('buildHeatmapOption()', () => {
  it('block-averages a large kernel to at most maxCells per side with a symmetric scale for signed entries', () => {
    const rnd = seeded(3);
    const n = 200;
    const values = Array.from({ length: n * n }, () => rnd() - 0.3);
    const o = buildHeatmapOption({ n, values }, { theme: 'light', title: 'H', maxCells: 50 }) as Opt;
    expect(o.series[0].data).toHaveLength(50 * 50);
    expect(o.visualMap.min).toBe(-o.visualMap.max);
    expect(o.title.text).toContain('block-averaged to 50×50');
    // one panel: plain title, grid and axes (figure export restyles these objects)
    expect(Array.isArray(o.grid) || Array.isArray(o.xAxis)).toBe(false);
  });

  it('puts numbers on the colour bar', () => {
    const o = buildHeatmapOption({ n: 2, values: [1, 0.5, 0.5, 2] }, { theme: 'dark', title: 'H∞' }) as Opt;
    expect(o.visualMap.text).toEqual(['2', '0.5']);
  });

  it('draws the empirical kernel beside H∞ on one shared colour scale, taking engine-averaged cells as they are', () => {
    const hInf = { n: 4, values: Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0.2)) };
    const emp = { n: 4, k: 2, cells: [0.9, 0.1, 0.1, 3] };
    const o = buildHeatmapsOption(
      [
        { title: 'trained network H̄ (step 40)', matrix: emp },
        { title: 'H∞', matrix: hInf },
      ],
      { theme: 'light', title: 'kernels', maxCells: 2 },
    ) as Opt;
    expect(o.series.map((x: Opt) => x.name)).toEqual(['trained network H̄ (step 40)', 'H∞']);
    expect(o.series.map((x: Opt) => [x.xAxisIndex, x.yAxisIndex])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(o.grid).toHaveLength(2);
    // one scale from the smaller minimum to the larger maximum of both panels
    expect([o.visualMap.min, o.visualMap.max]).toEqual([0.1, 3]);
    expect(o.visualMap.seriesIndex).toEqual([0, 1]);
    expect(o.series[0].data).toContainEqual([1, 0, 3]);
    expect(o.series[1].data).toHaveLength(4);
    expect(() => buildHeatmapsOption([{ title: 'x', matrix: { n: 4, k: 2, cells: [1] } }], { theme: 'light', title: 'x' })).toThrow(
      'cells: expected [2, 2] = 4 entries, got 1',
    );
  });
});

describe('extractModelView() and buildModelViewOption()', () => {
  it('draws 2-D inputs, reconstructions and one arrow x → u(x) per sample, train and test apart', () => {
    const preview = {
      inputs: [
        [1, 0],
        [0, 1],
        [-1, 0],
      ],
      testInputs: [[0.7, 0.7]],
    };
    const recs: MetricRecord[] = [
      {
        step: 40,
        loss: 1,
        wallMs: 0,
        reconstruction: {
          train: [
            [0.9, 0],
            [0, 0.8],
            [-0.5, 0.1],
          ],
          test: [[0.5, 0.6]],
        },
      } as MetricRecord,
    ];
    const data = extractModelView(preview, recs)!;
    expect(data.kind).toBe('points2d');
    const o = buildModelViewOption(data, { theme: 'light' }) as Opt;
    const arrows = o.series.find((s: Opt) => s.name === 'train x → u(x)');
    expect(arrows.type).toBe('lines');
    expect(arrows.data).toHaveLength(3);
    expect(arrows.data[2].coords).toEqual([
      [-1, 0],
      [-0.5, 0.1],
    ]);
    expect(o.series.find((s: Opt) => s.name === 'test x → u(x)').data).toHaveLength(1);
    expect(o.title.text).toContain('step 40');
  });

  it('shows MNIST-sized inputs as a grid of digits over their reconstructions', () => {
    const rnd = seeded(5);
    const img = () => Array.from({ length: 784 }, () => rnd());
    const data = extractModelView({ inputs: [img(), img(), img()] }, [
      { step: 1, loss: 1, wallMs: 0, outputs: { train: [img(), img(), img()] } } as MetricRecord,
    ])!;
    expect(data.kind).toBe('images');
    const o = buildModelViewOption(data, { theme: 'dark' }) as Opt;
    expect(o.series[0].type).toBe('heatmap');
    expect(o.series[0].data).toHaveLength(3 * 784 * 2);
  });

  it('falls back to per-sample error bars ‖x − u(x)‖ for other dimensions', () => {
    const data = extractModelView(
      {
        inputs: [
          [3, 0, 0],
          [0, 1, 0],
        ],
      },
      [
        {
          step: 2,
          loss: 1,
          wallMs: 0,
          reconstruction: {
            train: [
              [0, 4, 0],
              [0, 1, 0],
            ],
          },
        } as MetricRecord,
      ],
    )!;
    expect(data).toMatchObject({ kind: 'errors', train: [5, 0] });
    const o = buildModelViewOption(data, { theme: 'light' }) as Opt;
    expect(o.series[0].data).toEqual([5, 0]);
  });

  it('returns null when nothing can be shown', () => {
    expect(extractModelView(undefined, [])).toBeNull();
  });

  it('keeps digits square in a chart of known size and labels the train and test rows', () => {
    const img = (v: number) => Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => v));
    const preview = {
      kind: 'mnist',
      inputs: [img(1), img(0.5)],
      reconstructions: [img(0.9), img(0.4)],
      testInputs: [img(0.2)],
      testReconstructions: [img(30)],
    };
    const data = extractModelView(preview, [])!;
    const o = buildModelViewOption(data, { theme: 'light', size: { width: 600, height: 400 } }) as Opt;
    // 2 digits per row → 60 pixel columns, 4 labelled rows → 120 pixel rows: square pixels of the same size both ways
    expect(o.grid.width / 60).toBeCloseTo(o.grid.height / 120, 9);
    expect(o.grid.height).toBeCloseTo(400 - 32 - 8, 9);
    const fmt = o.yAxis.axisLabel.formatter as (v: unknown, i: number) => string;
    const labels = Array.from({ length: 120 }, (_, i) => fmt(i, i))
      .filter((x) => x !== '')
      .reverse();
    expect(labels).toEqual(['train x', 'train u(x)', 'test x', 'test u(x)']);
    expect(o.title.text).toBe('Digits x → u(x) (step 0)');
    // the grey scale follows the inputs (max 1), not a reconstruction far off
    expect(o.visualMap.max).toBe(1);
    expect(squareGrid(10, 10, null, { left: 1, right: 2, top: 3, bottom: 4 })).toEqual({ left: 1, right: 2, top: 3, bottom: 4 });
  });

  it('offers a log axis for the per-sample errors, leaving errors of 0 out', () => {
    const o = buildModelViewOption({ kind: 'errors', train: [0.5, 0, 1e-6], test: [2], step: 3 }, { theme: 'light', logY: true }) as Opt;
    expect(o.yAxis.type).toBe('log');
    // dots, not bars hanging from 1
    expect(o.series.map((x: Opt) => x.type)).toEqual(['scatter', 'scatter']);
    expect(o.series[0].data).toEqual([0.5, null, 1e-6, null]);
    expect(o.series[1].data).toEqual([null, null, null, 2]);
  });
});

describe('readTheory()', () => {
  it('reads the known fields under their aliases and leaves the missing ones null', () => {
    const t = readTheory({
      lambda0: 0.1,
      eigen: { lambdaDec: 0.05 },
      theoremB: { width: 1e6 },
      linearizedLoss: { steps: [0, 10], loss: [8, 4] },
      spectrum: [3, 1, 2],
    });
    expect(t.lambda0).toBe(0.1);
    expect(t.lambdaDec).toBe(0.05);
    expect(t.lambdaJ).toBeNull();
    expect(t.widthB).toBe(1e6);
    expect(t.widthA).toBeNull();
    expect(t.linearizedCurve).toEqual([
      [0, 8],
      [10, 4],
    ]);
    expect(t.spectrum).toEqual([1, 2, 3]);
  });

  it('survives null and non-object input', () => {
    expect(readTheory(null).lambda0).toBeNull();
    expect(readTheory(42).gram).toBeNull();
  });
});

describe('extractModelView() with the engine preview shape', () => {
  it('prefers the newest tracked.preview over the step-0 meta preview', () => {
    const meta = { kind: 'points2d', train: [[1, 0]], trainRecon: [[0, 0]], test: [], testRecon: [] };
    const recs = [
      { step: 0, loss: 1, wallMs: 0 },
      {
        step: 10,
        loss: 0.5,
        wallMs: 1,
        tracked: { preview: { kind: 'points2d', train: [[1, 0]], trainRecon: [[0.9, 0.1]], test: [[0, 1]], testRecon: [[0.2, 0.5]] } },
      },
      { step: 11, loss: 0.4, wallMs: 2 },
    ] as MetricRecord[];
    const v = extractModelView(meta, recs)!;
    expect(v).toMatchObject({ kind: 'points2d', step: 10, train: { u: [[0.9, 0.1]] }, test: { x: [[0, 1]] } });
    expect(extractModelView(meta, recs.slice(0, 1))).toMatchObject({ kind: 'points2d', step: 0, train: { u: [[0, 0]] } });
  });

  it('flattens 28×28 MNIST images and reads error previews', () => {
    const img = Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => (x + y) / 54));
    const v = extractModelView({ kind: 'mnist', inputs: [img], reconstructions: [img] }, [])!;
    expect(v).toMatchObject({ kind: 'images', side: 28 });
    if (v.kind === 'images') expect(v.inputs[0]).toHaveLength(784);
    expect(extractModelView({ kind: 'errors', train: [0.5, 0.25], test: [1], truncated: false }, [])).toMatchObject({
      kind: 'errors',
      train: [0.5, 0.25],
      test: [1],
    });
  });
});

describe('readTheory() on a theory:compute preview', () => {
  it("picks the form regime's kernel from the per-kernel report", () => {
    const preview = {
      n: 16,
      d: 8,
      warnings: ['two samples nearly parallel'],
      report: {
        lambdaEnc: 0.15,
        lambdaDec: 0.05,
        lambdaJoint: 0.2,
        lambdaMaxEnc: 2,
        lambdaMaxDec: 1,
        lambdaMaxJoint: 4,
        eta: { enc: 0.5, dec: 1, joint: 0.25 },
        rateFactor: { enc: 0.96, dec: 0.97, joint: 0.975 },
      },
    };
    const joint = readTheory(preview, 'joint');
    expect([joint.lambda0, joint.lambdaJ, joint.etaAuto, joint.etaMax, joint.rateBound]).toEqual([0.15, 0.2, 0.25, 0.5, 0.975]);
    expect(joint.warnings).toEqual(['two samples nearly parallel']);
    const weak = readTheory(preview, 'weak');
    expect([weak.etaAuto, weak.etaMax]).toEqual([0.5, 1]);
    expect(readTheory(preview, 'tied').etaAuto).toBeNull();
  });

  it('puts the steps in the units of the run the form describes: ν² on the encoder kernel, ×n for the 1/n loss, ×m for mean-field, c, a given η', () => {
    const preview = {
      n: 16,
      d: 8,
      warnings: [],
      report: { lambdaEnc: 0.15, lambdaDec: 0.05, lambdaJoint: 0.2, lambdaMaxEnc: 2, lambdaMaxDec: 1, lambdaMaxJoint: 4 },
    };
    // weak kernel ν²H_enc: λ_max = 0.25·2 = 0.5; GD map I − η·f·K with f = 1/(m·n) = 1/160
    const weak = readTheory(preview, { regime: 'weak', nu: 0.5, lossNormalization: 'mean', scaling: 'mean-field', hiddenWidth: 10, stepScale: 1.5 });
    expect(weak.etaMax).toBeCloseTo((2 * 160) / 0.5, 9);
    expect(weak.etaAuto).toBeCloseTo((1.5 * 160) / 0.5, 9);
    expect(weak.lambdaMax).toBeCloseTo(0.5, 12);
    const given = readTheory(preview, { regime: 'joint', learningRate: 0.1 });
    expect(given.eta).toBe(0.1);
    expect(given.etaMax).toBe(0.5);
    expect(given.rateBound).toBeCloseTo(1 - (0.1 * 0.2) / 2, 12);
    // decoder-only training steps with η_V
    expect(readTheory(preview, { regime: 'decoder', kappa: 2, learningRate: 0.1, decoderLearningRate: 0.3 }).eta).toBe(0.3);
    expect(readTheory(preview, { regime: 'decoder', kappa: 2 }).etaMax).toBeCloseTo(2 / 4, 12);
  });
});
