/**
 * Distributed sweeps end to end with a real redis-server (Debian's package) on 127.0.0.1 at a free port,
 * started and stopped here, and real worker processes (`ntk-workbench worker`): a 12-cell sweep survives a
 * SIGKILLed worker (short lock duration) with no cell lost or duplicated; a duplicated job leaves one
 * result; a worker of another version is refused; Redis going away pauses the producer, which finishes when
 * Redis returns. The Redis URL carries a password: it must not appear in any output or run folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { TestRedis, redisServerBinary } from '../../../../support/redis';
import { parseRedisUrl, connectionOptions, type RedisTarget } from '../../../../../src/main/services/distributed/redisUrl';
import { redisExecutor, runDistributedSweep, type DistributedCell, type DistributedEvent } from '../../../../../src/main/services/distributed/producer';
import { DistributedWorker } from '../../../../../src/main/services/distributed/worker';
import { jobIdOf, QUEUE_NAME, type CellJob } from '../../../../../src/main/services/distributed/protocol';
import { ownVersions } from '../../../../../src/main/services/distributed/version';
import { expandSweep, type SweepSpec } from '../../../../../src/shared/sweeps/spec';
import { cellId } from '../../../../../src/main/services/sweeps/cellId';
import { parseMetricsText, runStatusFileSchema } from '../../../../../src/shared/run/format';
import { SweepRunner, type RunnerCell } from '../../../../../src/main/services/sweeps/runner';
import { WorkbenchService } from '../../../../../src/main/services/workbench';
import type { ExperimentProgressEvent } from '../../../../../src/shared/experiments/api';

const root = path.resolve(__dirname, '../../../../..');
const PASSWORD = 'pa55/w0rd-never-shown';
const redisBin = redisServerBinary();
if (redisBin.bin === null) console.warn(`distributed sweep tests skipped: ${redisBin.why}`);

/** Tiny cells: a few samples, small widths, plain TypeScript backend. */
function cells(spec: SweepSpec): DistributedCell[] {
  return expandSweep(spec).map((c) => ({ cellId: cellId(c.config), index: c.index, config: c.config, point: c.point }));
}
const base = { samples: 4, testSamples: 2, inputDim: 3, steps: 200, trackEvery: 50, trackEigenvalues: 2, backend: 'js', dtype: 'float64' };

