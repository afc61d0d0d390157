import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKeptParams, writeKeptParams } from '../../../../src/main/services/export/keptParams';
import { SessionStore, DEFAULT_SESSION_ID } from '../../../../src/main/services/sessionStore';
import { OWNER_FILE } from '../../../../src/main/services/runWriter';
import { WorkbenchException } from '../../../../src/shared/api/result';
import { configFile, hashTree, tempDir } from './sessionFixtures';

function store(dataDir = tempDir(), trashed: string[][] = []) {
  return new SessionStore(dataDir, {
    trash: async (paths) => {
      trashed.push(paths);
      for (const p of paths) fs.rmSync(p, { recursive: true });
    },
  });
}

const { runId: _drop, ...cfg } = configFile();

/** A run theory of the contract's shape (src/shared/run/theory.ts), with a non-finite value as the engine may give. */
const THEORY = {
  regime: 'joint',
  n: 4,
  d: 3,
  m: 64,
  lambdaEnc: 0.25,
  lambdaDec: 0.5,
  lambdaJoint: 0.75,
  kernelDescription: 'joint',
  lambdaMinRegime: 0.75,
  lambdaMaxRegime: Infinity,
  automaticEta: null,
  automaticEtaNote: 'infinite λ_max',
  eta: 0.1,
  etaDecoder: null,
  maxStableEta: null,
  rateBound: null,
  spectrum: [0.75, NaN],
  linearizedCurve: { steps: [0, 10], loss: [1, 0.5] },
  sufficientWidth: null,
  testPrediction: null,
  tied: null,
};

async function runWith(s: SessionStore, sessionId: string, steps: number[], finish = true) {
  const r = await s.createRun(sessionId, cfg);
  r.writer.append(steps.map((step) => ({ step, loss: 1 / (1 + step), wallMs: step })));
  await r.writer.writeTheory(THEORY);
  if (finish) await r.writer.setStatus({ status: 'finished', reason: 'done', lastStep: steps[steps.length - 1] ?? 0 });
  await r.writer.close();
  return r;
}

async function rejection(p: Promise<unknown>): Promise<WorkbenchException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WorkbenchException) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('SessionStore.createSession()', () => {
  it('creates a session with a manifest carrying schemaVersion, listed by listSessions', async () => {
    const dir = tempDir();
    const s = store(dir);
    const made = await s.createSession('  Width sweep ');
    expect(made.name).toBe('Width sweep');
    const man = JSON.parse(fs.readFileSync(path.join(dir, 'sessions', made.sessionId, 'session.json'), 'utf8'));
    expect(man).toMatchObject({ schemaVersion: 1, sessionId: made.sessionId, name: 'Width sweep' });
    expect((await s.listSessions()).map((x) => x.sessionId)).toEqual([made.sessionId]);
  });

  it('ensureDefaultSession() creates the default session once', async () => {
    const s = store();
    const a = await s.ensureDefaultSession();
    const b = await s.ensureDefaultSession();
    expect(a.sessionId).toBe(DEFAULT_SESSION_ID);
    expect(b.createdAt).toBe(a.createdAt);
    expect(await s.listSessions()).toHaveLength(1);
  });
});

describe('SessionStore.createRun()', () => {
  it('gives unique safe run ids, writes the id into config.json, and readRun returns every record and the theory', async () => {
    const s = store();
    const sess = await s.createSession('a');
    const r1 = await runWith(s, sess.sessionId, [0, 10, 20]);
    const r2 = await runWith(s, sess.sessionId, [0]);
    expect(r1.runId).not.toBe(r2.runId);
    expect(r1.runId).toMatch(/^run-\d{14}-[0-9a-f]{8}$/);
    const detail = await s.readRun(r1.runId);
    expect(detail.config.runId).toBe(r1.runId);
    expect(detail.records.map((r) => r.step)).toEqual([0, 10, 20]);
    // theory.json is parsed once with the contract's schema, its non-finite numbers restored
    expect(detail.theory).toEqual(THEORY);
    expect(detail.theory!.lambdaMaxRegime).toBe(Infinity);
    expect(detail.theory!.spectrum![1]).toBeNaN();
    expect(detail.summary).toMatchObject({ sessionId: sess.sessionId, status: 'finished', regime: 'joint', hiddenWidth: 64, lastStep: 20 });
    const summary = (await s.listSessions())[0]!;
    expect(summary).toMatchObject({ runCount: 2, regimes: ['joint'], widths: [64], status: 'finished' });
    expect((await s.listAllRuns()).map((r) => r.runId).sort()).toEqual([r1.runId, r2.runId].sort());
  });
});

