/**
 * A Stop past the grace period must not take the process down: the run ends as stopped at once, and its
 * worker, likely inside an onnxruntime call, is terminated only once it is out of it (EngineHost.retire).
 * The runs go in a process of their own (stopPastGrace.fixture.ts), which an abort would end with 134.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');

describe('EngineHost: Stop past the grace period on onnxruntime', () => {
  it('ends each run as stopped and the process lives on to exit 0', { timeout: 180_000 }, () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run-ts.mjs'), path.join(__dirname, 'stopPastGrace.fixture.ts')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.stderr).not.toContain('terminate called');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const outcomes = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; reason: string });
    expect(outcomes).toHaveLength(4);
    for (const o of outcomes) {
      expect(o.status).toBe('stopped');
      expect(o.reason).toMatch(/stopped by the user|stopped at step/);
    }
    // At a grace of 1 ms at least one of the four stops ran out of it (the path under test).
    expect(outcomes.some((o) => o.reason.includes('did not stop within 1 ms'))).toBe(true);
  });
});
