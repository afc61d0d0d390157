/**
 * Plane rotations of adjacent rows in WebAssembly SIMD (f64x2), for the eigenvector accumulation of the
 * implicit QL iteration (SPEC §8): with vectors, QL applies about 3n³ flops of rotations to Zᵀ, which the
 * scalar TypeScript loop runs at half SIMD speed. Zᵀ is copied into the module's memory for the whole
 * iteration and back at the end. Assembled from bytes as in simdDot.ts; {@link createSimdRowRotator}
 * returns null without WebAssembly SIMD, and tridiagonalQl keeps its TypeScript loop.
 */
import { simdKernelsEnabled } from './simdGemm';
import { float64Memory, leb, name, section } from './wasmBytes';

type RotFn = (x: number, y: number, len: number, c: number, s: number) => void;

interface RotModule {
  rot: RotFn;
  memory: WebAssembly.Memory;
}

let cached: RotModule | null | undefined;
/** Bumped by every rotator built, so that a stale one (its matrix replaced) throws instead of lying. */
let generation = 0;

/**
 * (func $rot (param $x $y $len i32) (param $c $s f64)): for k < len rounded down to even, with x_k, y_k the
 * doubles at bytes $x + 8k, $y + 8k: (x_k, y_k) ← (c·x_k − s·y_k, s·x_k + c·y_k). Locals: 5 end (i32);
 * 6 splat c, 7 splat s, 8 x, 9 y (v128).
 */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const get = (i: number): number[] => [0x20, i];
  const set = (i: number): number[] => [0x21, i];
  const load = (base: number): number[] => [...get(base), 0xfd, 0x00, 4, 0];
  const store = [0xfd, 0x0b, 4, 0];
  const mul = [0xfd, ...leb(242)];
  const add = [0xfd, ...leb(240)];
  const sub = [0xfd, ...leb(241)];
  const bump16 = (i: number): number[] => [...get(i), 0x41, 16, 0x6a, ...set(i)];
  const body = [
    2, 1, 0x7f, 4, 0x7b,
    ...get(3), 0xfd, 0x14, ...set(6),
    ...get(4), 0xfd, 0x14, ...set(7),
    ...get(0), ...get(2), 0x41, 0x7e, 0x71, 0x41, 3, 0x74, 0x6a, ...set(5), // end = x + (len & ~1)·8
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(5), 0x4f, 0x0d, 1,
    ...load(0), ...set(8),
    ...load(1), ...set(9),
    ...get(1), ...get(7), ...get(8), ...mul, ...get(6), ...get(9), ...mul, ...add, ...store,
    ...get(0), ...get(6), ...get(8), ...mul, ...get(7), ...get(9), ...mul, ...sub, ...store,
    ...bump16(0), ...bump16(1),
    0x0c, 0, 0x0b, 0x0b,
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7c, 0x7c, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('rot'), 0, 0, ...name('mem'), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

function load(): RotModule | null {
  if (cached !== undefined) return cached;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const exp = instance.exports as { rot: RotFn; mem: WebAssembly.Memory };
    cached = { rot: exp.rot, memory: exp.mem };
  } catch {
    cached = null;
  }
  return cached;
}

/** Rotations of adjacent rows of a matrix held in WebAssembly memory (see {@link createSimdRowRotator}). */
export interface SimdRowRotator {
  /** Rows i and i+1 (x, y) ← (c·x − s·y, s·x + c·y), over all n columns. */
  rotate(i: number, c: number, s: number): void;
  /** Copies the rotated matrix back into the array it was created from. */
  finish(): void;
}

/**
 * Copies z [rows, n] (row-major) into the module's memory, growing it only when needed, for rotations of
 * adjacent rows; finish() writes the result back into z. Only the latest rotator is valid (the memory is
 * shared): an older one throws. Returns null without WebAssembly SIMD.
 */
export function createSimdRowRotator(z: Float64Array, rows: number, n: number): SimdRowRotator | null {
  if (z.length !== rows * n) throw new RangeError(`createSimdRowRotator: z has ${z.length} entries, expected ${rows * n} for shape [${rows}, ${n}]`);
  if (!simdKernelsEnabled()) return null;
  const mod = load();
  if (mod === null) return null;
  const mem = float64Memory(mod.memory, z.length);
  mem.set(z);
  const mine = ++generation;
  const rot = mod.rot;
  const even = n & ~1;
  const check = (): void => {
    if (mine !== generation) throw new Error('simd rotator: a later createSimdRowRotator call replaced this matrix');
  };
  return {
    rotate(i, c, s) {
      check();
      if (!(i >= 0 && i + 1 < rows)) throw new RangeError(`simd rotator: rows ${i}, ${i + 1} outside [0, ${rows})`);
      const xo = i * n;
      rot(xo * 8, (xo + n) * 8, n, c, s);
      if (even < n) {
        const x = mem[xo + even]!;
        const y = mem[xo + n + even]!;
        mem[xo + even] = c * x - s * y;
        mem[xo + n + even] = s * x + c * y;
      }
    },
    finish() {
      check();
      z.set(mem);
    },
  };
}
