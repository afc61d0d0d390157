/**
 * Case `sweep-distributed` (issue 18): cells per minute of one small sweep on the local queue (the sweep
 * runner with 1 and 2 jobs) and on BullMQ + Redis with 1 and 2 local worker processes (`ntk-workbench
 * worker`), same cells, same machine, same run. The redis rows carry `vs_local` = their cells per minute
 * over the local queue's with as many jobs: what the queue, the transfer of run folders through Redis and
 * the result writing cost. A redis-server (Debian's package) is started on 127.0.0.1 at a free port and
 * stopped afterwards; without one the redis rows carry a note. Workers are started and seen connected
 * before the clock starts (their start-up is not a cell's cost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { expandSweep } from '../../src/shared/sweeps/spec';
import { cellId } from '../../src/main/services/sweeps/cellId';
import { localExecutor } from '../../src/main/services/sweeps/executor';
import { SweepRunner, type RunnerCell } from '../../src/main/services/sweeps/runner';
import { runDistributedSweep, type DistributedCell } from '../../src/main/services/distributed/producer';
import { connectionOptions, parseRedisUrl } from '../../src/main/services/distributed/redisUrl';
import { listWorkers } from '../../src/main/services/distributed/presence';
import { TestRedis, redisServerBinary } from '../../test/support/redis';
import type { BenchRow } from './gd';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the case: four rows (local 1 and 2 jobs, redis 1 and 2 workers). */
export async function distributedCases(opts: { quick: boolean; log: (m: string) => void }): Promise<BenchRow[]> {
  const base = {
    samples: 8,
    testSamples: 4,
    inputDim: 4,
    steps: opts.quick ? 100 : 400,
    trackEvery: 100,
    trackEigenvalues: 2,
    backend: 'js',
    dtype: 'float64',
  };
  const sweep = expandSweep({ base, grid: { hiddenWidth: [16, 32] }, seeds: opts.quick ? [0, 1] : [0, 1, 2, 3, 4, 5] });
  const n = sweep.length;
  const row = (queue: 'local' | 'redis', jobs: number, ms: number | null, extra: Record<string, unknown> = {}): BenchRow => ({
    case: 'sweep-distributed',
    n: base.samples,
    d: base.inputDim,
    m: 32,
    backend: 'js',
    dtype: 'float64',
    ours_ms: ms === null ? null : ms / n,
    numpy_ms: null,
    ratio: null,
    queue,
    jobs,
    cells: n,
    steps: base.steps,
    cells_per_min: ms === null ? null : (n * 60_000) / ms,
    ...extra,
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-bench-dist-'));
  const rows: BenchRow[] = [];
  const local: Record<number, number> = {};
  try {
    for (const jobs of [1, 2]) {
      const cells: RunnerCell[] = sweep.map((c) => ({ id: cellId(c.config), index: c.index, point: c.point, work: { kind: 'train', config: c.config } }));
      const dir = path.join(tmp, `local-${jobs}`);
      const executor = localExecutor({ threads: 1 });
      const t0 = performance.now();
      try {
        const s = await new SweepRunner({ name: 'bench', stateFile: path.join(dir, 'sweep.json'), runsDir: dir, cells, executor, jobs }).run();
        if (s.finished !== n) throw new Error(`local queue: ${s.finished} of ${n} cells finished`);
      } finally {
        await executor.dispose();
      }
      const ms = performance.now() - t0;
      local[jobs] = ms;
      rows.push(row('local', jobs, ms, { note: 'the sweep runner on this machine' }));
      opts.log(`sweep-distributed: local queue, ${jobs} job(s): ${((n * 60_000) / ms).toFixed(1)} cells/min`);
    }
    const bin = redisServerBinary();
    if (bin.bin === null) {
      for (const jobs of [1, 2]) rows.push(row('redis', jobs, null, { note: `not measured: ${bin.why}` }));
      return rows;
    }
    const redis = await TestRedis.start(bin.bin);
    const target = parseRedisUrl(redis.url);
    const procs: ChildProcess[] = [];
    const client = new Redis({ ...(connectionOptions(target) as object) });
    try {
      for (const jobs of [1, 2]) {
        while (procs.length < jobs) {
          procs.push(
            spawn(
              process.execPath,
              [path.join(root, 'bin/ntk-workbench.mjs'), 'worker', '--redis', redis.url, '--data-dir', path.join(tmp, `w${procs.length}`)],
              { stdio: 'ignore' },
            ),
          );
        }
        const until = Date.now() + 120_000;
        while ((await listWorkers(client)).length < jobs) {
          if (Date.now() > until) throw new Error('the workers did not connect within 2 minutes');
          await new Promise((r) => setTimeout(r, 100));
        }
        const cells: DistributedCell[] = sweep.map((c) => ({ cellId: cellId(c.config), index: c.index, config: c.config, point: c.point }));
        const t0 = performance.now();
        const res = await runDistributedSweep({ redis: target, cells, outDir: path.join(tmp, `redis-${jobs}`), pollMs: 100 });
        const ms = performance.now() - t0;
        if (res.done !== n) throw new Error(`redis: ${res.done} of ${n} cells done`);
        rows.push(row('redis', jobs, ms, { vs_local: local[jobs]! / ms, note: `${jobs} worker process(es) on this machine, results through Redis` }));
        opts.log(
          `sweep-distributed: redis, ${jobs} worker(s): ${((n * 60_000) / ms).toFixed(1)} cells/min (${(local[jobs]! / ms).toFixed(2)}× the local queue)`,
        );
      }
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      client.disconnect();
      await redis.dispose();
    }
    return rows;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
