/**
 * E1–E9 (SPEC §9) as sweeps plus verdict functions of their data (STYLE §7): each experiment lists its
 * cells (training runs or engine measurements) for its parameters, and analyses the finished cells into
 * tidy rows (data.csv), the numbers behind the verdict, the verdict itself and its figures. A verdict is
 * computed from the data just produced, never assumed.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { parseConfig, issuesToText, type Config, type ConfigInput } from '../../../shared/config/schema';
import type { ExperimentId, ExperimentParams } from '../../../shared/experiments/presets';
import { fitLogLog, successThreshold, type LineFit } from '../../../shared/experiments/stats';
import type { ExperimentFigure, FigureSeries } from '../../../shared/charts/experiments';
import type { XY } from '../../../shared/charts/common';
import { WorkbenchException } from '../../../shared/api/result';
import type { EngineHost } from '../engineHost';
import { cellId, taskCellId } from '../sweeps/cellId';
import type { RunnerCell, CellRecord } from '../sweeps/runner';
import { readRecords, TASK_RESULT_FILE } from '../sweeps/executor';
import { readKeptParams } from '../export/keptParams';
import type { MetricRecord } from '../../../shared/run/format';

/** A finished cell as an analysis sees it. */
export interface CellView {
  cell: RunnerCell;
  record: CellRecord;
  dir: string;
}

/** What an analysis needs besides the cells. */
export interface AnalysisContext {
  params: ExperimentParams;
  quick: boolean;
  cells: CellView[];
  host: EngineHost;
  /** values computed before the sweep (e.g. E4's step size) */
  prep: Record<string, unknown>;
}

/** An analysis: tidy rows, the verdict and the numbers behind it, figures. */
export interface Analysis {
  columns: string[];
  rows: Record<string, string | number | null>[];
  holds: boolean;
  numbers: Record<string, unknown>;
  figures: ExperimentFigure[];
}

/** One experiment: an optional preparation (engine tasks before the sweep), its cells and its analysis. */
export interface ExperimentDefinition {
  prepare?(params: ExperimentParams, host: EngineHost): Promise<Record<string, unknown>>;
  cells(params: ExperimentParams, prep: Record<string, unknown>): RunnerCell[];
  analyze(ctx: AnalysisContext): Promise<Analysis>;
}

const need = <K extends keyof ExperimentParams>(p: ExperimentParams, k: K): NonNullable<ExperimentParams[K]> => {
  const v = p[k];
  if (v === undefined || v === null) throw new WorkbenchException('invalid-request', `${String(k)}: required by this experiment`);
  return v as NonNullable<ExperimentParams[K]>;
};

/** A validated training config (sphere data, float64, no test split unless given). */
export function trainingConfig(input: ConfigInput): Config {
  const r = parseConfig({ dataset: 'sphere', testSamples: 0, dtype: 'float64', trackEigenvalues: 1, ...input });
  if (!r.ok) throw new WorkbenchException('invalid-config', issuesToText(r.issues), { issues: r.issues });
  return r.config;
}

function trainCell(index: number, point: Record<string, unknown>, config: Config): RunnerCell {
  return { id: cellId(config), index, point, work: { kind: 'train', config } };
}

function taskCell(index: number, point: Record<string, unknown>, args: Record<string, unknown>): RunnerCell {
  return { id: taskCellId('experiment', args), index, point, work: { kind: 'task', task: 'experiment', args } };
}

async function taskValue<T>(v: CellView): Promise<T> {
  const r = JSON.parse(await fsp.readFile(path.join(v.dir, TASK_RESULT_FILE), 'utf8')) as { value: T };
  return r.value;
}

const done = (v: CellView): boolean => v.record.state === 'finished' || v.record.state === 'failed';
const finished = (v: CellView): boolean => v.record.state === 'finished';

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}
const uniqSorted = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** A fit as summary numbers. */
function fitNumbers(f: LineFit): Record<string, number> {
  return { slope: f.slope, slopeStdErr: f.slopeStdErr, ci95Low: f.slopeInterval[0], ci95High: f.slopeInterval[1], points: f.n, r2: f.r2 };
}

