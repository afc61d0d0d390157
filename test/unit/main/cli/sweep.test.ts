// `ntk-workbench experiment` and `sweep`: the argument contract, a small sweep, and its resumption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-cli-sweep-'));
  writeFileSync(
    path.join(dir, 'base.json'),
    JSON.stringify({ samples: 4, testSamples: 0, inputDim: 3, steps: 20, trackEvery: 10, backend: 'js', dtype: 'float64' }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntk-workbench experiment / sweep', () => {
  it.each([
    [['experiment', 'E42', '--out', 'x'], 'unknown preset'],
    [['experiment', 'E1', '--out', 'x', '--jobs', '0'], '--jobs'],
    [['experiment', 'E1', '--out', 'x', '--params', '{"seeds":[]}'], 'seeds'],
    [['sweep', '--config', 'base.json', '--grid', 'hiddenWidht=8,16', '--out', 's'], "unknown config key 'hiddenWidht'"],
    [['sweep', '--config', 'base.json', '--grid', 'hiddenWidth=0,16', '--out', 's'], 'hiddenWidth'],
    [['sweep', '--config', 'base.json', '--seeds', '5..1', '--out', 's'], '--seeds'],
  ])('%j exits 2 naming %s', (args, what) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(what);
  });

  it('sweep runs every cell into DIR/runs/<cellId>/ and a second run keeps them all', () => {
    const args = [
      'sweep',
      '--config',
      'base.json',
      '--grid',
      'hiddenWidth=8,16',
      '--grid',
      'regime=weak,joint',
      '--seeds',
      '0..1',
      '--out',
      'sw',
      '--jobs',
      '2',
      '--json',
    ];
    const r = cli(...args);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ total: 8, finished: 8, failed: 0, skipped: 0, pending: 0 });
    const ids = s.cells.map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(8);
    for (const c of s.cells) {
      expect(JSON.parse(readFileSync(path.join(c.runDir, 'status.json'), 'utf8')).status).toBe('finished');
      expect(existsSync(path.join(c.runDir, 'metrics.ndjson'))).toBe(true);
    }
    const again = JSON.parse(cli(...args).stdout);
    expect(again).toMatchObject({ total: 8, skipped: 8, finished: 8 });
    expect(again.cells.map((c: { id: string }) => c.id)).toEqual(ids);
  }, 240_000);

  it('experiment E9 --quick --json prints summary.json and writes data.csv and figures', () => {
    const r = cli('experiment', 'E9', '--quick', '--out', 'e9', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(Object.keys(s)).toEqual(['experiment', 'claim', 'quick', 'holds', 'numbers']);
    expect(s).toMatchObject({ experiment: 'E9', quick: true });
    expect(JSON.parse(readFileSync(path.join(dir, 'e9', 'summary.json'), 'utf8'))).toEqual(s);
    expect(readFileSync(path.join(dir, 'e9', 'data.csv'), 'utf8').split('\n')[0]).toBe('n,seed,lambda_enc,lambda_dec,width_theorem_a,width_theorem_b');
    expect(existsSync(path.join(dir, 'e9', 'figures', 'e9-widths.svg'))).toBe(true);
    // a folder holding another experiment is refused
    const other = cli('experiment', 'E1', '--quick', '--out', 'e9');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('holds experiment E9');
  }, 240_000);
});
