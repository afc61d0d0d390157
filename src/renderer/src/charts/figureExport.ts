/**
 * A chart as the user sees it, as a file: the option the chart box draws, restyled for print
 * (shared/charts/publication.ts), rendered by ECharts' SVG renderer off-screen (server-side mode, no DOM),
 * and for PNG drawn onto a canvas at 1×–4×. The same restyling and SVG renderer make the CLI's figures.
 */
import { format, init } from 'echarts/core';
import './echartsSetup';
import { PALETTES, type ChartTheme } from '../../../shared/charts/common';
import { FIGURE_HEIGHT, FIGURE_WIDTH, figureHeight, publicationStyle, type TextMeasure } from '../../../shared/charts/publication';

/** ECharts' own text measure (the page's canvas), so that legend rows match its layout. */
const measure: TextMeasure = (text, px) => format.getTextRect(text, `${px}px sans-serif`).width;

/** The theme an option was built for (its text colour tells). */
export function themeOf(option: Record<string, unknown>): ChartTheme {
  return (option.textStyle as { color?: string } | undefined)?.color === PALETTES.dark.text ? 'dark' : 'light';
}

/** The chart as a publication SVG document, with its size. */
export function chartSvg(option: Record<string, unknown>): { svg: string; width: number; height: number } {
  const width = FIGURE_WIDTH;
  const height = figureHeight(option, width, FIGURE_HEIGHT, measure);
  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(publicationStyle(option, { theme: themeOf(option), width, height, measure }));
    return { svg: chart.renderToSVGString(), width, height };
  } finally {
    chart.dispose();
  }
}

/** Rasterizes an SVG document to a PNG blob at `scale` × its size on a white background. */
export async function svgToPngBlob(svg: string, width: number, height: number, scale: number): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
