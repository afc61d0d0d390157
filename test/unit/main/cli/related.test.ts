import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { main } from '../../../../src/main/cli/index';
import { regimeKernel } from '../../../../src/main/engine/ntk/infiniteKernels';

const root = path.resolve(__dirname, '../../../..');
let dir: string;

/**
 * Runs the CLI in this process (the engine still runs in its worker thread), capturing stdout and stderr:
 * the bad-input cases need no fresh Node and tsx start each.
 */
async function cliInProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(cwd);
    o.mockRestore();
    e.mockRestore();
  }
}

/** Runs the real bin the way a user does. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ROWS = [
  [1, 0, 0],
  [0.6, 0.8, 0],
  [0, 0.6, 0.8],
  [0.3, -0.2, 0.9],
];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-cli-related-'));
  writeFileSync(path.join(dir, 'x.csv'), ROWS.map((r) => r.join(',')).join('\n') + '\n');
  writeFileSync(path.join(dir, 'y3.csv'), '1\n2\n3\n');
  writeFileSync(
    path.join(dir, 's.json'),
    JSON.stringify({
      sequences: [
        [
          [1, 0],
          [0.5, 0.2],
          [0, 1],
        ],
        [[1, 1]],
        [
          [0.3, -0.4],
          [0.2, 0.2],
        ],
      ],
    }),
  );
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ sequences: [[[1, 0]], [[1, 0], [2]]] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('related-work commands', () => {
  it('jacot --json prints {ntk, nngp}; one layer is σ_w²xᵀy/d + β²', async () => {
    const r = await cliInProcess('jacot', '--data', 'x.csv', '--layers', '1', '--beta', '0.5', '--json');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(Object.keys(k)).toEqual(expect.arrayContaining(['ntk', 'nngp']));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const xy = ROWS[i]!.reduce((s, v, a) => s + v * ROWS[j]![a]!, 0);
        expect(k.ntk[i][j]).toBeCloseTo(xy / 3 + 0.25, 15);
      }
    }
  });

  it('kernel --kernel weighted --omega-w 1 --omega-v 0 is the weak (encoder) kernel, in the shape of the others', async () => {
    const w = await cliInProcess('kernel', '--data', 'x.csv', '--kernel', 'weighted', '--omega-w', '1', '--omega-v', '0', '--kappa', '2', '--json');
    expect(w.code).toBe(0);
    const a = JSON.parse(w.stdout);
    expect(a).toMatchObject({ kernel: 'weighted', n: 4, d: 3, omegaW: 1, omegaV: 0, kappa: 2, nu: 1 });
    const X = new Float64Array(12);
    ROWS.forEach((r, i) => r.forEach((v, c) => (X[c * 4 + i] = v)));
    const weak = regimeKernel('weak', X, 3, 4, { kappa: 2, nu: 1 });
    for (let i = 0; i < 4; i++) for (let k = 0; k < 4; k++) expect(a.gram[i][k]).toBeCloseTo(weak[i * 4 + k]!, 15);
    expect(a.eigenvalues).toHaveLength(4);
  });

  it('krr (the real bin) with ridge 0 reproduces the training rows when tested on them (the AE task by default)', () => {
    const r = cli('krr', '--kernel', 'jacot', '--layers', '3', '--train', 'x.csv', '--test', 'x.csv', '--json');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k).toMatchObject({ kernel: 'jacot', n: 4, nTest: 4, outputs: 3, ridge: 0 });
    for (let i = 0; i < 4; i++) for (let a = 0; a < 3; a++) expect(k.predictions[i][a]).toBeCloseTo(ROWS[i]![a]!, 10);
  });

  it.each([
    [['krr', '--kernel', 'enc', '--train', 'x.csv', '--test', 'x.csv', '--targets', 'y3.csv'], /--targets y3\.csv: 3 rows for 4 training samples/],
    [['krr', '--kernel', 'enc', '--layers', '2', '--train', 'x.csv', '--test', 'x.csv'], /--layers: applies to --kernel jacot, not enc/],
    [['rntk', '--data', 'bad.json', '--readout', 'last'], /--data bad\.json: sequences\[1\]\[1\]: expected 2 features/],
    [['rntk', '--data', 's.json', '--readout', 'middle'], /--readout/],
    [['kernel', '--data', 'x.csv', '--kernel', 'dec', '--omega-v', '2'], /--omega-v: applies to --kernel weighted only/],
  ])('bad input %j exits 2 with one line naming the flag', async (args, pattern) => {
    const r = await cliInProcess(...args);
    expect(r.code).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('(Did you mean')),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe('');
  });

  it('rntk --json gives symmetric {ntk, nngp} for sequences of different lengths', async () => {
    const r = await cliInProcess('rntk', '--data', 's.json', '--readout', 'avg', '--bidirectional', '--sb', '0.2', '--json');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k.lengths).toEqual([3, 1, 2]);
    for (const m of [k.ntk, k.nngp]) {
      expect(m).toHaveLength(3);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(m[i][j]).toBe(m[j][i]);
    }
  });

  it('rf-ntk --json reports D and the error against the exact kernel', async () => {
    const r = await cliInProcess('rf-ntk', '--data', 'x.csv', '--m0', '32', '--sketch', 'countsketch', '--json');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k).toMatchObject({ n: 4, d: 3, m0: 32, m1: 96, D: 24 + 96, sketch: 'countsketch' });
    expect(k.relativeSpectralError).toBeGreaterThan(0);
    expect(k.ntk).toHaveLength(4);
  });

  it('refuses a kernel above the memory limit with exit 4 and the estimate', async () => {
    const r = await cliInProcess('jacot', '--data', 'x.csv', '--layers', '2', '--memory-limit', '0.00001');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/needs ~[\d.]+ MiB, above the limit/);
  });
});
