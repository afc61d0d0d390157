/**
 * Triangular solves with an upper Cholesky factor in WebAssembly SIMD (f64x2), for the shift-invert
 * iterations of the smallest eigenvalues (SPEC §8): each iteration solves Uᵀ U x = b, 2n² flops that the
 * scalar TypeScript loops run at a third of SIMD speed. The factor is copied into the module's memory once
 * and reused for every solve. Assembled from bytes as in simdDot.ts; {@link createSimdCholeskySolve} returns
 * null without WebAssembly SIMD, and callers keep {@link choleskyUpperSolve}.
 */
import { simdKernelsEnabled } from './simdGemm';
import { float64Memory, leb, name, section } from './wasmBytes';

type Axpy4Fn = (y: number, u: number, ld: number, len: number, z0: number, z1: number, z2: number, z3: number) => void;
type Dot4Fn = (x: number, u: number, ld: number, len: number, out: number) => void;

interface TriModule {
  axpy4: Axpy4Fn;
  dot4: Dot4Fn;
  memory: WebAssembly.Memory;
}

/** Slot 0: the Cholesky solve and its row workspace; slot 1: the Lanczos basis ({@link createSimdBasis}). */
const cached: (TriModule | null | undefined)[] = [undefined, undefined];
/** Bumped by every solver built, so that a stale solver (its factor overwritten) throws instead of lying. */
let generation = 0;

const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const i32add = 0x6a;
const v128Load = (base: number): number[] => [...get(base), 0xfd, 0x00, 4, 0];
const mul = [0xfd, ...leb(242)];
const add = [0xfd, ...leb(240)];
const sub = [0xfd, ...leb(241)];
const bump16 = (i: number): number[] => [...get(i), 0x41, 16, i32add, ...set(i)];

/**
 * (func $axpy4 (param $y $u $ld $len i32) (param $z0 $z1 $z2 $z3 f64)): y[c] −= Σ_r z_r·U_r[c] for c < len
 * rounded down to even, U_r = the row at byte $u + r·$ld. Locals: 8 end, 9–11 U_1..U_3 (i32), 12–15 splat z.
 */
function axpy4Body(): number[] {
  const rows = [1, 9, 10, 11];
  const terms: number[] = [];
  for (let r = 0; r < 4; r++) terms.push(...v128Load(rows[r]!), ...get(12 + r), ...mul, ...sub);
  return [
    2, 4, 0x7f, 4, 0x7b,
    ...get(0), ...get(3), 0x41, 0x7e, 0x71, 0x41, 3, 0x74, i32add, ...set(8), // end = y + (len & ~1)·8
    ...get(1), ...get(2), i32add, ...set(9),
    ...get(9), ...get(2), i32add, ...set(10),
    ...get(10), ...get(2), i32add, ...set(11),
    ...[4, 5, 6, 7].flatMap((z, r) => [...get(z), 0xfd, 0x14, ...set(12 + r)]),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(8), 0x4f, 0x0d, 1,
    ...get(0), ...v128Load(0), ...terms, 0xfd, 0x0b, 4, 0,
    ...bump16(0), ...bump16(1), ...bump16(9), ...bump16(10), ...bump16(11),
    0x0c, 0, 0x0b, 0x0b,
    0x0b,
  ];
}

/**
 * (func $dot4 (param $x $u $ld $len $out i32)): out[2r..2r+1] = the two lanes of Σ_c U_r[c]·x[c] for c < len
 * rounded down to even. Locals: 5 end, 6–8 U_1..U_3 (i32), 9–12 accumulators, 13 x (v128).
 */
function dot4Body(): number[] {
  const rows = [1, 6, 7, 8];
  const acc: number[] = [];
  for (let r = 0; r < 4; r++) acc.push(...get(9 + r), ...v128Load(rows[r]!), ...get(13), ...mul, ...add, ...set(9 + r));
  const stores: number[] = [];
  for (let r = 0; r < 4; r++) stores.push(...get(4), ...get(9 + r), 0xfd, 0x0b, 4, ...leb(16 * r));
  return [
    2, 4, 0x7f, 5, 0x7b,
    ...get(0), ...get(3), 0x41, 0x7e, 0x71, 0x41, 3, 0x74, i32add, ...set(5),
    ...get(1), ...get(2), i32add, ...set(6),
    ...get(6), ...get(2), i32add, ...set(7),
    ...get(7), ...get(2), i32add, ...set(8),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(5), 0x4f, 0x0d, 1,
    ...v128Load(0), ...set(13),
    ...acc,
    ...bump16(0), ...bump16(1), ...bump16(6), ...bump16(7), ...bump16(8),
    0x0c, 0, 0x0b, 0x0b,
    ...stores,
    0x0b,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const a = axpy4Body();
  const d = dot4Body();
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [2, 0x60, 8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c, 0x7c, 0x7c, 0x7c, 0, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0, 1]),
    ...section(7, [3, ...name('axpy4'), 0, 0, ...name('dot4'), 0, 1, ...name('mem'), 2, 0]),
    ...section(10, [2, ...leb(a.length), ...a, ...leb(d.length), ...d]),
  ]);
}

