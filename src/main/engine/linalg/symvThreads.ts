/**
 * Parallel symmetric products (SPEC §8): y += S v over the trailing rows, with S stored in a shared
 * WebAssembly memory (simdSymv.ts); helper threads run the same kernel on that memory. Rows are cut into a
 * fixed number of bands with equal parts of the upper triangle, which any thread may take; each band adds into a
 * slot of its own (the first into y), which the caller adds into y in band order, so the result does not depend on
 * which thread ran which band, nor on how many threads there are. The helpers are real worker files
 * (symvHelper.ts) started through the spawner that the engine worker installs, since these pure numerics
 * may not start threads themselves; both sides run their bands through symvRows.ts.
 */
import {
  BAND_AREA,
  BANDS,
  bandSlotSize,
  BOUNDS,
  CLAIM,
  CONTROL_WORDS,
  FINISHED,
  GEN,
  MAX_HELPERS,
  MEMORY,
  N,
  PARALLEL_MIN_ROWS,
  runBand,
  runBands,
  SPIN_MS,
  VROW,
  YO,
  type Symv4Fn,
  type SymvHelperData,
  type SymvMemoryMessage,
} from './symvRows';

export { PARALLEL_MIN_ROWS };

/** A started helper thread: messages reach it in order; stop() ends it. */
export interface HelperThread {
  post(message: SymvMemoryMessage): void;
  stop(): void;
}

/**
 * Starts a helper thread running the module at `script` with `data` as its workerData; an uncaught error
 * in it, or a failure to start it, goes to onError. backends/threads.ts has the Node one.
 */
export type HelperSpawner = (script: URL | string, data: SymvHelperData, onError: (e: unknown) => void) => HelperThread;

/**
 * The helper thread's script: the tsx bootstrap of symvHelper.ts next to this file, where the engine runs
 * from its TypeScript sources; the Electron build's engine worker sets its own bundled file, which runs
 * symvHelper.ts when started with a helper's workerData ({@link setSymvHelperScript}, engine/workerElectron.ts).
 */
let helperScript: URL | string = new URL('./symvHelperEntry.mjs', import.meta.url);

/** Where helper threads started from now on find their script (in a build: the bundled file that runs symvHelper.ts). */
export function setSymvHelperScript(script: URL | string): void {
  if (script !== helperScript) stopHelpers();
  helperScript = script;
}

const MAX_THREADS = MAX_HELPERS + 1;
/** A helper that has not answered after this long is taken for lost (a product takes milliseconds). */
const HELPER_TIMEOUT_MS = 30_000;

interface Pool {
  control: Int32Array;
  helpers: HelperThread[];
  /** Ids of the memories already sent to the helpers. */
  sent: Set<number>;
}

let pool: Pool | null | undefined;
let spawner: HelperSpawner | null = null;
let threadsWanted = 1;
let log: (message: string) => void = (message) => console.error(`[engine] ${message}`);

/**
 * Lets the symmetric products use `threads` threads (the caller counts as one; at most 4) through helper
 * threads started by `spawn`; without it (null, the default) every product runs on the calling thread.
 * A helper that fails is reported to `report` (default: stderr), and the products run on the calling
 * thread until the thread count or the spawner changes.
 */
export function installSymvThreads(spawn: HelperSpawner | null, threads: number, report?: (message: string) => void): void {
  if (spawn !== spawner) stopHelpers();
  spawner = spawn;
  if (report !== undefined) log = report;
  setSymvThreads(threads);
}

/**
 * Threads for the symmetric products (the caller counts as one, at most 4 are used); 1 turns the helpers
 * off. When the number changes, helpers already started are stopped and the next product starts the new
 * number; the same number again keeps them (every run and task message of the engine worker sets it).
 */
export function setSymvThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`setSymvThreads: threads must be an integer ≥ 1, got ${threads}`);
  const wanted = Math.min(MAX_THREADS, threads);
  if (wanted === threadsWanted) return;
  stopHelpers();
  threadsWanted = wanted;
}

/** Helper threads a product uses now (0 without a spawner or with one thread). */
export function symvHelpers(): number {
  return spawner === null ? 0 : threadsWanted - 1;
}

let parallelProducts = 0;
let helperBands = 0;

/** Products offered to the helpers so far in this thread (for tests and diagnostics). */
export function symvParallelProducts(): number {
  return parallelProducts;
}

/** Row bands of those products that helpers took (the rest ran on the calling thread). */
export function symvHelperBands(): number {
  return helperBands;
}

/** Stops the helpers; the next product starts them again (a pool turned off is given another try). */
function stopHelpers(): void {
  if (pool) {
    Atomics.store(pool.control, GEN, -1);
    Atomics.notify(pool.control, GEN);
    for (const h of pool.helpers) h.stop();
  }
  pool = undefined;
}