/** Mean ± std of y per x, as a series with a band, plus the fitted line through the data's ends. */
function meanSeries(name: string, pts: readonly XY[], color: number, fit?: LineFit): FigureSeries[] {
  const byX = groupBy(pts, ([x]) => String(x));
  const xs = uniqSorted(pts.map(([x]) => x));
  const means: XY[] = xs.map((x) => [x, mean(byX.get(String(x))!.map(([, y]) => y))]);
  const band = xs.map((x): [number, number, number] => {
    const ys = byX.get(String(x))!.map(([, y]) => y);
    const m = mean(ys);
    const s = std(ys);
    return [x, Math.max(m - s, m / 10), m + s];
  });
  const out: FigureSeries[] = [{ name, points: means, band, color }];
  if (fit && xs.length >= 2) {
    const ends = [xs[0]!, xs[xs.length - 1]!];
    out.push({
      name: `${name} fit: slope ${fit.slope.toFixed(3)} [${fit.slopeInterval[0].toFixed(3)}, ${fit.slopeInterval[1].toFixed(3)}]`,
      points: ends.map((x): XY => [x, Math.exp(fit.intercept + fit.slope * Math.log(x))]),
      style: 'dashed',
      color,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- E1

const E1: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const draws of need(p, 'draws'))
      for (const seed of need(p, 'seeds')) out.push(taskCell(out.length, { draws, seed }, { kind: 'monte-carlo', d: need(p, 'd'), draws, seed }));
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    let maxZ = 0;
    let failures = 0;
    for (const v of ctx.cells.filter(finished)) {
      const r = await taskValue<{ rows: { quantity: string; draws: number; estimate: number; stdErr: number; exact: number }[] }>(v);
      for (const q of r.rows) {
        const diff = Math.abs(q.estimate - q.exact);
        // A quantity that is exactly determined (anti-parallel H_enc: every draw is 0) has no Monte Carlo error.
        const z = q.stdErr > 0 ? diff / q.stdErr : diff <= 1e-12 * Math.max(1, Math.abs(q.exact)) ? 0 : Infinity;
        maxZ = Math.max(maxZ, z);
        if (!(z <= E1_Z)) failures++;
        rows.push({ quantity: q.quantity, draws: q.draws, seed: Number(v.cell.point.seed), estimate: q.estimate, std_err: q.stdErr, exact: q.exact, z });
      }
    }
    const quantities = [...new Set(rows.map((r) => String(r.quantity)))];
    const figures: ExperimentFigure[] = ['H_enc unit pair', 'H_dec unit pair', 'E[w σ(wᵀx)]₁ vs x₁/2'].map((q, k) => {
      const rs = rows.filter((r) => r.quantity === q).sort((a, b) => Number(a.draws) - Number(b.draws));
      const exact = Number(rs[0]?.exact ?? 0);
      return {
        name: `e1-${k + 1}`,
        title: `E1: ${q}: Monte Carlo ± 2 SE vs closed form`,
        xName: 'draws N',
        yName: 'value',
        xLog: true,
        series: [
          {
            name: 'Monte Carlo',
            points: rs.map((r): XY => [Number(r.draws), Number(r.estimate)]),
            band: rs.map((r): [number, number, number] => [
              Number(r.draws),
              Number(r.estimate) - 2 * Number(r.std_err),
              Number(r.estimate) + 2 * Number(r.std_err),
            ]),
          },
          { name: 'closed form', points: rs.map((r): XY => [Number(r.draws), exact]), style: 'dashed', color: 1 },
        ],
      };
    });
    return {
      columns: ['quantity', 'draws', 'seed', 'estimate', 'std_err', 'exact', 'z'],
      rows,
      holds: rows.length > 0 && failures === 0 && ctx.cells.every(finished),
      numbers: { quantities: quantities.length, comparisons: rows.length, maxAbsZ: maxZ, threshold: E1_Z, outside: failures },
      figures,
    };
  },
};
/** |estimate − exact| ≤ 4 standard errors for every quantity and N (about 40 comparisons: a false alarm ~0.3%). */
const E1_Z = 4;

// ---------------------------------------------------------------------------------------------- E2

const E2: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const init of need(p, 'inits'))
      for (const m of need(p, 'widths'))
        for (const seed of need(p, 'seeds')) {
          out.push(taskCell(out.length, { init, width: m, seed }, { kind: 'concentration', n: need(p, 'n'), d: need(p, 'd'), m, init, seed }));
        }
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    for (const v of ctx.cells.filter(finished)) {
      const r = await taskValue<{ relError: Record<string, number> }>(v);
      for (const regime of ['weak', 'decoder', 'joint'])
        rows.push({
          regime,
          init: String(v.cell.point.init),
          width: Number(v.cell.point.width),
          seed: Number(v.cell.point.seed),
          rel_error: r.relError[regime]!,
        });
    }
    const numbers: Record<string, unknown> = {};
    let holds = rows.length > 0 && ctx.cells.every(finished);
    const figures: ExperimentFigure[] = [];
    const inits = [...new Set(rows.map((r) => String(r.init)))];
    for (const init of inits) {
      const series: FigureSeries[] = [];
      ['weak', 'decoder', 'joint'].forEach((regime, k) => {
        const rs = rows.filter((r) => r.regime === regime && r.init === init);
        const fit = fitLogLog(
          rs.map((r) => Number(r.width)),
          rs.map((r) => Number(r.rel_error)),
        );
        const contains = fit.slopeInterval[0] <= -0.5 && -0.5 <= fit.slopeInterval[1];
        numbers[`${regime}/${init}`] = { ...fitNumbers(fit), containsMinusHalf: contains };
        if (!contains) holds = false;
        series.push(
          ...meanSeries(
            regime,
            rs.map((r): XY => [Number(r.width), Number(r.rel_error)]),
            k,
            fit,
          ),
        );
      });
      figures.push({
        name: `e2-${init}`,
        title: `E2: ‖H_m − H∞‖₂/‖H∞‖₂ at init vs width (${init} init)`,
        xName: 'width m',
        yName: 'relative error',
        xLog: true,
        yLog: true,
        series,
      });
    }
    if (inits.includes('gaussian') && inits.includes('orthogonal')) {
      // SPEC §10.5: the decoder Gram fluctuates less with orthogonal blocks; compared as the mean error over seeds, per width.
      const ratios: Record<string, Record<string, number>> = {};
      for (const regime of ['weak', 'decoder', 'joint']) {
        ratios[regime] = {};
        for (const m of uniqSorted(rows.map((r) => Number(r.width)))) {
          const g = mean(rows.filter((r) => r.regime === regime && r.init === 'gaussian' && r.width === m).map((r) => Number(r.rel_error)));
          const o = mean(rows.filter((r) => r.regime === regime && r.init === 'orthogonal' && r.width === m).map((r) => Number(r.rel_error)));
          ratios[regime]![String(m)] = o / g;
        }
      }
      const decoderLess = Object.values(ratios.decoder!).every((x) => x < 1);
      numbers.orthogonalOverGaussian = ratios;
      numbers.orthogonalDecoderFluctuatesLess = decoderLess;
      if (!decoderLess) holds = false;
    }
    return { columns: ['regime', 'init', 'width', 'seed', 'rel_error'], rows, holds, numbers, figures };
  },
};

