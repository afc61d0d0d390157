/**
 * The symmetric products of simdSymv.ts on more than one core. The matrix lives in a shared WebAssembly
 * memory; helper threads (started through the spawner that the engine worker installs, since these pure
 * numerics may not start threads themselves, and kept) instantiate the same
 * SIMD module on that memory and each reduces a band of rows into a vector of its own, which the caller
 * adds up. Rows are split so that the bands hold equal parts of the upper triangle. The bands are driven by
 * one function, {@link symvRows}, whose source the helpers run as well, so both sides compute the same way.
 */
/**
 * Starts a helper thread running `source` (a self-contained CommonJS script) with `data` as its
 * workerData; an uncaught error in it goes to onError. backends/threads.ts has the Node one.
 */
export type HelperSpawner = (source: string, data: unknown, onError: (e: unknown) => void) => { stop(): void };

/** The SIMD kernel of simdSymv.ts: four rows against the columns from c on (see its moduleBytes). */
export type Symv4Fn = (a: number, ld: number, v: number, y: number, len: number, out: number, v0: number, v1: number, v2: number, v3: number) => void;

/**
 * mem[yo + c] += S[r, c]·mem[vRow + r] and mem[yo + r] += S[r, c]·mem[vRow + c] over r0 ≤ r < r1, c ≥ r, for the
 * symmetric S whose upper triangle is stored at mem[0 .. n²) row-major; mem[out .. out + 8) is scratch.
 * Rows go four at a time through symv4; each stored entry is read once for its row and its column.
 * Self-contained (no closures, no imports): helpers run its source text.
 */
export function symvRows(mem: Float64Array, symv4: Symv4Fn, n: number, r0: number, r1: number, vRow: number, yo: number, out: number): void {
  const ld = n * 8;
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const v0 = mem[vRow + r]!;
    const v1 = mem[vRow + r + 1]!;
    const v2 = mem[vRow + r + 2]!;
    const v3 = mem[vRow + r + 3]!;
    const a01 = mem[o0 + r + 1]!, a02 = mem[o0 + r + 2]!, a03 = mem[o0 + r + 3]!;
    const a12 = mem[o1 + r + 2]!, a13 = mem[o1 + r + 3]!, a23 = mem[o2 + r + 3]!;
    let s0 = mem[o0 + r]! * v0 + a01 * v1 + a02 * v2 + a03 * v3;
    let s1 = a01 * v0 + mem[o1 + r + 1]! * v1 + a12 * v2 + a13 * v3;
    let s2 = a02 * v0 + a12 * v1 + mem[o2 + r + 2]! * v2 + a23 * v3;
    let s3 = a03 * v0 + a13 * v1 + a23 * v2 + mem[o3 + r + 3]! * v3;
    const c0 = r + 4;
    const len = n - c0;
    symv4((o0 + c0) * 8, ld, (vRow + c0) * 8, (yo + c0) * 8, len, out * 8, v0, v1, v2, v3);
    s0 += mem[out]! + mem[out + 1]!;
    s1 += mem[out + 2]! + mem[out + 3]!;
    s2 += mem[out + 4]! + mem[out + 5]!;
    s3 += mem[out + 6]! + mem[out + 7]!;
    if ((len & 1) === 1) {
      const c = n - 1;
      const b0 = mem[o0 + c]!, b1 = mem[o1 + c]!, b2 = mem[o2 + c]!, b3 = mem[o3 + c]!;
      const vc = mem[vRow + c]!;
      s0 += b0 * vc;
      s1 += b1 * vc;
      s2 += b2 * vc;
      s3 += b3 * vc;
      mem[yo + c] = mem[yo + c]! + (b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3);
    }
    mem[yo + r] = mem[yo + r]! + s0;
    mem[yo + r + 1] = mem[yo + r + 1]! + s1;
    mem[yo + r + 2] = mem[yo + r + 2]! + s2;
    mem[yo + r + 3] = mem[yo + r + 3]! + s3;
  }
  for (; r < r1; r++) {
    const rowR = r * n;
    const vr = mem[vRow + r]!;
    let s = mem[rowR + r]! * vr;
    for (let c = r + 1; c < n; c++) {
      const arc = mem[rowR + c]!;
      s += arc * mem[vRow + c]!;
      mem[yo + c] = mem[yo + c]! + arc * vr;
    }
    mem[yo + r] = mem[yo + r]! + s;
  }
}

