import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkbenchService } from '../../../../src/main/services/workbench';
import type { EventMap, RunStatusEvent } from '../../../../src/shared/api/contract';

let dir: string;
let svc: WorkbenchService;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-svc-'));
  svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
});
afterAll(async () => {
  await svc.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects events of one run until it reaches a final status. */
function watch(runIdP: Promise<string>) {
  const progress: EventMap['run:progress'][] = [];
  const statuses: RunStatusEvent[] = [];
  const times: number[] = [];
  const done = new Promise<RunStatusEvent>((resolve) => {
    const offs = [
      svc.on('run:progress', async (p) => {
        if (p.runId !== (await runIdP)) return;
        progress.push(p);
        times.push(Date.now());
      }),
      svc.on('run:status', async (s) => {
        if (s.runId !== (await runIdP)) return;
        statuses.push(s);
        if (['finished', 'failed', 'stopped'].includes(s.status)) {
          offs.forEach((o) => o());
          resolve(s);
        }
      }),
    ];
  });
  return { progress, statuses, times, done };
}

const tiny = { samples: 8, testSamples: 4, inputDim: 4, hiddenWidth: 128, steps: 300, trackEvery: 25, seed: 7, backend: 'js' };

describe('WorkbenchService', () => {
  it('rejects an invalid config with an error naming the key, and unknown channels', async () => {
    const r = await svc.invoke('run:start', { config: { ...tiny, hiddenWidth: 0 } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-config');
      expect(r.error.message).toContain('hiddenWidth');
    }
    const u = await svc.invokeUnknown('fs:rm', {});
    expect(u.ok).toBe(false);
  });

  it('runs a joint training to the end: progress batched (≤ 30 events/s), records stored, loss falling', async () => {
    let resolveId!: (id: string) => void;
    const idP = new Promise<string>((r) => (resolveId = r));
    const w = watch(idP);
    const r = await svc.invoke('run:start', { config: tiny });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    resolveId(r.value.runId);
    const final = await w.done;
    expect(final.status).toBe('finished');
    const records = w.progress.flatMap((p) => p.records);
    expect(records[0]!.step).toBe(0);
    expect(records.at(-1)!.step).toBe(tiny.steps);
    expect(records.at(-1)!.loss!).toBeLessThan(records[0]!.loss!);
    // throttling: timer-driven events at least 1/30 s apart (the last one is the final flush at the end of the run)
    for (let i = 1; i < w.times.length - 1; i++) expect(w.times[i]! - w.times[i - 1]!).toBeGreaterThanOrEqual(30);
    const detail = await svc.invoke('run:get', { runId: r.value.runId });
    expect(detail.ok).toBe(true);
    if (detail.ok) {
      expect(detail.value.records.map((x) => x.step)).toEqual(records.map((x) => x.step));
      expect(detail.value.status.status).toBe('finished');
    }
    const list = await svc.invoke('run:list', undefined);
    expect(list.ok && list.value.some((s) => s.runId === r.value.runId)).toBe(true);
  });

  it('pauses, steps while paused, resumes and stops a run', async () => {
    let resolveId!: (id: string) => void;
    const idP = new Promise<string>((r) => (resolveId = r));
    const w = watch(idP);
    const r = await svc.invoke('run:start', { config: { ...tiny, steps: 10_000_000, trackEvery: 1000, targetLossRatio: 0 } });
    if (!r.ok) throw new Error(r.error.message);
    const runId = r.value.runId;
    resolveId(runId);
    await expect.poll(() => w.progress.length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect((await svc.invoke('run:pause', { runId })).ok).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    const stepAtPause = w.progress.at(-1)!.step;
    await new Promise((res) => setTimeout(res, 300));
    expect(w.progress.at(-1)!.step).toBe(stepAtPause); // paused: no progress
    expect((await svc.invoke('run:step', { runId, steps: 5 })).ok).toBe(true);
    expect((await svc.invoke('run:resume', { runId })).ok).toBe(true);
    await expect.poll(() => w.progress.at(-1)!.step, { timeout: 30_000 }).toBeGreaterThan(stepAtPause + 5);
    expect((await svc.invoke('run:stop', { runId })).ok).toBe(true);
    const final = await w.done;
    expect(final.status).toBe('stopped');
    expect(w.statuses.map((s) => s.status)).toContain('paused');
  });

  it('starts a run paused at step 0 when asked, and Step advances it exactly', async () => {
    let resolveId!: (id: string) => void;
    const idP = new Promise<string>((r) => (resolveId = r));
    const w = watch(idP);
    const r = await svc.invoke('run:start', { config: { ...tiny, steps: 1000, trackEvery: 1000 }, paused: true });
    if (!r.ok) throw new Error(r.error.message);
    const runId = r.value.runId;
    resolveId(runId);
    await expect.poll(() => w.progress.flatMap((p) => p.records).length, { timeout: 30_000 }).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 400));
    expect(w.progress.flatMap((p) => p.records).map((x) => x.step)).toEqual([0]);
    expect((await svc.invoke('run:step', { runId, steps: 3 })).ok).toBe(true);
    await expect.poll(() => w.progress.at(-1)!.step, { timeout: 30_000 }).toBe(3);
    await new Promise((res) => setTimeout(res, 300));
    expect(w.progress.at(-1)!.step).toBe(3);
    expect((await svc.invoke('run:stop', { runId })).ok).toBe(true);
    expect((await w.done).status).toBe('stopped');
  });

  it('csv:inspect counts the rows and columns of a good file and names the line and column of a bad one', async () => {
    const good = await svc.invoke('csv:inspect', { config: { csvText: 'a,b,c\n1,2,3\n4,5,6\n' } });
    expect(good).toEqual({ ok: true, value: { rows: 2, columns: 3, header: ['a', 'b', 'c'] } });
    // the same file as an upload (how the browser client sends a long one)
    const up = await svc.invoke('upload:put', { kind: 'csv', name: 'abc.csv', bytes: new TextEncoder().encode('a,b,c\n1,2,3\n4,5,6\n') });
    if (!up.ok) throw new Error(up.error.message);
    expect(await svc.invoke('csv:inspect', { config: {}, uploads: { csvText: up.value.uploadId } })).toEqual(good);
    const none = await svc.invoke('csv:inspect', { config: {} });
    expect(!none.ok && none.error.code).toBe('invalid-request');
    const cases: [string, number, number, RegExp][] = [
      ['1,2\n3\n', 2, 2, /expected 2 columns/],
      ['1,2\n3,x\n', 2, 2, /"x" is not a number/],
      ['1,NaN\n', 1, 2, /not a finite number/],
      ['', 1, 1, /empty/],
    ];
    for (const [csvText, line, column, message] of cases) {
      const r = await svc.invoke('csv:inspect', { config: { csvText } });
      expect(r.ok, csvText).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid-data');
        expect(r.error.details).toEqual({ line, column });
        expect(r.error.message).toMatch(message);
      }
    }
  });
});