// ---------------------------------------------------------------------------------------------- E3

type Lambdas = {
  lambdaEnc: number;
  lambdaDec: number;
  lambdaJoint: number;
  lambdaMaxJoint: number;
  sufficientWidth: { A_sufficient: number | null; B_sufficient: number | null; A_rateLambda: number; B_rateLambda: number };
};

const E3: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const d of need(p, 'ds'))
      for (const n of need(p, 'ns')) for (const seed of need(p, 'seeds')) out.push(taskCell(out.length, { n, d, seed }, { kind: 'lambdas', n, d, seed }));
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    for (const v of ctx.cells.filter(finished)) {
      const r = await taskValue<Lambdas>(v);
      rows.push({
        n: Number(v.cell.point.n),
        d: Number(v.cell.point.d),
        seed: Number(v.cell.point.seed),
        lambda_enc: r.lambdaEnc,
        lambda_dec: r.lambdaDec,
        lambda_joint: r.lambdaJoint,
      });
    }
    const ns = uniqSorted(rows.map((r) => Number(r.n)));
    const ds = uniqSorted(rows.map((r) => Number(r.d)));
    const meanOf = (key: string, n: number, d: number): number => mean(rows.filter((r) => r.n === n && r.d === d).map((r) => Number(r[key])));
    const keys = ['lambda_enc', 'lambda_dec', 'lambda_joint'] as const;
    const violations: string[] = [];
    for (const key of keys) {
      for (const d of ds)
        for (let i = 1; i < ns.length; i++)
          if (!(meanOf(key, ns[i]!, d) < meanOf(key, ns[i - 1]!, d))) violations.push(`${key} not decreasing from n=${ns[i - 1]} to n=${ns[i]} at d=${d}`);
      for (const n of ns)
        for (let j = 1; j < ds.length; j++)
          if (!(meanOf(key, n, ds[j]!) > meanOf(key, n, ds[j - 1]!))) violations.push(`${key} not increasing from d=${ds[j - 1]} to d=${ds[j]} at n=${n}`);
    }
    let decBelow = 0;
    for (const n of ns)
      for (const d of ds) {
        if (meanOf('lambda_dec', n, d) < meanOf('lambda_enc', n, d)) decBelow++;
        else violations.push(`mean λ_dec ≥ λ₀ at n=${n}, d=${d}`);
      }
    const figures: ExperimentFigure[] = keys.map((key, k) => ({
      name: `e3-${key.replace('lambda_', '')}`,
      title: `E3: ${['λ₀ = λ_min(H_enc∞)', 'λ_dec = λ_min(H_dec∞)', 'λ_J = λ_min(H_enc∞ + H_dec∞)'][k]} vs n (mean ± std over seeds)`,
      xName: 'samples n',
      yName: 'λ_min',
      xLog: true,
      yLog: true,
      series: ds.flatMap((d, j) =>
        meanSeries(
          `d=${d}`,
          rows.filter((r) => r.d === d).map((r): XY => [Number(r.n), Number(r[key])]),
          j,
        ),
      ),
    }));
    return {
      columns: ['n', 'd', 'seed', 'lambda_enc', 'lambda_dec', 'lambda_joint'],
      rows,
      holds: rows.length > 0 && violations.length === 0 && ctx.cells.every(finished),
      numbers: { ns, ds, gridPointsWithDecBelowEnc: decBelow, gridPoints: ns.length * ds.length, violations },
      figures,
    };
  },
};

// ---------------------------------------------------------------------------------------------- E4 / E6

async function lambdasOf(host: EngineHost, n: number, d: number, seed: number): Promise<Lambdas> {
  return (await host.runTask('experiment', { kind: 'lambdas', n, d, seed })) as Lambdas;
}

/**
 * E4: at the largest width the loss stays within half a decade of the linearized prediction
 * (|log₁₀(L/L_lin)| ≤ 0.5) over the range the prediction covers down to L_lin/L₀ = 10⁻⁶ (further down the
 * O(m^(−1/2)) difference of the rates compounds, so every finite width leaves the line eventually), and
 * closer to it than the smallest width is.
 */
const E4_TOLERANCE_LOG10 = 0.5;
const E4_RANGE = 1e-6;
/** E4 at the smallest width: joint "converges" (L/L₀ below this within the steps) where weak does not ("stalls"). */
const E4_CONVERGED = 1e-6;

