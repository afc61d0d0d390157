/**
 * The symmetric matrix–vector product of the Householder reduction (SPEC §8) in WebAssembly SIMD (f64x2):
 * half the flops of the blocked tridiagonalization are these level-2 products over the trailing upper
 * triangle, so the matrix being reduced lives in this module's memory for the whole reduction instead of
 * being copied per product. Assembled from bytes as in simdDot.ts; {@link createSimdSymvWorkspace} returns
 * null without WebAssembly SIMD and callers keep their TypeScript loops. The memories are shared, so that
 * large products also run on helper threads (symvThreads.ts).
 */
import { simdKernelsEnabled } from './simdGemm';
import { HELPER_SCRATCH, shareSymvModule, symvHelpers, symvParallel, symvRows, wakeSymvHelpers, type Symv4Fn } from './symvThreads';
import { float64Memory, leb, name, section } from './wasmBytes';


interface SymvModule {
  symv4: Symv4Fn;
  memory: WebAssembly.Memory;
}

/**
 * Two instances with separate memories: slot 0 for the Householder reduction, slot 1 for the Lanczos
 * products, so that a reduction run inside a Lanczos solve (its Rayleigh–Ritz step) cannot clobber the
 * operator. Each slot's generation is bumped by every workspace built on it, so that a stale workspace throws
 * instead of reading another matrix.
 */
const cached: (SymvModule | null | undefined)[] = [undefined, undefined];
const generation = [0, 0];

/**
 * (func $symv4 (param $a $ld $v $y $len $out i32) (param $v0..$v3 f64)): for the four rows A_r at byte
 * $a + r·$ld and c < len rounded down to even: y[c] += Σ_r A_r[c]·v_r and out[2r..2r+1] = the two lanes of
 * Σ_c A_r[c]·v[c]. Locals: 10 end, 11–13 A_1..A_3 (i32); 14–17 sums, 18–21 splat v_r, 22 v[c], 23 A_r[c].
 */
export function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const get = (i: number): number[] => [0x20, i];
  const set = (i: number): number[] => [0x21, i];
  const load = (base: number): number[] => [...get(base), 0xfd, 0x00, 4, 0];
  const mul = [0xfd, ...leb(242)];
  const add = [0xfd, ...leb(240)];
  const bump16 = (i: number): number[] => [...get(i), 0x41, 16, 0x6a, ...set(i)];
  const rows = [0, 11, 12, 13];
  const perRow: number[] = [];
  for (let r = 0; r < 4; r++) {
    perRow.push(...load(rows[r]!), 0x22, 23, ...get(18 + r), ...mul, ...add);
    perRow.push(...get(14 + r), ...get(23), ...get(22), ...mul, ...add, ...set(14 + r));
  }
  const stores: number[] = [];
  for (let r = 0; r < 4; r++) stores.push(...get(5), ...get(14 + r), 0xfd, 0x0b, 4, ...leb(16 * r));
  const body = [
    2, 4, 0x7f, 10, 0x7b,
    ...get(2), ...get(4), 0x41, 0x7e, 0x71, 0x41, 3, 0x74, 0x6a, ...set(10), // end = v + (len & ~1)·8
    ...get(0), ...get(1), 0x6a, ...set(11),
    ...get(11), ...get(1), 0x6a, ...set(12),
    ...get(12), ...get(1), 0x6a, ...set(13),
    ...[6, 7, 8, 9].flatMap((z, r) => [...get(z), 0xfd, 0x14, ...set(18 + r)]),
    0x02, 0x40, 0x03, 0x40,
    ...get(2), ...get(10), 0x4f, 0x0d, 1,
    ...load(2), ...set(22),
    ...get(3), ...load(3), ...perRow, 0xfd, 0x0b, 4, 0,
    ...bump16(0), ...bump16(11), ...bump16(12), ...bump16(13), ...bump16(2), ...bump16(3),
    0x0c, 0, 0x0b, 0x0b,
    ...stores,
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 10, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c, 0x7c, 0x7c, 0x7c, 0]),
    // The memory is imported: shared where it can be, so that helper threads can run the same code on it.
    ...section(2, [1, ...name('env'), ...name('mem'), 2, ...(shared ? [3, 1, ...leb(MAX_PAGES)] : [0, 1])]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('symv4'), 0, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/** Memory limit of each slot: 4 GiB, the most a 32-bit WebAssembly memory can address (n ≤ 23 000). */
const MAX_PAGES = 65536;

/**
 * Both slots' instances at once (the helper threads get both memories), on shared memories where the
 * runtime has WebAssembly threads, else on plain ones (products then stay on the calling thread).
 */
function loadModule(slot: number): SymvModule | null {
  const have = cached[slot];
  if (have !== undefined) return have;
  for (const shared of [true, false]) {
    try {
      const module = new WebAssembly.Module(moduleBytes(shared));
      const memories = cached.map(() => new WebAssembly.Memory({ initial: 1, ...(shared ? { maximum: MAX_PAGES, shared } : {}) }));
      memories.forEach((memory, s) => {
        const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
        cached[s] = { symv4: (instance.exports as { symv4: Symv4Fn }).symv4, memory };
      });
      if (shared) shareSymvModule(module, memories);
      return cached[slot]!;
    } catch {
      cached.fill(undefined);
    }
  }
  cached.fill(null);
  return null;
}

/** A matrix and a vector in WebAssembly memory with the SIMD symmetric product between them. */
export interface SimdSymvWorkspace {
  /** The matrix [n, n] row-major (a view into the module's memory; zero on creation). */
  a: Float64Array;
  /** The product vector [n] (a view into the module's memory). */
  y: Float64Array;
  /**
   * y[r] += Σ_{c ≥ r0} S[r, c]·v[c] for r ≥ r0, where S is the symmetric matrix whose upper triangle is
   * stored in a and v[c] = a[vRow + c] (vRow a row offset, i.e. a multiple of n).
   */
  symvUpper(r0: number, vRow: number): void;
}

/**
 * Workspace for {@link SimdSymvWorkspace.symvUpper} on an [n, n] matrix, growing the module's memory only
 * when n exceeds every earlier order; its matrix is zero unless `zeroMatrix` is false (for a caller that
 * overwrites all of it, which then skips the fill). Only the latest workspace is valid (the memory is shared): an older
 * one throws. Returns null without WebAssembly SIMD.
 */
export function createSimdSymvWorkspace(n: number, zeroMatrix = true): SimdSymvWorkspace | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`createSimdSymvWorkspace: n must be a non-negative integer, got ${n}`);
  return workspace(n, 0, zeroMatrix);
}

