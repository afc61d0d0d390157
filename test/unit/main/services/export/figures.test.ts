import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { exportFigures, renderSvg, runLabels, sansFallbackFonts, svgToPng } from '../../../../../src/main/services/export/figures';
import { buildKernelHeatmapsOption } from '../../../../../src/shared/charts/heatmap';
import { readRunFolder } from '../../../../../src/main/services/export/runData';
import { buildLossOption } from '../../../../../src/shared/charts/loss';
import { buildEigenOption } from '../../../../../src/shared/charts/eigen';
import { buildSpectrumOption } from '../../../../../src/shared/charts/spectrum';
import { logTickLabel, overlayRuns, publicationStyle } from '../../../../../src/shared/charts/publication';
import { PALETTES } from '../../../../../src/shared/charts/common';
import { decodePng, inkStats } from '../../../../support/png';
import type { MetricRecord } from '../../../../../src/shared/run/format';

const fixtures = path.resolve(__dirname, '../../../../fixtures/runs');

/** Checks XML well-formedness (balanced, properly nested tags, quoted attributes) and returns the text nodes. */
function parseXml(xml: string): { root: string; texts: string[] } {
  const stack: string[] = [];
  const texts: string[] = [];
  let root = '';
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let inText = false;
  // CDATA (ECharts puts its CSS in one) is character data: checked for its terminator, then skipped.
  const cdata = xml.split('<![CDATA[');
  for (const part of cdata.slice(1)) if (!part.includes(']]>')) throw new Error('unterminated CDATA');
  xml =
    cdata[0] +
    cdata
      .slice(1)
      .map((p) => p.slice(p.indexOf(']]>') + 3))
      .join('');
  while ((m = re.exec(xml)) !== null) {
    if (m[6]) throw new Error(`malformed markup at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      if (stack.length === 0 && m[5].trim() !== '') throw new Error('text outside the root element');
      if (inText) texts.push(m[5].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      continue;
    }
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
      inText = false;
    } else if (!self) {
      if (stack.length === 0) {
        if (root) throw new Error('two root elements');
        root = name!;
      }
      stack.push(name!);
      inText = name === 'text' || name === 'tspan';
    } else if (stack.length === 0) root = name!;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('> <')}>`);
  return { root, texts };
}

let svgs: { name: string; data: Uint8Array }[] | undefined;

describe('exportFigures()', () => {
  it('draws every chart of two runs as SVG: well-formed XML with titles, axis names, legends and log ticks', async () => {
    const runs = [await readRunFolder(path.join(fixtures, 'seeded-joint')), await readRunFolder(path.join(fixtures, 'seeded-weak'))];
    const files = exportFigures(runs, { format: 'svg' });
    const names = files.map((f) => f.name);
    for (const n of ['loss.svg', 'eigenvalues.svg', 'spectrum.svg', 'movement.svg', 'kernel-distance.svg']) expect(names).toContain(n);
    expect(names.filter((n) => n.startsWith('heatmap-'))).toHaveLength(2);
    const labels = runLabels(runs);
    expect(labels).toEqual(['m=16, joint, seed=1', 'm=24, weak, seed=2']);
    for (const f of files) {
      const { root, texts } = parseXml(new TextDecoder().decode(f.data));
      expect(root, f.name).toBe('svg');
      expect(texts.length, f.name).toBeGreaterThanOrEqual(3);
      expect(new TextDecoder().decode(f.data)).toContain('fill="#ffffff"');
    }
    const loss = parseXml(new TextDecoder().decode(files.find((f) => f.name === 'loss.svg')!.data)).texts;
    for (const t of ['Loss', 'step', 'loss (log)', `${labels[0]} · train loss`, `${labels[1]} · test loss`]) expect(loss).toContain(t);
    expect(loss.some((t) => /^10[⁻¹²³⁴⁵⁶⁷⁸⁹⁰]+$/.test(t))).toBe(true);
    // no float noise in any tick label
    expect(loss.some((t) => /0\.0000|9999/.test(t))).toBe(false);
  });

  it.each([1, 2, 4])('draws PNGs at scale %i×: the right size and not blank', async (scale) => {
    const run = await readRunFolder(path.join(fixtures, 'seeded-joint'));
    svgs ??= exportFigures([run], { format: 'svg', width: 400, height: 300 }).filter((f) => /^(loss|heatmap)\./.test(f.name));
    expect(svgs).toHaveLength(2);
    for (const f of svgs) {
      const svg = new TextDecoder().decode(f.data);
      const png = decodePng(svgToPng(svg, scale));
      // the figure grows by legend rows beyond the first (the loss legend wraps at 400 px)
      const svgHeight = Number(/height="(\d+)"/.exec(svg)![1]);
      expect(svgHeight).toBeGreaterThanOrEqual(300);
      expect(png.width).toBe(400 * scale);
      expect(png.height).toBe(svgHeight * scale);
      const { inkShare, colours } = inkStats(png);
      expect(inkShare, f.name).toBeGreaterThan(0.01);
      expect(inkShare, f.name).toBeLessThan(0.9);
      expect(colours, f.name).toBeGreaterThan(4);
    }
  });

  it('refuses a PNG scale outside 1–4', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 5)).toThrow(/--scale: expected a number from 1 to 4/);
  });
});

