import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lcg } from './lcg';
import { spawnHelperThread } from '../../../../../src/main/engine/backends/threads';
import { createSimdSymvWorkspace } from '../../../../../src/main/engine/linalg/simdSymv';
import { extremeEigen } from '../../../../../src/main/engine/linalg/extremeEigen';
import { symmetricEigen } from '../../../../../src/main/engine/linalg/symmetricEigen';
import {
  installSymvThreads,
  PARALLEL_MIN_ROWS,
  setSymvThreads,
  symvHelperBands,
  symvHelpers,
  symvParallelProducts,
  triangleBands,
} from '../../../../../src/main/engine/linalg/symvThreads';

beforeAll(() => {
  installSymvThreads(spawnHelperThread, 1);
});

afterAll(() => {
  installSymvThreads(null, 1);
});

/** Upper-triangle entries of rows [a, b) of an n-row trailing block starting at r0. */
function entries(r0: number, n: number, a: number, b: number): number {
  let s = 0;
  for (let r = a; r < b; r++) s += n - r;
  return s;
}

describe('triangleBands()', () => {
  it('splits the trailing rows into bands of equal triangle shares on the 4-row grid', () => {
    for (const [r0, n, parts] of [
      [0, 1000, 2],
      [0, 1000, 3],
      [17, 2003, 4],
      [250, 1021, 2],
    ] as const) {
      const b = triangleBands(r0, n, parts);
      expect(b).toHaveLength(parts + 1);
      expect(b[0]).toBe(r0);
      expect(b.at(-1)).toBe(n);
      const total = entries(r0, n, r0, n);
      for (let t = 0; t < parts; t++) {
        expect(b[t + 1]!).toBeGreaterThan(b[t]!);
        if (t + 1 < parts) expect((b[t + 1]! - r0) % 4).toBe(0);
        // one 4-row block (at most 4·(n − r0) entries) off the equal share
        expect(Math.abs(entries(r0, n, b[t]!, b[t + 1]!) - total / parts)).toBeLessThanOrEqual(4 * (n - r0));
      }
    }
  });
});