/** Stops the helpers for good (until the thread count or spawner changes): products run on the caller. */
function turnOffHelpers(): void {
  stopHelpers();
  pool = null;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The next generation of `ctl`, 1 … 0x7fff (0 is the pool's start, −1 quit, so that GEN·2¹⁶ + band fits
 * CLAIM), with its claims closed (no band free) so that a late thread cannot take a band while the
 * parameters change. The caller opens it by storing GEN and notifying.
 */
function nextGeneration(ctl: Int32Array): number {
  const g = (Atomics.load(ctl, GEN) % 0x7fff) + 1;
  Atomics.store(ctl, CLAIM, (g << 16) | 0xffff);
  return g;
}

/** Announces generation g to the helpers. */
function announce(ctl: Int32Array, g: number): void {
  Atomics.store(ctl, GEN, g);
  Atomics.notify(ctl, GEN);
}

function startHelpers(): Pool | null {
  if (pool !== undefined) return pool;
  const helpers = threadsWanted - 1;
  if (spawner === null || helpers < 1) return (pool = null);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const started: Pool = { control, helpers: [], sent: new Set() };
  const onError =
    (id: number) =>
    (e: unknown): void => {
      if (pool !== started) return;
      log(`symmetric products: helper thread ${id} failed (${describe(e)}); they run on the calling thread until the thread count changes`);
      turnOffHelpers();
    };
  try {
    for (let id = 0; id < helpers; id++)
      started.helpers.push(spawner(helperScript, { role: 'symv-helper', control: control.buffer as SharedArrayBuffer, id }, onError(id)));
  } catch (e) {
    log(
      `symmetric products: could not start helper thread ${started.helpers.length} (${describe(e)}); they run on the calling thread until the thread count changes`,
    );
    for (const h of started.helpers) h.stop();
    return (pool = null);
  }
  return (pool = started);
}

/**
 * Wakes the helpers ahead of a run of products on an order-n matrix (when those will use them), so that
 * they are polling by the first one instead of being woken by it: a product with no bands.
 */
export function wakeSymvHelpers(n: number): void {
  if (n < PARALLEL_MIN_ROWS) return;
  const p = startHelpers();
  if (p === null) return;
  announce(p.control, nextGeneration(p.control));
}

/**
 * Row bands [b_t, b_{t+1}) of rows r0 ≤ r < n with equal shares of the upper triangle (row r holds n − r
 * entries), boundaries on the 4-row grid from r0 so that only the last band has a scalar tail.
 */
export function triangleBands(r0: number, n: number, parts: number): number[] {
  const rows = n - r0;
  const total = (rows * (rows + 1)) / 2;
  const bounds = [r0];
  let k = 0;
  let work = 0;
  for (let t = 1; t < parts; t++) {
    const goal = (total * t) / parts;
    while (k + 4 <= rows && work + (4 * rows - (4 * k + 6)) <= goal) {
      work += 4 * rows - (4 * k + 6);
      k += 4;
    }
    bounds.push(r0 + k);
  }
  bounds.push(n);
  return bounds;
}

/** The shared memory a product runs on, and its id (helpers get each memory once). */
export interface SymvTarget {
  id: number;
  memory: WebAssembly.Memory;
}

/** The control words of the products that run without helpers (this thread's alone). */
const serialControl = new Int32Array(CONTROL_WORDS);

/** Doubles of the band slots that {@link symvBanded} needs past the other arrays of an order-n memory. */
export function bandAreaSize(n: number): number {
  return BANDS * bandSlotSize(n);
}

/**
 * y += S v over rows r ≥ r0 (as symvRows with r1 = n, y at mem[yo ..]) on the target's memory, in the
 * {@link BANDS} bands of the trailing rows, with the helpers where there are any (else all on this thread):
 * bit for bit the same result either way. `bandArea` is the offset of {@link bandAreaSize}(n) doubles for the
 * bands' slots. Meant for n − r0 ≥ {@link PARALLEL_MIN_ROWS}; smaller products go straight through symvRows.
 */
export function symvBanded(target: SymvTarget, mem: Float64Array, symv4: Symv4Fn, n: number, r0: number, vRow: number, yo: number, bandArea: number): void {
  const p = startHelpers();
  const ctl = p === null ? serialControl : p.control;
  const bounds = triangleBands(r0, n, BANDS);
  const g = p === null ? 0 : nextGeneration(ctl);
  ctl[MEMORY] = target.id;
  ctl[N] = n;
  ctl[VROW] = vRow;
  ctl[YO] = yo;
  ctl[BAND_AREA] = bandArea;
  for (let c = 0; c <= BANDS; c++) ctl[BOUNDS + c] = bounds[c]!;
  if (p === null) {
    for (let c = 0; c < BANDS; c++) runBand(ctl, mem, symv4, c);
  } else {
    if (!p.sent.has(target.id)) {
      // Queued before the announcement below, so a helper finds it as soon as it sees the product.
      for (const h of p.helpers) h.post({ memoryId: target.id, memory: target.memory });
      p.sent.add(target.id);
    }
    Atomics.store(ctl, FINISHED, 0);
    Atomics.store(ctl, CLAIM, g << 16);
    announce(ctl, g);
    helperBands += BANDS - runBands(ctl, g, mem, symv4);
    // Every band is taken: the helpers are finishing theirs. Poll before sleeping (a wake-up costs more).
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(ctl, FINISHED) < BANDS && performance.now() < spinUntil);
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (let done = Atomics.load(ctl, FINISHED); done < BANDS; done = Atomics.load(ctl, FINISHED)) {
      if (Date.now() > deadline) {
        turnOffHelpers();
        throw new Error(
          `symmetric product: ${BANDS - done} of ${BANDS} row bands taken by helper threads were not done in ${HELPER_TIMEOUT_MS / 1000} s; products run on one thread from now on`,
        );
      }
      Atomics.wait(ctl, FINISHED, done, 1000);
    }
    parallelProducts++;
  }
  // Band order: each entry of y gets band 0's sum (added in place), then slot 1's, slot 2's, …
  for (let c = 1; c < BANDS; c++) {
    const slot = bandArea + c * bandSlotSize(n);
    for (let j = bounds[c]!; j < n; j++) mem[yo + j] = mem[yo + j]! + mem[slot + j]!;
  }
}
