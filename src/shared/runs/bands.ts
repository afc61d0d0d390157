/**
 * Group-by statistics for run comparison: runs grouped by a config field, and per group the mean of a
 * metric with a band (±1 standard deviation or min–max) across the group's runs at each x.
 *
 * Pure: used by the comparison charts in the renderer and by exported figures.
 */

/** One run's series of a metric: x (step or wall time) ascending, y the metric (non-finite = missing). */
export interface RunSeries {
  runId: string;
  x: readonly number[];
  y: readonly (number | null)[];
}

export type BandKind = 'std' | 'minmax';

/** Per-x statistics of a group. `count` runs contributed a finite value at that x. */
export interface BandPoint {
  x: number;
  mean: number;
  lower: number;
  upper: number;
  count: number;
}

/** A group: the value of the grouping field, the runs in it, and its band. */
export interface GroupBand {
  key: string;
  runIds: string[];
  points: BandPoint[];
}

/**
 * Groups `runs` by `keyOf(runId)` (e.g. the run's regime) and computes, at every x where at least
 * `minCount` runs of the group have a finite value, the mean and the band:
 * `std`: mean ± sample standard deviation (n − 1 in the denominator; 0 with one run), `minmax`: the
 * smallest and largest value. Groups are returned in order of first appearance; x ascending.
 */
export function groupBands(runs: readonly RunSeries[], keyOf: (runId: string) => string, kind: BandKind, minCount = 1): GroupBand[] {
  const groups = new Map<string, RunSeries[]>();
  for (const r of runs) {
    if (r.x.length !== r.y.length) throw new RangeError(`groupBands: run ${r.runId} has ${r.x.length} x values but ${r.y.length} y values`);
    const k = keyOf(r.runId);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: GroupBand[] = [];
  for (const [key, members] of groups) {
    const byX = new Map<number, number[]>();
    for (const r of members) {
      for (let i = 0; i < r.x.length; i++) {
        const y = r.y[i];
        if (y === null || y === undefined || !Number.isFinite(y)) continue;
        const xs = byX.get(r.x[i]!);
        if (xs) xs.push(y);
        else byX.set(r.x[i]!, [y]);
      }
    }
    const points: BandPoint[] = [];
    for (const x of [...byX.keys()].sort((a, b) => a - b)) {
      const ys = byX.get(x)!;
      if (ys.length < minCount) continue;
      points.push({ x, ...bandOf(ys, kind) });
    }
    out.push({ key, runIds: members.map((m) => m.runId), points });
  }
  return out;
}

/** Mean and band of a list of finite values (see {@link groupBands}). */
export function bandOf(ys: readonly number[], kind: BandKind): { mean: number; lower: number; upper: number; count: number } {
  const n = ys.length;
  if (n === 0) throw new RangeError('bandOf: no values');
  let sum = 0;
  for (const y of ys) sum += y;
  const mean = sum / n;
  if (kind === 'minmax') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of ys) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    return { mean, lower: lo, upper: hi, count: n };
  }
  let ss = 0;
  for (const y of ys) ss += (y - mean) * (y - mean);
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { mean, lower: mean - sd, upper: mean + sd, count: n };
}
