import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../support/redis';

const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'bin/ntk-workbench.mjs');

describe.concurrent('ntk-workbench worker', () => {
  it.each([
    [['worker'], '--redis'],
    [['worker', '--redis', 'http://h:1'], '--redis'],
    [['worker', '--redis', 'redis://h:70000'], '--redis'],
    [['worker', '--redis', 'redis://h', '--concurrency', '0'], '--concurrency'],
    [['worker', '--redis', 'redis://h', '--lock-duration', 'soon'], '--lock-duration'],
  ])('bad flags %j exit 2 with one line naming %s', (args, flag) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
  });

  it('says once that Redis is unreachable, naming the URL without its password, and keeps retrying', async () => {
    const port = await freePort(); // nothing listens there
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ntk-worker-'));
    const p = spawn(process.execPath, [bin, 'worker', '--redis', `redis://:TopSecret99@127.0.0.1:${port}`, '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const until = Date.now() + 40_000;
    while (!stderr.includes('retrying') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    const exited = p.exitCode;
    p.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    expect(exited).toBe(null); // still running: it waits for Redis
    expect(stderr).toContain(`Redis at redis://***@127.0.0.1:${port}/0`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('TopSecret99');
    // the same error is not repeated on every reconnect attempt
    expect(stderr.split('ECONNREFUSED').length - 1).toBeLessThanOrEqual(2);
  });
});
