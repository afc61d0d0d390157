/**
 * What the calling thread and the helper threads of a symmetric product share (symvThreads.ts drives the
 * product, symvHelper.ts is a helper's code): the kernel (kernels/symv.wat) on a shared memory, the
 * function that runs a band of rows through it, and the control words through which they split a product
 * into chunks. Both sides import this one file, so they compute the same way.
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
 * Control words (Int32) of a helper pool. Products are split into chunks of rows that any thread may take,
 * so a helper that wakes late (its core busy elsewhere) costs nothing but its share: the caller takes the rest.
 */
/** Generation of the current product, 1 … 0x7fff (−1: quit). */
export const GEN = 0;
/** GEN·2¹⁶ + index of the next free chunk (a stale thread's claim fails on the generation). */
export const CLAIM = 1;
/** Chunks done in this generation. */
export const FINISHED = 2;
/** The product's parameters: the id of the memory it runs on, n, vRow, the chunk count, and the offset of the helpers' vectors. */
export const MEMORY = 3;
export const N = 4;
export const VROW = 5;
export const CHUNKS = 6;
export const HELPER_AREA = 7;
/** Per helper: the generation it last added into its own vector. */
export const CONTRIB = 8;
/** Chunk boundaries (CHUNKS + 1 rows). */
export const BOUNDS = 11;
/** Helpers of one pool at most (CONTRIB has room for this many). */
export const MAX_HELPERS = 3;
/** Chunks per thread of a product. */
export const CHUNKS_PER_THREAD = 4;
export const CONTROL_WORDS = BOUNDS + CHUNKS_PER_THREAD * (MAX_HELPERS + 1) + 1;
/** Doubles of scratch each helper needs at the end of its vector (symv4's eight lanes). */
export const HELPER_SCRATCH = 8;
/** How long a thread polls (for the next product, or for the last chunks) before it sleeps. */
export const SPIN_MS = 2;

/** What a helper thread gets as its workerData. */
export interface SymvHelperData {
  /** Marks a helper's workerData (a bundled engine worker file also serves as the helper: workerElectron.ts). */
  role: 'symv-helper';
  /** The pool's control words (Int32Array over this buffer). */
  control: SharedArrayBuffer;
  /** The helper's index: its vector is at HELPER_AREA + id·(n + HELPER_SCRATCH). */
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
 * Takes chunks of generation g one at a time (compare-and-swap on CLAIM) and adds each one's rows into the
 * vector at yo (scratch at out), counting it in FINISHED; `first` runs before the first chunk taken.
 * Returns the number of chunks it ran.
 */
export function runChunks(ctl: Int32Array, g: number, mem: Float64Array, symv4: Symv4Fn, yo: number, out: number, first: (() => void) | null): number {
  const n = ctl[N]!;
  const vRow = ctl[VROW]!;
  const chunks = ctl[CHUNKS]!;
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    if (v >>> 16 !== g || (v & 0xffff) >= chunks) return ran;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) continue;
    if (ran === 0 && first !== null) first();
    const c = v & 0xffff;
    symvRows(mem, symv4, n, ctl[BOUNDS + c]!, ctl[BOUNDS + c + 1]!, vRow, yo, out);
    ran++;
    if (Atomics.add(ctl, FINISHED, 1) + 1 === chunks) Atomics.notify(ctl, FINISHED);
  }
}
