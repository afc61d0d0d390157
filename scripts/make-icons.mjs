#!/usr/bin/env node
// Renders resources/icon.svg into every icon the platforms need (run after editing the SVG; the outputs are
// committed): resources/icons/NxN.png (16…512) for Linux and the window, resources/icon.png (1024) for macOS,
// resources/icon.ico (16…256, PNG entries) for Windows and resources/icon.icns for macOS.
// `node scripts/make-icons.mjs` — needs only @resvg/resvg-js (no network, no ImageMagick).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const res = path.join(root, 'resources');
const svg = readFileSync(path.join(res, 'icon.svg'));

/** PNG bytes of the icon at size×size. */
export function render(size) {
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render().asPng();
}

/** An .ico holding PNG entries (Windows Vista and later read PNG-compressed entries; 256 is stored as 0). */
export function ico(pngs) {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt8(0, e + 2);
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...pngs.map((p) => p.png)]);
}

/** An .icns of PNG entries: 'icns' + total length, then per entry its OSType, length (with header) and PNG. */
export function icns(entries) {
  const parts = entries.map(({ type, png }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// OSTypes of PNG icons: 16/32/64 points and their @2x, 128, 256, 512 and their @2x
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const pngs = new Map(PNG_SIZES.map((s) => [s, render(s)]));
  mkdirSync(path.join(res, 'icons'), { recursive: true });
  // Linux icon sizes (the 1024 one is icon.png)
  for (const [s, png] of pngs) if (s <= 512) writeFileSync(path.join(res, 'icons', `${s}x${s}.png`), png);
  writeFileSync(path.join(res, 'icon.png'), pngs.get(1024));
  writeFileSync(path.join(res, 'icon.ico'), ico(ICO_SIZES.map((size) => ({ size, png: pngs.get(size) }))));
  writeFileSync(path.join(res, 'icon.icns'), icns(ICNS_TYPES.map(([type, size]) => ({ type, png: pngs.get(size) }))));
  process.stdout.write(`icons: ${PNG_SIZES.join(', ')} px, icon.ico (${ICO_SIZES.join(', ')}), icon.icns (${ICNS_TYPES.length} entries)\n`);
}
