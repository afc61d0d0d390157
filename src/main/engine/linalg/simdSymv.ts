/**
 * The symmetric matrix–vector product in WebAssembly SIMD (kernels/symv.wat), SPEC §8: half the flops of the
 * blocked Householder reduction and every product of the Lanczos iteration for the largest eigenvalues. The
 * matrix lives in the memory of a kernel instance owned by the solver for the whole reduction or iteration
 * instead of being copied per product. The memories are shared, so that large products also run on helper
 * threads (symvThreads.ts).
 */
import { PARALLEL_MIN_ROWS, SYMV_MAX_PAGES, symvKernel, symvRows, type Symv4Fn } from './symvRows';
import { bandAreaSize, symvBanded, symvHelpers, wakeSymvHelpers, type SymvTarget } from './symvThreads';
import { syr2kRoom, syr2kUpperInMemory } from './syr2k';
import { float64Memory, InstancePool, ownership } from './wasmKernels';

interface SymvInstance extends SymvTarget {
  symv4: Symv4Fn;
}

let nextId = 1;
const pool = new InstancePool<SymvInstance>(() => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: SYMV_MAX_PAGES, shared: true });
  return { id: nextId++, memory, symv4: symvKernel(memory) };
});

/** A matrix and a vector in WebAssembly memory with the SIMD symmetric product between them. */
export interface SimdSymvWorkspace {
  /** The matrix [n, n] row-major (a view into the kernel's memory; zero on creation). */
  a: Float64Array;
  /** The product vector [n] (a view into the kernel's memory). */
  y: Float64Array;
  /**
   * y[r] += Σ_{c ≥ r0} S[r, c]·v[c] for r ≥ r0, where S is the symmetric matrix whose upper triangle is
   * stored in a and v[c] = a[vRow + c] (vRow a row offset, i.e. a multiple of n).
   */
  symvUpper(r0: number, vRow: number): void;
  /**
   * a ← a − (V Wᵀ + W Vᵀ) on the upper triangle of the trailing block from (r0, r0) on, for v, w [n − r0, k]
   * row-major (the blocked reduction's rank-2k update), in the kernel's memory; only for a workspace made with
   * room for depth k or more (see {@link createSimdSymvWorkspace}).
   */
  syr2kUpper(r0: number, v: Float64Array, w: Float64Array, k: number): void;
  /** Hands the kernel back; a and y must not be used and symvUpper throws afterwards. */
  release(): void;
}

/**
 * Workspace for {@link SimdSymvWorkspace.symvUpper} on an [n, n] matrix, in the memory of a kernel owned by
 * the caller until release() (grown only when n exceeds every earlier order of that kernel); its matrix is
 * zero unless `zeroMatrix` is false (for a caller that overwrites all of it, which then skips the fill). With
 * `rank2kDepth` k > 0 the memory also has room for {@link SimdSymvWorkspace.syr2kUpper} of depth up to k.
 */
export function createSimdSymvWorkspace(n: number, zeroMatrix = true, rank2kDepth = 0): SimdSymvWorkspace {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`createSimdSymvWorkspace: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(rank2kDepth) || rank2kDepth < 0) {
    throw new RangeError(`createSimdSymvWorkspace: rank2kDepth must be a non-negative integer, got ${rank2kDepth}`);
  }
  return workspace(n, zeroMatrix, rank2kDepth);
}

/** y = A x through the upper triangle of A, on a kernel the caller owns (see {@link createSimdSymmetricMatvec}). */
export interface SimdSymmetricMatvec {
  /** y = A x for x, y [n]. */
  apply(x: Float64Array, y: Float64Array): void;
  /** Hands the kernel back; apply() throws afterwards. */
  release(): void;
}

/**
 * y = A x for symmetric A [n, n] (row-major; only the upper triangle is read) in WebAssembly SIMD, reading
 * each stored entry once for both its row and its column: half the memory traffic of row dot products,
 * which bounds these products at large n. A is copied once into the memory of a kernel owned by the caller
 * until release(), so build one per matrix and reuse it for many products.
 */
export function createSimdSymmetricMatvec(a: Float64Array, n: number): SimdSymmetricMatvec {
  if (a.length !== n * n) throw new RangeError(`createSimdSymmetricMatvec: a has ${a.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  const ws = workspace(n, false);
  // Only the upper triangle is ever read: copy row r from column r on (half the bytes of a full copy).
  for (let r = 0; r < n; r++) ws.a.set(a.subarray(r * n + r, (r + 1) * n), r * n + r);
  return {
    apply(x, y) {
      if (x.length !== n || y.length !== n) throw new RangeError(`simd symmetric matvec: x, y have shapes [${x.length}], [${y.length}], expected [${n}]`);
      ws.x.set(x);
      ws.y.fill(0);
      ws.product();
      y.set(ws.y);
    },
    release: ws.release,
  };
}

/** {@link SimdSymvWorkspace} with an extra vector x [n] and y += S x. */
function workspace(n: number, zeroMatrix: boolean, rank2kDepth = 0): SimdSymvWorkspace & { x: Float64Array; product(): void } {
  const inst = pool.acquire();
  const own = ownership('simd symv', () => pool.release(inst));
  // Products follow (a reduction, a Lanczos solve): have the helpers polling by then.
  if (symvHelpers() > 0) wakeSymvHelpers(n);
  // a [n²] | y [n] | out [8] | x [n] | the bands' slots, where products of PARALLEL_MIN_ROWS rows or more come |
  // the rank-2k updates' panels, where asked for
  const yo = n * n;
  const out = yo + n;
  const xo = out + 8;
  const bandArea = xo + n;
  const rank2kAt = bandArea + (n >= PARALLEL_MIN_ROWS ? bandAreaSize(n) : 0);
  const doubles = rank2kAt + (rank2kDepth > 0 ? syr2kRoom(n, rank2kDepth) : 0);
  const mem = float64Memory(inst.memory, doubles);
  // The vectors are always zeroed; the matrix only when the caller will not overwrite what it reads.
  mem.fill(0, zeroMatrix ? 0 : n * n);
  const a = mem.subarray(0, n * n);
  const y = mem.subarray(yo, yo + n);
  const x = mem.subarray(xo, xo + n);
  const symv4 = inst.symv4;
  // y[r] += Σ_{c ≥ r0} S[r, c]·mem[vRow + c] for r ≥ r0: large products in bands (on the helper threads too,
  // where there are any), the same bit for bit with any number of threads.
  const symv = (r0: number, vRow: number): void => {
    if (n - r0 >= PARALLEL_MIN_ROWS) symvBanded(inst, mem, symv4, n, r0, vRow, yo, bandArea);
    else symvRows(mem, symv4, n, r0, n, vRow, yo, out);
  };
  return {
    a,
    y,
    x,
    symvUpper(r0, vRow) {
      own.check();
      if (r0 < 0 || r0 > n || vRow < 0 || vRow > n * (n - 1) || vRow % n !== 0) {
        throw new RangeError(`simd symv: r0 = ${r0}, vRow = ${vRow} do not fit a of shape [${n}, ${n}]`);
      }
      symv(r0, vRow);
    },
    syr2kUpper(r0, v, w, k) {
      own.check();
      if (k > rank2kDepth) throw new RangeError(`simd symv: a rank-2k update of depth ${k} in a workspace with room for depth ${rank2kDepth}`);
      syr2kUpperInMemory(inst.memory, mem, rank2kAt, n, r0, n - r0, v, w, k);
    },
    product() {
      own.check();
      symv(0, xo);
    },
    release: own.release,
  };
}