const E4: ExperimentDefinition = {
  async prepare(p, host) {
    const out: Record<string, unknown> = {};
    for (const seed of need(p, 'seeds')) {
      const l = await lambdasOf(host, need(p, 'n'), need(p, 'd'), seed);
      out[String(seed)] = { eta: 0.5 / l.lambdaMaxJoint, ...l };
    }
    return out;
  },
  cells(p, prep) {
    const out: RunnerCell[] = [];
    const steps = need(p, 'steps');
    for (const init of p.inits ?? ['gaussian'])
      for (const regime of need(p, 'regimes'))
        for (const m of need(p, 'widths'))
          for (const seed of need(p, 'seeds')) {
            const eta = (prep[String(seed)] as { eta: number }).eta;
            const config = trainingConfig({
              samples: need(p, 'n'),
              inputDim: need(p, 'd'),
              hiddenWidth: m,
              regime,
              init,
              seed,
              steps,
              learningRate: eta,
              trackEvery: Math.max(1, Math.round(steps / 80)),
              targetLossRatio: 0,
            });
            out.push(trainCell(out.length, { init, regime, width: m, seed }, config));
          }
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    const curves = new Map<CellView, { k: number; ratio: number; lin: number | null; bound: number }[]>();
    for (const v of ctx.cells.filter(done)) {
      const records = await readRecords(v.dir);
      const seed = Number(v.cell.point.seed);
      const lam = ctx.prep[String(seed)] as Lambdas & { eta: number };
      const regime = String(v.cell.point.regime);
      const rateLambda = regime === 'weak' ? lam.sufficientWidth.A_rateLambda : regime === 'joint' ? lam.sufficientWidth.B_rateLambda : lam.lambdaDec;
      const L0 = records[0]?.loss ?? NaN;
      const pts = records
        .filter((r) => r.tracked?.linearizedLoss !== undefined || r.step === records[records.length - 1]!.step)
        .map((r) => ({
          k: r.step,
          ratio: (r.loss ?? NaN) / L0,
          lin: r.tracked?.linearizedLoss !== undefined && r.tracked.linearizedLoss !== null ? r.tracked.linearizedLoss / L0 : null,
          bound: Math.pow(1 - (lam.eta * rateLambda) / 2, r.step),
        }));
      curves.set(v, pts);
      for (const q of pts)
        rows.push({
          init: String(v.cell.point.init),
          regime,
          width: Number(v.cell.point.width),
          seed,
          step: q.k,
          loss_ratio: q.ratio,
          linearized_ratio: q.lin,
          bound_ratio: q.bound,
        });
    }
    const widths = uniqSorted(ctx.cells.map((v) => Number(v.cell.point.width)));
    const mMax = widths[widths.length - 1]!;
    const mMin = widths[0]!;
    const numbers: Record<string, unknown> = {
      tolerance: `|log10(L/L_lin)| ≤ ${E4_TOLERANCE_LOG10} while L_lin/L0 ≥ ${E4_RANGE}, and below the smallest width's deviation`,
      converged: E4_CONVERGED,
      eta: Object.fromEntries(Object.entries(ctx.prep).map(([s, l]) => [s, (l as { eta: number }).eta])),
    };
    let holds = ctx.cells.every(done) && ctx.cells.length > 0;
    const large: Record<string, unknown> = {};
    const deviation = (pts: { ratio: number; lin: number | null }[]): number => {
      const devs = pts.filter((q) => q.lin !== null && q.lin >= E4_RANGE).map((q) => Math.abs(Math.log10(q.ratio / q.lin!)));
      return devs.length ? Math.max(...devs) : Infinity;
    };
    for (const [v, pts] of curves) {
      if (Number(v.cell.point.width) !== mMax) continue;
      const key = `${v.cell.point.regime}/${v.cell.point.init}/seed${v.cell.point.seed}`;
      const maxDev = deviation(pts);
      const smallest = [...curves.entries()].find(
        ([c]) =>
          Number(c.cell.point.width) === mMin &&
          c.cell.point.regime === v.cell.point.regime &&
          c.cell.point.init === v.cell.point.init &&
          c.cell.point.seed === v.cell.point.seed,
      );
      const smallDev = smallest ? deviation(smallest[1]) : Infinity;
      const belowBound = pts.every((q) => q.ratio <= q.bound * (1 + 1e-9));
      large[key] = {
        maxLog10Deviation: maxDev,
        maxLog10DeviationAtSmallestWidth: smallDev,
        belowRateBound: belowBound,
        finalLossRatio: pts[pts.length - 1]?.ratio ?? null,
      };
      if (!(maxDev <= E4_TOLERANCE_LOG10) || !belowBound || !(maxDev < smallDev)) holds = false;
    }
    numbers[`largestWidth m=${mMax}`] = large;
    const small: Record<string, unknown> = {};
    for (const init of [...new Set(ctx.cells.map((v) => String(v.cell.point.init)))])
      for (const seed of [...new Set(ctx.cells.map((v) => Number(v.cell.point.seed)))]) {
        const final = (regime: string): number | null => {
          const v = [...curves.keys()].find(
            (c) => c.cell.point.regime === regime && c.cell.point.init === init && Number(c.cell.point.seed) === seed && Number(c.cell.point.width) === mMin,
          );
          if (!v) return null;
          return v.record.outcome?.errorCode === 'run-diverged' ? Infinity : (curves.get(v)!.at(-1)?.ratio ?? null);
        };
        const weak = final('weak');
        const joint = final('joint');
        if (weak === null || joint === null) continue;
        const ok = weak >= E4_CONVERGED && joint < E4_CONVERGED;
        small[`${init}/seed${seed}`] = { weakFinalLossRatio: weak, jointFinalLossRatio: joint, weakOverJoint: weak / joint, weakStallsJointConverges: ok };
        if (!ok) holds = false;
      }
    numbers[`smallestWidth m=${mMin}`] = small;
    const figures: ExperimentFigure[] = [];
    for (const m of [mMin, mMax]) {
      const series: FigureSeries[] = [];
      let k = 0;
      for (const [v, pts] of curves) {
        if (Number(v.cell.point.width) !== m || Number(v.cell.point.seed) !== Number(ctx.cells[0]!.cell.point.seed)) continue;
        const label = `${v.cell.point.regime}${(ctx.params.inits?.length ?? 1) > 1 ? `, ${v.cell.point.init}` : ''}`;
        series.push({ name: label, points: pts.map((q): XY => [q.k, q.ratio]), color: k });
        series.push({ name: `${label} linearized`, points: pts.filter((q) => q.lin !== null).map((q): XY => [q.k, q.lin!]), style: 'dashed', color: k });
        series.push({ name: `${label} rate bound`, points: pts.map((q): XY => [q.k, q.bound]), style: 'dotted', color: k });
        k++;
      }
      figures.push({
        name: `e4-m${m}`,
        title: `E4: L(k)/L(0) at m = ${m} against the linearized prediction and (1 − ηλ/2)^k`,
        xName: 'step k',
        yName: 'L/L₀',
        yLog: true,
        series,
      });
    }
    return { columns: ['init', 'regime', 'width', 'seed', 'step', 'loss_ratio', 'linearized_ratio', 'bound_ratio'], rows, holds, numbers, figures };
  },
};

