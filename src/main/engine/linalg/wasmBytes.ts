/**
 * Byte-level helpers for the hand-assembled WebAssembly modules of the linalg kernels (simdDot, simdGemm,
 * simdSymv, simdTriangular): unsigned LEB128, sections and names of the binary format.
 */

/** Unsigned LEB128 encoding of n, as WebAssembly binaries write sizes and indices. */
export function leb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** A WebAssembly module section: id, byte length, body. */
export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

/** A WebAssembly name (length-prefixed ASCII). */
export function name(s: string): number[] {
  return [...leb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}
