/** Shared fixtures for the session-store tests: temp data dirs, a config file, tree hashing, fs fault injection. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { defaultConfig } from '../../../../src/shared/config/schema';
import type { RunConfigFile } from '../../../../src/shared/run/format';
import { realFs, type FsLayer } from '../../../../src/main/services/fsAtomic';

export function tempDir(prefix = 'ntk-sessions-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function configFile(runId = 'run-test'): RunConfigFile {
  return {
    schemaVersion: 1,
    runId,
    config: { ...defaultConfig(), hiddenWidth: 64, regime: 'joint', steps: 100 },
    appVersion: '0.1.0-test',
    backend: 'js',
    dtype: 'float64',
    startedAt: '2024-01-02T03:04:05.000Z',
    machine: { platform: 'linux', arch: 'x64', cpus: 2, node: 'v20' },
  };
}

/** sha256 of every file (path, type, bytes, symlink target) under a folder: equal before and after means unchanged. */
export function hashTree(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      h.update(path.relative(root, p) + '\0');
      if (st.isSymbolicLink()) h.update('L' + fs.readlinkSync(p));
      else if (st.isDirectory()) {
        h.update('D');
        walk(p);
      } else if (st.size > 16 * 1024 * 1024) {
        // Huge (sparse) fixtures: size and mtime show a change without reading a gigabyte.
        h.update('F' + st.size);
      } else h.update(fs.readFileSync(p));
      h.update(String(st.mtimeMs));
    }
  };
  walk(root);
  return h.digest('hex');
}

/** A real fs whose calls can be made to fail and whose fsyncs are counted. */
export function faultyFs(): FsLayer & { failWrites: string | null; failRenames: string | null; fsyncs: number } {
  const layer = {
    ...realFs,
    failWrites: null as string | null,
    failRenames: null as string | null,
    fsyncs: 0,
    writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number {
      if (layer.failWrites) {
        // Write part of the buffer first, as a filling disk does, then fail.
        const half = Math.max(1, Math.floor((length ?? data.length) / 2));
        realFs.writeSync(fd, data, offset, half, position);
        throw Object.assign(new Error(`${layer.failWrites}: no space left on device, write`), { code: layer.failWrites });
      }
      return realFs.writeSync(fd, data, offset, length, position);
    },
    renameSync(a: string, b: string): void {
      if (layer.failRenames) throw Object.assign(new Error(`${layer.failRenames}: rename`), { code: layer.failRenames });
      realFs.renameSync(a, b);
    },
    fsyncSync(fd: number): void {
      layer.fsyncs++;
      realFs.fsyncSync(fd);
    },
  };
  return layer;
}
