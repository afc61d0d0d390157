/** Issue 21: one test per item of the services (each failed before its fix). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../../../src/main/services/sessionStore';
import { OWNER_FILE, RunWriter, isRunOwnedByLiveProcess } from '../../../../src/main/services/runWriter';
import { CHECKPOINT_DIR, realAsyncFs, type AsyncFsLayer } from '../../../../src/main/services/checkpoint';
import { PARAMS_DIR } from '../../../../src/main/services/export/keptParams';
import { driveRun } from '../../../../src/main/services/runDriver';
import { EngineHost } from '../../../../src/main/services/engineHost';
import type { RunWriterOptions } from '../../../../src/main/services/runWriter';
import { DataDirLock, LOCK_FILE } from '../../../../src/main/services/dataDirLock';
import { processStartTime } from '../../../../src/main/services/processInfo';
import { WorkbenchService } from '../../../../src/main/services/workbench';
import { realFs, type FsLayer } from '../../../../src/main/services/fsAtomic';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';
import { parseMetricsText } from '../../../../src/shared/run/format';
import { configFile, faultyFs, hashTree, tempDir } from './sessionFixtures';

const { runId: _drop, ...cfg } = configFile();
const rec = (step: number) => ({ step, loss: 1 / (1 + step), wallMs: step });

/** A run as a killed process leaves it: status 'running', records up to `last`, no live owner. */
async function interruptedRun(s: SessionStore, steps = [0, 1, 2]) {
  const sess = await s.createSession('s');
  const r = await s.createRun(sess.sessionId, cfg);
  r.writer.append(steps.map(rec));
  await r.writer.close();
  return { ...r, sessionId: sess.sessionId };
}

/** The CLI's `train`: one run into a new folder through the run driver, in a fresh engine host. */
async function trainToFolder(config: Config, runDir: string, opts: { writer?: RunWriterOptions; threads?: number } = {}) {
  const host = new EngineHost({ threads: opts.threads ?? 1 });
  try {
    return await driveRun({ config, runDir, engine: host, ...(opts.writer ? { writer: opts.writer } : {}) });
  } finally {
    await host.dispose();
  }
}

const tiny = (over: Partial<Config> = {}): Config => ({
  ...defaultConfig(),
  samples: 6,
  testSamples: 0,
  inputDim: 3,
  hiddenWidth: 16,
  steps: 60,
  trackEvery: 10,
  trackEigenvalues: 0,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  seed: 3,
  ...over,
});

