import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR_ENV, resolveDataDir } from '../../../../src/main/services/dataDir';
import { tempDir } from './sessionFixtures';

describe('resolveDataDir()', () => {
  it('prefers the --data-dir flag over the environment, and creates the folder', () => {
    const base = tempDir();
    const flag = path.join(base, 'from-flag', 'nested');
    const dir = resolveDataDir({ flag, env: { [DATA_DIR_ENV]: path.join(base, 'from-env') } });
    expect(dir).toBe(flag);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(base, 'from-env'))).toBe(false);
  });

  it('uses NTK_WORKBENCH_DATA_DIR when there is no flag, as an absolute path', () => {
    const base = tempDir();
    const dir = resolveDataDir({ env: { [DATA_DIR_ENV]: path.join(base, 'env') } });
    expect(dir).toBe(path.join(base, 'env'));
    expect(path.isAbsolute(resolveDataDir({ flag: path.relative(process.cwd(), path.join(base, 'rel')), env: {} }))).toBe(true);
  });

  it('falls back to the platform data folder named ntk-workbench (no -nodejs suffix)', () => {
    const base = tempDir();
    const saved = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = base;
    try {
      const dir = resolveDataDir({ env: {} });
      if (process.platform === 'linux') expect(dir).toBe(path.join(base, 'ntk-workbench'));
      expect(path.basename(dir)).toMatch(/^ntk-workbench/);
      expect(dir).not.toMatch(/nodejs/);
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
    }
  });
});
