/**
 * Plain TypeScript references for the WebAssembly kernels of src/main/engine/linalg: the oracles the SIMD
 * paths are tested against. They were the engine's fallbacks for runtimes without WebAssembly SIMD, which
 * the engine never meets (Node ≥ 20 and Electron have SIMD and shared memory), so they live here now.
 * - choleskyLower/choleskySolve: the unblocked factorization and solve that the blocked upper factor and the
 *   SIMD triangular solves must agree with;
 * - choleskyUpperSolve: the triangular solves of simdTriangular.ts's createSimdCholeskySolve, four rows per pass;
 * - the tile, rotation and symmetric-product kernels are checked against naive loops inside their tests.
 */

/**
 * Lower Cholesky factor of (A − σI) = L Lᵀ for symmetric A [n, n] (row-major; lower triangle read, A not
 * modified). Returns L [n, n] (row-major, upper part zero), or null when a pivot is not positive beyond
 * round-off, i.e. A − σI is not numerically positive definite.
 */
export function choleskyLower(a: Float64Array, n: number, shift = 0): Float64Array | null {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]! - shift));
  const pivotFloor = n * 2 ** -52 * maxDiag;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p + 4 <= j; p += 4) {
        s0 += l[ri + p]! * l[rj + p]!;
        s1 += l[ri + p + 1]! * l[rj + p + 1]!;
        s2 += l[ri + p + 2]! * l[rj + p + 2]!;
        s3 += l[ri + p + 3]! * l[rj + p + 3]!;
      }
      for (; p < j; p++) s0 += l[ri + p]! * l[rj + p]!;
      const s = a[ri + j]! - (i === j ? shift : 0) - (s0 + s1 + (s2 + s3));
      if (i === j) {
        if (!(s > pivotFloor)) return null;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  return l;
}

/** Solves L Lᵀ x = b in place (b [n] becomes x) for the lower factor L [n, n] of {@link choleskyLower}. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[ri + p]! * b[p]!;
    b[i] = s / l[ri + i]!;
  }
  for (let j = n - 1; j >= 0; j--) {
    const rj = j * n;
    const xj = b[j]! / l[rj + j]!;
    b[j] = xj;
    for (let i = 0; i < j; i++) b[i] = b[i]! - l[rj + i]! * xj;
  }
}

/** Solves Uᵀ U x = b in place (b [n] becomes x) for the upper factor U [n, n] of {@link choleskyUpperBlocked}. */
export function choleskyUpperSolve(u: Float64Array, n: number, b: Float64Array): void {
  if (u.length !== n * n || b.length !== n) {
    throw new RangeError(`choleskyUpperSolve: u has ${u.length} entries (expected ${n * n} for [${n}, ${n}]), b has shape [${b.length}] (expected [${n}])`);
  }
  // Uᵀ z = b, four rows of U per pass: the 4×4 triangle gives z[p..p+3], then one fused axpy of the four
  // rows updates the rest of b (8 flops per load/store pair of b instead of 2).
  let p = 0;
  for (; p + 4 <= n; p += 4) {
    const o0 = p * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const z0 = b[p]! / u[o0 + p]!;
    const z1 = (b[p + 1]! - u[o0 + p + 1]! * z0) / u[o1 + p + 1]!;
    const z2 = (b[p + 2]! - u[o0 + p + 2]! * z0 - u[o1 + p + 2]! * z1) / u[o2 + p + 2]!;
    const z3 = (b[p + 3]! - u[o0 + p + 3]! * z0 - u[o1 + p + 3]! * z1 - u[o2 + p + 3]! * z2) / u[o3 + p + 3]!;
    b[p] = z0;
    b[p + 1] = z1;
    b[p + 2] = z2;
    b[p + 3] = z3;
    for (let i = p + 4; i < n; i++) {
      b[i] = b[i]! - (u[o0 + i]! * z0 + u[o1 + i]! * z1 + u[o2 + i]! * z2 + u[o3 + i]! * z3);
    }
  }
  for (; p < n; p++) {
    const rp = p * n;
    const zp = b[p]! / u[rp + p]!;
    b[p] = zp;
    for (let i = p + 1; i < n; i++) b[i] = b[i]! - u[rp + i]! * zp;
  }
  // U x = z from the bottom, four rows per pass sharing each load of x; the ragged top rows come last.
  let top = n;
  for (; top - 4 >= 0; top -= 4) {
    const i0 = top - 4;
    const o0 = i0 * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = top; j < n; j++) {
      const xj = b[j]!;
      s0 += u[o0 + j]! * xj;
      s1 += u[o1 + j]! * xj;
      s2 += u[o2 + j]! * xj;
      s3 += u[o3 + j]! * xj;
    }
    const x3 = (b[i0 + 3]! - s3) / u[o3 + i0 + 3]!;
    const x2 = (b[i0 + 2]! - s2 - u[o2 + i0 + 3]! * x3) / u[o2 + i0 + 2]!;
    const x1 = (b[i0 + 1]! - s1 - u[o1 + i0 + 2]! * x2 - u[o1 + i0 + 3]! * x3) / u[o1 + i0 + 1]!;
    const x0 = (b[i0]! - s0 - u[o0 + i0 + 1]! * x1 - u[o0 + i0 + 2]! * x2 - u[o0 + i0 + 3]! * x3) / u[o0 + i0]!;
    b[i0] = x0;
    b[i0 + 1] = x1;
    b[i0 + 2] = x2;
    b[i0 + 3] = x3;
  }
  for (let i = top - 1; i >= 0; i--) {
    const ri = i * n;
    let s = 0;
    for (let j = i + 1; j < n; j++) s += u[ri + j]! * b[j]!;
    b[i] = (b[i]! - s) / u[ri + i]!;
  }
}
