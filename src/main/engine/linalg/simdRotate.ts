/**
 * Plane rotations of adjacent rows in WebAssembly SIMD (kernels/rotate.wat), for the eigenvector accumulation
 * of the implicit QL iteration (SPEC §8): with vectors, QL applies about 3n³ flops of rotations to Zᵀ, which
 * the scalar TypeScript loop (kept for small orders) runs at half SIMD speed. Zᵀ is copied into the kernel's
 * memory for the whole iteration and back at the end.
 */
import { ROTATE_WASM } from './kernels/wasm.generated';
import { compiledOnce, float64Memory, InstancePool, ownership } from './wasmKernels';

type RotFn = (x: number, y: number, len: number, c: number, s: number) => void;

interface RotateInstance {
  rot: RotFn;
  memory: WebAssembly.Memory;
}

const rotateModule = compiledOnce(ROTATE_WASM);
const pool = new InstancePool<RotateInstance>(() => {
  const exp = new WebAssembly.Instance(rotateModule()).exports as { rot: RotFn; mem: WebAssembly.Memory };
  return { rot: exp.rot, memory: exp.mem };
});

/** Rotations of adjacent rows of a matrix held in WebAssembly memory (see {@link createSimdRowRotator}). */
export interface SimdRowRotator {
  /** Rows i and i+1 (x, y) ← (c·x − s·y, s·x + c·y), over all n columns. */
  rotate(i: number, c: number, s: number): void;
  /** Copies the rotated matrix back into the array it was created from and hands the kernel back. */
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
  const mem = float64Memory(inst.memory, z.length);
  mem.set(z);
  const rot = inst.rot;
  const even = n & ~1;
  return {
    rotate(i, c, s) {
      own.check();
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
      own.check();
      z.set(mem);
      own.release();
    },
  };
}
