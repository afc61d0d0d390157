/**
 * Checkpoints faster than the disk (issue 21, item 5): checkpointEvery 1 on a tiny network. The server must
 * go on answering, Stop must take effect, and what is on disk must stay a valid resume point. The latency of
 * `app:info` under this pressure is measured by `npm run bench` (case checkpoint-pressure), not here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkbenchService } from '../../../../src/main/services/workbench';
import { readLatestCheckpoint } from '../../../../src/main/services/checkpoint';
import type { RunStatusEvent } from '../../../../src/shared/api/contract';
import { tempDir } from './sessionFixtures';

const pressure = {
  samples: 6,
  testSamples: 0,
  inputDim: 3,
  hiddenWidth: 16,
  steps: 10_000_000,
  trackEvery: 1_000_000,
  trackEigenvalues: 0,
  checkpointEvery: 1,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  seed: 5,
};

describe('checkpointEvery 1 on a tiny network', () => {
  it('keeps the service answering, Stop takes effect, and the newest checkpoint on disk is a valid resume point', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const statuses: RunStatusEvent[] = [];
    let lastStep = 0;
    svc.on('run:status', (s) => statuses.push(s));
    svc.on('run:progress', (p) => (lastStep = p.step));
    const started = await svc.invoke('run:start', { config: pressure });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const runId = started.value.runId;
    // Under pressure for a while (the engine may take its time to start on a busy machine): every invoke is
    // still answered.
    let answered = 0;
    while (lastStep <= 2000 || answered < 20) {
      await new Promise((r) => setTimeout(r, 50));
      expect((await svc.invoke('run:list', undefined)).ok).toBe(true);
      answered++;
    }
    expect((await svc.invoke('run:stop', { runId })).ok).toBe(true);
    for (let i = 0; i < 400 && !statuses.some((s) => s.runId === runId && s.status === 'stopped'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(statuses.filter((s) => s.runId === runId).at(-1)).toMatchObject({ status: 'stopped' });
    const detail = await svc.invoke('run:get', { runId });
    await svc.dispose();
    if (!detail.ok) throw new Error(detail.error.message);
    const runDir = path.join(dir, 'sessions', detail.value.summary.sessionId, 'runs', runId);
    const cp = await readLatestCheckpoint(runDir);
    expect(cp).not.toBeNull();
    // A checkpoint is never ahead of the metrics on disk, and at most the newest two are kept.
    expect(cp!.step).toBeLessThanOrEqual(detail.value.status.lastStep);
    expect(cp!.step).toBeGreaterThan(100);
    expect(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.endsWith('.bin')).length).toBeLessThanOrEqual(2);
  });
});
