/**
 * A full disk, for real (issue 21): each test mounts a small tmpfs as the data folder, fills it, and checks
 * every write path — start-up (lock, sweep of interrupted runs, debris), sessions, runs (creation, metrics,
 * checkpoints, engine metadata, final status), uploads, browser mode's own start and the CLI's `train`. The
 * rule everywhere: a clear io-error, nothing half-made left behind, earlier data intact, and the process
 * still serving. Mounting needs root (or CAP_SYS_ADMIN); elsewhere the tests are skipped and say why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionStore } from '../../../../src/main/services/sessionStore';
import { RunWriter } from '../../../../src/main/services/runWriter';
import { CHECKPOINT_DIR, readLatestCheckpoint } from '../../../../src/main/services/checkpoint';
import { WorkbenchService } from '../../../../src/main/services/workbench';
import { LOCK_FILE } from '../../../../src/main/services/dataDirLock';
import { UploadStore } from '../../../../src/main/services/uploads';
import { parseMetricsText } from '../../../../src/shared/run/format';
import type { RunStatusEvent } from '../../../../src/shared/api/contract';
import type { RunTheory } from '../../../../src/shared/run/theory';
import { spawnServer } from '../../../../scripts/lib/serverProcess';
import { createHash } from 'node:crypto';
import { configFile } from './sessionFixtures';

const root = path.resolve(__dirname, '../../../..');
const { runId: _drop, ...cfg } = configFile();

/** Why tmpfs cannot be mounted here, or null when it can. */
function cannotMount(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `cannot mount a tmpfs (${
      String((e as { stderr?: Buffer }).stderr ?? e)
        .trim()
        .split('\n')[0]
    }; needs root or CAP_SYS_ADMIN)`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const skipReason = cannotMount();
if (skipReason) console.log(`enospc.test.ts: skipped, ${skipReason}`);

const mounts: string[] = [];

/** A fresh tmpfs of `size` (e.g. '4m') as a data folder. */
function smallDisk(size = '4m'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the disk (a filler file) until a write fails, then frees `leave` bytes. Returns the filler's path. */
function fill(dir: string, leave = 0): string {
  const filler = path.join(dir, 'filler.bin');
  const fd = fs.openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // Fill the last partial page too.
  try {
    for (;;) fs.writeSync(fd, chunk, 0, 512);
  } catch {
    /* full */
  }
  fs.closeSync(fd);
  if (leave > 0) fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - leave));
  return filler;
}

/**
 * Every file's path and bytes under a folder (not the folders' times: a temp file that was made and removed
 * again changes its folder's mtime, and nothing else).
 */
function contents(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      h.update(`${path.relative(dir, p)}\0${st.isDirectory() ? 'D' : 'F'}\0`);
      if (st.isDirectory()) walk(p);
      else h.update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** Temp files and half-made folders anywhere under a folder. */
function debris(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (/\.tmp-|^\.new-|^\.dup-|^\.part-/.test(e.name)) out.push(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(() => {
  for (const m of mounts.splice(0)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'pipe' });
    } catch {
      /* already gone */
    }
    fs.rmSync(m, { recursive: true, force: true });
  }
});

const run = (over: Record<string, unknown> = {}) => ({
  samples: 6,
  testSamples: 0,
  inputDim: 3,
  hiddenWidth: 16,
  steps: 10_000_000,
  trackEvery: 50,
  trackEigenvalues: 0,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  seed: 9,
  ...over,
});