describe('publicationStyle()', () => {
  const records = [0, 1, 2, 3].map((k) => ({ step: k, loss: 10 ** -k, wallMs: k })) as MetricRecord[];

  it("keeps the builder's series and data, puts text in dark ink on white and the legend below", () => {
    const opt = buildLossOption(records, { logY: true, smoothing: 0, xAxis: 'step', theme: 'light' });
    const pub = publicationStyle(opt, { theme: 'light' });
    expect(pub.series).toEqual(opt.series);
    expect(pub.backgroundColor).toBe('#ffffff');
    expect(pub.legend).toMatchObject({ bottom: 8 });
    expect(pub.tooltip).toBeUndefined();
  });

  it("gives a dark-theme chart the light theme's colours (it is printed on white)", () => {
    const opt = buildLossOption(records, { logY: true, smoothing: 0, xAxis: 'step', theme: 'dark' });
    const pub = publicationStyle(opt, { theme: 'dark' });
    const json = JSON.stringify(pub);
    expect(json).not.toContain(PALETTES.dark.series[0]);
    expect(json).toContain(PALETTES.light.series[0]);
  });
});

describe('logTickLabel()', () => {
  it('prints powers of ten as 10ᵏ without float noise', () => {
    expect(logTickLabel(0.0001 * (1 - 1e-15))).toBe('10⁻⁴');
    expect(logTickLabel(1)).toBe('1');
    expect(logTickLabel(10)).toBe('10');
    expect(logTickLabel(1000)).toBe('10³');
    expect(logTickLabel(3e-5)).toBe('3e-5');
  });
});

/** Liberation Sans, the face figures are drawn in on Linux, where Debian puts it. */
const LIBERATION = ['Regular', 'Bold'].map((w) => `/usr/share/fonts/truetype/liberation/LiberationSans-${w}.ttf`).filter((f) => existsSync(f));
const noFonts = LIBERATION.length === 0 || sansFallbackFonts().length === 0;
if (noFonts) console.log('skipped the PNG font test: it needs Liberation Sans and DejaVu Sans at their Debian paths (fonts-liberation, fonts-dejavu-core)');

describe('PNG text', () => {
  it.skipIf(noFonts)('draws subscripts and combining marks in a sans-serif face, as if Liberation Sans and DejaVu Sans were the only fonts', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40"><rect width="240" height="40" fill="#fff"/>' +
      '<text x="4" y="26" font-size="16" font-family="sans-serif">λ₀ = 0.5 · H̄ · L/L₀</text></svg>';
    const only = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      background: '#ffffff',
      font: {
        loadSystemFonts: false,
        fontFiles: [...sansFallbackFonts(), ...LIBERATION],
        defaultFontFamily: 'Liberation Sans',
        sansSerifFamily: 'Liberation Sans',
      },
    })
      .render()
      .asPng();
    expect(Buffer.from(svgToPng(svg, 2)).equals(Buffer.from(only))).toBe(true);
  });
});

describe('a kernel heatmap of two panels (the trained kernel beside H∞)', () => {
  it('keeps a grid, axes and title per panel for print and draws both', () => {
    const n = 4;
    const cells = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0.25));
    const option = buildKernelHeatmapsOption({ step: 10, kernel: { n, k: n, cells } }, { n, values: cells.map((x) => 0.9 * x) }, 'light');
    const printed = publicationStyle(option, { theme: 'light' });
    expect(Array.isArray(printed.grid) && printed.grid.length).toBe(2);
    expect(Array.isArray(printed.title) && printed.title.length).toBe(2);
    expect((printed.series as unknown[]).length).toBe(2);
    // ECharts finds each panel's grid (a grid spread into one object left the second panel's axes without one).
    const { texts } = parseXml(renderSvg(printed));
    expect(texts).toContain('trained network H̄ (step 10) · 4×4');
    expect(texts).toContain('H∞ (infinite width) · 4×4');
  });
});

