import { describe, expect, it } from 'vitest';
import { buildCompareOption, compareColour, hasCompareData, type CompareRun } from '../../../../src/shared/charts/compare';
import type { MetricRecord } from '../../../../src/shared/run/format';

function run(runId: string, colour: number, decay: number, tracked = true): CompareRun {
  const records: MetricRecord[] = [];
  for (let k = 0; k <= 20; k++) {
    records.push({
      step: k,
      loss: decay ** k,
      lossRatio: decay ** k,
      wallMs: 7 * k,
      ...(tracked && k % 5 === 0 ? { tracked: { eigMin: [0.1 * decay], eigMax: [4 * decay], weightMoveW: k / 100, weightMoveV: k / 50 } } : {}),
    });
  }
  return { runId, label: runId, colour, records };
}

type Series = { name: string; data: [number, number][]; lineStyle?: { color?: string }; stack?: string };
const seriesOf = (o: Record<string, unknown>) => o.series as Series[];

describe('buildCompareOption()', () => {
  const runs = [run('a', 0, 0.9), run('b', 3, 0.8), run('c', 1, 0.7, false)];

  it('overlays one line per run in its own colour, named by its label; hidden runs are left out', () => {
    const o = buildCompareOption('loss', runs, { theme: 'light', xAxis: 'step', logX: false, logY: true });
    expect(seriesOf(o).map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(seriesOf(o)[1]!.lineStyle!.color).toBe(compareColour('light', 3));
    expect(seriesOf(o)[0]!.data[20]).toEqual([20, 0.9 ** 20]);
    const hidden = buildCompareOption('loss', runs, { theme: 'light', xAxis: 'step', logX: false, logY: true, hidden: new Set(['b']) });
    expect(seriesOf(hidden).map((s) => s.name)).toEqual(['a', 'c']);
  });

  it('uses the wall time in seconds as x when asked', () => {
    const o = buildCompareOption('loss', runs, { theme: 'light', xAxis: 'wall', logX: false, logY: false });
    expect(seriesOf(o)[0]!.data[2]).toEqual([0.014, 0.81]);
  });

  it('draws λ_min and λ_max per run, and only the runs that tracked them', () => {
    const o = buildCompareOption('eigen', runs, { theme: 'dark', xAxis: 'step', logX: false, logY: true });
    expect(seriesOf(o).map((s) => s.name)).toEqual(['a · λ_min', 'a · λ_max', 'b · λ_min', 'b · λ_max']);
    expect(hasCompareData('kernelDistance', runs)).toBe(false);
    expect(hasCompareData('movement', runs)).toBe(true);
  });

  it('groups runs with a mean line and a band whose edges are the min and max of the group', () => {
    const keyOf = (id: string) => (id === 'c' ? 'weak' : 'joint');
    const o = buildCompareOption('loss', runs, {
      theme: 'light',
      xAxis: 'step',
      logX: false,
      logY: false,
      groupBy: { keyOf, band: 'minmax', field: 'regime' },
    });
    const s = seriesOf(o);
    expect(s.map((x) => x.name)).toEqual([
      'regime = joint (2 runs) band lower (min–max)',
      'regime = joint (2 runs) band height (min–max)',
      'regime = joint (2 runs)',
      'regime = weak (1 run) band lower (min–max)',
      'regime = weak (1 run) band height (min–max)',
      'regime = weak (1 run)',
    ]);
    const k = 10;
    const lo = Math.min(0.9 ** k, 0.8 ** k);
    const hi = Math.max(0.9 ** k, 0.8 ** k);
    expect(s[0]!.data[k]![1]).toBeCloseTo(lo, 15);
    expect(s[0]!.data[k]![1] + s[1]!.data[k]![1]).toBeCloseTo(hi, 15);
    expect(s[2]!.data[k]![1]).toBeCloseTo((0.9 ** k + 0.8 ** k) / 2, 15);
    expect(s[0]!.stack).toBe(s[1]!.stack);
    // the legend names the groups, not the band's helper series
    expect((o.legend as { data: string[] }).data).toEqual(['regime = joint (2 runs)', 'regime = weak (1 run)']);
  });

  it('gives a ±1 std band the sample standard deviation', () => {
    const keyOf = () => 'all';
    const o = buildCompareOption('lossRatio', runs, {
      theme: 'light',
      xAxis: 'step',
      logX: false,
      logY: false,
      groupBy: { keyOf, band: 'std', field: 'seed' },
    });
    const s = seriesOf(o);
    const ys = [0.9, 0.8, 0.7].map((d) => d ** 4);
    const mean = ys.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / 2);
    expect(s[2]!.data[4]![1]).toBeCloseTo(mean, 15);
    expect(s[0]!.data[4]![1]).toBeCloseTo(mean - sd, 15);
    expect(s[1]!.data[4]![1]).toBeCloseTo(2 * sd, 15);
  });
});
