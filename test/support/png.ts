/**
 * A small PNG decoder for tests (8-bit RGB/RGBA, not interlaced, which is what resvg and Chromium write):
 * enough to check a figure's size and that it is not blank, without an image library.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, row-major */
  pixels: Uint8Array;
}

/** Decodes a PNG; throws on anything it does not handle. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const b = Buffer.from(bytes);
  if (!b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG');
  let p = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (p < b.length) {
    const len = b.readUInt32BE(p);
    const type = b.toString('latin1', p + 4, p + 8);
    const data = b.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  const ch = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (ch === 0) throw new Error(`colour type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * ch;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? cur[i - ch]! : 0;
      const up = prev[i]!;
      const c = i >= ch ? prev[i - ch]! : 0;
      let v = row[i]!;
      if (f === 1) v += a;
      else if (f === 2) v += up;
      else if (f === 3) v += (a + up) >> 1;
      else if (f === 4) {
        const pp = a + up - c;
        const pa = Math.abs(pp - a);
        const pb = Math.abs(pp - up);
        const pc = Math.abs(pp - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      cur[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = cur[x * ch + k]!;
      out[(y * width + x) * 4 + 3] = ch === 4 ? cur[x * ch + 3]! : 255;
    }
    prev.set(cur);
  }
  return { width, height, pixels: out };
}

/** Share of pixels that are not (near) white, and the number of distinct colours (quantized). */
export function inkStats(png: DecodedPng): { inkShare: number; colours: number } {
  let ink = 0;
  const colours = new Set<number>();
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const r = png.pixels[i * 4]!;
    const g = png.pixels[i * 4 + 1]!;
    const bl = png.pixels[i * 4 + 2]!;
    if (r < 240 || g < 240 || bl < 240) ink++;
    colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (bl >> 4));
  }
  return { inkShare: ink / n, colours: colours.size };
}