/** Control words: [0] generation (−1 = quit), [1] helpers done, then PARAMS words per helper. */
const GEN = 0;
const DONE = 1;
const HEADER = 2;
const PARAMS = 6; // slot, n, r0, r1, vRow, yo
/** Doubles of scratch each helper needs at the end of its vector (symv4's eight lanes). */
export const HELPER_SCRATCH = 8;

/** How long a helper polls for the next product before it sleeps. */
const SPIN_MS = 2;

/** The helper thread: waits for a generation, reduces its band into its own vector, counts itself done. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memories, control, id, helpers } = workerData;
const ctl = new Int32Array(control);
const kernels = memories.map((m) => new WebAssembly.Instance(module, { env: { mem: m } }).exports.symv4);
const symvRows = ${symvRows.toString()};
// The pool starts at generation 0; a product asked for before this thread was up is seen at once.
let seen = 0;
for (;;) {
  // Products come in runs (an iterative solver asks for one after a little work of its own): poll for a
  // short while before sleeping, since waking a sleeping thread costs about as much as a small product.
  // The sleep is timed, so that a thread whose owner is gone still ends.
  const spinUntil = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctl, ${GEN}) === seen && performance.now() < spinUntil);
  Atomics.wait(ctl, ${GEN}, seen, 1000);
  const g = Atomics.load(ctl, ${GEN});
  if (g === -1) break;
  if (g === seen) continue;
  seen = g;
  const p = ${HEADER} + id * ${PARAMS};
  const slot = ctl[p], n = ctl[p + 1], r0 = ctl[p + 2], r1 = ctl[p + 3], vRow = ctl[p + 4], yo = ctl[p + 5];
  const mem = new Float64Array(memories[slot].buffer);
  mem.fill(0, yo, yo + n);
  symvRows(mem, kernels[slot], n, r0, r1, vRow, yo, yo + n);
  if (Atomics.add(ctl, ${DONE}, 1) === helpers - 1) Atomics.notify(ctl, ${DONE});
}
`;

/** Below this many trailing rows a product is not worth waking the helpers for (measured: see bench). */
export const PARALLEL_MIN_ROWS = 768;
const MAX_THREADS = 4;
/** A helper that has not answered after this long is taken for lost (a product takes milliseconds). */
const HELPER_TIMEOUT_MS = 30_000;

interface Pool {
  control: Int32Array;
  helpers: { stop(): void }[];
}

let pool: Pool | null | undefined;
let spawner: HelperSpawner | null = null;
let threadsWanted = 1;
let shared: { module: WebAssembly.Module; memories: WebAssembly.Memory[] } | null = null;

/**
 * Lets the symmetric products use `threads` threads (the caller counts as one; at most 4) through helper
 * threads started by `spawn`; without it (null, the default) every product runs on the calling thread.
 */
export function installSymvThreads(spawn: HelperSpawner | null, threads: number): void {
  setSymvThreads(threads);
  spawner = spawn;
}

/**
 * Threads for the symmetric products (the caller counts as one, at most 4 are used); 1 turns the helpers
 * off. Helpers already started are stopped, and the next product starts the new number.
 */
export function setSymvThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`setSymvThreads: threads must be an integer ≥ 1, got ${threads}`);
  stopHelpers();
  threadsWanted = Math.min(MAX_THREADS, threads);
}

/** Helper threads a product uses now (0 without a spawner, without shared memories or with one thread). */
export function symvHelpers(): number {
  return shared === null || spawner === null ? 0 : threadsWanted - 1;
}

let parallelProducts = 0;

/** Products that ran on the helpers so far in this thread (for tests and diagnostics). */
export function symvParallelProducts(): number {
  return parallelProducts;
}

/** Called by simdSymv.ts once its module and shared memories exist; before that every product is serial. */
export function shareSymvModule(module: WebAssembly.Module, memories: WebAssembly.Memory[]): void {
  stopHelpers();
  shared = { module, memories };
}

