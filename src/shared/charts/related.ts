/**
 * Chart option builders of the Related-work panels (SPEC §10): Jacot's kernel on the unit circle with its
 * ±std band per width, kernel movement against width, the weighted NTK's loss curves and λ_min continuum,
 * kernel regression against the network, the random-feature error against D (log–log with the fitted slope),
 * and the RNTK study against σ_w. Pure functions of the engine's results, tested in Node.
 */
import { PALETTES, baseOption, fmt, valueAxis, type ChartTheme, type XY } from './common';
import type { CircleExperiment, KrrNetworkResult, KrrResult, RfSweep, SequenceStudy, WeightedExperiment } from '../related/results';

type Option = Record<string, unknown>;

function empty(theme: ChartTheme, title: string, note: string): Option {
  const p = PALETTES[theme];
  const base = baseOption(theme, title);
  return {
    ...base,
    title: { ...(base.title as Option), subtext: note, subtextStyle: { color: p.muted, fontSize: 12 } },
    xAxis: { show: false },
    yAxis: { show: false },
    series: [],
  };
}

/**
 * A mean line with a ±std band as two stacked line series: the band's lower edge (invisible) and its height
 * 2·std filled. ECharts stacks by `stack` name; the band is left out of the legend and the tooltip, and its two
 * series are named for what a CSV export of the chart holds.
 */
function bandSeries(name: string, xs: readonly number[], mean: readonly number[], std: readonly number[], color: string): Option[] {
  const lower: XY[] = xs.map((x, k) => [x, mean[k]! - std[k]!]);
  const height: XY[] = xs.map((x, k) => [x, 2 * std[k]!]);
  const stack = `band-${name}`;
  return [
    { name: `${name} mean − std`, type: 'line', data: lower, stack, symbol: 'none', lineStyle: { opacity: 0 }, silent: true, tooltip: { show: false } },
    {
      name: `${name} band height (2·std)`,
      type: 'line',
      data: height,
      stack,
      symbol: 'none',
      lineStyle: { opacity: 0 },
      areaStyle: { color, opacity: 0.18 },
      silent: true,
      tooltip: { show: false },
    },
    { name, type: 'line', data: xs.map((x, k): XY => [x, mean[k]!]), symbol: 'none', lineStyle: { color, width: 1.6 }, itemStyle: { color } },
  ];
}

/** Options of {@link buildCircleOption}. */
export interface CircleChartOptions {
  theme: ChartTheme;
  /** the kernel at initialization or after the training steps */
  phase: 'init' | 'trained';
  /** also draw every seed's curve (thin) */
  showSeeds?: boolean;
}

/**
 * Θ_m(x₀, x(γ)) against γ for each width — mean ± std across seeds — with the infinite-width limit Θ∞ drawn
 * over them (SPEC §10.1: the band narrows as m grows, and moves less in training).
 */
