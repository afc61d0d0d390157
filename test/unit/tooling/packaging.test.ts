/**
 * The desktop packaging as configured (electron-builder.json) and the icons of resources/, checked offline:
 * the config passes electron-builder's own schema, builds AppImage, deb, dmg and NSIS, flips the security
 * fuses, and every icon file holds the sizes it claims. (`npm run dist` itself downloads Electron.)
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const config = JSON.parse(readFileSync(path.join(repo, 'electron-builder.json'), 'utf8'));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Buffer): [number, number] {
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('electron-builder.json', () => {
  it("passes electron-builder's own configuration schema", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } }, new DebugLogger(false))).rejects.toThrow(
      /configuration/,
    );
  });

  it('builds AppImage and deb, dmg and an NSIS installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).scripts.dist).toBe('electron-vite build && electron-builder');
  });

  it('flips the hardening fuses: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect; the app only from an integrity-checked asar', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('ships the icons and sample data that exist in resources/', () => {
    for (const r of config.extraResources as { from: string }[]) expect(existsSync(path.join(repo, r.from)), r.from).toBe(true);
    for (const f of [config.mac.icon, config.win.icon, config.nsis.installerIcon]) expect(existsSync(path.join(repo, f)), f).toBe(true);
  });
});

describe('resources/ icons', () => {
  it('has a PNG of every Linux size, of the size its name says', () => {
    for (const s of [16, 24, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(readFileSync(path.join(repo, `resources/icons/${s}x${s}.png`))), `${s}`).toEqual([s, s]);
    }
    expect(pngSize(readFileSync(path.join(repo, 'resources/icon.png')))).toEqual([1024, 1024]);
  });

  it('has a Windows .ico whose entries point at PNGs of the sizes in its directory, 256 included', () => {
    const b = readFileSync(path.join(repo, 'resources/icon.ico'));
    expect([b.readUInt16LE(0), b.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes: number[] = [];
    for (let i = 0; i < b.readUInt16LE(4); i++) {
      const e = 6 + 16 * i;
      const size = b.readUInt8(e) || 256;
      const png = b.subarray(b.readUInt32LE(e + 12), b.readUInt32LE(e + 12) + b.readUInt32LE(e + 8));
      expect(pngSize(png)).toEqual([size, size]);
      sizes.push(size);
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
  });

  it('has a macOS .icns whose chunks add up to its length and hold PNGs of their types’ sizes', () => {
    const b = readFileSync(path.join(repo, 'resources/icon.icns'));
    expect(b.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(b.readUInt32BE(4)).toBe(b.length);
    const want: Record<string, number> = {
      icp4: 16,
      icp5: 32,
      icp6: 64,
      ic07: 128,
      ic08: 256,
      ic09: 512,
      ic10: 1024,
      ic11: 32,
      ic12: 64,
      ic13: 256,
      ic14: 512,
    };
    const seen: string[] = [];
    for (let o = 8; o < b.length;) {
      const type = b.subarray(o, o + 4).toString('ascii');
      const len = b.readUInt32BE(o + 4);
      const s = want[type]!;
      expect(pngSize(b.subarray(o + 8, o + len)), type).toEqual([s, s]);
      seen.push(type);
      o += len;
    }
    expect(seen).toEqual(expect.arrayContaining(['ic07', 'ic08', 'ic09', 'ic10']));
  });
});