const E6: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    const steps = need(p, 'steps');
    for (const regime of need(p, 'regimes'))
      for (const m of need(p, 'widths'))
        for (const seed of need(p, 'seeds')) {
          const config = trainingConfig({
            samples: need(p, 'n'),
            inputDim: need(p, 'd'),
            hiddenWidth: m,
            regime,
            seed,
            steps,
            trackEvery: steps,
            targetLossRatio: 0,
          });
          out.push(trainCell(out.length, { regime, width: m, seed }, config));
        }
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    for (const v of ctx.cells.filter(finished)) {
      const records = await readRecords(v.dir);
      const t = [...records].reverse().find((r: MetricRecord) => r.tracked?.weightMoveW !== undefined)?.tracked;
      rows.push({
        regime: String(v.cell.point.regime),
        width: Number(v.cell.point.width),
        seed: Number(v.cell.point.seed),
        steps: records.at(-1)?.step ?? null,
        weight_move_w: t?.weightMoveW ?? null,
        flip_fraction: t?.flipFraction ?? null,
        max_neuron_move: t?.maxNeuronMove ?? null,
        loss_ratio: records.at(-1)?.lossRatio ?? null,
      });
    }
    // A diverged cell (a step too large for a small width) has no movement to compare; it is reported.
    const diverged = ctx.cells.filter((v) => v.record.state === 'failed').map((v) => v.cell.point);
    const numbers: Record<string, unknown> = { diverged };
    let holds = rows.length > 0 && ctx.cells.every(done);
    const series: FigureSeries[] = [];
    [...new Set(rows.map((r) => String(r.regime)))].forEach((regime, k) => {
      const rs = rows.filter((r) => r.regime === regime && typeof r.weight_move_w === 'number');
      const fit = fitLogLog(
        rs.map((r) => Number(r.width)),
        rs.map((r) => Number(r.weight_move_w)),
      );
      const contains = fit.slopeInterval[0] <= -0.5 && -0.5 <= fit.slopeInterval[1];
      const flips = rows.filter((r) => r.regime === regime && Number(r.flip_fraction) > 0);
      const flipFit =
        flips.length >= 3
          ? fitLogLog(
              flips.map((r) => Number(r.width)),
              flips.map((r) => Number(r.flip_fraction)),
            )
          : null;
      const flipContains = flipFit !== null && flipFit.slopeInterval[0] <= -0.5 && -0.5 <= flipFit.slopeInterval[1];
      numbers[regime] = {
        weightMove: { ...fitNumbers(fit), containsMinusHalf: contains },
        flipFraction: flipFit ? { ...fitNumbers(flipFit), containsMinusHalf: flipContains } : null,
      };
      if (!contains || !flipContains) holds = false;
      series.push(
        ...meanSeries(
          `${regime} ‖ΔW‖/‖W₀‖`,
          rs.map((r): XY => [Number(r.width), Number(r.weight_move_w)]),
          k,
          fit,
        ),
      );
    });
    return {
      columns: ['regime', 'width', 'seed', 'steps', 'weight_move_w', 'flip_fraction', 'max_neuron_move', 'loss_ratio'],
      rows,
      holds,
      numbers,
      figures: [
        {
          name: 'e6-movement',
          title: 'E6: relative weight movement after training vs width',
          xName: 'width m',
          yName: '‖W − W₀‖_F / ‖W₀‖_F',
          xLog: true,
          yLog: true,
          series,
        },
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------- E5

/** E5's success criterion: L/L₀ below this within the step budget. */
export const E5_SUCCESS = 1e-6;

const E5: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    const steps = need(p, 'steps');
    // E5-nm: the sample counts `ns` are an axis of the grid too (the point then carries n).
    const ns = p.ns ?? [need(p, 'n')];
    for (const n of ns)
      for (const regime of need(p, 'regimes'))
        for (const m of need(p, 'widths'))
          for (const seed of need(p, 'seeds')) {
            // The run stops just below the criterion; no tracked diagnostics (only the loss decides).
            const config = trainingConfig({
              samples: n,
              inputDim: need(p, 'd'),
              hiddenWidth: m,
              regime,
              seed,
              steps,
              trackEvery: steps,
              trackEigenvalues: 0,
              targetLossRatio: E5_SUCCESS / 2,
            });
            out.push(trainCell(out.length, p.ns ? { n, regime, width: m, seed } : { regime, width: m, seed }, config));
          }
    return out;
  },
  async analyze(ctx) {
    const byN = ctx.params.ns !== undefined;
    const rows: Analysis['rows'] = ctx.cells.filter(done).map((v) => {
      const ratio = v.record.outcome?.metrics.lossRatio ?? null;
      const converged = v.record.state === 'finished' && ratio !== null && ratio < E5_SUCCESS ? 1 : 0;
      const row = { regime: String(v.cell.point.regime), width: Number(v.cell.point.width), seed: Number(v.cell.point.seed), converged, loss_ratio: ratio };
      return byN ? { ...row, n: Number(v.cell.point.n) } : row;
    });
    const steps = ctx.params.steps;
    const complete = ctx.cells.every(done);
    if (!byN) {
      const g = e5Grid(rows);
      const v = e5Verdict(g.thresholds);
      return {
        columns: E5_COLUMNS,
        rows,
        holds: complete && v.jointBelowWeak && v.decoderBetween,
        numbers: {
          criterion: `L/L0 < ${E5_SUCCESS} within ${steps} steps for every seed`,
          threshold: g.thresholds,
          thresholdNote: 'null: not reached within the widths of the grid',
          ...v,
        },
        figures: [
          {
            name: 'e5-success',
            title: `E5: success probability (L/L₀ < 10⁻⁶ within ${steps} steps) vs width`,
            xName: 'width m',
            yName: 'success probability',
            xLog: true,
            series: g.series,
          },
        ],
      };
    }
    // E5-nm: the same analysis per n, and per regime a heat map of the success probability over (n, m).
    const nm = e5ThresholdMap(rows);
    const perN: Record<string, ReturnType<typeof e5Verdict> & { threshold: Record<string, number | null> }> = {};
    for (const n of nm.ns) perN[String(n)] = { threshold: nm.thresholds[String(n)]!, ...e5Verdict(nm.thresholds[String(n)]!) };
    // E5's verdict at every n of the grid; the n where it fails are listed.
    const failsAt = nm.ns.filter((n) => !(perN[String(n)]!.jointBelowWeak && perN[String(n)]!.decoderBetween));
    return {
      columns: [...E5_COLUMNS, 'n'],
      rows,
      holds: complete && nm.ns.length > 0 && failsAt.length === 0,
      numbers: {
        criterion: `L/L0 < ${E5_SUCCESS} within ${steps} steps for every seed; at every n: joint's threshold < weak's, decoder's in between or equal`,
        thresholdByN: perN,
        thresholdNote: 'null: not reached within the widths of the grid',
        failsAtN: failsAt,
      },
      figures: nm.regimes.map((regime) => e5HeatmapFigure(nm, regime, steps)),
    };
  },
};