export function buildCircleOption(exp: CircleExperiment | null, o: CircleChartOptions): Option {
  const title = o.phase === 'init' ? 'Θ_m(x₀, x(γ)) at initialization' : 'Θ_m(x₀, x(γ)) after training';
  if (!exp) return empty(o.theme, title, 'Compute to draw the kernel on the unit circle');
  const p = PALETTES[o.theme];
  const series: Option[] = [];
  exp.widths.forEach((w, i) => {
    const b = o.phase === 'init' ? w.init : w.trained;
    if (!b) return;
    const color = p.series[i % p.series.length]!;
    series.push(...bandSeries(`m = ${w.width}`, exp.gammas, b.mean, b.std, color));
    if (o.showSeeds) {
      for (const c of b.curves) {
        series.push({
          name: `m = ${w.width} seeds`,
          type: 'line',
          data: exp.gammas.map((x, k): XY => [x, c[k]!]),
          symbol: 'none',
          lineStyle: { color, width: 0.6, opacity: 0.45 },
          silent: true,
          tooltip: { show: false },
        });
      }
    }
  });
  if (series.length === 0) return empty(o.theme, title, 'No training steps were run (steps = 0)');
  series.push({
    name: 'Θ∞ (limit)',
    type: 'line',
    data: exp.gammas.map((x, k): XY => [x, exp.limit[k]!]),
    symbol: 'none',
    lineStyle: { color: p.theory, width: 2, type: 'dashed' },
    itemStyle: { color: p.theory },
    z: 5,
  });
  if (o.phase === 'trained') {
    series.push({
      name: 'training inputs',
      type: 'scatter',
      data: exp.train.gammas.map((g): XY => [g, Math.min(...exp.limit)]),
      symbol: 'triangle',
      symbolSize: 8,
      itemStyle: { color: p.reference },
    });
  }
  return {
    ...baseOption(o.theme, title),
    legend: { ...(baseOption(o.theme, title).legend as Option), data: [...exp.widths.map((w) => `m = ${w.width}`), 'Θ∞ (limit)'] },
    xAxis: valueAxis(o.theme, 'γ (radians)', false, { min: -Math.PI, max: Math.PI, scale: false, nameGap: 24 }),
    yAxis: valueAxis(o.theme, 'Θ', false, { nameGap: 44 }),
    series,
  };
}

/**
 * Kernel fluctuation and movement against width on log–log axes: the mean over γ of the std across seeds at
 * init, and the relative movement ‖Θ_T − Θ_0‖/‖Θ_0‖ (both ∝ m^{−1/2} in the NTK regime), with an m^{−1/2} guide.
 */
export function buildCircleWidthOption(exp: CircleExperiment | null, theme: ChartTheme): Option {
  const title = 'Spread and movement vs m';
  if (!exp || exp.widths.length === 0) return empty(theme, title, 'Compute to compare widths');
  const p = PALETTES[theme];
  const spread: XY[] = exp.widths.map((w) => [w.width, w.init.std.reduce((s, v) => s + v, 0) / Math.max(1, w.init.std.length)]);
  const moved: XY[] = exp.widths.filter((w) => w.relativeMovement !== null && w.relativeMovement > 0).map((w) => [w.width, w.relativeMovement!]);
  const series: Option[] = [
    { name: 'std across seeds (init)', type: 'line', data: spread.filter(([, y]) => y > 0), symbolSize: 7, itemStyle: { color: p.series[0] } },
    { name: 'relative movement', type: 'line', data: moved, symbolSize: 7, itemStyle: { color: p.series[1] } },
  ];
  const anchor = spread.find(([, y]) => y > 0);
  if (anchor && exp.widths.length > 1) {
    const xs = exp.widths.map((w) => w.width);
    const guide: XY[] = [Math.min(...xs), Math.max(...xs)].map((x): XY => [x, anchor[1] * Math.sqrt(anchor[0] / x)]);
    series.push({
      name: '∝ m^{-1/2}',
      type: 'line',
      data: guide,
      symbol: 'none',
      lineStyle: { color: p.muted, type: 'dotted' },
      itemStyle: { color: p.muted },
    });
  }
  return { ...baseOption(theme, title), xAxis: valueAxis(theme, 'width m', true, { nameGap: 24 }), yAxis: valueAxis(theme, '', true), series };
}

/** The frozen-kernel prediction L(k) = ½‖E(0)(I − ηΘ_ω)^k‖² and the finite network's loss, log y. */
export function buildWeightedLossOption(exp: WeightedExperiment | null, theme: ChartTheme): Option {
  const title = 'Loss: Θ_ω prediction vs network';
  if (!exp) return empty(theme, title, 'Compute to train the network');
  const p = PALETTES[theme];
  const pts = (ys: readonly number[]): XY[] => exp.steps.map((k, i): XY => [k, ys[i]!]).filter(([, y]) => Number.isFinite(y) && y > 0);
  return {
    ...baseOption(theme, title),
    xAxis: valueAxis(theme, 'GD step k', false, { nameGap: 24, scale: false }),
    yAxis: valueAxis(theme, 'loss', true, { nameGap: 44 }),
    series: [
      {
        name: 'network (finite width)',
        type: 'line',
        data: pts(exp.actualLoss),
        symbol: 'none',
        lineStyle: { color: p.series[0], width: 2 },
        itemStyle: { color: p.series[0] },
      },
      {
        name: 'predicted (Θ_ω, linearized)',
        type: 'line',
        data: pts(exp.predictedLoss),
        symbol: 'none',
        lineStyle: { color: p.theory, type: 'dashed', width: 2 },
        itemStyle: { color: p.theory },
      },
    ],
  };
}