describe('symmetric products on helper threads', () => {
  const n = 1000;
  const r = lcg(41);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = r();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }

  /** y = S v over rows ≥ r0 through the workspace with the given thread count. */
  function product(threads: number, r0: number): { y: Float64Array; parallel: number } {
    setSymvThreads(threads);
    const ws = createSimdSymvWorkspace(n, false);
    ws.a.set(a);
    const vRow = (n - 1) * n; // the last row holds v: as the Householder reduction stores its reflectors
    const before = symvParallelProducts();
    ws.symvUpper(r0, vRow);
    const y = ws.y.slice();
    ws.release();
    return { y, parallel: symvParallelProducts() - before };
  }

  it('gives the one-thread product bit for bit with one and three helpers, and really uses them past the size threshold', () => {
    for (const r0 of [0, 101, n - PARALLEL_MIN_ROWS]) {
      const serial = product(1, r0);
      expect(serial.parallel).toBe(0);
      // the bands add up to S v (against plain row sums: the same terms in another order)
      let worst = 0;
      for (let i = r0; i < n; i++) {
        let s = 0;
        for (let j = r0; j < n; j++) s += a[i * n + j]! * a[(n - 1) * n + j]!;
        worst = Math.max(worst, Math.abs(serial.y[i]! - s));
      }
      // sums of ≤ 1000 terms of size ≤ 1/4 in another order
      expect(worst).toBeLessThan(1e-12);
      for (const threads of [2, 4]) {
        const par = product(threads, r0);
        expect(symvHelpers()).toBe(threads - 1);
        expect(par.parallel).toBe(1);
        // each entry summed in band order whichever thread ran which band; the rows above r0 are left alone
        expect(par.y).toEqual(serial.y);
      }
    }
  });

  it('gives the same product on every run while the helpers take different bands', () => {
    setSymvThreads(2);
    const ws = createSimdSymvWorkspace(n, false);
    ws.a.set(a);
    const first = new Float64Array(n);
    const beforeBands = symvHelperBands();
    // Until the helper has taken bands in at least 20 products (it starts late, then takes a varying share).
    const until = Date.now() + 10_000;
    let runs = 0;
    while ((symvHelperBands() - beforeBands < 20 || runs < 50) && Date.now() < until) {
      ws.y.fill(0);
      ws.symvUpper(0, (n - 1) * n);
      if (runs === 0) first.set(ws.y);
      else expect(ws.y).toEqual(first);
      runs++;
    }
    expect(symvHelperBands() - beforeBands).toBeGreaterThanOrEqual(20);
    ws.release();
  });

  it('lets the helpers take bands of the rows (the caller takes what a late helper leaves)', () => {
    setSymvThreads(2);
    const ws = createSimdSymvWorkspace(n, false);
    ws.a.set(a);
    const before = symvHelperBands();
    // A helper that is still starting (tens of ms, more where tsx compiles it) misses the first products; it
    // polls between products once it is up. Products for up to 10 s, or until it has taken a band.
    const until = Date.now() + 10_000;
    while (symvHelperBands() === before && Date.now() < until) ws.symvUpper(0, (n - 1) * n);
    expect(symvHelperBands()).toBeGreaterThan(before);
    ws.release();
  });

  it('runs products on several memories at once (a reduction and a Lanczos operator alive together)', () => {
    setSymvThreads(3);
    const first = createSimdSymvWorkspace(n, false);
    const second = createSimdSymvWorkspace(n, false);
    first.a.set(a);
    // The second matrix is 2·A, and v (its last row) is doubled with it: its products are 4 times the first's.
    for (let i = 0; i < n * n; i++) second.a[i] = 2 * a[i]!;
    const vRow = (n - 1) * n;
    const before = symvParallelProducts();
    for (let rep = 0; rep < 3; rep++) {
      first.y.fill(0);
      second.y.fill(0);
      first.symvUpper(0, vRow);
      second.symvUpper(0, vRow);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(second.y[i]! - 4 * first.y[i]!));
      // sums of ≤ 1000 terms of size ≤ 1 in another order
      expect(worst).toBeLessThan(4e-12);
    }
    expect(symvParallelProducts() - before).toBe(6);
    second.release();
    first.release();
  });

  it('logs a helper that fails, with its error, and runs the products on the calling thread from then on', async () => {
    const logged: string[] = [];
    // A helper whose script throws as it starts (as a missing or broken bundle would).
    const broken = new URL('data:text/javascript,throw new Error("helper script exploded")');
    installSymvThreads(
      (_script, data, onError) => spawnHelperThread(broken, data, onError),
      2,
      (m) => logged.push(m),
    );
    product(2, 0);
    await vi.waitFor(() => expect(logged).toHaveLength(1), { timeout: 10_000 });
    expect(logged[0]).toMatch(/helper thread 0 failed \(helper script exploded\); they run on the calling thread/);
    const after = product(2, 0);
    expect(after.parallel).toBe(0);
    expect(symvHelpers()).toBe(1);
    installSymvThreads(spawnHelperThread, 1, (m) => process.stderr.write(`[engine] ${m}\n`));
  });

  it('keeps small trailing blocks on the calling thread', () => {
    expect(product(2, n - PARALLEL_MIN_ROWS + 1).parallel).toBe(0);
  });

  it('gives the same extreme and full spectra bit for bit with helpers as without, run after run', () => {
    setSymvThreads(1);
    const top1 = extremeEigen({ n, matrix: a }, { k: 5, which: 'largest' }).values;
    const full1 = symmetricEigen(a, n).values;
    setSymvThreads(3);
    const before = symvParallelProducts();
    for (let rep = 0; rep < 3; rep++) {
      expect(extremeEigen({ n, matrix: a }, { k: 5, which: 'largest' }).values).toEqual(top1);
      expect(symmetricEigen(a, n).values).toEqual(full1);
    }
    expect(symvParallelProducts() - before).toBeGreaterThan(30);
  });

  it('runs every product on the calling thread without a spawner', () => {
    installSymvThreads(null, 4);
    expect(symvHelpers()).toBe(0);
    expect(product(4, 0).parallel).toBe(0);
    installSymvThreads(spawnHelperThread, 1);
  });

  it('keeps its helpers when the same thread count is set again, and starts new ones when it changes', () => {
    let spawned = 0;
    installSymvThreads((script, data, onError) => {
      spawned++;
      return spawnHelperThread(script, data, onError);
    }, 2);
    product(2, 0);
    expect(spawned).toBe(1);
    product(2, 0); // sets 2 again: the helper stays
    expect(spawned).toBe(1);
    product(3, 0);
    expect(spawned).toBe(3);
    installSymvThreads(spawnHelperThread, 1);
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => setSymvThreads(0)).toThrow(/threads must be an integer ≥ 1, got 0/);
    expect(() => setSymvThreads(1.5)).toThrow(/got 1.5/);
  });
});
