// The experiment:* channels of the service: start, progress events, get, list, cancel and resume.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync, readdirSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkbenchService } from '../../../../../src/main/services/workbench';
import type { ExperimentProgressEvent, ExperimentState } from '../../../../../src/shared/experiments/api';

let dir: string;
let svc: WorkbenchService;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'exp-svc-'));
  svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
  await svc.start();
});
afterEach(async () => {
  await svc.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function ended(id: string, events: ExperimentProgressEvent[]): Promise<void> {
  return new Promise((resolve) => {
    const off = svc.on('experiment:progress', (e) => {
      events.push(e);
      if (e.experimentId === id && e.status !== 'running') {
        off();
        resolve();
      }
    });
  });
}

describe('experiment:* channels', () => {
  it('runs a preset with edited parameters, reports progress, and keeps its verdict and figures', async () => {
    const presets = await svc.invoke('experiment:presets', undefined);
    expect(presets.ok && presets.value.map((p) => p.id)).toContain('E4-orth');
    const started = await svc.invoke('experiment:start', { preset: 'E9', quick: true, params: { ns: [4, 8, 16] }, jobs: 2 });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.value.status).toBe('running');
    const events: ExperimentProgressEvent[] = [];
    await ended(started.value.experimentId, events);
    expect(events.some((e) => e.progress !== null && e.progress.total === 3)).toBe(true);
    const got = await svc.invoke('experiment:get', { experimentId: started.value.experimentId });
    if (!got.ok) throw new Error(got.error.message);
    const s: ExperimentState = got.value;
    expect(s.status).toBe('finished');
    expect(s.summary).toMatchObject({ experiment: 'E9', quick: true, holds: true });
    expect(s.figures.map((f) => f.name)).toEqual(['e9-widths']);
    expect(existsSync(path.join(s.folder, 'summary.json'))).toBe(true);
    // a new service on the same folder lists it from disk, figures included when asked for one
    await svc.dispose();
    svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const list = await svc.invoke('experiment:list', undefined);
    expect(list.ok && list.value.map((x) => [x.experimentId, x.status, x.summary?.holds])).toEqual([[s.experimentId, 'finished', true]]);
    const again = await svc.invoke('experiment:get', { experimentId: s.experimentId });
    expect(again.ok && again.value.figures.length).toBe(1);
  }, 120_000);

  it('keeps each training cell as a normal run: a session named after the experiment, listed by the Sessions view and the run table', async () => {
    const started = await svc.invoke('experiment:start', {
      preset: 'E5',
      quick: true,
      params: { regimes: ['joint'], widths: [8, 16], seeds: [0, 1], steps: 200 },
      jobs: 2,
    });
    if (!started.ok) throw new Error(started.error.message);
    const sessionId = started.value.sessionId!;
    expect(sessionId).toMatch(/^s-/);
    await ended(started.value.experimentId, []);
    const sessions = await svc.invoke('session:list', undefined);
    if (!sessions.ok) throw new Error(sessions.error.message);
    const session = sessions.value.find((x) => x.sessionId === sessionId)!;
    expect(session.name).toBe(`E5 (quick) · ${started.value.experimentId}`);
    expect(session.runCount).toBe(4);
    expect(session.widths).toEqual([8, 16]);
    const table = await svc.invoke('runs:table', {});
    if (!table.ok) throw new Error(table.error.message);
    const rows = table.value.filter((r) => r.sessionId === sessionId);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => (r.config as { hiddenWidth?: number }).hiddenWidth).sort()).toEqual([16, 16, 8, 8]);
    for (const r of rows) {
      expect(r.status).toBe('finished');
      expect(r.reason).not.toContain('corrupt');
      expect(r.lastStep).toBeGreaterThan(0);
    }
    // the files stay in the experiment folder; the session holds links to them (run once more: nothing new, nothing doubled)
    const got = await svc.invoke('experiment:get', { experimentId: started.value.experimentId });
    expect(got.ok && got.value.sessionId).toBe(sessionId);
    expect(readdirSync(path.join(got.ok ? got.value.folder : '', 'runs')).filter((n) => n.startsWith('c-'))).toHaveLength(4);
    const linkDir = path.join(dir, 'sessions', sessionId, 'runs');
    expect(readdirSync(linkDir).every((n) => lstatSync(path.join(linkDir, n)).isSymbolicLink())).toBe(true);
    const resumed = await svc.invoke('experiment:start', {
      preset: 'E5',
      quick: true,
      params: { regimes: ['joint'], widths: [8, 16], seeds: [0, 1], steps: 200 },
      experimentId: started.value.experimentId,
    });
    if (!resumed.ok) throw new Error(resumed.error.message);
    expect(resumed.value.sessionId).toBe(sessionId);
    await ended(started.value.experimentId, []);
    expect(readdirSync(linkDir)).toHaveLength(4);
    // a run's detail opens through the link
    const detail = await svc.invoke('run:get', { runId: rows[0]!.runId });
    expect(detail.ok).toBe(true);
  }, 120_000);

  it('sweep:start runs a grid × seeds from a base config with progress, its runs in a session; bad keys and values are refused naming them', async () => {
    const base = { dataset: 'sphere', samples: 8, inputDim: 4, hiddenWidth: 8, steps: 100, trackEvery: 100, testSamples: 0 };
    const started = await svc.invoke('sweep:start', { base, grid: { hiddenWidth: [8, 16], regime: ['joint', 'weak'] }, seeds: [0, 1], jobs: 2 });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.value).toMatchObject({ status: 'running', cells: 8 });
    expect(started.value.sweepId).toMatch(/^x-sweep-/);
    const events: ExperimentProgressEvent[] = [];
    await ended(started.value.sweepId, events);
    // every cell ended (a weak run may diverge at the default step: a failed cell, still a run of the session)
    const last = events.at(-1)!;
    expect(last).toMatchObject({ status: 'finished', progress: { total: 8, pending: 0, running: 0 } });
    expect(last.progress!.finished + last.progress!.failed).toBe(8);
    expect(events.some((e) => e.status === 'running' && e.progress !== null && e.progress.finished + e.progress.failed < 8)).toBe(true);
    const sessions = await svc.invoke('session:list', undefined);
    const session = sessions.ok ? sessions.value.find((x) => x.sessionId === started.value.sessionId) : undefined;
    expect(session).toMatchObject({ name: `Sweep · ${started.value.sweepId}`, runCount: 8, widths: [8, 16], regimes: ['joint', 'weak'] });
    expect(existsSync(path.join(started.value.folder, 'sweep.json'))).toBe(true);
    // the sweep is not an experiment preset: experiment:list leaves it out
    const list = await svc.invoke('experiment:list', undefined);
    expect(list.ok && list.value.some((x) => x.experimentId === started.value.sweepId)).toBe(false);
    const badKey = await svc.invoke('sweep:start', { base, grid: { hiddenWidht: [8] } });
    expect(!badKey.ok && badKey.error.code).toBe('invalid-config');
    expect(!badKey.ok && badKey.error.message).toContain('hiddenWidht');
    const badValue = await svc.invoke('sweep:start', { base, grid: { hiddenWidth: [0] } });
    expect(!badValue.ok && badValue.error.message).toContain('hiddenWidth');
    const badShape = await svc.invoke('sweep:start', { base, grid: { hiddenWidth: [] } } as never);
    expect(!badShape.ok && badShape.error.message).toContain('grid');
  }, 120_000);

  it('sweep:cancel stops a running sweep, keeping what finished', async () => {
    const base = { dataset: 'sphere', samples: 8, inputDim: 4, hiddenWidth: 8, steps: 200_000, trackEvery: 1000, testSamples: 0, targetLossRatio: 0 };
    const started = await svc.invoke('sweep:start', { base, grid: { hiddenWidth: [8, 9, 10] }, jobs: 1 });
    if (!started.ok) throw new Error(started.error.message);
    await new Promise((r) => setTimeout(r, 300));
    const c = await svc.invoke('sweep:cancel', { sweepId: started.value.sweepId });
    if (!c.ok) throw new Error(c.error.message);
    expect(c.value.status).toBe('cancelled');
    expect(c.value.progress!.pending).toBeGreaterThan(0);
    const none = await svc.invoke('sweep:cancel', { sweepId: 'x-sweep-nothere' });
    expect(!none.ok && none.error.code).toBe('not-found');
  }, 120_000);

  it('refuses bad requests naming the field', async () => {
    const bad = await svc.invoke('experiment:start', { preset: 'E10', quick: true } as never);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain('preset');
    const params = await svc.invoke('experiment:start', { preset: 'E1', quick: true, params: { draws: [1] } });
    expect(params.ok).toBe(false);
    if (!params.ok) expect(params.error.message).toContain('draws');
    const missing = await svc.invoke('experiment:get', { experimentId: 'x-nothere' });
    expect(!missing.ok && missing.error.code).toBe('not-found');
  });
});
