// Where Electron's binary is, without triggering its download (require('electron') would try to fetch it).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Path of the downloaded Electron binary, or null with the reason. */
export function findElectronBinary() {
  let dir;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { path: null, reason: "Electron's binary has not been downloaded (run `npx install-electron` on a networked machine)" };
  const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(bin)) return { path: null, reason: `Electron's binary is missing at ${bin} (run \`npx install-electron\`)` };
  return { path: bin, reason: 'found' };
}
