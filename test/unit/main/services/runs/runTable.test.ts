import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunTable } from '../../../../../src/main/services/runs/runTable';
import { buildRunSummary, readOrRebuildSummary } from '../../../../../src/main/services/runs/summary';
import { RunWriter } from '../../../../../src/main/services/runWriter';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import { createArchive, importArchive } from '../../../../../src/main/services/export/archive';
import { SessionStore } from '../../../../../src/main/services/sessionStore';
import { configFile, tempDir } from '../sessionFixtures';
import { ensureSession, writeSyntheticRun } from './fixtures';

const dirs: string[] = [];
function dataDir(): string {
  const d = tempDir('ntk-runtable-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Six runs: two regimes × three seeds, in two sessions. */
function sixRuns(root: string): void {
  let i = 0;
  for (const regime of ['joint', 'weak'] as const) {
    for (const seed of [1, 2, 3]) {
      writeSyntheticRun(root, {
        sessionId: seed === 3 ? 's-b' : 's-a',
        runId: `run-${regime}-${seed}`,
        config: { regime, seed, hiddenWidth: regime === 'joint' ? 64 : 32 },
        startedAt: `2024-01-02T03:04:0${i++}.000Z`,
        decay: regime === 'joint' ? 0.8 : 0.95,
      });
    }
  }
}

describe('readOrRebuildSummary()', () => {
  it('RunWriter writes summary.json at the end of a run, with the last record and the last tracked λs', async () => {
    const root = dataDir();
    const runDir = path.join(ensureSession(root, 's1'), 'runs', 'run-w');
    const w = await RunWriter.create(runDir, configFile('run-w'));
    w.append([
      { step: 0, loss: 4, lossRatio: 1, wallMs: 0, tracked: { eigMin: [0.5], eigMax: [9] } },
      { step: 1, loss: 2, lossRatio: 0.5, testLoss: 3, wallMs: 100 },
      { step: 2, loss: 1, lossRatio: 0.25, testLoss: 2, wallMs: 200, tracked: { eigMin: [0.25], eigMax: [8] } },
    ]);
    await w.writeOutcome({ status: 'finished', reason: 'completed' }, 2, '2024-01-02T03:04:06.000Z');
    await w.close();
    const s = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    expect(s.schemaVersion).toBe(1);
    expect(s.status).toBe('finished');
    expect(s.final).toMatchObject({ step: 2, loss: 1, lossRatio: 0.25, testLoss: 2, lambdaMin: 0.25, lambdaMax: 8, eigStep: 2 });
    expect(s.stepsPerSecond).toBeCloseTo(10, 10);
    expect(s.config.hiddenWidth).toBe(64);
    expect('csvText' in s.config).toBe(false);
  });

  it('rebuilds a missing summary from the run files and writes it back', async () => {
    const root = dataDir();
    const runDir = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-a', steps: 20, decay: 0.5 });
    expect(fs.existsSync(path.join(runDir, 'summary.json'))).toBe(false);
    const first = await readOrRebuildSummary(runDir);
    expect(first.rebuilt).toBe(true);
    expect(first.summary.final.loss).toBeCloseTo(2 * 0.5 ** 20, 15);
    expect(first.summary.final.lambdaMax).toBeCloseTo(5 - 20 / 100, 12);
    expect(fs.existsSync(path.join(runDir, 'summary.json'))).toBe(true);
    const second = await readOrRebuildSummary(runDir);
    expect(second.rebuilt).toBe(false);
    expect(second.summary).toEqual(first.summary);
  });

  it('rebuilds a stale summary (metrics changed since) and a damaged one', async () => {
    const root = dataDir();
    const runDir = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-a', steps: 10 });
    await readOrRebuildSummary(runDir);
    fs.appendFileSync(path.join(runDir, 'metrics.ndjson'), '{"step":11,"loss":0.125,"wallMs":110}\n');
    const stale = await readOrRebuildSummary(runDir);
    expect(stale.rebuilt).toBe(true);
    expect(stale.summary.final).toMatchObject({ step: 11, loss: 0.125 });
    fs.writeFileSync(path.join(runDir, 'summary.json'), '{"schemaVersion":1,"runId":');
    const damaged = await readOrRebuildSummary(runDir);
    expect(damaged.rebuilt).toBe(true);
    expect(damaged.summary.final.step).toBe(11);
  });

  it('leaves an unterminated (torn) last metrics line out', async () => {
    const root = dataDir();
    const runDir = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-a', steps: 5 });
    fs.appendFileSync(path.join(runDir, 'metrics.ndjson'), '{"step":6,"loss":0.0');
    const s = await buildRunSummary(runDir);
    expect(s.final.step).toBe(5);
    expect(s.records).toBe(6);
  });

  it('names the file when config.json is corrupt', async () => {
    const root = dataDir();
    const runDir = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-a' });
    fs.writeFileSync(path.join(runDir, 'config.json'), '{nope');
    await expect(buildRunSummary(runDir)).rejects.toThrow(/config\.json: not valid JSON/);
  });
});

describe('RunTable', () => {
  it('lists every run of every session, oldest first, with session names and results', async () => {
    const root = dataDir();
    sixRuns(root);
    const rows = await new RunTable(root).list();
    expect(rows.map((r) => r.runId)).toEqual(['run-joint-1', 'run-joint-2', 'run-joint-3', 'run-weak-1', 'run-weak-2', 'run-weak-3']);
    const r = rows[0]!;
    expect(r).toMatchObject({
      sessionId: 's-a',
      sessionName: 'Session s-a',
      status: 'finished',
      backend: 'js',
      dtype: 'float64',
      lastStep: 20,
      durationMs: 200,
    });
    expect(r.config.regime).toBe('joint');
    expect(r.finalLoss).toBeCloseTo(2 * 0.8 ** 20, 14);
    expect(r.lossRatio).toBeCloseTo(0.8 ** 20, 14);
    expect(r.machine).toBe('linux x64 · 2 cores · box');
    // every listed run now has its summary
    for (const x of rows) expect(fs.existsSync(path.join(root, 'sessions', x.sessionId, 'runs', x.runId, 'summary.json'))).toBe(true);
  });

  it('filters with the expression language, and refuses a bad filter naming where', async () => {
    const root = dataDir();
    sixRuns(root);
    const t = new RunTable(root);
    expect((await t.list({ filter: 'regime = joint and hiddenWidth >= 64' })).map((r) => r.runId)).toEqual(['run-joint-1', 'run-joint-2', 'run-joint-3']);
    expect((await t.list({ filter: 'regime = weak and seed > 1' })).map((r) => r.runId)).toEqual(['run-weak-2', 'run-weak-3']);
    expect((await t.list({ filter: 'lossRatio < 0.01' })).every((r) => r.config.regime === 'joint')).toBe(true);
    const bad = await t.list({ filter: 'regime = ' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(WorkbenchException);
    expect((bad as WorkbenchException).code).toBe('invalid-request');
    expect((bad as WorkbenchException).message).toMatch(/^filter: expected a value after 'regime =' at column 10/);
    const unknown = await t.list({ filter: 'widht > 3' }).catch((e: unknown) => e);
    expect((unknown as Error).message).toContain("unknown column 'widht'");
  });

  it('keeps tags and a note per run in a versioned annotations file; tag: filters use them', async () => {
    const root = dataDir();
    sixRuns(root);
    const t = new RunTable(root);
    await t.annotate('run-weak-2', { tags: ['baseline', 'v1.2'] });
    await t.annotate('run-weak-2', { note: 'looks odd after step 10' });
    const file = JSON.parse(fs.readFileSync(path.join(root, 'sessions/s-a/runs/run-weak-2/annotations.json'), 'utf8'));
    expect(file).toMatchObject({ schemaVersion: 1, tags: ['baseline', 'v1.2'], note: 'looks odd after step 10' });
    expect((await t.list({ filter: 'tag:baseline' })).map((r) => r.runId)).toEqual(['run-weak-2']);
    expect((await t.list({ filter: 'note ~ odd' })).map((r) => r.runId)).toEqual(['run-weak-2']);
    await expect(t.annotate('run-weak-2', { tags: ['no spaces allowed'] })).rejects.toThrow(/tags\.0/);
    await expect(t.annotate('nope', { note: 'x' })).rejects.toThrow(/no run nope/);
  });

  it('lists a run left running by a dead process as stopped (interrupted), and a corrupt run as failed', async () => {
    const root = dataDir();
    const runDir = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-live', status: 'running' });
    const bad = writeSyntheticRun(root, { sessionId: 's1', runId: 'run-bad' });
    fs.writeFileSync(path.join(bad, 'status.json'), '[]');
    const rows = await new RunTable(root).list();
    expect(rows.find((r) => r.runId === 'run-live')).toMatchObject({ status: 'stopped', reason: 'interrupted' });
    expect(fs.existsSync(path.join(runDir, 'summary.json'))).toBe(false);
    const b = rows.find((r) => r.runId === 'run-bad')!;
    expect(b.status).toBe('failed');
    expect(b.reason).toMatch(/session-corrupt: .*status\.json/);
  });

  it('deletes runs to the trash, or permanently only once confirmed', async () => {
    const root = dataDir();
    sixRuns(root);
    const trashed: string[] = [];
    const t = new RunTable(root, {
      trash: async (paths) => {
        for (const p of paths) {
          trashed.push(path.basename(p));
          fs.rmSync(p, { recursive: true });
        }
      },
    });
    expect(await t.delete(['run-joint-1'])).toEqual({ deleted: ['run-joint-1'], trashed: true });
    expect(trashed).toEqual(['run-joint-1']);
    const noTrash = new RunTable(root, { trash: async () => Promise.reject(new Error('no trash here')) });
    const refused = await noTrash.delete(['run-joint-2']).catch((e: unknown) => e as WorkbenchException);
    expect(refused).toMatchObject({ code: 'forbidden', details: { needsConfirmation: true } });
    expect(fs.existsSync(path.join(root, 'sessions/s-a/runs/run-joint-2'))).toBe(true);
    expect(await noTrash.delete(['run-joint-2'], { confirmed: true })).toEqual({ deleted: ['run-joint-2'], trashed: false });
    expect((await t.list()).map((r) => r.runId)).not.toContain('run-joint-2');
  });

  it("deletes an experiment cell's run from its session by its link: the cell's folder stays with the experiment", async () => {
    const root = dataDir();
    // A cell run written in the experiment's folder and linked into a session as the app's experiments do.
    writeSyntheticRun(root, {
      sessionId: 'cells',
      runId: 'cell-a',
      config: { regime: 'joint', seed: 1, hiddenWidth: 16 },
      startedAt: '2024-01-02T03:04:00.000Z',
      decay: 0.9,
    });
    writeSyntheticRun(root, {
      sessionId: 'cells',
      runId: 'cell-b',
      config: { regime: 'joint', seed: 2, hiddenWidth: 16 },
      startedAt: '2024-01-02T03:04:01.000Z',
      decay: 0.9,
    });
    const cellDir = (id: string) => path.join(root, 'experiments/x-1/runs', id);
    fs.mkdirSync(path.dirname(cellDir('cell-a')), { recursive: true });
    for (const id of ['cell-a', 'cell-b']) fs.renameSync(path.join(root, 'sessions/cells/runs', id), cellDir(id));
    ensureSession(root, 'linked');
    for (const id of ['cell-a', 'cell-b']) fs.symlinkSync(cellDir(id), path.join(root, 'sessions/linked/runs', id), 'dir');
    const link = (id: string) => path.join(root, 'sessions/linked/runs', id);
    const trashDir = path.join(root, '.trash-test');
    fs.mkdirSync(trashDir);
    const t = new RunTable(root, { trash: async (paths) => paths.forEach((p) => fs.renameSync(p, path.join(trashDir, path.basename(p)))) });
    expect((await t.list()).map((r) => r.runId).sort()).toEqual(['cell-a', 'cell-b']);
    expect(await t.delete(['cell-a'])).toEqual({ deleted: ['cell-a'], trashed: true });
    expect(fs.lstatSync(link('cell-a'), { throwIfNoEntry: false })).toBeUndefined();
    expect(fs.lstatSync(path.join(trashDir, 'cell-a')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(cellDir('cell-a'), 'metrics.ndjson'))).toBe(true);
    // Without a trash, once confirmed: the link goes, not the folder it points to.
    const noTrash = new RunTable(root, { trash: async () => Promise.reject(new Error('no trash here')) });
    expect(await noTrash.delete(['cell-b'], { confirmed: true })).toEqual({ deleted: ['cell-b'], trashed: false });
    expect(fs.lstatSync(link('cell-b'), { throwIfNoEntry: false })).toBeUndefined();
    expect(fs.existsSync(path.join(cellDir('cell-b'), 'metrics.ndjson'))).toBe(true);
    expect(await t.list()).toEqual([]);
  });

  it('keeps tags and note when a session is duplicated, archived and imported', async () => {
    const root = dataDir();
    sixRuns(root);
    const t = new RunTable(root);
    await t.annotate('run-joint-1', { tags: ['keep'], note: 'carried along' });
    const dup = await new SessionStore(root).duplicateSession('s-a');
    expect((await t.list({ filter: `tag:keep and session = "${dup.name}"` })).map((r) => r.note)).toEqual(['carried along']);
    const { bytes } = await createArchive(path.join(root, 'sessions/s-a'), '0.1.0');
    const other = dataDir();
    const imported = await importArchive(bytes, other);
    const rows = await new RunTable(other).list({ filter: 'tag:keep' });
    expect(rows.map((r) => [r.runId, r.note])).toEqual([['run-joint-1', 'carried along']]);
    expect(imported.runIds).toContain('run-joint-1');
    // a damaged annotations file in an archive is refused naming the entry
    fs.writeFileSync(
      path.join(root, 'sessions/s-a/runs/run-joint-1/annotations.json'),
      JSON.stringify({ schemaVersion: 1, tags: ['bad tag'], note: '', updatedAt: '' }),
    );
    const bad = await createArchive(path.join(root, 'sessions/s-a'), '0.1.0');
    await expect(importArchive(bad.bytes, dataDir())).rejects.toThrow(/runs\/run-joint-1\/annotations\.json.*invalid-file/);
  });

  it('refuses ids that could leave the data directory', async () => {
    const t = new RunTable(dataDir());
    await expect(t.annotate('../x', { note: '' })).rejects.toMatchObject({ code: 'invalid-request' });
  });
});