function load(slot = 0): TriModule | null {
  const have = cached[slot];
  if (have !== undefined) return have;
  let mod: TriModule | null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const exp = instance.exports as { axpy4: Axpy4Fn; dot4: Dot4Fn; mem: WebAssembly.Memory };
    mod = { axpy4: exp.axpy4, dot4: exp.dot4, memory: exp.mem };
  } catch {
    mod = null;
  }
  cached[slot] = mod;
  return mod;
}

/**
 * Solver of Uᵀ U x = b for the upper factor U [n, n] (row-major) of {@link choleskyUpperBlocked}: U is copied
 * once into WebAssembly memory; the returned function overwrites b [n] with x. It must not be used after
 * another createSimdCholeskySolve call (the module's memory is shared; it throws if it is). Returns null without WebAssembly SIMD.
 */
export function createSimdCholeskySolve(u: Float64Array, n: number): ((b: Float64Array) => void) | null {
  if (u.length !== n * n) throw new RangeError(`createSimdCholeskySolve: u has ${u.length} entries, expected ${n * n} for shape [${n}, ${n}]`);
  if (!simdKernelsEnabled()) return null;
  const mod = load(0);
  if (mod === null) return null;
  const doubles = n * n + n + 8;
  const m = float64Memory(mod.memory, doubles);
  m.set(u, 0);
  const bo = n * n;
  const out = bo + n;
  const ld = n * 8;
  const { axpy4, dot4 } = mod;
  const mine = ++generation;
  return (b) => {
    if (mine !== generation) throw new Error('simd Cholesky solve: a later createSimdCholeskySolve call replaced this factor');
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
}

/** Scratch rows in this module's memory with the SIMD four-row update between them. */
export interface SimdRowWorkspace {
  /** The scratch store (zero on creation), a view into the module's memory. */
  mem: Float64Array;
  /** mem[y + c] −= Σ_{r<4} z_r·mem[u + r·ld + c] for c < len (offsets and ld in entries of mem). */
  axpy4(y: number, u: number, ld: number, len: number, z0: number, z1: number, z2: number, z3: number): void;
}

/**
 * A zeroed scratch store of `doubles` entries in this module's memory with {@link SimdRowWorkspace.axpy4},
 * for the panel updates of the blocked Cholesky factorization. It replaces any earlier workspace or solver
 * of this module (those throw afterwards). Returns null without WebAssembly SIMD.
 */
export function createSimdRowWorkspace(doubles: number): SimdRowWorkspace | null {
  if (!Number.isInteger(doubles) || doubles < 0) throw new RangeError(`createSimdRowWorkspace: doubles must be a non-negative integer, got ${doubles}`);
  if (!simdKernelsEnabled()) return null;
  const mod = load(0);
  if (mod === null) return null;
  const mem = float64Memory(mod.memory, doubles);
  mem.fill(0);
  const axpy4 = mod.axpy4;
  const mine = ++generation;
  return {
    mem,
    axpy4(y, u, ld, len, z0, z1, z2, z3) {
      if (mine !== generation) throw new Error('simd axpy4: a later createSimdRowWorkspace or createSimdCholeskySolve call replaced this workspace');
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
  /** The basis rows [rows, n] (zero on creation), a view into the module's memory. */
  V: Float64Array;
  /** The work vector [n], a view into the module's memory. */
  x: Float64Array;
  /** x ← x − Σ_{from≤p<to} (V_p·x) V_p, with coef[p] = V_p·x (classical Gram–Schmidt, one pass). */
  projectOut(from: number, to: number, coef: Float64Array): void;
}

let basisGeneration = 0;

/**
 * A basis of `rows` vectors of length n and a work vector in the second instance of this module (so that a
 * shift-invert Lanczos can keep its Cholesky solve in the first), for the reorthogonalization of the
 * Lanczos iteration: four basis rows per pass for the dots and for the update. Only the latest basis is
 * valid (the memory is reused): an older one throws. Returns null without WebAssembly SIMD.
 */
export function createSimdBasis(rows: number, n: number): SimdBasis | null {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`createSimdBasis: rows and n must be positive integers, got ${rows}, ${n}`);
  }
  if (!simdKernelsEnabled()) return null;
  const mod = load(1);
  if (mod === null) return null;
  const doubles = rows * n + n + 8;
  const mem = float64Memory(mod.memory, doubles);
  mem.fill(0);
  const V = mem.subarray(0, rows * n);
  const xo = rows * n;
  const x = mem.subarray(xo, xo + n);
  const out = xo + n;
  const ld = n * 8;
  const even = n & ~1;
  const { axpy4, dot4 } = mod;
  const mine = ++basisGeneration;
  return {
    V,
    x,
    projectOut(from, to, coef) {
      if (mine !== basisGeneration) throw new Error('simd basis: a later createSimdBasis call replaced this basis');
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
        if (even < n) mem[xo + even] = mem[xo + even]! - (z0 * mem[o + even]! + z1 * mem[o + n + even]! + z2 * mem[o + 2 * n + even]! + z3 * mem[o + 3 * n + even]!);
      }
      for (; p < to; p++) {
        const o = p * n;
        const c = coef[p]!;
        for (let i = 0; i < n; i++) mem[xo + i] = mem[xo + i]! - c * mem[o + i]!;
      }
    },
  };
}