describe('SessionStore.readRun()', () => {
  it('ignores a torn last metrics line and does not modify the file', async () => {
    const s = store();
    const sess = await s.createSession('a');
    const r = await runWith(s, sess.sessionId, [0, 1, 2]);
    const metrics = path.join(r.runDir, 'metrics.ndjson');
    fs.appendFileSync(metrics, '{"step":3,"loss":0.');
    const before = fs.readFileSync(metrics);
    const detail = await s.readRun(r.runId);
    expect(detail.records.map((x) => x.step)).toEqual([0, 1, 2]);
    expect(fs.readFileSync(metrics).equals(before)).toBe(true);
  });

  it('reports a run left "running" by a dead process as stopped/interrupted without rewriting it; markInterrupted() persists it', async () => {
    const s = store();
    const sess = await s.createSession('a');
    const r = await runWith(s, sess.sessionId, [0, 5], false);
    // A process killed mid-run leaves status 'running' and an owner file naming a pid that is gone.
    fs.writeFileSync(
      path.join(r.runDir, OWNER_FILE),
      JSON.stringify({ schemaVersion: 1, pid: 2 ** 22 + 12345, hostname: (await import('node:os')).hostname() }),
    );
    const statusBefore = fs.readFileSync(path.join(r.runDir, 'status.json'));
    const detail = await s.readRun(r.runId);
    expect(detail.status.status).toBe('running');
    expect(detail.summary).toMatchObject({ status: 'stopped', reason: 'interrupted', lastStep: 5 });
    expect(fs.readFileSync(path.join(r.runDir, 'status.json')).equals(statusBefore)).toBe(true);
    expect(await s.markAllInterrupted()).toEqual([r.runId]);
    expect((await s.readRun(r.runId)).status).toMatchObject({ status: 'stopped', reason: 'interrupted', lastStep: 5 });
  });

  it('reports a run whose writer is open in this process as running', async () => {
    const s = store();
    const sess = await s.createSession('a');
    const r = await s.createRun(sess.sessionId, cfg);
    expect((await s.readRun(r.runId)).summary.status).toBe('running');
    await r.writer.close();
  });
});

