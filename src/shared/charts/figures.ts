/**
 * The app's charts of a stored run, by name, for figure export and reports: each calls the same builder
 * with the same inputs as the panel that shows it (LossPanel, DiagnosticsPanel, ModelView), so a figure
 * from the CLI or a report is the chart the app draws for that run with the panel's default view.
 * Charts that can overlay runs (loss, eigenvalues, spectrum, movement, kernel distance) draw several runs
 * in one figure; the others are one figure per run.
 */
import type { Config } from '../config/schema';
import type { MetricRecord } from '../run/format';
import type { ChartTheme } from './common';
import { buildEigenOption } from './eigen';
import { buildKernelHeatmapsOption } from './heatmap';
import { buildLossOption } from './loss';
import { buildModelViewOption, extractModelView } from './modelView';
import { buildHistogramOption, buildKernelDistanceOption, buildMovementOption } from './movement';
import { overlayRuns } from './publication';
import { buildSpectralBiasOption } from './spectralBias';
import { buildSpectrumOption } from './spectrum';
import { readTheory } from './theory';

/** What a figure needs of a run. */
export interface FigureRun {
  /** the run's name in a legend of several runs */
  label: string;
  config: Config;
  records: readonly MetricRecord[];
  theory: unknown;
  learningRates: { encoder: number | null; decoder: number | null } | null;
}

/** The display settings a panel offers (log-y, smoothing, x axis, theory curve). */
export interface FigureView {
  logY: boolean;
  smoothing: number;
  xAxis: 'step' | 'wall';
  theoryCurve: boolean;
}

/** The panels' defaults. */
export const DEFAULT_VIEW: FigureView = { logY: true, smoothing: 0, xAxis: 'step', theoryCurve: true };

export type FigureId = 'loss' | 'eigenvalues' | 'spectrum' | 'spectral-bias' | 'movement' | 'neuron-histogram' | 'kernel-distance' | 'heatmap' | 'model-view';

/** Every figure, in the order files and report sections list them; `overlay` = several runs in one figure. */
export const FIGURES: readonly { id: FigureId; title: string; overlay: boolean }[] = [
  { id: 'loss', title: 'Loss', overlay: true },
  { id: 'eigenvalues', title: 'NTK eigenvalues', overlay: true },
  { id: 'spectrum', title: 'Spectrum', overlay: true },
  { id: 'movement', title: 'Weight movement', overlay: true },
  { id: 'kernel-distance', title: 'Kernel distance', overlay: true },
  { id: 'spectral-bias', title: 'Spectral bias', overlay: false },
  { id: 'neuron-histogram', title: 'Per-neuron movement', overlay: false },
  { id: 'heatmap', title: 'Kernel heatmap', overlay: false },
  { id: 'model-view', title: 'Model view', overlay: false },
];

function lastWith<T>(records: readonly MetricRecord[], pick: (r: MetricRecord) => T | undefined | null): { step: number; value: T } | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const v = pick(records[i]!);
    if (v !== undefined && v !== null) return { step: records[i]!.step, value: v };
  }
  return null;
}

/** True when a run has the data a figure draws (the panels show "no data" instead of an empty chart). */
export function hasFigureData(id: FigureId, run: FigureRun): boolean {
  const rs = run.records;
  const t = readTheory(run.theory, run.config.regime);
  switch (id) {
    case 'loss':
      return rs.some((r) => r.loss !== null);
    case 'eigenvalues':
      return rs.some((r) => (r.tracked?.eigMin?.length ?? 0) > 0 || (r.tracked?.eigMax?.length ?? 0) > 0);
    case 'spectrum':
      return lastWith(rs, (r) => r.tracked?.spectrum) !== null || t.spectrum !== null;
    case 'spectral-bias':
      return rs.some((r) => (r.tracked?.spectralBias?.length ?? 0) > 0);
    case 'movement':
      return rs.some((r) => r.tracked?.weightMoveW != null || r.tracked?.weightMoveV != null || r.tracked?.flipFraction != null);
    case 'neuron-histogram':
      return lastWith(rs, (r) => r.tracked?.neuronMoveHistogram) !== null;
    case 'kernel-distance':
      return rs.some((r) => r.tracked?.kernelDistance != null);
    case 'heatmap':
      return t.gram !== null || lastWith(rs, (r) => r.tracked?.kernel) !== null;
    case 'model-view':
      return extractModelView(undefined, rs) !== null;
  }
}