/**
 * λ_min(Θ_ω) along the continuum slider t ∈ [0, 2] (weak at 0, joint at 1, decoder-only at 2), with the
 * current position marked.
 */
export function buildContinuumOption(exp: WeightedExperiment | null, currentT: number | null, theme: ChartTheme): Option {
  const title = 'λ_min(Θ_ω): weak → joint → decoder';
  if (!exp) return empty(theme, title, 'Compute to tabulate the continuum');
  const p = PALETTES[theme];
  const data: XY[] = exp.continuum.t.map((t, i): XY => [t, exp.continuum.lambdaMin[i]!]);
  const names: Record<number, string> = { 0: 'weak', 1: 'joint', 2: 'decoder' };
  return {
    ...baseOption(theme, title),
    xAxis: valueAxis(theme, 'slider t: (ω_W, ω_V) = (1, t), then (2 − t, 1)', false, {
      min: 0,
      max: 2,
      interval: 0.5,
      scale: false,
      nameGap: 24,
      axisLabel: { color: p.muted, formatter: (v: number) => names[v] ?? fmt(v, 2) },
    }),
    yAxis: valueAxis(theme, 'λ_min', false, { nameGap: 48 }),
    series: [
      {
        name: 'λ_min(Θ_ω)',
        type: 'line',
        data,
        symbol: 'none',
        lineStyle: { color: p.series[2], width: 2 },
        itemStyle: { color: p.series[2] },
        ...(currentT !== null
          ? { markLine: { symbol: 'none', silent: true, lineStyle: { color: p.reference }, label: { formatter: 'current' }, data: [{ xAxis: currentT }] } }
          : {}),
      },
    ],
  };
}

/**
 * Each coordinate of the network's test outputs against the kernel predictor's (SPEC §6), with the diagonal:
 * points on it mean the trained network is the kernel regressor.
 */
export function buildNetworkVsKernelOption(r: KrrNetworkResult | null, theme: ChartTheme): Option {
  const title = 'Network vs kernel predictor';
  if (!r) return empty(theme, title, 'Train to compare the network with kernel regression');
  const p = PALETTES[theme];
  const pts: XY[] = r.kernelPrediction.map((k, i): XY => [k, r.networkPrediction[i]!]);
  const lin: XY[] = r.linearizedPrediction.map((k, i): XY => [k, r.networkPrediction[i]!]);
  const all = [...r.kernelPrediction, ...r.networkPrediction, ...r.linearizedPrediction].filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  return {
    ...baseOption(theme, title),
    tooltip: { trigger: 'item' },
    xAxis: valueAxis(theme, 'kernel prediction', false, { nameGap: 24 }),
    yAxis: valueAxis(theme, 'network', false, { nameGap: 44 }),
    series: [
      { name: 'vs kernel regression (k = ∞)', type: 'scatter', data: pts, symbolSize: 6, itemStyle: { color: p.series[0] } },
      { name: `vs linearized (k steps)`, type: 'scatter', data: lin, symbolSize: 4, itemStyle: { color: p.series[1], opacity: 0.7 } },
      {
        name: 'y = x',
        type: 'line',
        data: [
          [lo, lo],
          [hi, hi],
        ],
        symbol: 'none',
        lineStyle: { color: p.muted, type: 'dashed' },
        itemStyle: { color: p.muted },
      },
    ],
  };
}