describe('hostile inputs', () => {
  async function setup() {
    const dir = tempDir();
    const s = store(dir);
    const sess = await s.createSession('a');
    const r = await runWith(s, sess.sessionId, [0, 1]);
    return { dir, s, sess, r };
  }

  async function expectRefusedUnchanged(dir: string, act: () => Promise<unknown>, code: string, pattern: RegExp) {
    const before = hashTree(dir);
    const e = await rejection(act());
    expect(e.code).toBe(code);
    expect(e.message).toMatch(pattern);
    expect(hashTree(dir)).toBe(before);
  }

  it('refuses truncated JSON in config.json naming the file', async () => {
    const { dir, s, r } = await setup();
    const file = path.join(r.runDir, 'config.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 50));
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /config\.json: not valid JSON/);
  });

  it('refuses an unknown future schemaVersion as written by a newer version', async () => {
    const { dir, s, r } = await setup();
    const file = path.join(r.runDir, 'status.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), schemaVersion: 7 }));
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /status\.json: written by a newer version/);
  });

  it('refuses a huge config file before reading it (sparse 1 GB file)', async () => {
    const { dir, s, r } = await setup();
    const file = path.join(r.runDir, 'config.json');
    fs.truncateSync(file, 1024 ** 3);
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /config\.json is 1073741824 bytes/);
  });

  it('refuses NaN where a number must be (as a bare token and as null)', async () => {
    const { dir, s, r } = await setup();
    const file = path.join(r.runDir, 'config.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace(/"kappa": 1/, '"kappa": NaN'));
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /config\.json: not valid JSON/);
    fs.writeFileSync(file, text.replace(/"kappa": 1/, '"kappa": null'));
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /config\.json: config\.kappa/);
  });

  it('refuses a bad metrics line in the middle, naming the file and line', async () => {
    const { dir, s, r } = await setup();
    fs.writeFileSync(path.join(r.runDir, 'metrics.ndjson'), '{"step":0,"loss":1,"wallMs":0}\n{oops}\n{"step":2,"loss":1,"wallMs":0}\n');
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /metrics\.ndjson: line 2/);
  });

  it('refuses a symlink pointing outside the data directory', async () => {
    const { dir, s, r } = await setup();
    const outside = tempDir('ntk-outside-');
    fs.writeFileSync(path.join(outside, 'secret.json'), JSON.stringify(configFile(r.runId)));
    const file = path.join(r.runDir, 'config.json');
    fs.rmSync(file);
    fs.symlinkSync(path.join(outside, 'secret.json'), file);
    await expectRefusedUnchanged(dir, () => s.readRun(r.runId), 'session-corrupt', /outside the data directory/);
    // A whole session folder linked from outside is refused too.
    fs.mkdirSync(path.join(outside, 'sess', 'runs'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'sess'), path.join(dir, 'sessions', 'evil'));
    await expectRefusedUnchanged(dir, () => s.listRuns('evil'), 'session-corrupt', /outside the data directory/);
    await expectRefusedUnchanged(dir, () => s.deleteSession('evil', { confirmed: true }), 'session-corrupt', /outside the data directory/);
    expect(fs.existsSync(path.join(outside, 'sess', 'runs'))).toBe(true);
  });

  it('refuses ids with ../, separators or absolute paths before touching the disk', async () => {
    const { dir, s } = await setup();
    for (const bad of ['../x', '..', 'a/b', 'a\\b', '/etc', '.hidden', '']) {
      await expectRefusedUnchanged(dir, () => s.readRun(bad), 'invalid-request', /runId: expected letters, digits/);
      await expectRefusedUnchanged(dir, () => s.deleteSession(bad, { confirmed: true }), 'invalid-request', /sessionId/);
      await expectRefusedUnchanged(dir, () => s.createRun(bad, cfg), 'invalid-request', /sessionId/);
    }
  });

  it('lists a session with a corrupt manifest as corrupt instead of failing the whole list', async () => {
    const { dir, s, sess } = await setup();
    fs.writeFileSync(path.join(dir, 'sessions', sess.sessionId, 'session.json'), '{"schemaVersion":1');
    const before = hashTree(dir);
    const list = await s.listSessions();
    expect(list[0]!.corrupt).toMatch(/session\.json: not valid JSON/);
    expect(hashTree(dir)).toBe(before);
  });
});

describe('SessionStore.renameSession()', () => {
  it('renames and keeps runs; refuses an empty name', async () => {
    const s = store();
    const sess = await s.createSession('old');
    await runWith(s, sess.sessionId, [0]);
    expect((await s.renameSession(sess.sessionId, 'new')).name).toBe('new');
    expect((await s.listSessions())[0]).toMatchObject({ name: 'new', runCount: 1 });
    await expect(s.renameSession(sess.sessionId, '   ')).rejects.toMatchObject({ code: 'invalid-request' });
  });
});