const E5_COLUMNS = ['regime', 'width', 'seed', 'converged', 'loss_ratio'];

/** Success probability per width and the threshold width, per regime, of E5 rows (one n). */
function e5Grid(rows: Analysis['rows']): { thresholds: Record<string, number | null>; series: FigureSeries[] } {
  const thresholds: Record<string, number | null> = {};
  const series: FigureSeries[] = [];
  [...new Set(rows.map((r) => String(r.regime)))].forEach((regime, k) => {
    const byW = groupBy(
      rows.filter((r) => r.regime === regime),
      (r) => String(r.width),
    );
    const pts = [...byW.entries()].map(([w, rs]) => ({ x: Number(w), successes: rs.filter((r) => r.converged === 1).length, trials: rs.length }));
    thresholds[regime] = successThreshold(pts, 1);
    series.push({ name: regime, points: pts.sort((a, b) => a.x - b.x).map((q): XY => [q.x, q.successes / q.trials]), color: k });
  });
  return { thresholds, series };
}

/** E5's verdict of thresholds (null: not reached): joint < weak, joint ≤ decoder ≤ weak. */
function e5Verdict(thresholds: Record<string, number | null>): { jointBelowWeak: boolean; decoderBetween: boolean } {
  const inf = (x: number | null | undefined): number => (x === null || x === undefined ? Infinity : x);
  const j = inf(thresholds.joint);
  const w = inf(thresholds.weak);
  const dec = thresholds.decoder === undefined ? undefined : inf(thresholds.decoder);
  return { jointBelowWeak: Number.isFinite(j) && j < w, decoderBetween: dec === undefined || (j <= dec && dec <= w) };
}

/** The (n, m) grid of E5-nm rows: success probability per regime over ns × widths, thresholds per n and regime. */
export interface E5ThresholdMap {
  ns: number[];
  widths: number[];
  regimes: string[];
  /** probability[regime][i][j] at (ns[i], widths[j]); null where the grid has no cell */
  probability: Record<string, (number | null)[][]>;
  /** thresholds[n][regime]: the smallest width from which every seed succeeds (null: none in the grid) */
  thresholds: Record<string, Record<string, number | null>>;
}

