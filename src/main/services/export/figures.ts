/**
 * Figures without a browser: the shared/charts option of a chart, restyled for print
 * (shared/charts/publication.ts), drawn by ECharts' server-side SVG renderer, and rasterized to PNG by
 * resvg (`@resvg/resvg-js`, a prebuilt native binary from npm) at 1×–4×.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TextMeasure } from '../../../shared/charts/publication';
import { WorkbenchException } from '../../../shared/api/result';
import type { ChartTheme } from '../../../shared/charts/common';
import { DEFAULT_VIEW, fileSafe, runFigures, type FigureRun, type FigureView } from '../../../shared/charts/figures';
import { FIGURE_HEIGHT, FIGURE_WIDTH, figureHeight, publicationStyle } from '../../../shared/charts/publication';
import { differingConfigKeys } from '../../../shared/export/csv';
import type { RunData } from './runData';

type ECharts = typeof import('echarts');
let echartsModule: ECharts | undefined;
/**
 * ECharts, loaded on first use: its ESM build takes most of a second to load, which every CLI command paid
 * before it did anything (issue 13); its CommonJS build is the same library in one file.
 */
const echarts = (): ECharts => (echartsModule ??= createRequire(import.meta.url)('echarts') as ECharts);
type ResvgModule = typeof import('@resvg/resvg-js');
let resvgModule: ResvgModule | undefined;
/** The PNG rasterizer (a native addon), loaded on first use for the same reason. */
const resvg = (): ResvgModule => (resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule);

export type FigureFormat = 'svg' | 'png';
export const MIN_SCALE = 1;
export const MAX_SCALE = 4;

/** Draws an ECharts option as an SVG document (server-side rendering; the chart is disposed afterwards). */
export function renderSvg(option: Record<string, unknown>, width = FIGURE_WIDTH, height = FIGURE_HEIGHT): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    // An undisposed SSR chart keeps timers that stop a CLI process from exiting.
    chart.dispose();
  }
}

/** ECharts' own text measure (without a canvas, its table of character widths), so legend rows match its layout. */
export const measureText: TextMeasure = (text, px) => echarts().format.getTextRect(text, `${px}px sans-serif`).width;

/**
 * The font resvg draws ECharts' `sans-serif` text with: one with Arial's metrics (Liberation Sans on Linux,
 * where Debian's Chromium and most desktops install it; Arial elsewhere), since ECharts laid the text out with
 * Arial's character widths; a wider font would run legend entries into each other.
 */
function sansFont(): string {
  return process.platform === 'linux' ? 'Liberation Sans' : process.platform === 'darwin' ? 'Arial' : 'Arial';
}

/**
 * Where Linux distributions put DejaVu Sans (Debian/Ubuntu, Fedora, Arch). Liberation Sans has no subscript
 * digits (λ₀, L₀) or combining marks (H̄); resvg then takes the first system font that has them, often DejaVu
 * Serif, and draws that text in a serif face. Loaded first, DejaVu Sans is the font it takes instead.
 */
const SANS_FALLBACK_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu-sans-fonts', '/usr/share/fonts/TTF'];
let sansFallback: string[] | undefined;
/** The DejaVu Sans files found (none elsewhere than Linux, or where it is not installed). */
export function sansFallbackFonts(): string[] {
  if (sansFallback) return sansFallback;
  const found: string[] = [];
  if (process.platform === 'linux') {
    for (const d of SANS_FALLBACK_DIRS) {
      const files = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(d, f)).filter((f) => existsSync(f));
      if (files.length > 0) {
        found.push(...files);
        break;
      }
    }
  }
  return (sansFallback = found);
}

/** Rasterizes an SVG document to PNG at `scale` × its size (scale in [1, 4]). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  if (!(scale >= MIN_SCALE && scale <= MAX_SCALE))
    throw new WorkbenchException('invalid-request', `--scale: expected a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${scale}`);
  const font = sansFont();
  const r = new (resvg().Resvg)(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, fontFiles: sansFallbackFonts(), defaultFontFamily: font, sansSerifFamily: font },
  });
  return r.render().asPng();
}

/** Short names of config fields in legends (the paper's symbols). */
const SHORT: Record<string, string> = {
  hiddenWidth: 'm',
  samples: 'n',
  inputDim: 'd',
  learningRate: 'η',
  decoderLearningRate: 'η_V',
  kappa: 'κ',
  nu: 'ν',
  stepScale: 'c',
};

/**
 * Legend names of runs: the config fields that differ between them, short (`m=16, joint, seed=1`: numbers
 * as symbol=value, words as they are), else the run id; runs that would share a name get their id added.
 */
export function runLabels(runs: readonly RunData[]): string[] {
  const configs = runs.map((r) => r.config.config as Record<string, unknown>);
  const keys = differingConfigKeys(configs).slice(0, 4);
  const labels = configs.map((c, i) =>
    keys.length === 0 ? runs[i]!.runId : keys.map((k) => (typeof c[k] === 'string' ? String(c[k]) : `${SHORT[k] ?? k}=${JSON.stringify(c[k])}`)).join(', '),
  );
  return labels.map((l, i) => (labels.indexOf(l) !== i || labels.lastIndexOf(l) !== i ? `${l} (${runs[i]!.runId})` : l));
}

/** A run as the figure registry needs it. */
export function figureRun(run: RunData, label: string): FigureRun {
  return { label, config: run.config.config, records: run.records, theory: run.theory, learningRates: run.config.learningRates ?? null };
}

/** One exported figure file. */
export interface FigureFile {
  name: string;
  mime: string;
  data: Uint8Array;
}

/**
 * Every chart of the runs as publication figures: overlay charts once (runs overlaid), per-run charts
 * once per run; SVG, or PNG at `scale`. File names are the chart ids (`loss.svg`, `heatmap-<run>.png`).
 */
export function exportFigures(
  runs: readonly RunData[],
  opts: { format: FigureFormat; scale?: number; theme?: ChartTheme; view?: FigureView; width?: number; height?: number },
): FigureFile[] {
  if (runs.length === 0) throw new WorkbenchException('invalid-request', 'no runs to draw');
  const theme = opts.theme ?? 'light';
  const labels = runLabels(runs);
  const figures = runFigures(
    runs.map((r, i) => figureRun(r, labels[i]!)),
    opts.view ?? DEFAULT_VIEW,
    theme,
  );
  const width = opts.width ?? FIGURE_WIDTH;
  const height = opts.height ?? FIGURE_HEIGHT;
  return figures.map((f) => {
    const h = figureHeight(f.option, width, height, measureText);
    const svg = renderSvg(publicationStyle(f.option, { theme, width, height: h, measure: measureText }), width, h);
    const name = fileSafe(f.name);
    if (opts.format === 'svg') return { name: `${name}.svg`, mime: 'image/svg+xml', data: new TextEncoder().encode(svg) };
    return { name: `${name}.png`, mime: 'image/png', data: svgToPng(svg, opts.scale ?? 2) };
  });
}