describe('overlayRuns()', () => {
  it('colours each run, prefixes series with the run and keeps axes from the first', () => {
    const a = buildLossOption([{ step: 0, loss: 1, wallMs: 0 }] as MetricRecord[], { logY: true, smoothing: 0, xAxis: 'step', theme: 'light' });
    const b = buildLossOption([{ step: 0, loss: 2, wallMs: 0 }] as MetricRecord[], { logY: true, smoothing: 0, xAxis: 'step', theme: 'light' });
    const o = overlayRuns([a, b], ['A', 'B'], 'light');
    const s = o.series as { name: string; lineStyle: { color: string } }[];
    expect(s.map((x) => x.name)).toEqual(['A · train loss', 'B · train loss']);
    expect(s[0]!.lineStyle.color).toBe(PALETTES.light.series[0]);
    expect(s[1]!.lineStyle.color).toBe(PALETTES.light.series[1]);
    expect(o.yAxis).toEqual(a.yAxis);
  });

  it("lists a legend's series for every run under their overlay names, so every legend entry names a series", () => {
    const recs = (scale: number) =>
      [0, 10].map((step) => ({ step, loss: 1, wallMs: step, tracked: { eigMin: [scale, 2 * scale], eigMax: [9 * scale, 8 * scale] } })) as MetricRecord[];
    const opt = (scale: number) => buildEigenOption(recs(scale), { theme: 'light', logY: true, references: { lambda0: 0.5, lambdaDec: null, lambdaJ: null } });
    const o = overlayRuns([opt(1), opt(2)], ['A', 'B'], 'light');
    const names = (o.series as { name: string }[]).map((x) => x.name);
    const legend = (o.legend as { data: string[] }).data;
    // Both runs have λ₀ = 0.5: one line, named plainly.
    expect(legend).toEqual(['A · λ_min', 'B · λ_min', 'A · λ_max', 'B · λ_max', 'λ₀ = 0.5 (H∞)']);
    expect(legend.every((l) => names.includes(l))).toBe(true);
    // λ_min+1 and λ_max−1 stay out of the legend, as in the app's chart.
    expect(names).toContain('A · λ_min+1');
  });

  it('draws a reference line that runs share once, across all their steps, and keeps the ones that differ per run', () => {
    const recs = (last: number) => [0, last].map((step) => ({ step, loss: 1, wallMs: step, tracked: { eigMin: [1], eigMax: [9] } })) as MetricRecord[];
    const opt = (last: number, lambda0: number) =>
      buildEigenOption(recs(last), { theme: 'light', logY: true, references: { lambda0, lambdaDec: null, lambdaJ: null } });
    const o = overlayRuns([opt(10, 0.5), opt(40, 0.5), opt(20, 0.25)], ['A', 'B', 'C'], 'light');
    const s = o.series as { id?: string; name: string; data: [number, number][]; lineStyle: { color: string } }[];
    const refs = s.filter((x) => x.name.includes('λ₀'));
    expect(refs.map((x) => x.name)).toEqual(['A, B · λ₀ = 0.5 (H∞)', 'C · λ₀ = 0.25 (H∞)']);
    // The shared one spans A's and B's steps in the reference colour; C's own is in C's colour.
    expect(refs[0]!.data).toEqual([
      [0, 0.5],
      [40, 0.5],
    ]);
    expect(refs[0]!.lineStyle.color).toBe(PALETTES.light.reference);
    expect(refs[1]!.lineStyle.color).toBe(PALETTES.light.series[2]);
    // Ids are a run's own: none in the overlay, where they would repeat.
    expect(s.every((x) => x.id === undefined)).toBe(true);
    // The legend names each run's references, also those of a later run whose values differ from the first's.
    expect((o.legend as { data: string[] }).data).toEqual([
      'A · λ_min',
      'B · λ_min',
      'C · λ_min',
      'A · λ_max',
      'B · λ_max',
      'C · λ_max',
      'A, B · λ₀ = 0.5 (H∞)',
      'C · λ₀ = 0.25 (H∞)',
    ]);
    // Measured series are never merged, even when equal.
    expect(s.filter((x) => x.name.endsWith('λ_min')).map((x) => x.name)).toEqual(['A · λ_min', 'B · λ_min', 'C · λ_min']);
  });

  it("draws H∞'s spectrum once for runs on the same kernel", () => {
    const a = buildSpectrumOption([3, 2, 1], [2.5, 1.5, 0.5], { theme: 'light', step: 0 });
    const b = buildSpectrumOption([4, 2, 1], [2.5, 1.5, 0.5], { theme: 'light', step: 0 });
    const c = buildSpectrumOption([4, 2, 1], [2.4, 1.5, 0.5], { theme: 'light', step: 0 });
    expect((overlayRuns([a, b], ['A', 'B'], 'light').series as { name: string }[]).map((x) => x.name)).toEqual([
      'A · empirical NTK (step 0)',
      'H∞',
      'B · empirical NTK (step 0)',
    ]);
    expect((overlayRuns([a, c], ['A', 'C'], 'light').series as { name: string }[]).map((x) => x.name)).toEqual([
      'A · empirical NTK (step 0)',
      'A · H∞',
      'C · empirical NTK (step 0)',
      'C · H∞',
    ]);
  });
});
