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

/**
 * A float64 view of the first `doubles` entries of a module's memory, growing the memory only when it is
 * smaller (so views made earlier stay valid unless this call grows it).
 */
export function float64Memory(memory: WebAssembly.Memory, doubles: number): Float64Array {
  const have = memory.buffer.byteLength;
  if (doubles * 8 > have) memory.grow(Math.ceil((doubles * 8 - have) / 65536));
  return new Float64Array(memory.buffer, 0, doubles);
}
