/**
 * The symmetric matrix–vector product of the Householder reduction (SPEC §8) in WebAssembly SIMD (f64x2):
 * half the flops of the blocked tridiagonalization are these level-2 products over the trailing upper
 * triangle, so the matrix being reduced lives in this module's memory for the whole reduction instead of
 * being copied per product. Assembled from bytes as in simdDot.ts; {@link createSimdSymvWorkspace} returns
 * null without WebAssembly SIMD and callers keep their TypeScript loops.
 */
import { simdKernelsEnabled } from './simdGemm';
import { float64Memory, leb, name, section } from './wasmBytes';

type Symv4Fn = (a: number, ld: number, v: number, y: number, len: number, out: number, v0: number, v1: number, v2: number, v3: number) => void;

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
function moduleBytes(): Uint8Array<ArrayBuffer> {
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
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('symv4'), 0, 0, ...name('mem'), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

function loadModule(slot: number): SymvModule | null {
  const have = cached[slot];
  if (have !== undefined) return have;
  let mod: SymvModule | null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const exp = instance.exports as { symv4: Symv4Fn; mem: WebAssembly.Memory };
    mod = { symv4: exp.symv4, memory: exp.mem };
  } catch {
    mod = null;
  }
  cached[slot] = mod;
  return mod;
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
 * when n exceeds every earlier order. Only the latest workspace is valid (the memory is shared): an older
 * one throws. Returns null without WebAssembly SIMD.
 */
export function createSimdSymvWorkspace(n: number): SimdSymvWorkspace | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`createSimdSymvWorkspace: n must be a non-negative integer, got ${n}`);
  return workspace(n, 0);
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
  const doubles = n * n + 2 * n + 8;
  const mem = float64Memory(mod.memory, doubles);
  // The vectors are always zeroed; the matrix only when the caller will not overwrite what it reads.
  mem.fill(0, zeroMatrix ? 0 : n * n);
  const a = mem.subarray(0, n * n);
  const yo = n * n;
  const y = mem.subarray(yo, yo + n);
  const out = yo + n;
  const ld = n * 8;
  const symv4 = mod.symv4;
  const xo = out + 8;
  const x = mem.subarray(xo, xo + n);
  const mine = ++generation[slot]!;
  const check = (): void => {
    if (mine !== generation[slot]) throw new Error('simd symv: a later createSimdSymvWorkspace or createSimdSymmetricMatvec call replaced this matrix');
  };
  // y[r] += Σ_{c ≥ r0} S[r, c]·mem[vRow + c] for r ≥ r0.
  const symv = (r0: number, vRow: number): void => {
    let r = r0;
    for (; r + 4 <= n; r += 4) {
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
    for (; r < n; r++) {
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