export function e5ThresholdMap(rows: Analysis['rows']): E5ThresholdMap {
  const ns = uniqSorted(rows.map((r) => Number(r.n)));
  const widths = uniqSorted(rows.map((r) => Number(r.width)));
  const regimes = [...new Set(rows.map((r) => String(r.regime)))];
  const probability: E5ThresholdMap['probability'] = {};
  const thresholds: E5ThresholdMap['thresholds'] = {};
  for (const n of ns) thresholds[String(n)] = e5Grid(rows.filter((r) => Number(r.n) === n)).thresholds;
  for (const regime of regimes) {
    probability[regime] = ns.map((n) =>
      widths.map((m) => {
        const rs = rows.filter((r) => r.regime === regime && Number(r.n) === n && Number(r.width) === m);
        return rs.length ? rs.filter((r) => r.converged === 1).length / rs.length : null;
      }),
    );
  }
  return { ns, widths, regimes, probability, thresholds };
}

function e5HeatmapFigure(nm: E5ThresholdMap, regime: string, steps: number | undefined): ExperimentFigure {
  return {
    name: `e5-nm-${regime}`,
    title: `E5: success probability over (n, m), ${regime} training (L/L₀ < 10⁻⁶ within ${steps} steps)`,
    xName: 'width m',
    yName: 'samples n',
    series: [],
    heatmap: {
      xs: nm.widths,
      ys: nm.ns,
      values: nm.probability[regime]!,
      min: 0,
      max: 1,
      valueName: 'P(success)',
      line: { name: 'threshold width', points: nm.ns.map((n): [number | null, number] => [nm.thresholds[String(n)]![regime] ?? null, n]) },
    },
  };
}

// ---------------------------------------------------------------------------------------------- E7

