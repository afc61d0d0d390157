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

/**
 * Control words (Int32) of a pool. Products are split into chunks of rows that any thread may take, so a
 * helper that wakes late (its core busy elsewhere) costs nothing but its share: the caller takes the rest.
 *   0 GEN       generation of the current product, 1 … 0x7fff (−1: quit)
 *   1 CLAIM     GEN·2¹⁶ + index of the next free chunk (a stale thread's claim fails on the generation)
 *   2 FINISHED  chunks done in this generation
 *   3 SLOT, 4 N, 5 VROW, 6 CHUNKS, 7 BASE (offset of the helpers' vectors): the product's parameters
 *   8 … 10      per helper: the generation it last added into its own vector
 *   11 …        chunk boundaries (CHUNKS + 1 rows)
 * runChunks and the helper source use these indices as literals.
 */
const GEN = 0;
const CLAIM = 1;
const FINISHED = 2;
const PARAM = 3;
const CONTRIB = 8;
const BOUNDS = 11;
const MAX_HELPERS = 3;
const CHUNKS_PER_THREAD = 4;
const CONTROL_WORDS = BOUNDS + CHUNKS_PER_THREAD * (MAX_HELPERS + 1) + 1;
/** Doubles of scratch each helper needs at the end of its vector (symv4's eight lanes). */
export const HELPER_SCRATCH = 8;

/**
 * Takes chunks of generation g one at a time (compare-and-swap on CLAIM) and adds each one's rows into the
 * vector at yo (scratch at out), counting it in FINISHED; `first` runs before the first chunk taken.
 * Returns the number of chunks it ran. Self-contained (symvRows comes as an argument): helpers run its
 * source text.
 */
export function runChunks(
  ctl: Int32Array,
  g: number,
  mem: Float64Array,
  symv4: Symv4Fn,
  yo: number,
  out: number,
  rows: typeof symvRows,
  first: (() => void) | null,
): number {
  const n = ctl[4]!;
  const vRow = ctl[5]!;
  const chunks = ctl[6]!;
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctl, 1);
    if (v >>> 16 !== g || (v & 0xffff) >= chunks) return ran;
    if (Atomics.compareExchange(ctl, 1, v, v + 1) !== v) continue;
    if (ran === 0 && first !== null) first();
    const c = v & 0xffff;
    rows(mem, symv4, n, ctl[11 + c]!, ctl[12 + c]!, vRow, yo, out);
    ran++;
    if (Atomics.add(ctl, 2, 1) + 1 === chunks) Atomics.notify(ctl, 2);
  }
}

/** How long a thread polls (for the next product, or for the last chunks) before it sleeps. */
const SPIN_MS = 2;

/** The helper thread: waits for a generation, takes chunks into its own vector until none are left. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memories, control, id } = workerData;
const ctl = new Int32Array(control);
const kernels = memories.map((m) => new WebAssembly.Instance(module, { env: { mem: m } }).exports.symv4);
const symvRows = ${symvRows.toString()};
const runChunks = ${runChunks.toString()};
// The pool starts at generation 0; a product asked for before this thread was up is seen at once.
let seen = 0;
for (;;) {
  // Products come in runs (an iterative solver asks for one after a little work of its own): poll for a
  // short while before sleeping, since waking a sleeping thread costs about as much as a small product.
  // The sleep is timed, so that a thread whose owner is gone still ends.
  const spinUntil = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctl, 0) === seen && performance.now() < spinUntil);
  Atomics.wait(ctl, 0, seen, 1000);
  const g = Atomics.load(ctl, 0);
  if (g === -1) break;
  if (g === seen) continue;
  seen = g;
  const slot = ctl[3], n = ctl[4];
  const yo = ctl[7] + id * (n + ${HELPER_SCRATCH});
  const mem = new Float64Array(memories[slot].buffer);
  runChunks(ctl, g, mem, kernels[slot], yo, yo + n, symvRows, () => {
    mem.fill(0, yo, yo + n);
    Atomics.store(ctl, 8 + id, g);
  });
}
`;

/** Below this many trailing rows a product is not worth waking the helpers for (measured: see bench). */
export const PARALLEL_MIN_ROWS = 768;
const MAX_THREADS = MAX_HELPERS + 1;
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
  if (spawn !== spawner) stopHelpers();
  spawner = spawn;
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

