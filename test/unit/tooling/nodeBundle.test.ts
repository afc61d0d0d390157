/**
 * The CLI's compiled form (issue 13: start-up; scripts/node-bundle.mjs): it is what bin/ntk-workbench.mjs runs
 * while it matches the sources, it is rebuilt when a source changes, and it behaves exactly as the TypeScript
 * sources do (NTK_WORKBENCH_FROM_SOURCE=1).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { currentBundle, ensureBundle, sourceStamp } from '../../../scripts/node-bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the compiled CLI (out/node)', () => {
  it('is built from the sources as they are, and its engine worker file sits beside it', { timeout: 120_000 }, async () => {
    const b = await ensureBundle();
    expect(currentBundle()).toBe(b.cli);
    expect(fs.existsSync(fileURLToPath(b.cli))).toBe(true);
    expect(fs.existsSync(fileURLToPath(b.worker))).toBe(true);
    // The folder is named after the stamp of the sources: a changed source names another folder.
    expect(b.cli).toContain(`/out/node/${sourceStamp().slice(0, 20)}/`);
  });

  it('the stamp changes when a watched source changes', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-stamp-'));
    try {
      fs.mkdirSync(path.join(tmp, 'src/main'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'src/shared'), { recursive: true });
      const f = path.join(tmp, 'src/main/a.ts');
      fs.writeFileSync(f, 'export const a = 1;\n');
      fs.utimesSync(f, 1_000, 1_000);
      const s1 = sourceStamp(tmp);
      expect(sourceStamp(tmp)).toBe(s1);
      fs.writeFileSync(f, 'export const a = 2;\n');
      fs.utimesSync(f, 2_000, 2_000);
      expect(sourceStamp(tmp)).not.toBe(s1);
      const s2 = sourceStamp(tmp);
      fs.writeFileSync(path.join(tmp, 'src/shared/b.ts'), '');
      expect(sourceStamp(tmp)).not.toBe(s2);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('trains exactly as the TypeScript sources do: same records, same summary', { timeout: 300_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bundle-'));
    try {
      const config = path.join(dir, 'config.json');
      fs.writeFileSync(
        config,
        JSON.stringify({ samples: 12, testSamples: 3, inputDim: 4, hiddenWidth: 32, steps: 30, trackEvery: 10, backend: 'js', dtype: 'float64', seed: 2 }),
      );
      const a = cli({}, 'train', '--config', config, '--out', path.join(dir, 'a'), '--json');
      const b = cli({ NTK_WORKBENCH_FROM_SOURCE: '1' }, 'train', '--config', config, '--out', path.join(dir, 'b'), '--json');
      expect(a.code, a.err).toBe(0);
      expect(b.code, b.err).toBe(0);
      expect(a.err).not.toContain('running from the TypeScript sources');
      const records = (run: string) =>
        fs
          .readFileSync(path.join(dir, run, 'metrics.ndjson'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const { wallMs: _w, ...r } = JSON.parse(l) as Record<string, unknown>;
            return r;
          });
      expect(records('a')).toEqual(records('b'));
      expect(records('a')).toHaveLength(31);
      const summary = (s: string) => {
        const o = JSON.parse(s) as Record<string, unknown>;
        delete o.runId;
        delete o.runDir;
        delete o.wallMs;
        return o;
      };
      expect(Object.keys(summary(a.out)).length).toBeGreaterThan(3);
      expect(summary(a.out)).toEqual(summary(b.out));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('loads no library at start that only some commands use (Redis, PNG figures, tfjs): each is loaded on first use', { timeout: 120_000 }, async () => {
    const b = await ensureBundle();
    // The CLI module loaded as bin/ntk-workbench.mjs loads it, then the packages Node has read from node_modules.
    const probe = `await import(${JSON.stringify(b.cli)}); const { default: M } = await import('node:module');
      const { readFileSync } = await import('node:fs');
      let mapped = [];
      try { mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(' ').pop()); } catch {}
      const files = [...Object.keys(M._cache), ...mapped];
      console.log(JSON.stringify(files));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const loaded = (JSON.parse(r.stdout) as string[]).filter((f) => f.includes('node_modules'));
    // Loaded at start for every command: the CLI's own parser and schemas.
    expect(loaded.some((f) => f.includes('/node_modules/commander/'))).toBe(true);
    for (const lib of ['/node_modules/bullmq/', '/node_modules/ioredis/', '/node_modules/@resvg/', '/node_modules/@tensorflow/', '/node_modules/echarts/']) {
      expect(
        loaded.filter((f) => f.includes(lib)),
        lib,
      ).toEqual([]);
    }
  });
});
