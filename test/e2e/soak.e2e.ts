/**
 * A short soak in CI (`npm run soak -- --runs 50` is the full one): SIGKILL the browser-mode server during
 * runs and check that every session reopens, every reported step is on disk and no file is corrupt.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './support/harness';

describe('soak (kill the server mid-run)', () => {
  it('loses no reported step and corrupts no file over 4 kills, and 2 more under checkpoint pressure', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'bin/run-ts.mjs'), path.join(repoRoot, 'scripts/soak.ts'), '--runs', '4', '--checkpoint-runs', '2'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 170_000,
      },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"soak"'));
    expect(line, `${r.stdout}\n${r.stderr}`).toBeDefined();
    const summary = JSON.parse(line!);
    process.stdout.write(`${line}\n`);
    expect(summary.kills).toBe(6);
    expect(summary.checkpointPhase).toMatchObject({ cycles: 2, runsStarted: 2 });
    expect(summary.checkpointPhase.appInfoCalls).toBeGreaterThan(0);
    expect(summary.reportedStepsChecked).toBeGreaterThan(0);
    expect(summary.missingSteps).toBe(0);
    expect(summary.corruptFiles).toBe(0);
    expect(summary.sessionsReopened).toBe(summary.sessions);
    expect(summary.ok).toBe(true);
    expect(r.status).toBe(0);
  });
});