/** A worker process the way a user starts one. */
class WorkerProc {
  readonly proc: ChildProcess;
  stderr = '';
  onStderr: ((all: string) => void) | null = null;
  readonly exited: Promise<number | null>;
  constructor(url: string, dataDir: string, extra: string[] = []) {
    this.proc = spawn(
      process.execPath,
      [path.join(root, 'bin/ntk-workbench.mjs'), 'worker', '--redis', url, '--data-dir', dataDir, '--lock-duration', '1500', ...extra],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      },
    );
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.onStderr?.(this.stderr);
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }
  get pid(): number {
    return this.proc.pid!;
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Every file under `dir`, recursively. */
function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

/** Checks that `outDir` holds exactly one complete, finished run folder per cell and nothing else. */
function expectOneRunFolderPerCell(outDir: string, cs: DistributedCell[]): void {
  expect(readdirSync(outDir).sort()).toEqual(cs.map((c) => c.cellId).sort());
  for (const c of cs) {
    const dir = path.join(outDir, c.cellId);
    const status = runStatusFileSchema.parse(JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8')));
    expect(status.status).toBe('finished');
    const m = parseMetricsText(readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8'));
    if ('error' in m) throw new Error(m.error);
    expect(m.records.at(-1)!.step).toBe(status.lastStep);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { config: { seed: number; hiddenWidth: number } };
    expect(config.config.seed).toBe(c.config.seed);
    expect(config.config.hiddenWidth).toBe(c.config.hiddenWidth);
  }
  for (const f of allFiles(outDir)) expect(readFileSync(f).includes(PASSWORD)).toBe(false);
}

describe.skipIf(!redisBin.bin)('distributed sweeps on BullMQ + a real redis-server', () => {
  let redis: TestRedis;
  let target: RedisTarget;
  let tmp: string;
  const workers: WorkerProc[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start(redisBin.bin!, { password: PASSWORD });
    target = parseRedisUrl(redis.url);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ntk-dist-'));
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await redis?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('completes a 12-cell sweep on two workers when one is SIGKILLed mid-cell: no cell lost, none duplicated', async () => {
    const a = new WorkerProc(redis.url, path.join(tmp, 'wa'));
    const b = new WorkerProc(redis.url, path.join(tmp, 'wb'));
    workers.push(a, b);
    const cs = cells({ base, grid: { hiddenWidth: [8, 16, 32] }, seeds: [0, 1, 2, 3] });
    expect(cs).toHaveLength(12);
    const outDir = path.join(tmp, 'sweep12');
    const events: DistributedEvent[] = [];
    let killed: { cellId: string } | null = null;
    // Kill worker A (SIGKILL) while it holds a cell it started and has not finished. (Waiting for a first finished
    // cell as well made this racy on a loaded machine: A could take its last cell before the producer saw one done.)
    a.onStderr = (all) => {
      if (killed) return;
      const started = [...all.matchAll(/cell (c-[0-9a-f]{16}) \(#\d+\) started/g)].map((m) => m[1]!);
      const open = started.filter((id) => !new RegExp(`cell ${id} \\(#\\d+\\) (finished|failed)`).test(all));
      if (open.length === 0) return;
      killed = { cellId: open.at(-1)! };
      a.proc.kill('SIGKILL');
    };
    const res = await runDistributedSweep({
      redis: target,
      cells: cs,
      outDir,
      backoffMs: 200,
      onEvent: (e) => events.push(e),
    });
    expect(killed).not.toBeNull();
    expect(await a.exited).toBe(null); // killed by the signal
    expect(res.done).toBe(12);
    expect(res.failed).toEqual([]);
    expectOneRunFolderPerCell(outDir, cs);
    // The killed worker's cell was finished by the other one.
    const doneBy = events.filter((e): e is Extract<DistributedEvent, { type: 'cell-done' }> => e.type === 'cell-done' && e.cellId === killed!.cellId);
    expect(doneBy).toHaveLength(1);
    expect(doneBy[0]!.worker).toContain(`-${b.pid}-`);
    expect(events.filter((e) => e.type === 'cell-done')).toHaveLength(12);
    // Presence: B was listed with host, backend, dtype and throughput.
    const listed = events.filter((e): e is Extract<DistributedEvent, { type: 'workers' }> => e.type === 'workers').flatMap((e) => e.workers);
    const wb = listed.filter((w) => w.pid === b.pid && w.backend !== null).at(-1)!;
    expect(wb).toMatchObject({ host: os.hostname(), backend: 'js', dtype: 'float64' });
    expect(wb.cellsPerMinute).toBeGreaterThan(0);
    expect(wb.stepsPerSecond).toBeGreaterThan(0);
    // No one else; A too where its presence record went out before the kill (A can take a cell, and be killed,
    // before its presence connection is ready: then it is never listed, as a worker that never announced itself).
    const pids = new Set(listed.map((w) => w.pid));
    expect(pids.has(b.pid)).toBe(true);
    expect([...pids].every((pid) => pid === a.pid || pid === b.pid)).toBe(true);
    for (const w of [a, b]) expect(w.stderr).not.toContain(PASSWORD);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  }, 240_000);

  it('a duplicated job delivery leaves exactly one result folder', async () => {
    const cs = cells({ base: { ...base, hiddenWidth: 12 }, seeds: [7] });
    const c = cs[0]!;
    const outDir = path.join(tmp, 'dup');
    const sweepId = 's-duplicate';
    const data: CellJob = {
      schemaVersion: 1,
      sweepId,
      cellId: c.cellId,
      index: 0,
      point: c.point,
      work: { kind: 'train', config: c.config as unknown as Record<string, unknown> },
      ...ownVersions(),
      withCheckpoints: false,
    };
    const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(target) });
    try {
      // The same cell delivered twice (as BullMQ may): two jobs, both computed by the running worker.
      await queue.add('cell', data, { jobId: jobIdOf(sweepId, c.cellId) });
      await queue.add('cell', data, { jobId: `${jobIdOf(sweepId, c.cellId)}.again` });
      const until = Date.now() + 90_000;
      while (((await queue.getJobCounts('completed')).completed ?? 0) < 2) {
        if (Date.now() > until) throw new Error('the worker did not complete both deliveries');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await queue.close();
    }
    const events: DistributedEvent[] = [];
    const res = await runDistributedSweep({ redis: target, cells: cs, outDir, sweepId, onEvent: (e) => events.push(e) });
    expect(res.done).toBe(1);
    expect(res.duplicatesDiscarded).toBe(1);
    expect(events.filter((e) => e.type === 'cell-done')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'duplicate')).toHaveLength(1);
    expectOneRunFolderPerCell(outDir, cs);
  }, 120_000);

  it('a worker refuses a producer of another version, naming both, and exits 2; the cell waits for a worker of that version', async () => {
    const cs = cells({ base: { ...base, hiddenWidth: 10 }, seeds: [3] });
    const outDir = path.join(tmp, 'version');
    const ac = new AbortController();
    const events: DistributedEvent[] = [];
    const producerVersions = { appVersion: '9.9.9', engineVersion: '42' };
    const sweep = runDistributedSweep({ redis: target, cells: cs, outDir, versions: producerVersions, signal: ac.signal, onEvent: (e) => events.push(e) });
    // the running worker (this build's version) refuses too; a fresh one shows the exit code
    const w = new WorkerProc(redis.url, path.join(tmp, 'wv'));
    workers.push(w);
    const code = await w.exited;
    expect(code).toBe(2);
    expect(w.stderr).toContain('version mismatch');
    expect(w.stderr).toContain('app 0.1.0, engine 1');
    expect(w.stderr).toContain('app 9.9.9, engine 42');
    // The producer shows the refusal too.
    const until = Date.now() + 20_000;
    while (!events.some((e) => e.type === 'refused') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const refused = events.find((e): e is Extract<DistributedEvent, { type: 'refused' }> => e.type === 'refused');
    expect(refused?.message).toContain('app 9.9.9, engine 42');
    // A worker of the producer's version takes the cell that was put back.
    const good = new DistributedWorker({ redis: target, scratchDir: path.join(tmp, 'wgood'), versions: producerVersions, lockDurationMs: 1500 });
    try {
      const res = await sweep;
      expect(res.done).toBe(1);
      expect(res.failed).toEqual([]);
    } finally {
      ac.abort();
      await good.close();
    }
    expectOneRunFolderPerCell(outDir, cs);
  }, 120_000);

  it('pauses the producer with a clear message while Redis is away and finishes when it returns', async () => {
    // Workers of this build (the earlier test's worker B refused and stopped): two fresh ones.
    const ws = [new WorkerProc(redis.url, path.join(tmp, 'wo1')), new WorkerProc(redis.url, path.join(tmp, 'wo2'))];
    workers.push(...ws);
    // longer cells, so that most are still to go when Redis goes away
    const cs = cells({ base: { ...base, steps: 600 }, grid: { hiddenWidth: [8, 16] }, seeds: [10, 11, 12, 13] });
    const outDir = path.join(tmp, 'outage');
    const events: DistributedEvent[] = [];
    let outage: Promise<void> | null = null;
    const res = await runDistributedSweep({
      redis: target,
      cells: cs,
      outDir,
      backoffMs: 200,
      onEvent: (e) => {
        events.push(e);
        if (!outage && e.type === 'cell-done') {
          outage = (async () => {
            await redis.stop();
            const until = Date.now() + 15_000;
            while (!events.some((x) => x.type === 'paused') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
            await new Promise((r) => setTimeout(r, 1500));
            await redis.start(); // a fresh server: every key is gone
          })();
        }
      },
    });
    await outage;
    const paused = events.find((e): e is Extract<DistributedEvent, { type: 'paused' }> => e.type === 'paused');
    expect(paused?.message).toMatch(
      /^Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+\/0 is unreachable.*the sweep is paused with \d+ cells done and \d+ to go, and continues when Redis is back$/,
    );
    expect(events.some((e) => e.type === 'resumed')).toBe(true);
    expect(res.done).toBe(8);
    expect(res.failed).toEqual([]);
    expectOneRunFolderPerCell(outDir, cs);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
    for (const w of ws) expect(w.stderr).not.toContain(PASSWORD);
  }, 240_000);

  it('drives the sweep runner through redisExecutor: its state file, progress and resume work as on the local queue', async () => {
    // the workers of the previous test serve the queue
    const cs = cells({ base, grid: { hiddenWidth: [8, 12, 16] }, seeds: [21] });
    const runnerCells: RunnerCell[] = cs.map((c) => ({ id: c.cellId, index: c.index, point: c.point, work: { kind: 'train', config: c.config } }));
    const runsDir = path.join(tmp, 'runner');
    const stateFile = path.join(runsDir, 'sweep.json');
    const events: DistributedEvent[] = [];
    const executor = redisExecutor({ redis: target, sweepId: 's-runner', cells: runnerCells, onEvent: (e) => events.push(e) });
    const finishedSeen: number[] = [];
    const summary = await new SweepRunner({
      name: 'on redis',
      stateFile,
      runsDir,
      cells: runnerCells,
      executor,
      jobs: runnerCells.length,
      onProgress: (p) => finishedSeen.push(p.finished),
    }).run();
    await executor.dispose();
    expect(summary.finished).toBe(3);
    expect(summary.failed).toBe(0);
    expect(finishedSeen.at(-1)).toBe(3);
    expect(
      events
        .filter((e) => e.type === 'cell-done')
        .map((e) => (e as { index: number }).index)
        .sort(),
    ).toEqual([0, 1, 2]);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { cells: Record<string, { state: string; outcome?: { metrics: { backend: string } } }> };
    for (const c of cs) expect(state.cells[c.cellId]).toMatchObject({ state: 'finished', outcome: { metrics: { backend: 'js' } } });
    for (const c of cs) expect(readFileSync(path.join(runsDir, c.cellId, 'status.json'), 'utf8')).toContain('"finished"');
    // Run again: every cell is kept, nothing is queued.
    const again = redisExecutor({ redis: target, sweepId: 's-runner', cells: runnerCells });
    const second = await new SweepRunner({ name: 'on redis', stateFile, runsDir, cells: runnerCells, executor: again, jobs: 3 }).run();
    await again.dispose();
    expect(second.skipped).toBe(3);
    expect(again.producer.done).toBe(0);
  }, 120_000);

  it('ntk-workbench sweep --redis URL runs the grid on the workers and prints workers and progress on stderr', async () => {
    const dir = path.join(tmp, 'cli');
    const cfg = path.join(tmp, 'cli-base.json');
    writeFileSync(cfg, JSON.stringify(base));
    const run = (...extra: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(
          process.execPath,
          [
            path.join(root, 'bin/ntk-workbench.mjs'),
            'sweep',
            '--config',
            cfg,
            '--grid',
            'hiddenWidth=8,12',
            '--seeds',
            '30..31',
            '--out',
            dir,
            '--json',
            ...extra,
          ],
          { cwd: root },
        );
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const bad = spawnSync(
      process.execPath,
      [path.join(root, 'bin/ntk-workbench.mjs'), 'sweep', '--config', cfg, '--out', path.join(tmp, 'cli-bad'), '--redis', 'http://nowhere'],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--redis');
    const r = await run('--redis', redis.url);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { total: number; finished: number; cells: { id: string; runDir: string; state: string }[] };
    expect(res).toMatchObject({ total: 4, finished: 4 });
    for (const c of res.cells) expect(readFileSync(path.join(c.runDir, 'status.json'), 'utf8')).toContain('"finished"');
    expect(r.stderr).toMatch(/workers: \d connected/);
    expect(r.stderr).toMatch(/cell c-[0-9a-f]{16} \(#\d\) finished on /);
    expect(r.stderr).not.toContain(PASSWORD);
    for (const f of allFiles(dir)) expect(readFileSync(f).includes(PASSWORD)).toBe(false);
  }, 120_000);

  it('experiment:start with a Redis URL runs the experiment on the workers; the UI gets the workers, never the password', async () => {
    const dataDir = path.join(tmp, 'svc');
    const svc = new WorkbenchService({ mode: 'browser', dataDir });
    await svc.start();
    try {
      const bad = await svc.invoke('experiment:start', { preset: 'E9', quick: true, redisUrl: 'http://nowhere' });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.error.message).toMatch(/^Redis URL: /);
      const events: ExperimentProgressEvent[] = [];
      const started = await svc.invoke('experiment:start', { preset: 'E9', quick: true, params: { ns: [4, 8] }, redisUrl: redis.url });
      if (!started.ok) throw new Error(started.error.message);
      expect(started.value.remote?.redis).toMatch(/^redis:\/\/\*\*\*@127\.0\.0\.1:\d+\/0$/);
      await new Promise<void>((resolve) => {
        const off = svc.on('experiment:progress', (e) => {
          events.push(e);
          if (e.status !== 'running') {
            off();
            resolve();
          }
        });
      });
      const end = await svc.invoke('experiment:get', { experimentId: started.value.experimentId });
      if (!end.ok) throw new Error(end.error.message);
      expect(end.value.status).toBe('finished');
      expect(end.value.summary).not.toBeNull();
      expect(events.some((e) => (e.remote?.workers.length ?? 0) > 0)).toBe(true);
      expect(JSON.stringify(events)).not.toContain(PASSWORD);
      for (const f of allFiles(dataDir)) expect(readFileSync(f).includes(PASSWORD)).toBe(false);
    } finally {
      await svc.dispose();
    }
  }, 180_000);
});
