/**
 * Plane rotations of adjacent rows in WebAssembly SIMD (kernels/rotate.wat), for the eigenvector accumulation
 * of the implicit QL iteration (SPEC §8): with vectors, QL applies about 3n³ flops of rotations to Zᵀ, which
 * the scalar TypeScript loop (kept for small orders) runs at half SIMD speed. Zᵀ is copied into the kernel's
 * memory for the whole iteration and back at the end.
 *
 * The rotations do not depend on Z (QL computes them from the tridiagonal matrix alone), so they are recorded
 * and applied in batches, one block of {@link COLUMN_BLOCK} columns at a time: the block stays in cache through
 * the whole batch, where one rotation at a time streams two full rows of Zᵀ through the cache (at n = 1000,
 * ~9·10⁵ rotations: 1.0 s instead of 1.5 s). Every entry sees the same rotations in the same order and the
 * same arithmetic: the result is bit for bit that of applying them one by one.
 */
import { ROTATE_WASM } from './kernels/wasm.generated';
import { compiledOnce, float64Memory, InstancePool, ownership } from './wasmKernels';

type RotSeqFn = (z: number, rowBytes: number, len: number, rots: number, count: number) => void;

interface RotateInstance {
  rotseq: RotSeqFn;
  memory: WebAssembly.Memory;
}

/** Rotations recorded before a batch is applied (three doubles each: i, c, s). */
const BATCH = 4096;
/** Columns per block of a batch (QL with vectors at n = 1000: 32 columns 1.2 s, 64 1.05 s, 128 1.0 s, 256 1.8 s). */
const COLUMN_BLOCK = 128;

const rotateModule = compiledOnce(ROTATE_WASM);
const pool = new InstancePool<RotateInstance>(() => {
  const exp = new WebAssembly.Instance(rotateModule()).exports as { rotseq: RotSeqFn; mem: WebAssembly.Memory };
  return { rotseq: exp.rotseq, memory: exp.mem };
});

/** Rotations of adjacent rows of a matrix held in WebAssembly memory (see {@link createSimdRowRotator}). */
export interface SimdRowRotator {
  /** Rows i and i+1 (x, y) ← (c·x − s·y, s·x + c·y), over all n columns (applied in order, in batches). */
  rotate(i: number, c: number, s: number): void;
  /** Applies what is recorded, copies the rotated matrix back into the array it was created from and hands the kernel back. */
  finish(): void;
}

/**
 * Copies z [rows, n] (row-major) into the memory of a rotation kernel owned by the caller until finish(),
 * which writes the result back into z; the rotator throws if used afterwards.
 */
export function createSimdRowRotator(z: Float64Array, rows: number, n: number): SimdRowRotator {
  if (z.length !== rows * n) throw new RangeError(`createSimdRowRotator: z has ${z.length} entries, expected ${rows * n} for shape [${rows}, ${n}]`);
  const inst = pool.acquire();
  const own = ownership('simd rotator', () => pool.release(inst));
  // Z, then the batch of recorded rotations.
  const mem = float64Memory(inst.memory, z.length + 3 * BATCH);
  mem.set(z);
  const at = z.length;
  const even = n & ~1;
  let count = 0;
  const apply = (): void => {
    if (count === 0) return;
    for (let k0 = 0; k0 < even; k0 += COLUMN_BLOCK) inst.rotseq(k0 * 8, n * 8, Math.min(COLUMN_BLOCK, even - k0), at * 8, count);
    if (even < n) {
      // The odd last column, in the same order and arithmetic.
      for (let r = 0; r < count; r++) {
        const o = at + 3 * r;
        const xo = mem[o]! * n + even;
        const c = mem[o + 1]!;
        const s = mem[o + 2]!;
        const x = mem[xo]!;
        const y = mem[xo + n]!;
        mem[xo] = c * x - s * y;
        mem[xo + n] = s * x + c * y;
      }
    }
    count = 0;
  };
  return {
    rotate(i, c, s) {
      own.check();
      if (!(i >= 0 && i + 1 < rows)) throw new RangeError(`simd rotator: rows ${i}, ${i + 1} outside [0, ${rows})`);
      const o = at + 3 * count;
      mem[o] = i;
      mem[o + 1] = c;
      mem[o + 2] = s;
      if (++count === BATCH) apply();
    },
    finish() {
      own.check();
      apply();
      z.set(mem.subarray(0, z.length));
      own.release();
    },
  };
}
