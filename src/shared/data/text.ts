/**
 * Text files from users: decoded the same way in the page, the service and the CLI, so that a file
 * saved as UTF-16 (Excel's "Unicode text") either works or is refused with a hint, never parsed as
 * garbage.
 */

/** Decoded text, or why the bytes are not text we can read (with a hint naming the encoding). */
export type DecodedText = { ok: true; text: string; encoding: 'utf-8' | 'utf-16le' | 'utf-16be' } | { ok: false; message: string };

/**
 * Decodes a text file: UTF-8 (a byte-order mark is dropped), or UTF-16 LE/BE when the file starts with
 * its byte-order mark. UTF-16 without a mark (NUL bytes in every other position) and bytes that are not
 * valid UTF-8 are refused with a message that says which encoding it looks like and to save as UTF-8.
 */
export function decodeTextFile(bytes: Uint8Array, label: string): DecodedText {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { ok: true, text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { ok: true, text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const sample = body.subarray(0, 4096);
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== 0) continue;
    if (i % 2 === 0) evenNul++;
    else oddNul++;
  }
  if (sample.length >= 4 && (oddNul >= sample.length / 4 || evenNul >= sample.length / 4)) {
    const order = oddNul > evenNul ? 'UTF-16 little-endian' : 'UTF-16 big-endian';
    return { ok: false, message: `${label} looks like ${order} text without a byte-order mark; save it as UTF-8 (or UTF-16 with a byte-order mark)` };
  }
  if (evenNul + oddNul > 0) return { ok: false, message: `${label} contains NUL bytes: it is not a text file` };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    let at = 0;
    // Report where: the first offset at which the UTF-8 prefix stops decoding.
    for (let lo = 0, hi = body.length; lo < hi;) {
      const mid = (lo + hi + 1) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, mid), { stream: true });
        lo = mid;
        at = mid;
      } catch {
        hi = mid - 1;
      }
    }
    return { ok: false, message: `${label} is not UTF-8 text (invalid byte near offset ${at}; a Latin-1 or Windows-1252 file?); save it as UTF-8` };
  }
}
