// The (n, m) threshold heat map of E5-nm: the chart builder and the grid it is built from.
import { describe, expect, it } from 'vitest';
import { buildExperimentOption, type ExperimentFigure } from '../../../../src/shared/charts/experiments';
import { e5ThresholdMap } from '../../../../src/main/services/experiments/definitions';
import { renderSvg, measureText } from '../../../../src/main/services/export/figures';
import { publicationStyle, figureHeight, FIGURE_WIDTH, FIGURE_HEIGHT } from '../../../../src/shared/charts/publication';

/** Rows as E5-nm's analysis makes them: converged when the width reaches n (joint) or 2n (weak), per seed. */
function rows(): Record<string, string | number | null>[] {
  const out: Record<string, string | number | null>[] = [];
  for (const n of [16, 8])
    for (const regime of ['weak', 'joint'])
      for (const width of [8, 16, 32, 64])
        for (const seed of [0, 1]) {
          // seed 1 of weak at (n=16, m=32) fails: the probability there is 1/2 and weak's threshold at n=16 is 64
          const need = regime === 'joint' ? n : 2 * n;
          const converged = width >= need && !(regime === 'weak' && n === 16 && width === 32 && seed === 1) ? 1 : 0;
          out.push({ regime, width, seed, converged, loss_ratio: converged ? 1e-7 : 1e-3, n });
        }
  return out;
}

describe('E5 (n, m) threshold map', () => {
  it('counts the success probability per (n, m) cell and the threshold width per n and regime', () => {
    const nm = e5ThresholdMap(rows());
    expect(nm.ns).toEqual([8, 16]);
    expect(nm.widths).toEqual([8, 16, 32, 64]);
    expect(nm.regimes).toEqual(['weak', 'joint']);
    expect(nm.probability.joint).toEqual([
      [1, 1, 1, 1],
      [0, 1, 1, 1],
    ]);
    expect(nm.probability.weak).toEqual([
      [0, 1, 1, 1],
      [0, 0, 0.5, 1],
    ]);
    expect(nm.thresholds['8']).toEqual({ weak: 16, joint: 8 });
    expect(nm.thresholds['16']).toEqual({ weak: 64, joint: 16 });
  });

  it('leaves a cell without runs empty (null), and a threshold never reached null', () => {
    const rs = rows()
      .filter((r) => !(r.n === 8 && r.width === 64))
      .map((r) => (r.regime === 'weak' && r.n === 16 && r.width === 64 ? { ...r, converged: 0 } : r));
    const nm = e5ThresholdMap(rs);
    expect(nm.probability.joint![0]).toEqual([1, 1, 1, null]);
    expect(nm.thresholds['16']!.weak).toBeNull();
  });

  it('builds a heat map option: one cell per grid point with its probability, the threshold line on the grid, categories in order', () => {
    const nm = e5ThresholdMap(rows());
    const fig: ExperimentFigure = {
      name: 'e5-nm-weak',
      title: 'weak',
      xName: 'width m',
      yName: 'samples n',
      series: [],
      heatmap: {
        xs: nm.widths,
        ys: nm.ns,
        values: nm.probability.weak!,
        min: 0,
        max: 1,
        valueName: 'P(success)',
        line: { name: 'threshold width', points: nm.ns.map((n): [number | null, number] => [nm.thresholds[String(n)]!.weak ?? null, n]) },
      },
    };
    for (const theme of ['light', 'dark'] as const) {
      const o = buildExperimentOption(fig, theme) as {
        xAxis: { type: string; data: string[] };
        yAxis: { data: string[] };
        series: { type: string; data: number[][] }[];
        visualMap: { min: number; max: number };
      };
      expect(o.xAxis.type).toBe('category');
      expect(o.xAxis.data).toEqual(['8', '16', '32', '64']);
      expect(o.yAxis.data).toEqual(['8', '16']);
      expect(o.visualMap).toMatchObject({ min: 0, max: 1 });
      const heat = o.series.find((s) => s.type === 'heatmap')!;
      expect(heat.data).toHaveLength(8);
      expect(heat.data).toContainEqual([2, 1, 0.5]); // (m = 32, n = 16): one seed of two
      expect(heat.data).toContainEqual([0, 0, 0]);
      const line = o.series.find((s) => s.type === 'line')!;
      expect(line.data).toEqual([
        [1, 0], // n = 8: threshold m = 16 (index 1)
        [3, 1], // n = 16: threshold m = 64 (index 3)
      ]);
    }
  });

  it('drops a threshold that was not reached from the line and null cells from the map', () => {
    const fig: ExperimentFigure = {
      name: 'x',
      title: 'x',
      xName: 'm',
      yName: 'n',
      series: [],
      heatmap: { xs: [8, 16], ys: [4], values: [[null, 1]], valueName: 'P', line: { name: 't', points: [[null, 4]] } },
    };
    const o = buildExperimentOption(fig, 'light') as { series: { type: string; data: unknown[] }[] };
    expect(o.series[0]!.data).toEqual([[1, 0, 1]]);
    expect(o.series[1]!.data).toEqual([]);
  });

  it('exports as SVG the way an experiment writes its figures (cells, their labels, the axes’ categories)', () => {
    const nm = e5ThresholdMap(rows());
    const fig: ExperimentFigure = {
      name: 'e5-nm-joint',
      title: 'E5: success probability over (n, m), joint',
      xName: 'width m',
      yName: 'samples n',
      series: [],
      heatmap: {
        xs: nm.widths,
        ys: nm.ns,
        values: nm.probability.joint!,
        min: 0,
        max: 1,
        valueName: 'P(success)',
        line: {
          name: 'threshold width',
          points: [
            [8, 8],
            [16, 16],
          ],
        },
      },
    };
    const option = buildExperimentOption(fig, 'light');
    const height = figureHeight(option, FIGURE_WIDTH, FIGURE_HEIGHT, measureText);
    const svg = renderSvg(publicationStyle(option, { theme: 'light', width: FIGURE_WIDTH, height, measure: measureText }), FIGURE_WIDTH, height);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('samples n');
    expect(svg).toContain('width m');
    // 8 cells as filled rectangles with their probability written in them
    expect((svg.match(/<path d="M[^"]*Z"[^>]*fill="/g) ?? []).length).toBeGreaterThanOrEqual(8);
    expect(svg).toContain('>64<');
  });
});