describe('start-up on a full disk (item 3)', () => {
  it('markAllInterrupted() reports a run it cannot rewrite and goes on; the run still reads as interrupted', async () => {
    const dir = tempDir();
    const r = await interruptedRun(new SessionStore(dir));
    const full = faultyFs();
    full.failWrites = 'ENOSPC';
    const errors: string[] = [];
    const s = new SessionStore(dir, { fs: full });
    await expect(s.markAllInterrupted({ onError: (id, e) => errors.push(`${id}: ${e.code}: ${e.message}`) })).resolves.toEqual([]);
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^${r.runId}: io-error: .*the disk is full`))]);
    expect((await s.readRun(r.runId)).summary).toMatchObject({ status: 'stopped', reason: 'interrupted' });
    expect(fs.readdirSync(r.runDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe("driveRun() into a new folder (the CLI's train) when a write fails (item 4)", () => {
  it('a failing checkpoint write stops the run with an io-error outcome (no rejection), and status.json says so without overstating lastStep', async () => {
    const out = path.join(tempDir(), 'run');
    const full: AsyncFsLayer = {
      ...realAsyncFs,
      open: async (p, flags, mode) => {
        if (flags === 'wx') throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
        return realAsyncFs.open(p, flags, mode);
      },
    };
    const res = await trainToFolder(tiny({ steps: 100_000, checkpointEvery: 5 }), out, { writer: { asyncFs: full }, threads: 1 });
    expect(res.outcome).toMatchObject({ status: 'failed', error: { code: 'io-error', message: expect.stringContaining('the disk is full') } });
    const status = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
    const parsed = parseMetricsText(fs.readFileSync(path.join(out, 'metrics.ndjson'), 'utf8'));
    if ('error' in parsed) throw new Error(parsed.error);
    expect(status).toMatchObject({ status: 'failed', errorCode: 'io-error' });
    expect(status.lastStep).toBeLessThanOrEqual(parsed.records.at(-1)!.step);
    expect(res.lastStep).toBe(status.lastStep);
    expect(fs.existsSync(path.join(out, OWNER_FILE))).toBe(false);
  });

  it('a failing final status write comes back as a failed outcome, not a rejection', async () => {
    const out = path.join(tempDir(), 'run');
    let statusWrites = 0;
    const statusFails: FsLayer = {
      ...realFs,
      renameSync(a, b) {
        if (path.basename(b) === 'status.json' && ++statusWrites > 1)
          throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
        realFs.renameSync(a, b);
      },
    };
    const res = await trainToFolder(tiny({ steps: 20 }), out, { writer: { fs: statusFails }, threads: 1 });
    expect(res.outcome).toMatchObject({ status: 'failed', error: { code: 'io-error' } });
    expect(res.outcome.reason).toMatch(/status\.json.*the disk is full/);
  });
});

describe('FIFOs and other non-regular files in a run folder (item 6)', () => {
  const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

  for (const name of ['metrics.ndjson', 'status.json', 'config.json', 'theory.json', OWNER_FILE]) {
    it(`a FIFO as ${name} is refused as corrupt without blocking any read (listing, detail, start-up, resume)`, { timeout: 20_000 }, async () => {
      const dir = tempDir();
      const s = new SessionStore(dir);
      const r = await interruptedRun(s);
      fs.rmSync(path.join(r.runDir, name), { force: true });
      mkfifo(path.join(r.runDir, name));
      const listed = await s.listRuns(r.sessionId);
      expect(listed).toHaveLength(1);
      if (name === 'status.json' || name === 'config.json')
        expect(listed[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/session-corrupt: .*FIFO/) });
      if (name === OWNER_FILE) {
        // Nobody owns a run through a FIFO: it reads as interrupted, and the start-up sweep replaces the owner file.
        expect(isRunOwnedByLiveProcess(r.runDir)).toBe(false);
        expect((await s.readRun(r.runId)).summary.status).toBe('stopped');
        await s.markAllInterrupted();
        return;
      }
      await s.markAllInterrupted();
      await expect(s.readRun(r.runId)).rejects.toMatchObject({ code: 'session-corrupt', message: expect.stringContaining('FIFO') });
      expect(fs.lstatSync(path.join(r.runDir, name)).isFIFO()).toBe(true);
    });
  }

  it('a FIFO in place of a checkpoint is passed over, named, and never opened', { timeout: 20_000 }, async () => {
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s);
    fs.mkdirSync(path.join(r.runDir, CHECKPOINT_DIR));
    mkfifo(path.join(r.runDir, CHECKPOINT_DIR, 'ckpt-000000000002.bin'));
    await expect(s.resumeCheckpoint(r.runId)).rejects.toMatchObject({
      code: 'session-corrupt',
      message: expect.stringMatching(/ckpt-000000000002\.bin.*FIFO/),
    });
  });
});

describe('metrics.ndjson of garbage without a newline (item 9)', () => {
  it('is corrupt, not a healthy run with 0 records; a torn record prefix still reads as torn', async () => {
    expect(parseMetricsText('hello, this is not a metrics file')).toEqual({ error: expect.stringContaining('not the start of a metrics record'), line: 1 });
    expect(parseMetricsText('{"step":0,"loss":1,"wallMs":0}\n\u0000\u0001garbage')).toMatchObject({ line: 2 });
    expect(parseMetricsText('{"step":0,"loss":1,"wallMs":0}\n{"step":1,"lo')).toMatchObject({ records: [{ step: 0 }], tornLastLine: true });
    expect(parseMetricsText('{"st')).toEqual({ records: [], tornLastLine: true });
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s, []);
    fs.writeFileSync(path.join(r.runDir, 'metrics.ndjson'), 'PK\u0003\u0004 not metrics');
    const before = hashTree(dir);
    await expect(s.readRun(r.runId)).rejects.toMatchObject({ code: 'session-corrupt', message: expect.stringContaining('metrics.ndjson: line 1') });
    expect(hashTree(dir)).toBe(before);
  });
});

describe('resume when every checkpoint is corrupt (item 10)', () => {
  it('names each checkpoint file and what is wrong with it; without any checkpoint it says to set checkpointEvery', async () => {
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s);
    await expect(s.resumeCheckpoint(r.runId)).rejects.toMatchObject({ code: 'invalid-request', message: expect.stringContaining('set checkpointEvery > 0') });
    const cpDir = path.join(r.runDir, CHECKPOINT_DIR);
    fs.mkdirSync(cpDir);
    fs.writeFileSync(path.join(cpDir, 'ckpt-000000000001.bin'), 'NTKCKPT\ngarbage');
    fs.writeFileSync(path.join(cpDir, 'ckpt-000000000002.bin'), 'not a checkpoint');
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    const res = await svc.invoke('run:continue', { runId: r.runId });
    await svc.dispose();
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('session-corrupt');
    expect(res.error.message).toMatch(/all 2 checkpoints are unusable/);
    expect(res.error.message).toMatch(/ckpt-000000000002\.bin: not a checkpoint file \(bad magic\)/);
    expect(res.error.message).toMatch(/ckpt-000000000001\.bin: truncated header/);
    expect(res.error.message).not.toContain('checkpointEvery');
  });
});

describe('a run finishing while the runs are listed (item 11)', () => {
  it('is never shown as stopped/interrupted: ownership is taken before status.json is read', async () => {
    const dir = tempDir();
    let finish: (() => Promise<void>) | null = null;
    const s = new SessionStore(dir, {
      // The run's writer finishes and lets go right after its status.json has been read as 'running'.
      readFile: async (file, max) => {
        const { readFileLimited } = await import('../../../../src/main/services/fsAtomic');
        const buf = await readFileLimited(file, max);
        if (path.basename(file) === 'status.json' && finish) {
          const f = finish;
          finish = null;
          await f();
        }
        return buf;
      },
    });
    const sess = await s.createSession('s');
    const r = await s.createRun(sess.sessionId, cfg);
    r.writer.append([rec(0), rec(1)]);
    finish = async () => {
      await r.writer.writeOutcome({ status: 'finished', reason: 'done' }, 1, new Date().toISOString());
      await r.writer.close();
    };
    const [listed] = await s.listRuns(sess.sessionId);
    expect(listed!.status).not.toBe('stopped');
    expect(listed!.reason).not.toBe('interrupted');
    expect((await s.listRuns(sess.sessionId))[0]).toMatchObject({ status: 'finished', reason: 'done' });
  });
});

describe('debris after failures (item 12)', () => {
  it('a run that cannot be created on a full disk leaves no folder (and so no run listed as corrupt)', async () => {
    const dir = tempDir();
    const full = faultyFs();
    const s = new SessionStore(dir, { fs: full });
    const sess = await s.createSession('s');
    full.failWrites = 'ENOSPC';
    await expect(s.createRun(sess.sessionId, cfg)).rejects.toMatchObject({ code: 'io-error' });
    full.failWrites = null;
    expect(fs.readdirSync(path.join(dir, 'sessions', sess.sessionId, 'runs'))).toEqual([]);
    expect(await s.listRuns(sess.sessionId)).toEqual([]);
    // Failing after the folder's files were written (at the rename into place) leaves nothing either.
    full.failRenames = 'ENOSPC';
    await expect(RunWriter.create(path.join(tempDir(), 'r'), configFile(), { fs: full })).rejects.toMatchObject({ code: 'io-error' });
  });

  it('removeDebris() removes temp files and half-made folders of dead writers, and nothing else', async () => {
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s);
    const sdir = path.join(dir, 'sessions');
    const runs = path.join(sdir, r.sessionId, 'runs');
    fs.mkdirSync(path.join(sdir, '.new-s-20240101000000-abcd1234', 'runs'), { recursive: true });
    fs.mkdirSync(path.join(sdir, '.dup-s-20240101000000-abcd1234'));
    fs.mkdirSync(path.join(runs, '.new-run-20240101000000-abcd1234-0a0b0c0d'));
    fs.mkdirSync(path.join(r.runDir, CHECKPOINT_DIR));
    fs.mkdirSync(path.join(r.runDir, PARAMS_DIR));
    const debris = [
      path.join(r.runDir, PARAMS_DIR, '.initial.npz.tmp-4242-11'),
      path.join(r.runDir, CHECKPOINT_DIR, '.ckpt-000000000010.bin.tmp-4242-7'),
      path.join(r.runDir, CHECKPOINT_DIR, '.ckpt-000000000020.bin.tmp-4242-a3'),
      path.join(r.runDir, '.status.json.tmp-4242-9'),
      path.join(sdir, r.sessionId, '.session.json.tmp-4242-1'),
    ];
    for (const f of debris) fs.writeFileSync(f, 'half');
    const keep = [
      path.join(r.runDir, 'notes.txt'),
      path.join(r.runDir, CHECKPOINT_DIR, 'ckpt-000000000030.bin'),
      path.join(r.runDir, PARAMS_DIR, 'final.npz'),
      path.join(sdir, 'README'),
    ];
    for (const f of keep) fs.writeFileSync(f, 'mine');
    fs.symlinkSync(os.tmpdir(), path.join(sdir, '.new-link'));
    expect(await s.removeDebris()).toBe(8);
    for (const f of debris) expect(fs.existsSync(f)).toBe(false);
    for (const f of keep) expect(fs.readFileSync(f, 'utf8')).toBe('mine');
    expect(fs.readdirSync(sdir).sort()).toEqual(['.new-link', 'README', r.sessionId].sort());
    expect(fs.existsSync(os.tmpdir())).toBe(true);
  });

  it('status.json never claims a step that is not in metrics.ndjson (after an append failed)', async () => {
    const full = faultyFs();
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile(), { fs: full });
    w.append([rec(0), rec(1), rec(2)]);
    full.failWrites = 'ENOSPC';
    expect(() => w.append([rec(3), rec(4)])).toThrow(/the disk is full/);
    full.failWrites = null;
    await w.writeOutcome({ status: 'failed', reason: 'io', error: { code: 'io-error', message: 'io' } }, 4, new Date().toISOString());
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).lastStep).toBe(2);
    await w.close();
  });
});

describe('owner files and reused process ids (item 14)', () => {
  const ownerOf = (pid: number, startTime: string | null) =>
    JSON.stringify({ schemaVersion: 1, pid, hostname: os.hostname(), startTime, startedAt: '2024-01-01T00:00:00.000Z' });

  it.skipIf(process.platform !== 'linux')('an owner whose pid is alive but started at another time (a reused pid) does not own the run', async () => {
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s);
    const live = process.ppid;
    expect(processStartTime(live)).not.toBeNull();
    fs.writeFileSync(path.join(r.runDir, OWNER_FILE), ownerOf(live, 'boot:1'));
    expect(isRunOwnedByLiveProcess(r.runDir)).toBe(false);
    expect((await s.readRun(r.runId)).summary).toMatchObject({ status: 'stopped', reason: 'interrupted' });
    fs.writeFileSync(path.join(r.runDir, OWNER_FILE), ownerOf(live, processStartTime(live)));
    expect(isRunOwnedByLiveProcess(r.runDir)).toBe(true);
  });

  it('an owner that cannot be told apart asks to confirm a take-over, and take-over resumes', async () => {
    const dir = tempDir();
    const s = new SessionStore(dir);
    const r = await interruptedRun(s);
    fs.writeFileSync(path.join(r.runDir, OWNER_FILE), ownerOf(process.ppid, null));
    await expect(s.openRunForResume(r.runId, 1)).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining(`process ${process.ppid}`),
      details: expect.objectContaining({ needsConfirmation: true, pid: process.ppid }),
    });
    const w = await s.openRunForResume(r.runId, 1, { takeOver: true });
    expect(JSON.parse(fs.readFileSync(path.join(r.runDir, OWNER_FILE), 'utf8')).pid).toBe(process.pid);
    await w.close();
  });
});

describe('one instance per data folder (issue 17)', () => {
  it('a second service on the same folder is refused naming the first one; after it ends the folder is free', async () => {
    const dir = tempDir();
    const a = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await a.start();
    a.lock!.setUrl('http://127.0.0.1:41234/');
    const b = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await expect(b.start()).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(new RegExp(`in use by NTK Workbench \\(browser mode at http://127\\.0\\.0\\.1:41234/; process ${process.pid}`)),
      details: expect.objectContaining({ pid: process.pid, url: 'http://127.0.0.1:41234/' }),
    });
    await a.dispose();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    await b.start();
    await b.dispose();
  });

  it('replaces a lock left by a process that is gone', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify({
        schemaVersion: 1,
        pid: 2 ** 22 + 4321,
        hostname: os.hostname(),
        startTime: null,
        startedAt: '',
        mode: 'browser',
        url: 'http://127.0.0.1:1/',
      }),
    );
    const logs: string[] = [];
    const lock = DataDirLock.acquire(dir, { mode: 'browser', log: (m) => logs.push(m) });
    expect(lock.held).toBe(true);
    expect(logs).toEqual([expect.stringContaining('replaced the stale lock')]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});