/**
 * y = A x for symmetric A [n, n] (row-major; only the upper triangle is read) in WebAssembly SIMD, reading
 * each stored entry once for both its row and its column: half the memory traffic of row dot products,
 * which bounds these products at large n. A is copied once into the module's memory, so build one per
 * matrix and reuse it; the returned function throws after a later createSimdSymmetricMatvec call (the
 * memory is shared). Returns null without WebAssembly SIMD.
 */
export function createSimdSymmetricMatvec(a: Float64Array, n: number): ((x: Float64Array, y: Float64Array) => void) | null {
  if (a.length !== n * n) throw new RangeError(`createSimdSymmetricMatvec: a has ${a.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  const ws = workspace(n, 1, false);
  if (ws === null) return null;
  // Only the upper triangle is ever read: copy row r from column r on (half the bytes of a full copy).
  for (let r = 0; r < n; r++) ws.a.set(a.subarray(r * n + r, (r + 1) * n), r * n + r);
  return (x, y) => {
    if (x.length !== n || y.length !== n) throw new RangeError(`simd symmetric matvec: x, y have shapes [${x.length}], [${y.length}], expected [${n}]`);
    ws.x.set(x);
    ws.y.fill(0);
    ws.product();
    y.set(ws.y);
  };
}

/** {@link SimdSymvWorkspace} on the given slot, with an extra vector x [n] and y += S x. */
function workspace(n: number, slot: number, zeroMatrix = true): (SimdSymvWorkspace & { x: Float64Array; product(): void }) | null {
  if (!simdKernelsEnabled()) return null;
  const mod = loadModule(slot);
  if (mod === null) return null;
  const helpers = symvHelpers();
  // Products follow (a reduction, a Lanczos solve): have the helpers polling by then.
  if (helpers > 0) wakeSymvHelpers(n);
  // a [n²] | y [n] | out [8] | x [n] | each helper's vector [n] and scratch [8]
  const yo = n * n;
  const out = yo + n;
  const xo = out + 8;
  const helperArea = xo + n;
  const doubles = helperArea + helpers * (n + HELPER_SCRATCH);
  const mem = float64Memory(mod.memory, doubles);
  // The vectors are always zeroed; the matrix only when the caller will not overwrite what it reads.
  mem.fill(0, zeroMatrix ? 0 : n * n);
  const a = mem.subarray(0, n * n);
  const y = mem.subarray(yo, yo + n);
  const x = mem.subarray(xo, xo + n);
  const symv4 = mod.symv4;
  const mine = ++generation[slot]!;
  const check = (): void => {
    if (mine !== generation[slot]) throw new Error('simd symv: a later createSimdSymvWorkspace or createSimdSymmetricMatvec call replaced this matrix');
  };
  // y[r] += Σ_{c ≥ r0} S[r, c]·mem[vRow + c] for r ≥ r0: on the helper threads too when it is worth it.
  const symv = (r0: number, vRow: number): void => {
    if (helpers > 0 && symvParallel(slot, mem, symv4, n, r0, vRow, yo, out, helperArea, helpers)) return;
    symvRows(mem, symv4, n, r0, n, vRow, yo, out);
  };
  return {
    a,
    y,
    x,
    symvUpper(r0, vRow) {
      check();
      if (r0 < 0 || r0 > n || vRow < 0 || vRow > n * (n - 1) || vRow % n !== 0) {
        throw new RangeError(`simd symv: r0 = ${r0}, vRow = ${vRow} do not fit a of shape [${n}, ${n}]`);
      }
      symv(r0, vRow);
    },
    product() {
      check();
      symv(0, xo);
    },
  };
}
