import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticRun } from '../services/runs/fixtures';

const root = path.resolve(__dirname, '../../../..');
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-cli-runs-'));
  let i = 0;
  for (const regime of ['joint', 'weak'] as const) {
    for (const seed of [0, 1])
      writeSyntheticRun(dir, { sessionId: 's1', runId: `run-${regime}-${seed}`, config: { regime, seed }, startedAt: `2024-01-02T03:04:0${i++}.000Z` });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('ntk-workbench runs', () => {
  it('--json prints an array of objects with the table columns', () => {
    const r = cli('runs', '--data-dir', dir, '--filter', 'regime = joint', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((x) => x.runId)).toEqual(['run-joint-0', 'run-joint-1']);
    for (const k of [
      'regime',
      'hiddenWidth',
      'init',
      'seed',
      'steps',
      'eta',
      'finalLoss',
      'lossRatio',
      'lambdaMin',
      'lambdaMax',
      'stepsPerSecond',
      'status',
      'backend',
      'dtype',
      'started',
      'duration',
    ]) {
      expect(rows[0]).toHaveProperty(k);
    }
    expect(rows[1]).toMatchObject({ regime: 'joint', seed: 1, status: 'finished', backend: 'js' });
  });

  it('prints a table without --json', () => {
    const r = cli('runs', '--data-dir', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^run\s+regime\s+width m/);
    expect(r.stdout).toContain('4 runs in');
  });

  it('exits 2 with the parser message for a bad filter', () => {
    const r = cli('runs', '--data-dir', dir, '--filter', 'regime = joint and', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('ntk-workbench: filter: expected a column name, tag:NAME or ( at column 19, found the end of the filter');
  });
});