describe('the memory limit at every start path (item 7, issue 17)', () => {
  it('run:start refuses a run above memoryLimitMiB with the estimate, and creates no run folder', async () => {
    const dir = tempDir();
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    const r = await svc.invoke('run:start', { config: { samples: 20_000 } });
    const w = await svc.invoke('run:start', {
      config: { samples: 4, testSamples: 0, inputDim: 16, hiddenWidth: 507_904, memoryLimitMiB: 16, learningRate: 0.1 },
    });
    const runs = await svc.invoke('run:list', undefined);
    await svc.dispose();
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'too-large',
        message: expect.stringMatching(/needs ~1\d\.\d GiB.*20000×20000.*2048 MiB/),
        details: expect.objectContaining({ field: 'samples' }),
      },
    });
    expect(w).toMatchObject({ ok: false, error: { code: 'too-large', details: expect.objectContaining({ field: 'hiddenWidth', limitMiB: 16 }) } });
    expect(runs).toEqual({ ok: true, value: [] });
  });

  it('trainToFolder (the CLI) refuses before it creates the folder', async () => {
    const out = path.join(tempDir(), 'run');
    await expect(trainToFolder(tiny({ samples: 20_000 }), out)).rejects.toMatchObject({ code: 'too-large' });
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('uploads by id (item 2)', () => {
  it('upload:put stores bytes; theory:compute and run:start take the text by id and the run keeps it in config.json', async () => {
    const dir = tempDir();
    const svc = new WorkbenchService({ mode: 'electron', dataDir: dir });
    const text = Array.from({ length: 6 }, (_, i) => [Math.cos(i), Math.sin(i), 0.5].join(',')).join('\n') + '\n';
    const up = await svc.invoke('upload:put', { kind: 'csv', name: 'points.csv', bytes: new TextEncoder().encode(text) });
    expect(up).toMatchObject({ ok: true, value: { kind: 'csv', name: 'points.csv', bytes: text.length } });
    if (!up.ok) return;
    const config = { dataset: 'csv', samples: 4, testSamples: 2, hiddenWidth: 16, steps: 5, backend: 'js', dtype: 'float64' };
    const th = await svc.invoke('theory:compute', { config, uploads: { csvText: up.value.uploadId } });
    expect(th).toMatchObject({ ok: true, value: { n: 4, d: 3 } });
    const both = await svc.invoke('theory:compute', { config: { ...config, csvText: text }, uploads: { csvText: up.value.uploadId } });
    expect(both).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const gone = await svc.invoke('theory:compute', { config, uploads: { csvText: 'up-000000000000000000000000' } });
    expect(gone).toMatchObject({ ok: false, error: { code: 'not-found', details: { uploadId: 'up-000000000000000000000000' } } });
    const started = await svc.invoke('run:start', { config, uploads: { csvText: up.value.uploadId } });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    for (let i = 0; i < 400; i++) {
      const l = await svc.invoke('run:list', undefined);
      if (l.ok && l.value[0]?.status === 'finished') break;
      await new Promise((res) => setTimeout(res, 25));
    }
    const detail = await svc.invoke('run:get', { runId: started.value.runId });
    await svc.dispose();
    expect(detail).toMatchObject({ ok: true, value: { config: { config: { csvText: text, csvName: 'points.csv' } }, status: { status: 'finished' } } });
  });
});

describe('app shutdown with an engine task under way', () => {
  // A worker terminated inside an onnxruntime call takes the process down: dispose() lets the task worker's
  // pending tasks finish first (within taskDrainMs), and only then terminates it.
  const task = { config: tiny({ samples: 40, hiddenWidth: 200 }), atStep: 0, full: false, matrix: false };

  it('waits for the pending task, which answers, before it terminates the task worker', async () => {
    const host = new EngineHost({ threads: 1 });
    // Asked while the worker is still starting: dispose() comes before the task's answer.
    const answer = host.runTask('ntk', task);
    await host.dispose();
    const r = await answer;
    expect(r.n).toBe(40);
    expect(r.m).toBe(200);
    expect(r.kind).toBe('traced');
  });

  it('terminates a worker only outside its native calls, and none starts after (the native-call guard)', { timeout: 30_000 }, async () => {
    // A stand-in worker whose task makes 200 ms "native calls" back to back; the shutdown comes while one is
    // under way. The host must wait for its end and then claim the worker: the log ends with a `leave`.
    const dir = tempDir();
    const log = path.join(dir, 'native.log');
    fs.writeFileSync(log, '');
    process.env.NTK_NATIVE_FIXTURE_LOG = log;
    try {
      const host = new EngineHost({ worker: () => new URL('./nativeCallWorker.fixture.mjs', import.meta.url), taskDrainMs: 1 });
      const failure = host.runTask('ntk', task).then(
        () => null,
        (e: unknown) => e,
      );
      const entered = Date.now();
      while (!fs.readFileSync(log, 'utf8').includes('enter')) {
        if (Date.now() - entered > 20_000) throw new Error('the stand-in worker never started its task');
        await new Promise((r) => setTimeout(r, 5));
      }
      await host.dispose();
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
      // terminated after a `leave` (the call ended), or once the claim refused the next call
      expect(lines.at(-1)).toMatch(/^(leave|refused: the engine is shutting down)/);
      expect(lines.filter((l) => l === 'enter').length).toBe(lines.filter((l) => l === 'leave').length);
      expect(await failure).toMatchObject({ code: expect.stringMatching(/^(worker-crashed|cancelled)$/) });
    } finally {
      delete process.env.NTK_NATIVE_FIXTURE_LOG;
    }
  });

  it('terminates the task worker once taskDrainMs has passed, the task failing as crashed', async () => {
    const host = new EngineHost({ threads: 1, taskDrainMs: 1 });
    const answer = host.runTask('ntk', task);
    const failure = answer.then(
      () => null,
      (e: unknown) => e,
    );
    await host.dispose();
    expect(await failure).toMatchObject({ code: 'worker-crashed' });
  });
});