function stopHelpers(): void {
  if (!pool) {
    pool = undefined;
    return;
  }
  Atomics.store(pool.control, GEN, -1);
  Atomics.notify(pool.control, GEN);
  for (const h of pool.helpers) h.stop();
  pool = undefined;
}

function startHelpers(): Pool | null {
  if (pool !== undefined) return pool;
  const helpers = threadsWanted - 1;
  if (shared === null || spawner === null || helpers < 1) return (pool = null);
  const control = new Int32Array(new SharedArrayBuffer((HEADER + helpers * PARAMS) * 4));
  const started: Pool = { control, helpers: [] };
  // A failing helper turns the pool off: products run on the calling thread from then on.
  const onError = (): void => {
    if (pool === started) {
      stopHelpers();
      pool = null;
    }
  };
  try {
    for (let id = 0; id < helpers; id++) {
      const data = { module: shared.module, memories: shared.memories, control: control.buffer, id, helpers };
      started.helpers.push(spawner(HELPER_SOURCE, data, onError));
    }
  } catch {
    for (const h of started.helpers) h.stop();
    return (pool = null);
  }
  return (pool = started);
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

/**
 * y += S v over rows r ≥ r0 (as {@link symvRows} with r1 = n) on `slot`'s shared memory, with the helpers
 * when the trailing block is big enough. `helperVectors` is the offset of the helpers' area, room for
 * `maxHelpers`: helper t uses mem[helperVectors + t·(n + 8) ..] for its vector and scratch. Returns false
 * (nothing done) when the product should run serially instead.
 */
export function symvParallel(
  slot: number,
  mem: Float64Array,
  symv4: Symv4Fn,
  n: number,
  r0: number,
  vRow: number,
  yo: number,
  out: number,
  helperVectors: number,
  maxHelpers: number,
): boolean {
  if (n - r0 < PARALLEL_MIN_ROWS) return false;
  const p = startHelpers();
  if (p === null || p.helpers.length > maxHelpers) return false;
  const helpers = p.helpers.length;
  const bands = triangleBands(r0, n, helpers + 1);
  const ctl = p.control;
  for (let t = 0; t < helpers; t++) {
    const q = HEADER + t * PARAMS;
    ctl[q] = slot;
    ctl[q + 1] = n;
    ctl[q + 2] = bands[t + 1]!;
    ctl[q + 3] = bands[t + 2]!;
    ctl[q + 4] = vRow;
    ctl[q + 5] = helperVectors + t * (n + HELPER_SCRATCH);
  }
  Atomics.store(ctl, DONE, 0);
  // Generations count up and skip −1 (quit) on wrap-around.
  const next = (Atomics.load(ctl, GEN) + 1) & 0x3fffffff;
  Atomics.store(ctl, GEN, next);
  Atomics.notify(ctl, GEN);
  symvRows(mem, symv4, n, bands[0]!, bands[1]!, vRow, yo, out);
  // The bands are equal, so the helpers are about done: poll before sleeping (a wake-up costs more).
  const spinUntil = performance.now() + SPIN_MS;
  while (Atomics.load(ctl, DONE) < helpers && performance.now() < spinUntil);
  const deadline = Date.now() + HELPER_TIMEOUT_MS;
  for (let done = Atomics.load(ctl, DONE); done < helpers; done = Atomics.load(ctl, DONE)) {
    if (Date.now() > deadline) {
      stopHelpers();
      pool = null;
      throw new Error(`symmetric product: ${helpers - done} of ${helpers} helper threads did not answer in ${HELPER_TIMEOUT_MS / 1000} s; products run on one thread from now on`);
    }
    Atomics.wait(ctl, DONE, done, 1000);
  }
  for (let t = 0; t < helpers; t++) {
    const h = helperVectors + t * (n + HELPER_SCRATCH);
    const from = bands[t + 1]!;
    for (let c = from; c < n; c++) mem[yo + c] = mem[yo + c]! + mem[h + c]!;
  }
  parallelProducts++;
  return true;
}