/** Helper threads a product uses now (0 without a spawner, without shared memories or with one thread). */
export function symvHelpers(): number {
  return shared === null || spawner === null ? 0 : threadsWanted - 1;
}

let parallelProducts = 0;
let helperChunks = 0;

/** Products offered to the helpers so far in this thread (for tests and diagnostics). */
export function symvParallelProducts(): number {
  return parallelProducts;
}

/** Row chunks of those products that helpers took (the rest ran on the calling thread). */
export function symvHelperChunks(): number {
  return helperChunks;
}

/** Called by simdSymv.ts once its module and shared memories exist; before that every product is serial. */
export function shareSymvModule(module: WebAssembly.Module, memories: WebAssembly.Memory[]): void {
  stopHelpers();
  shared = { module, memories };
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

/**
 * The next generation of `ctl`, 1 … 0x7fff (0 is the pool's start, −1 quit, so that GEN·2¹⁶ + chunk fits
 * CLAIM), with its claims closed (no chunk free) so that a late thread cannot take a chunk while the
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
  if (shared === null || spawner === null || helpers < 1) return (pool = null);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const started: Pool = { control, helpers: [] };
  // A failing helper turns the pool off: products run on the calling thread from then on.
  const onError = (): void => {
    if (pool === started) turnOffHelpers();
  };
  try {
    for (let id = 0; id < helpers; id++) {
      const data = { module: shared.module, memories: shared.memories, control: control.buffer, id };
      started.helpers.push(spawner(HELPER_SOURCE, data, onError));
    }
  } catch {
    for (const h of started.helpers) h.stop();
    return (pool = null);
  }
  return (pool = started);
}

/**
 * Wakes the helpers ahead of a run of products on an order-n matrix (when those will use them), so that
 * they are polling by the first one instead of being woken by it: a product with no chunks.
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
  const chunks = CHUNKS_PER_THREAD * (helpers + 1);
  const bounds = triangleBands(r0, n, chunks);
  const ctl = p.control;
  const g = nextGeneration(ctl);
  Atomics.store(ctl, FINISHED, 0);
  ctl[PARAM] = slot;
  ctl[PARAM + 1] = n;
  ctl[PARAM + 2] = vRow;
  ctl[PARAM + 3] = chunks;
  ctl[PARAM + 4] = helperVectors;
  for (let t = 0; t < helpers; t++) ctl[CONTRIB + t] = 0;
  for (let c = 0; c <= chunks; c++) ctl[BOUNDS + c] = bounds[c]!;
  Atomics.store(ctl, CLAIM, g << 16);
  announce(ctl, g);
  helperChunks += chunks - runChunks(ctl, g, mem, symv4, yo, out, symvRows, null);
  // Every chunk is taken: the helpers are finishing theirs. Poll before sleeping (a wake-up costs more).
  const spinUntil = performance.now() + SPIN_MS;
  while (Atomics.load(ctl, FINISHED) < chunks && performance.now() < spinUntil);
  const deadline = Date.now() + HELPER_TIMEOUT_MS;
  for (let done = Atomics.load(ctl, FINISHED); done < chunks; done = Atomics.load(ctl, FINISHED)) {
    if (Date.now() > deadline) {
      turnOffHelpers();
      throw new Error(`symmetric product: ${chunks - done} of ${chunks} row chunks taken by helper threads were not done in ${HELPER_TIMEOUT_MS / 1000} s; products run on one thread from now on`);
    }
    Atomics.wait(ctl, FINISHED, done, 1000);
  }
  for (let t = 0; t < helpers; t++) {
    if (Atomics.load(ctl, CONTRIB + t) !== g) continue;
    const h = helperVectors + t * (n + HELPER_SCRATCH);
    for (let c = r0; c < n; c++) mem[yo + c] = mem[yo + c]! + mem[h + c]!;
  }
  parallelProducts++;
  return true;
}
