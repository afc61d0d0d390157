/**
 * Four-row float64 updates in WebAssembly SIMD (kernels/triangular.wat) for three solvers (SPEC §8): the
 * triangular solves of the shift-invert iterations for the smallest eigenvalues (each iteration solves
 * Uᵀ U x = b, 2n² flops that scalar loops run at a third of SIMD speed), the panel updates of the blocked
 * Cholesky factorization, and the reorthogonalization of the Lanczos basis. Each works in the memory of a
 * kernel instance it owns: the factor or the basis is copied in once and reused for every solve or projection.
 */
import { TRIANGULAR_WASM } from './kernels/wasm.generated';
import { compiledOnce, float64Memory, InstancePool, ownership } from './wasmKernels';

type Axpy4Fn = (y: number, u: number, ld: number, len: number, z0: number, z1: number, z2: number, z3: number) => void;
type Dot4Fn = (x: number, u: number, ld: number, len: number, out: number) => void;

interface TriangularInstance {
  axpy4: Axpy4Fn;
  dot4: Dot4Fn;
  memory: WebAssembly.Memory;
}

const triangularModule = compiledOnce(TRIANGULAR_WASM);
const pool = new InstancePool<TriangularInstance>(() => {
  const exp = new WebAssembly.Instance(triangularModule()).exports as { axpy4: Axpy4Fn; dot4: Dot4Fn; mem: WebAssembly.Memory };
  return { axpy4: exp.axpy4, dot4: exp.dot4, memory: exp.mem };
});

/** Solves of Uᵀ U x = b with the factor in WebAssembly memory (see {@link createSimdCholeskySolve}). */
export interface SimdCholeskySolve {
  /** Overwrites b [n] with x. */
  solve(b: Float64Array): void;
  /** Hands the kernel back; solve() throws afterwards. */
  release(): void;
}

/**
 * Solver of Uᵀ U x = b for a given upper factor U [n, n] (row-major, as {@link choleskyUpperBlocked} returns
 * it): U is copied once into the memory of a kernel owned by the caller until release(). The eigensolvers make
 * their factor in place instead ({@link createSimdCholeskySolveFrom}); the solves are the same.
 */
