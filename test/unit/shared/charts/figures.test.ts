import { describe, expect, it } from 'vitest';
import { figureOption, hasFigureData, DEFAULT_VIEW, type FigureRun } from '../../../../src/shared/charts/figures';
import { defaultConfig } from '../../../../src/shared/config/schema';
import type { MetricRecord } from '../../../../src/shared/run/format';

/** A run whose step-10 record carries the engine's block-averaged kernel (2×2 cells of a 4×4 kernel). */
function runWithKernel(): FigureRun {
  const records = [
    { step: 0, loss: 1, wallMs: 0 },
    { step: 10, loss: 0.5, wallMs: 5, tracked: { kernel: { n: 4, k: 2, cells: [1, 0.5, 0.5, null] } } },
  ] as unknown as MetricRecord[];
  return { label: 'r', config: defaultConfig(), records, theory: null, learningRates: null };
}

describe('figureOption("heatmap")', () => {
  it("draws the tracked kernel the engine stored (as the app's Heatmap tab does), titled with its step", () => {
    const run = runWithKernel();
    expect(hasFigureData('heatmap', run)).toBe(true);
    const opt = figureOption('heatmap', run, DEFAULT_VIEW, 'light') as { series: { name: string; data: unknown[] }[] };
    expect(opt.series.map((s) => s.name)).toEqual(['trained network H̄ (step 10)']);
    // four cells, the one the engine stored as null (no finite entries) left blank
    expect(opt.series[0]!.data).toHaveLength(3);
  });

  it('has no heatmap without a tracked kernel or H∞', () => {
    const run = { ...runWithKernel(), records: [{ step: 0, loss: 1, wallMs: 0 }] as unknown as MetricRecord[] };
    expect(hasFigureData('heatmap', run)).toBe(false);
    expect(figureOption('heatmap', run, DEFAULT_VIEW, 'light')).toBeNull();
  });
});