describe('SessionStore.duplicateSession()', () => {
  it('copies every run under new ids with identical records and checkpoints', async () => {
    const s = store();
    const sess = await s.createSession('orig');
    const r = await s.createRun(sess.sessionId, cfg);
    r.writer.append([
      { step: 0, loss: 1, wallMs: 0 },
      { step: 5, loss: Number.NaN, wallMs: 1 },
    ]);
    await r.writer.writeCheckpoint({ step: 5, W: new Float64Array([1, 2]), V: new Float64Array([3, 4]), rngState: [9] });
    await writeKeptParams(r.runDir, { which: 'final', step: 5, m: 1, d: 2, W: new Float64Array([1, 2]), V: new Float64Array([3, 4]) });
    await r.writer.close();
    const copy = await s.duplicateSession(sess.sessionId);
    expect(copy.name).toBe('orig (copy)');
    expect(copy.sessionId).not.toBe(sess.sessionId);
    const runs = await s.listRuns(copy.sessionId);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.runId).not.toBe(r.runId);
    const a = await s.readRun(r.runId);
    const b = await s.readRun(runs[0]!.runId);
    expect(b.records).toEqual(a.records);
    expect(b.config.runId).toBe(runs[0]!.runId);
    expect((await s.latestCheckpoint(runs[0]!.runId))!.V).toEqual(new Float64Array([3, 4]));
    const kept = await readKeptParams(await s.findRunDir(runs[0]!.runId), 'final');
    expect(kept!.step).toBe(5);
    expect(Array.from(kept!.V.data as Float64Array)).toEqual([3, 4]);
  });
});

describe('SessionStore.deleteSession()', () => {
  it('moves the session to the trash when the trash works', async () => {
    const trashed: string[][] = [];
    const dir = tempDir();
    const s = store(dir, trashed);
    const sess = await s.createSession('x');
    expect(await s.deleteSession(sess.sessionId)).toEqual({ sessionId: sess.sessionId, trashed: true });
    expect(trashed).toEqual([[path.join(fs.realpathSync(dir), 'sessions', sess.sessionId)]]);
    expect(await s.listSessions()).toEqual([]);
  });

  it('without a trash, refuses unless confirmed, then deletes permanently', async () => {
    const dir = tempDir();
    const s = new SessionStore(dir, { trash: async () => Promise.reject(new Error('no trash here')) });
    const sess = await s.createSession('x');
    const before = hashTree(dir);
    const e = await rejection(s.deleteSession(sess.sessionId));
    expect(e.code).toBe('forbidden');
    expect(e.message).toMatch(/no trash here.*confirm/);
    expect(hashTree(dir)).toBe(before);
    expect(await s.deleteSession(sess.sessionId, { confirmed: true })).toEqual({ sessionId: sess.sessionId, trashed: false });
    expect(await s.listSessions()).toEqual([]);
  });

  it('refuses while a run of the session is being written', async () => {
    const s = store();
    const sess = await s.createSession('x');
    const r = await s.createRun(sess.sessionId, cfg);
    await expect(s.deleteSession(sess.sessionId, { confirmed: true })).rejects.toMatchObject({ code: 'forbidden' });
    await r.writer.close();
  });
});

describe('SessionStore.openForResume()', () => {
  it('drops metrics from the newest checkpoint on (the engine records that step again), sets running, and appends after it', async () => {
    const s = store();
    const sess = await s.createSession('x');
    const r = await s.createRun(sess.sessionId, cfg);
    r.writer.append([0, 10, 20].map((step) => ({ step, loss: 1, wallMs: 0 })));
    await r.writer.writeCheckpoint({ step: 10, W: new Float64Array([1]), V: new Float64Array([2]), rngState: [3] });
    r.writer.append([{ step: 30, loss: 1, wallMs: 0 }]);
    await r.writer.close();
    const res = await s.openForResume(r.runId);
    expect(res.checkpoint!.step).toBe(10);
    expect((await s.readRun(r.runId)).records.map((x) => x.step)).toEqual([0]);
    expect((await s.readRun(r.runId)).summary.status).toBe('running');
    res.writer.append([10, 20].map((step) => ({ step, loss: 0.5, wallMs: 0 })));
    await res.writer.close();
    expect((await s.readRun(r.runId)).records.map((x) => x.step)).toEqual([0, 10, 20]);
  });
});