const E7: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const kappaSq of ['1', '2/sqrt(m)'] as const)
      for (const m of need(p, 'widths'))
        for (const seed of need(p, 'seeds')) {
          out.push(taskCell(out.length, { kappaSq, width: m, seed }, { kind: 'tied', n: need(p, 'n'), d: need(p, 'd'), m, scaling: 'ntk', kappaSq, seed }));
        }
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    for (const v of ctx.cells.filter(finished)) {
      const r = await taskValue<{ outputNorm: number; outputAlongX: number; predictedNorm: number; identityError: number }>(v);
      rows.push({
        kappa_sq: String(v.cell.point.kappaSq),
        width: Number(v.cell.point.width),
        seed: Number(v.cell.point.seed),
        output_along_x: r.outputAlongX,
        output_norm: r.outputNorm,
        predicted: r.predictedNorm,
        identity_error: r.identityError,
      });
    }
    const grow = rows.filter((r) => r.kappa_sq === '1');
    const ident = rows.filter((r) => r.kappa_sq !== '1');
    // The linear component along x (expectation exactly (√m/2)‖x‖, D1); ‖u₀(x)‖ itself carries the O(1)
    // fluctuation, which bends its log–log line at small m (its slope is reported too).
    const fit = fitLogLog(
      grow.map((r) => Number(r.width)),
      grow.map((r) => Number(r.output_along_x)),
    );
    const normFit = fitLogLog(
      grow.map((r) => Number(r.width)),
      grow.map((r) => Number(r.output_norm)),
    );
    const identFit = fitLogLog(
      ident.map((r) => Number(r.width)),
      ident.map((r) => Number(r.identity_error)),
    );
    const contains = fit.slopeInterval[0] <= 0.5 && 0.5 <= fit.slopeInterval[1];
    // x̂ᵀu₀(x) ≈ (√m/2)‖x‖: the fitted prefactor e^intercept against ½.
    const prefactor = Math.exp(fit.intercept);
    return {
      columns: ['kappa_sq', 'width', 'seed', 'output_along_x', 'output_norm', 'predicted', 'identity_error'],
      rows,
      holds: grow.length > 0 && contains && ctx.cells.every(finished),
      numbers: {
        outputAlongX: { ...fitNumbers(fit), containsHalf: contains, prefactor, predictedPrefactor: 0.5 },
        outputNorm: fitNumbers(normFit),
        identityErrorAtKappaSq2OverSqrtM: fitNumbers(identFit),
      },
      figures: [
        {
          name: 'e7-output',
          title: 'E7: weight-tied output at init vs width (κ = 1, s = 1/√m), per ‖x‖',
          xName: 'width m',
          yName: 'output',
          xLog: true,
          yLog: true,
          series: [
            ...meanSeries(
              'x̂ᵀu₀(x)',
              grow.map((r): XY => [Number(r.width), Number(r.output_along_x)]),
              0,
              fit,
            ),
            ...meanSeries(
              '‖u₀(x)‖',
              grow.map((r): XY => [Number(r.width), Number(r.output_norm)]),
              2,
            ),
            { name: '√m/2', points: uniqSorted(grow.map((r) => Number(r.width))).map((m): XY => [m, Math.sqrt(m) / 2]), style: 'dotted', color: 1 },
          ],
        },
        {
          name: 'e7-identity',
          title: 'E7: identity error ‖u₀(x) − x‖/‖x‖ at κ² = 2/√m vs width',
          xName: 'width m',
          yName: 'relative error',
          xLog: true,
          yLog: true,
          series: meanSeries(
            'measured',
            ident.map((r): XY => [Number(r.width), Number(r.identity_error)]),
            0,
            identFit,
          ),
        },
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------- E8

/** E8: share of the test outputs' energy in span(X) at least this … */
const E8_SPAN = 0.95;
/** … and the network within this relative distance of the kernel predictor. */
const E8_CLOSE = 0.1;

const E8: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const m of need(p, 'widths'))
      for (const seed of need(p, 'seeds')) {
        const config = trainingConfig({
          samples: need(p, 'n'),
          inputDim: need(p, 'd'),
          testSamples: need(p, 'testSamples'),
          hiddenWidth: m,
          init: 'antisymmetric',
          regime: 'joint',
          seed,
          steps: need(p, 'steps'),
          trackEvery: need(p, 'steps'),
          targetLossRatio: 1e-12,
        });
        out.push(trainCell(out.length, { width: m, seed }, config));
      }
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    let holds = ctx.cells.length > 0 && ctx.cells.every(finished);
    for (const v of ctx.cells.filter(finished)) {
      const kept = await readKeptParams(v.dir, 'final');
      if (!kept) throw new WorkbenchException('invalid-data', `${v.dir}: the run kept no final parameters`);
      const config = v.cell.work.kind === 'train' ? v.cell.work.config : null;
      const r = (await ctx.host.runTask('experiment', {
        kind: 'memorization',
        config,
        W: Float64Array.from(kept.W.data as Float64Array),
        V: Float64Array.from(kept.V.data as Float64Array),
      })) as { spanShareNetwork: number | null; spanShareKernel: number | null; baseline: number; relativeDifference: number | null };
      rows.push({
        width: Number(v.cell.point.width),
        seed: Number(v.cell.point.seed),
        loss_ratio: v.record.outcome?.metrics.lossRatio ?? null,
        span_share_network: r.spanShareNetwork,
        span_share_kernel: r.spanShareKernel,
        baseline: r.baseline,
        relative_difference: r.relativeDifference,
      });
      if (!(Number(r.spanShareNetwork) >= E8_SPAN) || !(Number(r.relativeDifference) <= E8_CLOSE)) holds = false;
    }
    return {
      columns: ['width', 'seed', 'loss_ratio', 'span_share_network', 'span_share_kernel', 'baseline', 'relative_difference'],
      rows,
      holds: holds && rows.length > 0,
      numbers: { spanShareAtLeast: E8_SPAN, relativeDifferenceAtMost: E8_CLOSE, runs: rows },
      figures: [
        {
          name: 'e8-span',
          title: 'E8: share of ‖u(x_test)‖² in span(X): network, kernel predictor, baseline n/d',
          xName: 'width m',
          yName: 'share',
          xLog: true,
          series: [
            { name: 'network', points: rows.map((r): XY => [Number(r.width), Number(r.span_share_network)]), style: 'scatter', color: 0 },
            { name: 'kernel predictor', points: rows.map((r): XY => [Number(r.width), Number(r.span_share_kernel)]), style: 'scatter', color: 1 },
            { name: 'baseline n/d', points: rows.map((r): XY => [Number(r.width), Number(r.baseline)]), style: 'scatter', color: 2 },
          ],
        },
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------- E9

const E9: ExperimentDefinition = {
  cells(p) {
    const out: RunnerCell[] = [];
    for (const n of need(p, 'ns'))
      for (const seed of need(p, 'seeds')) out.push(taskCell(out.length, { n, seed }, { kind: 'lambdas', n, d: need(p, 'd'), seed }));
    return out;
  },
  async analyze(ctx) {
    const rows: Analysis['rows'] = [];
    for (const v of ctx.cells.filter(finished)) {
      const r = await taskValue<Lambdas>(v);
      rows.push({
        n: Number(v.cell.point.n),
        seed: Number(v.cell.point.seed),
        lambda_enc: r.lambdaEnc,
        lambda_dec: r.lambdaDec,
        width_theorem_a: r.sufficientWidth.A_sufficient,
        width_theorem_b: r.sufficientWidth.B_sufficient,
      });
    }
    const gaps = rows.map((r) =>
      typeof r.width_theorem_a === 'number' && typeof r.width_theorem_b === 'number' ? Math.log10(r.width_theorem_a / r.width_theorem_b) : NaN,
    );
    const minGap = gaps.length ? Math.min(...gaps) : NaN;
    const figures: ExperimentFigure[] = [
      {
        name: 'e9-widths',
        title: 'E9: sufficient widths of Theorem A (weak) and Theorem B (joint) vs n',
        xName: 'samples n',
        yName: 'sufficient width m',
        xLog: true,
        yLog: true,
        series: [
          ...meanSeries(
            'Theorem A (weak)',
            rows.map((r): XY => [Number(r.n), Number(r.width_theorem_a)]),
            0,
          ),
          ...meanSeries(
            'Theorem B (joint)',
            rows.map((r): XY => [Number(r.n), Number(r.width_theorem_b)]),
            1,
          ),
        ],
      },
    ];
    return {
      columns: ['n', 'seed', 'lambda_enc', 'lambda_dec', 'width_theorem_a', 'width_theorem_b'],
      rows,
      holds: rows.length > 0 && minGap >= E9_MIN_DECADES && ctx.cells.every(finished),
      numbers: { minLog10AOverB: minGap, requiredDecades: E9_MIN_DECADES, d: ctx.params.d, delta: 0.1 },
      figures,
    };
  },
};
/** E9: "many orders of magnitude": Theorem A's width at least 10² × Theorem B's at every n. */
const E9_MIN_DECADES = 2;

export const EXPERIMENTS: Record<ExperimentId, ExperimentDefinition> = { E1, E2, E3, E4, E5, E6, E7, E8, E9 };
