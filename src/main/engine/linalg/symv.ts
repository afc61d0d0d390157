/** The symmetric matrix–vector product on the stored upper triangle (TypeScript kernel). */

/**
 * y[r] += Σ_{c ≥ r0} S[r, c]·x[xOff + c] for r ≥ r0, where S is the symmetric matrix whose upper triangle is
 * stored in a [n, n] (row-major): each stored entry is read once and used twice (half the memory traffic of a
 * plain product), four rows per pass so that y is loaded and stored once per four products.
 */
export function symvUpper(a: Float64Array, n: number, r0: number, x: Float64Array, xOff: number, y: Float64Array): void {
  let r = r0;
  for (; r + 4 <= n; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const v0 = x[xOff + r]!;
    const v1 = x[xOff + r + 1]!;
    const v2 = x[xOff + r + 2]!;
    const v3 = x[xOff + r + 3]!;
    // The 4×4 diagonal block, upper part only.
    const a01 = a[o0 + r + 1]!,
      a02 = a[o0 + r + 2]!,
      a03 = a[o0 + r + 3]!;
    const a12 = a[o1 + r + 2]!,
      a13 = a[o1 + r + 3]!,
      a23 = a[o2 + r + 3]!;
    let s0 = a[o0 + r]! * v0 + a01 * v1 + a02 * v2 + a03 * v3;
    let s1 = a01 * v0 + a[o1 + r + 1]! * v1 + a12 * v2 + a13 * v3;
    let s2 = a02 * v0 + a12 * v1 + a[o2 + r + 2]! * v2 + a23 * v3;
    let s3 = a03 * v0 + a13 * v1 + a23 * v2 + a[o3 + r + 3]! * v3;
    for (let c = r + 4; c < n; c++) {
      const b0 = a[o0 + c]!,
        b1 = a[o1 + c]!,
        b2 = a[o2 + c]!,
        b3 = a[o3 + c]!;
      const vc = x[xOff + c]!;
      s0 += b0 * vc;
      s1 += b1 * vc;
      s2 += b2 * vc;
      s3 += b3 * vc;
      y[c] = y[c]! + (b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3);
    }
    y[r] = y[r]! + s0;
    y[r + 1] = y[r + 1]! + s1;
    y[r + 2] = y[r + 2]! + s2;
    y[r + 3] = y[r + 3]! + s3;
  }
  for (; r < n; r++) {
    const rowR = r * n;
    const vr = x[xOff + r]!;
    let s = a[rowR + r]! * vr;
    for (let c = r + 1; c < n; c++) {
      const arc = a[rowR + c]!;
      s += arc * x[xOff + c]!;
      y[c] = y[c]! + arc * vr;
    }
    y[r] = y[r]! + s;
  }
}
