/**
 * backends/threads.ts: lowerThreadPriority (the theory thread takes the cores the GD steps leave) and the serving
 * thread reused by an engine worker's runs.
 */
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ResourceLimits } from 'node:worker_threads';
import { reusedServingThread, runOnThread, serveOnThread, theoryThreadCount, type ServingThread } from '../../../../../src/main/engine/backends/threads';
import { ENGINE_THREAD_LIMITS } from '../../../../../src/main/engine/protocol';

const linux = existsSync('/proc/thread-self');
if (!linux) console.log('[skip] lowerThreadPriority: no /proc/thread-self here (not Linux), where it is documented to do nothing');

describe('lowerThreadPriority()', () => {
  it.skipIf(!linux)('lowers the calling thread alone, never raises it back', { timeout: 30_000 }, async () => {
    const before = getPriority(process.pid);
    const seen = await runOnThread<null, { lowered: boolean; raised: boolean; thread: number; process: number }>(
      new URL('./priorityThread.fixture.mjs', import.meta.url),
      null,
      null,
    );
    expect(seen.lowered).toBe(before < 10);
    expect(seen.thread).toBe(Math.max(before, 10));
    // A higher priority than the thread has is not asked for, and the process (its main thread) keeps its own.
    expect(seen.raised).toBe(false);
    expect(seen.process).toBe(before);
    expect(getPriority(process.pid)).toBe(before);
  });
});

describe('reusedServingThread()', () => {
  /** A stand-in serving thread that answers each job with its number and its own id. */
  function fake(id: number): ServingThread<number, string> & { closed: boolean; failNow(): void } {
    let failed = false;
    return {
      ready: true,
      closed: false,
      get failed() {
        return failed;
      },
      failNow() {
        failed = true;
      },
      solve: (job) => (failed ? Promise.reject(new Error('gone')) : Promise.resolve(`${id}:${job}`)),
      close() {
        this.closed = true;
      },
    };
  }

  it('hands every run the same thread, leaves it running when a run closes its handle, and starts another once it failed', async () => {
    const started: ReturnType<typeof fake>[] = [];
    const pool = reusedServingThread(() => {
      const t = fake(started.length + 1);
      started.push(t);
      return t;
    });
    const a = pool.lease();
    expect(await a.solve(7)).toBe('1:7');
    a.close();
    const b = pool.lease();
    expect(b.ready).toBe(true);
    expect(await b.solve(8)).toBe('1:8');
    expect(started).toHaveLength(1);
    expect(started[0]!.closed).toBe(false);
    started[0]!.failNow();
    expect(b.failed).toBe(true);
    await expect(b.solve(9)).rejects.toThrow('gone');
    const c = pool.lease();
    expect(started).toHaveLength(2);
    expect(c.failed).toBe(false);
    expect(await c.solve(10)).toBe('2:10');
  });
});

describe("the engine's threads' V8 limits (ENGINE_THREAD_LIMITS)", () => {
  /** A thread that answers every job with the V8 limits it runs under (first saying it is up, where `ready`). */
  const reporter = (ready: boolean): URL =>
    new URL(
      `data:text/javascript,${encodeURIComponent(
        `import { parentPort, resourceLimits } from 'node:worker_threads'; ${ready ? "parentPort.postMessage('ready');" : ''} parentPort.on('message', () => parentPort.postMessage(resourceLimits));`,
      )}`,
    );

  it('a job thread and a serving thread run with the young generation the engine gives its threads', { timeout: 30_000 }, async () => {
    const serving = serveOnThread<null, ResourceLimits>(reporter(true), null);
    try {
      for (const limits of [await runOnThread<null, ResourceLimits>(reporter(false), null, null), await serving.solve(null)]) {
        expect(limits.maxYoungGenerationSizeMb).toBe(ENGINE_THREAD_LIMITS.maxYoungGenerationSizeMb);
        // the other limits stay V8's own (positive defaults, not zeros)
        expect(limits.maxOldGenerationSizeMb).toBeGreaterThan(0);
      }
    } finally {
      serving.close();
    }
  });
});

describe('theoryThreadCount() (issue 13)', () => {
  it('gives the theory helper threads only on the cores the GD steps leave free, at most as many as the steps use', () => {
    // two cores, both taken by the steps (the CLI on this 2-core VM): one thread, no helper
    expect(theoryThreadCount(2, 2)).toBe(1);
    expect(theoryThreadCount(1, 2)).toBe(1);
    expect(theoryThreadCount(4, 4)).toBe(1);
    expect(theoryThreadCount(16, 8)).toBe(1);
    // a workstation: the spare cores, capped at the steps' count
    expect(theoryThreadCount(4, 16)).toBe(4);
    expect(theoryThreadCount(8, 12)).toBe(4);
    expect(theoryThreadCount(2, 3)).toBe(1);
  });
});
