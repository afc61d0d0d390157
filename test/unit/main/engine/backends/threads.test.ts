/**
 * lowerThreadPriority (backends/threads.ts): the theory thread takes the cores the GD steps leave.
 */
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runOnThread } from '../../../../../src/main/engine/backends/threads';

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