/** Kernel regression on test points: each predicted coordinate against the target's (the AE task: the input). */
export function buildRegressionOption(r: KrrResult | null, targets: number[][] | null, theme: ChartTheme): Option {
  const title = 'Kernel regression on the test points';
  if (!r || !targets) return empty(theme, title, 'Fit to predict the test points');
  const p = PALETTES[theme];
  const pts: XY[] = [];
  r.predictions.forEach((row, j) => row.forEach((v, a) => pts.push([targets[j]?.[a] ?? NaN, v])));
  const ok = pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const vals = ok.flat();
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  return {
    ...baseOption(theme, title),
    tooltip: { trigger: 'item' },
    xAxis: valueAxis(theme, 'target', false, { nameGap: 24 }),
    yAxis: valueAxis(theme, 'prediction', false, { nameGap: 44 }),
    series: [
      { name: `${r.kernel}, ridge ${fmt(r.ridge, 2)}`, type: 'scatter', data: ok, symbolSize: 5, itemStyle: { color: p.series[0] } },
      {
        name: 'y = x',
        type: 'line',
        data:
          ok.length > 0
            ? [
                [lo, lo],
                [hi, hi],
              ]
            : [],
        symbol: 'none',
        lineStyle: { color: p.muted, type: 'dashed' },
        itemStyle: { color: p.muted },
      },
    ],
  };
}

/**
 * Relative spectral error ‖ΦᵀΦ − Θ‖₂/‖Θ‖₂ against the feature dimension D on log–log axes (mean with ±std
 * bars), the induced λ_min and prediction errors, and the fitted line of slope `sweep.slope` (theory −1/2).
 */
export function buildRfErrorOption(sweep: RfSweep | null, theme: ChartTheme): Option {
  const title = 'Random-feature NTK: error vs feature dimension D';
  if (!sweep || sweep.rows.length === 0) return empty(theme, title, 'Compute to draw the error against D');
  const p = PALETTES[theme];
  const mean: XY[] = sweep.rows.map((r): XY => [r.D, r.relativeSpectralError.mean]);
  const bars = sweep.rows.map((r) => {
    const lo = Math.max(r.relativeSpectralError.mean - r.relativeSpectralError.std, r.relativeSpectralError.mean / 10);
    return [r.D, lo, r.relativeSpectralError.mean + r.relativeSpectralError.std];
  });
  // The fitted line passes through the weighted centroid; drawing it through the geometric means is close enough
  // to show the slope, and exact at the data's ends for a perfect power law.
  const lx = mean.map(([x]) => Math.log(x));
  const ly = mean.map(([, y]) => Math.log(y));
  const cx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const cy = ly.reduce((s, v) => s + v, 0) / ly.length;
  const ends = [Math.min(...lx), Math.max(...lx)];
  const fit: XY[] = Number.isFinite(sweep.slope) ? ends.map((x): XY => [Math.exp(x), Math.exp(cy + sweep.slope * (x - cx))]) : [];
  const slopeText = `fit: slope ${fmt(sweep.slope, 3)}${sweep.slopeStdError !== null ? ` ± ${fmt(sweep.slopeStdError, 2)}` : ''}`;
  const series: Option[] = [
    { name: 'spectral error', type: 'line', data: mean, symbolSize: 7, lineStyle: { color: p.series[0], width: 2 }, itemStyle: { color: p.series[0] } },
    // ±std bars as vertical segments (a `lines` series on the cartesian axes; no custom renderer needed).
    {
      name: 'spectral error',
      type: 'lines',
      coordinateSystem: 'cartesian2d',
      data: bars.map(([x, lo, hi]) => ({
        coords: [
          [x, lo],
          [x, hi],
        ],
      })),
      lineStyle: { color: p.series[0], width: 1.2, opacity: 1 },
      silent: true,
      tooltip: { show: false },
    },
    { name: slopeText, type: 'line', data: fit, symbol: 'none', lineStyle: { color: p.theory, type: 'dashed' }, itemStyle: { color: p.theory } },
    {
      name: 'λ_min error',
      type: 'line',
      data: sweep.rows.map((r): XY => [r.D, r.lambdaMinError.mean]).filter(([, y]) => y > 0),
      symbolSize: 5,
      lineStyle: { color: p.series[1], type: 'dotted' },
      itemStyle: { color: p.series[1] },
    },
  ];
  if (sweep.rows.every((r) => r.predictionError !== null)) {
    series.push({
      name: 'prediction error',
      type: 'line',
      data: sweep.rows.map((r): XY => [r.D, r.predictionError!.mean]).filter(([, y]) => y > 0),
      symbolSize: 5,
      lineStyle: { color: p.series[2], type: 'dotted' },
      itemStyle: { color: p.series[2] },
    });
  }
  return {
    ...baseOption(theme, title),
    xAxis: valueAxis(theme, 'D (features)', true, { nameGap: 24 }),
    yAxis: valueAxis(theme, 'relative error', true, { nameGap: 44 }),
    series,
  };
}