/** The option of one figure for one run, exactly as the app's panel builds it (null when it has no data). */
export function figureOption(id: FigureId, run: FigureRun, view: FigureView, theme: ChartTheme): Record<string, unknown> | null {
  if (!hasFigureData(id, run)) return null;
  const records = run.records;
  const regime = run.config.regime;
  const t = readTheory(run.theory, regime);
  switch (id) {
    case 'loss':
      return buildLossOption(records, {
        logY: view.logY,
        smoothing: view.smoothing,
        xAxis: view.xAxis,
        theme,
        theoryCurve: view.theoryCurve && regime !== 'tied' ? t.linearizedCurve : null,
      });
    case 'eigenvalues':
      return buildEigenOption(records, {
        theme,
        logY: view.logY,
        references: {
          lambda0: regime === 'weak' || regime === 'joint' ? t.lambda0 : null,
          lambdaDec: regime === 'joint' || regime === 'decoder' ? t.lambdaDec : null,
          lambdaJ: regime === 'joint' ? t.lambdaJ : null,
        },
      });
    case 'spectrum': {
      const s = lastWith(records, (r) => r.tracked?.spectrum);
      return buildSpectrumOption(s?.value ?? null, t.spectrum, { theme, step: s?.step ?? null });
    }
    case 'spectral-bias': {
      const lr = run.learningRates?.encoder ?? null;
      const n = run.config.samples;
      const eta = lr !== null && run.config.lossNormalization === 'mean' ? lr / n : lr;
      return buildSpectralBiasOption(records, { theme, eigenvalues: t.spectrum, learningRate: regime === 'tied' ? null : eta });
    }
    case 'movement':
      return buildMovementOption(records, { theme, logY: view.logY });
    case 'neuron-histogram': {
      const h = lastWith(records, (r) => r.tracked?.neuronMoveHistogram);
      return buildHistogramOption(h?.value ?? null, { theme, step: h?.step ?? null });
    }
    case 'kernel-distance':
      return buildKernelDistanceOption(records, { theme, logY: view.logY });
    case 'heatmap': {
      const k = lastWith(records, (r) => r.tracked?.kernel);
      return buildKernelHeatmapsOption(k ? { step: k.step, kernel: k.value } : null, t.gram, theme);
    }
    case 'model-view':
      return buildModelViewOption(extractModelView(undefined, records), { theme });
  }
}

/** One figure to write: its file stem (without extension) and option. */
export interface NamedFigure {
  id: FigureId;
  name: string;
  option: Record<string, unknown>;
}

/**
 * Every figure of a set of runs: overlay figures once for all runs that have their data (named by the
 * figure), per-run figures once per run (named `<figure>-<label>` when there are several runs).
 */
export function runFigures(runs: readonly FigureRun[], view: FigureView, theme: ChartTheme): NamedFigure[] {
  const out: NamedFigure[] = [];
  for (const f of FIGURES) {
    const withData = runs
      .map((r) => ({ r, o: figureOption(f.id, r, view, theme) }))
      .filter((x): x is { r: FigureRun; o: Record<string, unknown> } => x.o !== null);
    if (withData.length === 0) continue;
    if (f.overlay) {
      out.push({
        id: f.id,
        name: f.id,
        option: overlayRuns(
          withData.map((x) => x.o),
          withData.map((x) => x.r.label),
          theme,
        ),
      });
    } else {
      for (const x of withData) out.push({ id: f.id, name: runs.length > 1 ? `${f.id}-${fileSafe(x.r.label)}` : f.id, option: x.o });
    }
  }
  return out;
}

/** A label as part of a file name: letters, digits, '-', '_' and '.', the rest as '_'. */
export function fileSafe(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 80) || 'run'
  );
}