describe.skipIf(skipReason !== null)('a full disk (ENOSPC on a tmpfs)', () => {
  let staticDir: string;
  beforeAll(() => {
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-full-web-'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  });
  afterAll(() => fs.rmSync(staticDir, { recursive: true, force: true }));

  it(
    'start-up (item 3): browser mode starts and serves with an interrupted run on a full disk, without its lock, and says so',
    { timeout: 90_000 },
    async () => {
      const dir = smallDisk();
      const s = new SessionStore(dir);
      const sess = await s.createSession('s');
      const r = await s.createRun(sess.sessionId, cfg);
      r.writer.append([{ step: 0, loss: 1, wallMs: 0 }]);
      await r.writer.close(); // status.json still says 'running': the run was interrupted
      fill(dir);
      const before = contents(path.join(dir, 'sessions'));
      const server = await spawnServer({ repoRoot: root, dataDir: dir, staticDir });
      try {
        const page = await fetch(server.url);
        expect(page.status).toBe(200);
        expect(server.output()).toMatch(/could not write the lock file .*starting without it/);
        expect(server.output()).toMatch(new RegExp(`run ${r.runId} stays marked running \\(it reads as interrupted\\)`));
      } finally {
        server.proc.kill('SIGKILL');
      }
      expect(contents(path.join(dir, 'sessions'))).toBe(before);
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
      expect(debris(dir)).toEqual([]);
      expect((await new SessionStore(dir).readRun(r.runId)).summary).toMatchObject({ status: 'stopped', reason: 'interrupted' });
    },
  );

  it('sessions: create, rename and duplicate fail with io-error and leave nothing half-made', { timeout: 30_000 }, async () => {
    const dir = smallDisk();
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const made = await svc.invoke('session:create', { name: 'before' });
    expect(made.ok).toBe(true);
    if (!made.ok) return;
    fill(dir);
    const before = contents(path.join(dir, 'sessions'));
    for (const r of [
      await svc.invoke('session:create', { name: 'x' }),
      await svc.invoke('session:rename', { sessionId: made.value.sessionId, name: 'after' }),
      await svc.invoke('session:duplicate', { sessionId: made.value.sessionId }),
    ]) {
      expect(r).toMatchObject({ ok: false, error: { code: 'io-error', message: expect.stringContaining('the disk is full') } });
    }
    expect(contents(path.join(dir, 'sessions'))).toBe(before);
    expect(debris(dir)).toEqual([]);
    expect((await svc.invoke('session:list', undefined)).ok).toBe(true);
    await svc.dispose();
  });

  it('run:start on a full disk fails with io-error and leaves no run folder (item 12)', { timeout: 30_000 }, async () => {
    const dir = smallDisk();
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const sess = await svc.invoke('session:create', { name: 's' });
    if (!sess.ok) throw new Error(sess.error.message);
    fill(dir);
    const r = await svc.invoke('run:start', { config: run(), sessionId: sess.value.sessionId });
    expect(r).toMatchObject({ ok: false, error: { code: 'io-error' } });
    expect(fs.readdirSync(path.join(dir, 'sessions', sess.value.sessionId, 'runs'))).toEqual([]);
    expect(debris(dir)).toEqual([]);
    expect(await svc.invoke('run:list', undefined)).toEqual({ ok: true, value: [] });
    await svc.dispose();
  });

  it('metrics: a disk that fills during a run stops it with io-error; every reported step is on disk and the file parses', { timeout: 60_000 }, async () => {
    const dir = smallDisk();
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const statuses: RunStatusEvent[] = [];
    const reported = new Set<number>();
    svc.on('run:status', (e) => statuses.push(e));
    svc.on('run:progress', (p) => p.records.forEach((x) => reported.add(x.step)));
    const r = await svc.invoke('run:start', { config: run({ trackEvery: 5 }) });
    if (!r.ok) throw new Error(r.error.message);
    await until(() => reported.size > 20);
    fill(dir);
    await until(() => statuses.some((s) => s.status === 'failed' || s.status === 'stopped'));
    const final = statuses.at(-1)!;
    expect(final).toMatchObject({ status: 'failed', error: { code: 'io-error', message: expect.stringMatching(/metrics\.ndjson.*the disk is full/) } });
    const d = await svc.invoke('run:get', { runId: r.value.runId });
    await svc.dispose();
    if (!d.ok) throw new Error(d.error.message);
    const onDisk = new Set(d.value.records.map((x) => x.step));
    for (const step of reported) expect(onDisk.has(step)).toBe(true);
    expect(d.value.status.lastStep).toBeLessThanOrEqual(Math.max(...onDisk));
    expect(debris(dir).filter((p) => !p.includes(CHECKPOINT_DIR))).toEqual([]);
  });

  it('checkpoints: one that does not fit stops the run with io-error; the earlier one stays valid and no temp file is left', { timeout: 60_000 }, async () => {
    const dir = smallDisk('8m');
    const svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
    await svc.start();
    const statuses: RunStatusEvent[] = [];
    svc.on('run:status', (e) => statuses.push(e));
    // Parameters of 2 × 1600 × 8 float64 = 200 KiB per checkpoint.
    const r = await svc.invoke('run:start', { config: run({ inputDim: 8, hiddenWidth: 1600, checkpointEvery: 20, trackEvery: 1_000_000 }) });
    if (!r.ok) throw new Error(r.error.message);
    const detail0 = await svc.invoke('run:get', { runId: r.value.runId });
    if (!detail0.ok) throw new Error(detail0.error.message);
    const runDir = path.join(dir, 'sessions', detail0.value.summary.sessionId, 'runs', r.value.runId);
    await until(() => fs.existsSync(path.join(runDir, CHECKPOINT_DIR)) && fs.readdirSync(path.join(runDir, CHECKPOINT_DIR)).some((n) => n.endsWith('.bin')));
    // Less room than one checkpoint, whatever number of them (up to CHECKPOINTS_KEPT) is there by now: with room for
    // one (300 KiB), a second already written when the poll saw the first left the disk in a steady state (each new
    // one written in the room the oldest had left) and the run never failed.
    fill(dir, 100 * 1024);
    await until(() => statuses.some((s) => s.status === 'failed' || s.status === 'stopped'));
    // The write that failed is a checkpoint's (not the metrics' appends, which have room for many steps).
    expect(statuses.at(-1)).toMatchObject({
      status: 'failed',
      error: { code: 'io-error', message: expect.stringMatching(/checkpoints\/ckpt-\d+\.bin \(the disk is full\)/) },
    });
    await svc.dispose();
    const cp = await readLatestCheckpoint(runDir);
    expect(cp).not.toBeNull();
    expect(cp!.W.length).toBe(1600 * 8);
    expect(debris(dir)).toEqual([]);
    const metrics = parseMetricsText(fs.readFileSync(path.join(runDir, 'metrics.ndjson'), 'utf8'));
    expect('error' in metrics).toBe(false);
  });

  it('engine metadata and final status: failed writes are io-errors naming the file, and the files keep their old content', { timeout: 30_000 }, async () => {
    const dir = smallDisk();
    const w = await RunWriter.create(path.join(dir, 'run'), configFile());
    w.append([{ step: 0, loss: 1, wallMs: 0 }]);
    const files = ['config.json', 'status.json'].map((f) => [f, fs.readFileSync(path.join(dir, 'run', f))] as const);
    const failures: string[] = [];
    w.onFailure((e) => failures.push(e.message));
    fill(dir);
    await expect(
      w.writeMeta({
        backend: 'js',
        dtype: 'float64',
        learningRates: { encoder: 0.1, decoder: 0.1 },
        n: 6,
        d: 3,
        m: 16,
        warnings: [],
        theory: { big: 'x'.repeat(10_000) } as unknown as RunTheory,
      }),
    ).rejects.toMatchObject({ code: 'io-error', message: expect.stringMatching(/(config|theory)\.json \(the disk is full\)/) });
    await expect(w.writeOutcome({ status: 'finished', reason: 'done' }, 0, new Date().toISOString())).rejects.toMatchObject({
      code: 'io-error',
      message: expect.stringMatching(/status\.json \(the disk is full\)/),
    });
    expect(failures).toHaveLength(1);
    for (const [f, bytes] of files) expect(fs.readFileSync(path.join(dir, 'run', f)).equals(bytes)).toBe(true);
    await w.close();
    expect(debris(dir)).toEqual([]);
  });

  it('uploads: a full disk is an io-error (HTTP 507 in browser mode) and no partial upload stays', { timeout: 30_000 }, async () => {
    const dir = smallDisk();
    const u = new UploadStore(dir);
    fill(dir, 4096);
    await expect(u.put('csv', 'big.csv', Buffer.alloc(512 * 1024, 49))).rejects.toMatchObject({
      code: 'io-error',
      message: expect.stringContaining('the disk is full'),
    });
    expect(debris(dir)).toEqual([]);
  });

  it('the CLI train (item 4): a full disk gives the --json summary with io-error and exit 1, never a stack trace', { timeout: 60_000 }, async () => {
    const dir = smallDisk('8m');
    const out = path.join(dir, 'run');
    fs.writeFileSync(
      path.join(os.tmpdir(), 'ntk-full-cfg.json'),
      JSON.stringify(run({ inputDim: 8, hiddenWidth: 1600, checkpointEvery: 10, steps: 1_000_000 })),
    );
    fill(dir, 600 * 1024);
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bin/ntk-workbench.mjs'), 'train', '--config', path.join(os.tmpdir(), 'ntk-full-cfg.json'), '--out', out, '--json', '--threads', '1'],
      {
        encoding: 'utf8',
        timeout: 50_000,
      },
    );
    expect(r.status, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'io-error', message: expect.stringContaining('the disk is full') } });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(debris(dir)).toEqual([]);
    if (fs.existsSync(path.join(out, 'metrics.ndjson'))) {
      const m = parseMetricsText(fs.readFileSync(path.join(out, 'metrics.ndjson'), 'utf8'));
      expect('error' in m).toBe(false);
      if (!('error' in m)) expect(summary.lastStep).toBeLessThanOrEqual(m.records.at(-1)?.step ?? 0);
    }
  });
});
