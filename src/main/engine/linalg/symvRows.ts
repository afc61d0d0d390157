/**
 * What the calling thread and the helper threads of a symmetric product share (symvThreads.ts drives the
 * product, symvHelper.ts is a helper's code): the kernel (kernels/symv.wat) on a shared memory, the
 * function that runs a band of rows through it, and the control words through which they split a product
 * into bands. Both sides import this one file, so they compute the same way.
 */
import { SYMV_WASM } from './kernels/wasm.generated';
import { compiledOnce } from './wasmKernels';

/** The kernel of symv.wat: four rows against the columns from c on (see its header). */
export type Symv4Fn = (a: number, ld: number, v: number, y: number, len: number, out: number, v0: number, v1: number, v2: number, v3: number) => void;

/** Memory limit of a symv memory: 4 GiB, the most a 32-bit WebAssembly memory can address (n ≤ 23 000), as symv.wat declares. */
export const SYMV_MAX_PAGES = 65536;

const symvModule = compiledOnce(SYMV_WASM);

/** The symv4 kernel on `memory` (a shared memory of at most {@link SYMV_MAX_PAGES} pages). */
export function symvKernel(memory: WebAssembly.Memory): Symv4Fn {
  return (new WebAssembly.Instance(symvModule(), { env: { mem: memory } }).exports as { symv4: Symv4Fn }).symv4;
}

/**
 * mem[yo + c] += S[r, c]·mem[vRow + r] and mem[yo + r] += S[r, c]·mem[vRow + c] over r0 ≤ r < r1, c ≥ r, for the
 * symmetric S whose upper triangle is stored at mem[0 .. n²) row-major; mem[out .. out + 8) is scratch.
 * Rows go four at a time through symv4; each stored entry is read once for its row and its column.
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
    const a01 = mem[o0 + r + 1]!,
      a02 = mem[o0 + r + 2]!,
      a03 = mem[o0 + r + 3]!;
    const a12 = mem[o1 + r + 2]!,
      a13 = mem[o1 + r + 3]!,
      a23 = mem[o2 + r + 3]!;
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
      const b0 = mem[o0 + c]!,
        b1 = mem[o1 + c]!,
        b2 = mem[o2 + c]!,
        b3 = mem[o3 + c]!;
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
 * Control words (Int32) of a helper pool. A product of {@link PARALLEL_MIN_ROWS} trailing rows or more is cut
 * into {@link BANDS} bands of rows that any thread may take, so a helper that wakes late (its core busy
 * elsewhere) costs nothing but its share: the caller takes the rest.
 */
/** Generation of the current product, 1 … 0x7fff (−1: quit). */
export const GEN = 0;
/** GEN·2¹⁶ + index of the next free band (a stale thread's claim fails on the generation). */
export const CLAIM = 1;
/** Bands done in this generation. */
export const FINISHED = 2;
/** The product's parameters: the id of the memory it runs on, n, vRow, the offset of y and that of the band slots. */
export const MEMORY = 3;
export const N = 4;
export const VROW = 5;
export const YO = 6;
export const BAND_AREA = 7;
/** Band boundaries (BANDS + 1 rows). */
export const BOUNDS = 8;
/** Helpers of one pool at most. */
export const MAX_HELPERS = 3;
/**
 * From this many trailing rows on, a product goes through the {@link BANDS} bands, on as many threads as there
 * are (measured: see bench); below, it runs on the calling thread alone, straight into y.
 */
export const PARALLEL_MIN_ROWS = 768;
/**
 * Bands of rows of every product of {@link PARALLEL_MIN_ROWS} rows or more, whatever the number of threads: band 0
 * adds into y itself, band k > 0 into a slot of its own, and the caller then adds slots 1, 2, … into y in that
 * order. So each entry of y is summed in one order whichever thread ran which band, and the product (and every
 * eigenvalue computed through it) is the same bit for bit on every run and with any number of helpers; with the
 * helpers' share added into a vector per thread, it varied with the scheduling (~3·10⁻¹⁴ relative in the
 * eigenvalues at n = 1000). Four bands: the slots cost ~4n more element operations per product than that vector
 * did (eight bands ~9n: at n = 1000 the 5 largest eigenvalues' Lanczos took ~7% longer, with four within the noise);
 * one band each for the most threads a pool has, two each with one helper.
 */
export const BANDS = 4;
export const CONTROL_WORDS = BOUNDS + BANDS + 1;
/** Doubles of a band's slot: its vector [n] and symv4's eight lanes of scratch. */
export function bandSlotSize(n: number): number {
  return n + 8;
}
/** How long a thread polls (for the next product, or for the last bands) before it sleeps. */
export const SPIN_MS = 2;

/** What a helper thread gets as its workerData. */
export interface SymvHelperData {
  /** Marks a helper's workerData (a bundled engine worker file also serves as the helper: workerElectron.ts). */
  role: 'symv-helper';
  /** The pool's control words (Int32Array over this buffer). */
  control: SharedArrayBuffer;
  /** The helper's index (for its messages). */
  id: number;
}

/** Whether a thread's workerData is a symmetric-product helper's. */
export function isSymvHelperData(data: unknown): data is SymvHelperData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === 'symv-helper';
}

/** A memory the helpers may be asked to run products on, sent to them before its first product. */
export interface SymvMemoryMessage {
  memoryId: number;
  memory: WebAssembly.Memory;
}

/**
 * Band c of the product that `ctl` describes (its bounds in ctl[BOUNDS + c], ctl[BOUNDS + c + 1]): band 0 into
 * y, any other into its slot, zeroed first from the band's first row on (the entries it adds into). The band's
 * symv4 scratch is the end of its slot, so bands run at once on several threads never share it.
 */
export function runBand(ctl: Int32Array, mem: Float64Array, symv4: Symv4Fn, c: number): void {
  const n = ctl[N]!;
  const r0 = ctl[BOUNDS + c]!;
  const slot = ctl[BAND_AREA]! + c * bandSlotSize(n);
  if (c > 0) mem.fill(0, slot + r0, slot + n);
  symvRows(mem, symv4, n, r0, ctl[BOUNDS + c + 1]!, ctl[VROW]!, c === 0 ? ctl[YO]! : slot, slot + n);
}

/**
 * Takes bands of generation g one at a time (compare-and-swap on CLAIM) and runs each ({@link runBand}), counting
 * it in FINISHED. Returns the number of bands it ran.
 */
export function runBands(ctl: Int32Array, g: number, mem: Float64Array, symv4: Symv4Fn): number {
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    if (v >>> 16 !== g || (v & 0xffff) >= BANDS) return ran;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) continue;
    runBand(ctl, mem, symv4, v & 0xffff);
    ran++;
    if (Atomics.add(ctl, FINISHED, 1) + 1 === BANDS) Atomics.notify(ctl, FINISHED);
  }
}