export function createSimdCholeskySolve(u: Float64Array, n: number): SimdCholeskySolve {
  if (u.length !== n * n) throw new RangeError(`createSimdCholeskySolve: u has ${u.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  const inst = pool.acquire();
  float64Memory(inst.memory, n * n + n + 8).set(u, 0);
  return solveOn(inst, n);
}

/**
 * A factor computed where its solves run: `factor` gets a zeroed workspace of n² entries (with the four-row
 * update) in the memory of a kernel that the returned solver then owns, and writes U there (as
 * {@link choleskyUpperBlocked} does); it returns false when there is no factor, and so gives null. One kernel
 * memory instead of a workspace, a copy of U out of it and a copy back in (8 MB each at n = 1000, the copy out
 * in freshly allocated memory).
 */
export function createSimdCholeskySolveFrom(n: number, factor: (ws: SimdRowWorkspace) => boolean): SimdCholeskySolve | null {
  const inst = pool.acquire();
  let solver: SimdCholeskySolve | null = null;
  try {
    const ws = rowWorkspaceOn(inst, n * n, n * n + n + 8, () => {});
    if (factor(ws)) solver = solveOn(inst, n);
    return solver;
  } finally {
    if (solver === null) pool.release(inst);
  }
}

/** The solver of Uᵀ U x = b on an instance holding U at the start of its memory; it owns the instance. */
function solveOn(inst: TriangularInstance, n: number): SimdCholeskySolve {
  const own = ownership('simd Cholesky solve', () => pool.release(inst));
  const doubles = n * n + n + 8;
  const m = float64Memory(inst.memory, doubles);
  const bo = n * n;
  const out = bo + n;
  const ld = n * 8;
  const { axpy4, dot4 } = inst;
  const solve = (b: Float64Array): void => {
    own.check();
    if (b.length !== n) throw new RangeError(`simd Cholesky solve: b has shape [${b.length}], expected [${n}]`);
    m.set(b, bo);
    // Uᵀ z = b: the 4×4 triangle gives z[p..p+3], then one SIMD pass subtracts the four rows' share.
    let p = 0;
    for (; p + 4 <= n; p += 4) {
      const o0 = p * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const z0 = m[bo + p]! / m[o0 + p]!;
      const z1 = (m[bo + p + 1]! - m[o0 + p + 1]! * z0) / m[o1 + p + 1]!;
      const z2 = (m[bo + p + 2]! - m[o0 + p + 2]! * z0 - m[o1 + p + 2]! * z1) / m[o2 + p + 2]!;
      const z3 = (m[bo + p + 3]! - m[o0 + p + 3]! * z0 - m[o1 + p + 3]! * z1 - m[o2 + p + 3]! * z2) / m[o3 + p + 3]!;
      m[bo + p] = z0;
      m[bo + p + 1] = z1;
      m[bo + p + 2] = z2;
      m[bo + p + 3] = z3;
      const len = n - p - 4;
      axpy4((bo + p + 4) * 8, (o0 + p + 4) * 8, ld, len, z0, z1, z2, z3);
      if ((len & 1) === 1) {
        const c = n - 1;
        m[bo + c] = m[bo + c]! - (m[o0 + c]! * z0 + m[o1 + c]! * z1 + m[o2 + c]! * z2 + m[o3 + c]! * z3);
      }
    }
    for (; p < n; p++) {
      const rp = p * n;
      const zp = m[bo + p]! / m[rp + p]!;
      m[bo + p] = zp;
      for (let i = p + 1; i < n; i++) m[bo + i] = m[bo + i]! - m[rp + i]! * zp;
    }
    // U x = z from the bottom, four rows per SIMD pass; the ragged top rows come last.
    let top = n;
    for (; top - 4 >= 0; top -= 4) {
      const i0 = top - 4;
      const o0 = i0 * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const len = n - top;
      dot4((bo + top) * 8, (o0 + top) * 8, ld, len, out * 8);
      let s0 = m[out]! + m[out + 1]!;
      let s1 = m[out + 2]! + m[out + 3]!;
      let s2 = m[out + 4]! + m[out + 5]!;
      let s3 = m[out + 6]! + m[out + 7]!;
      if ((len & 1) === 1) {
        const xc = m[bo + n - 1]!;
        s0 += m[o0 + n - 1]! * xc;
        s1 += m[o1 + n - 1]! * xc;
        s2 += m[o2 + n - 1]! * xc;
        s3 += m[o3 + n - 1]! * xc;
      }
      const x3 = (m[bo + i0 + 3]! - s3) / m[o3 + i0 + 3]!;
      const x2 = (m[bo + i0 + 2]! - s2 - m[o2 + i0 + 3]! * x3) / m[o2 + i0 + 2]!;
      const x1 = (m[bo + i0 + 1]! - s1 - m[o1 + i0 + 2]! * x2 - m[o1 + i0 + 3]! * x3) / m[o1 + i0 + 1]!;
      const x0 = (m[bo + i0]! - s0 - m[o0 + i0 + 1]! * x1 - m[o0 + i0 + 2]! * x2 - m[o0 + i0 + 3]! * x3) / m[o0 + i0]!;
      m[bo + i0] = x0;
      m[bo + i0 + 1] = x1;
      m[bo + i0 + 2] = x2;
      m[bo + i0 + 3] = x3;
    }
    for (let i = top - 1; i >= 0; i--) {
      const ri = i * n;
      let s = 0;
      for (let j = i + 1; j < n; j++) s += m[ri + j]! * m[bo + j]!;
      m[bo + i] = (m[bo + i]! - s) / m[ri + i]!;
    }
    b.set(m.subarray(bo, bo + n));
  };
  return { solve, release: own.release };
}

/** Scratch rows in a kernel's memory with the SIMD four-row update between them. */
export interface SimdRowWorkspace {
  /** The scratch store (zero on creation), a view into the kernel's memory. */
  mem: Float64Array;
  /** mem[y + c] −= Σ_{r<4} z_r·mem[u + r·ld + c] for c < len (offsets and ld in entries of mem). */
  axpy4(y: number, u: number, ld: number, len: number, z0: number, z1: number, z2: number, z3: number): void;
  /** Hands the kernel back; mem must not be used and axpy4 throws afterwards. */
  release(): void;
}

/**
 * A zeroed scratch store of `doubles` entries in the memory of a kernel owned by the caller until release(),
 * with {@link SimdRowWorkspace.axpy4}, for the panel updates of the blocked Cholesky factorization.
 */
export function createSimdRowWorkspace(doubles: number): SimdRowWorkspace {
  if (!Number.isInteger(doubles) || doubles < 0) throw new RangeError(`createSimdRowWorkspace: doubles must be a non-negative integer, got ${doubles}`);
  const inst = pool.acquire();
  return rowWorkspaceOn(inst, doubles, doubles, () => pool.release(inst));
}

/** A zeroed workspace of `doubles` entries on `inst` (its memory grown to at least `reserve`); release: giveBack. */
function rowWorkspaceOn(inst: TriangularInstance, doubles: number, reserve: number, giveBack: () => void): SimdRowWorkspace {
  const own = ownership('simd axpy4', giveBack);
  const mem = float64Memory(inst.memory, reserve).subarray(0, doubles);
  mem.fill(0);
  const axpy4 = inst.axpy4;
  return {
    mem,
    release: own.release,
    axpy4(y, u, ld, len, z0, z1, z2, z3) {
      own.check();
      if (y < 0 || u < 0 || len < 0 || y + len > doubles || u + 3 * ld + len > doubles) {
        throw new RangeError(`simd axpy4: rows at ${y} and ${u} (stride ${ld}) of length ${len} do not fit ${doubles} entries`);
      }
      axpy4(y * 8, u * 8, ld * 8, len, z0, z1, z2, z3);
      if ((len & 1) === 1) {
        const c = len - 1;
        mem[y + c] = mem[y + c]! - (mem[u + c]! * z0 + mem[u + ld + c]! * z1 + mem[u + 2 * ld + c]! * z2 + mem[u + 3 * ld + c]! * z3);
      }
    },
  };
}

/** An orthonormal-basis store in WebAssembly memory with the SIMD projection of a work vector against it. */
export interface SimdBasis {
  /** The basis rows [rows, n] (zero on creation), a view into the kernel's memory. */
  V: Float64Array;
  /** The work vector [n], a view into the kernel's memory. */
  x: Float64Array;
  /** x ← x − Σ_{from≤p<to} (V_p·x) V_p, with coef[p] = V_p·x (classical Gram–Schmidt, one pass). */
  projectOut(from: number, to: number, coef: Float64Array): void;
  /** Hands the kernel back; V and x must not be used and projectOut throws afterwards. */
  release(): void;
}

/**
 * A basis of `rows` vectors of length n and a work vector in the memory of a kernel owned by the caller until
 * release(), for the reorthogonalization of the Lanczos iteration: four basis rows per pass for the dots and
 * for the update.
 */
export function createSimdBasis(rows: number, n: number): SimdBasis {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`createSimdBasis: rows and n must be positive integers, got ${rows}, ${n}`);
  }
  const inst = pool.acquire();
  const own = ownership('simd basis', () => pool.release(inst));
  const doubles = rows * n + n + 8;
  const mem = float64Memory(inst.memory, doubles);
  mem.fill(0);
  const V = mem.subarray(0, rows * n);
  const xo = rows * n;
  const x = mem.subarray(xo, xo + n);
  const out = xo + n;
  const ld = n * 8;
  const even = n & ~1;
  const { axpy4, dot4 } = inst;
  return {
    V,
    x,
    release: own.release,
    projectOut(from, to, coef) {
      own.check();
      if (!(from >= 0 && from <= to && to <= rows)) throw new RangeError(`simd basis: rows [${from}, ${to}) outside [0, ${rows})`);
      let p = from;
      for (; p + 4 <= to; p += 4) {
        const o = p * n;
        dot4(xo * 8, o * 8, ld, n, out * 8);
        for (let r = 0; r < 4; r++) {
          let s = mem[out + 2 * r]! + mem[out + 2 * r + 1]!;
          if (even < n) s += mem[o + r * n + even]! * mem[xo + even]!;
          coef[p + r] = s;
        }
      }
      for (; p < to; p++) {
        const o = p * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += mem[o + i]! * mem[xo + i]!;
        coef[p] = s;
      }
      p = from;
      for (; p + 4 <= to; p += 4) {
        const o = p * n;
        const z0 = coef[p]!;
        const z1 = coef[p + 1]!;
        const z2 = coef[p + 2]!;
        const z3 = coef[p + 3]!;
        axpy4(xo * 8, o * 8, ld, n, z0, z1, z2, z3);
        if (even < n)
          mem[xo + even] = mem[xo + even]! - (z0 * mem[o + even]! + z1 * mem[o + n + even]! + z2 * mem[o + 2 * n + even]! + z3 * mem[o + 3 * n + even]!);
      }
      for (; p < to; p++) {
        const o = p * n;
        const c = coef[p]!;
        for (let i = 0; i < n; i++) mem[xo + i] = mem[xo + i]! - c * mem[o + i]!;
      }
    },
  };
}