/** Lowest R² the study chart draws. */
const R2_FLOOR = -1;

/** Test accuracy and R² of the RNTK study against σ_w (memory of early steps grows with σ_w). */
export function buildSigmaStudyOption(study: SequenceStudy | null, theme: ChartTheme): Option {
  const title = 'Test accuracy and R² vs σ_w';
  if (!study || study.rows.length === 0) return empty(theme, title, 'Run the study to compare σ_w');
  const p = PALETTES[theme];
  const series: Option[] = [];
  if (study.rows.some((r) => r.accuracy !== null)) {
    series.push({
      name: 'test accuracy',
      type: 'line',
      data: study.rows.map((r): XY => [r.sigmaW, r.accuracy ?? NaN]),
      symbolSize: 7,
      itemStyle: { color: p.series[0] },
      lineStyle: { color: p.series[0] },
    });
  }
  if (study.rows.some((r) => r.r2 !== null)) {
    // R² has no lower bound (an exploding kernel at σ_w² > 2 reaches −10 and below): clipped so that the
    // accuracy stays readable; the panel's table has the values.
    series.push({
      name: `test R² (clipped at ${R2_FLOOR})`,
      type: 'line',
      data: study.rows.map((r): XY => [r.sigmaW, r.r2 === null ? NaN : Math.max(r.r2, R2_FLOOR)]),
      symbolSize: 7,
      itemStyle: { color: p.series[1] },
      lineStyle: { color: p.series[1] },
    });
  }
  if (study.baselineAccuracy !== null) {
    series.push({
      name: 'majority class',
      type: 'line',
      data: [study.rows[0]!.sigmaW, study.rows[study.rows.length - 1]!.sigmaW].map((x): XY => [x, study.baselineAccuracy!]),
      symbol: 'none',
      lineStyle: { color: p.muted, type: 'dashed' },
      itemStyle: { color: p.muted },
    });
  }
  return {
    ...baseOption(theme, title),
    xAxis: valueAxis(theme, 'σ_w', false, { nameGap: 24 }),
    yAxis: valueAxis(theme, '', false, { max: 1, min: (e: { min: number }) => Math.min(0, e.min) }),
    series,
  };
}

/**
 * A Gram matrix (rows) as the flat [n, n] values the heatmap builder takes, with rows and columns put in
 * the order of `labels` (stable within a class), so that a kernel that separates classes shows blocks.
 */
export function gramByLabel(gram: readonly (readonly number[])[], labels: readonly number[] | null): { n: number; values: number[]; order: number[] } {
  const n = gram.length;
  const order = Array.from({ length: n }, (_, i) => i);
  if (labels && labels.length === n) order.sort((a, b) => labels[a]! - labels[b]! || a - b);
  const values: number[] = [];
  for (const i of order) for (const j of order) values.push(gram[i]![j]!);
  return { n, values, order };
}
