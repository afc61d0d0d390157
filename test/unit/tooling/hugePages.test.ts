/**
 * Huge pages for the numerics' large blocks (scripts/huge-pages.mjs, issue 13): the launchers' environment
 * rule, and the command's child (bin/ntk-workbench.mjs re-runs `train` and the other heavy commands with the
 * tunable): it gets the tunable, a signal to the command reaches it once and the command exits as it does,
 * and killing the command outright takes the child with it.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ARENA_TUNABLE,
  BATCH_TUNABLES,
  HEAVY_NODE_FLAGS,
  HUGE_PAGES_TUNABLE,
  MALLOC_TUNABLES,
  heavyExecArgv,
  hugePagesEnv,
  wantsHugePages,
  withoutHugePages,
} from '../../../scripts/huge-pages.mjs';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'bin/ntk-workbench.mjs');

describe('hugePagesEnv()', () => {
  it('adds the tunables (huge pages, one malloc arena) on Linux, after any tunables already set, keeping an arena_max of its own', () => {
    expect(MALLOC_TUNABLES).toEqual(['glibc.malloc.hugetlb=1', 'glibc.malloc.arena_max=1']);
    expect(hugePagesEnv({ PATH: '/bin' }, 'linux')).toEqual({ PATH: '/bin', GLIBC_TUNABLES: `${HUGE_PAGES_TUNABLE}:${ARENA_TUNABLE}` });
    expect(hugePagesEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux').GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`);
    expect(hugePagesEnv({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }, 'linux').GLIBC_TUNABLES).toBe(
      `glibc.malloc.tcache_count=0:${HUGE_PAGES_TUNABLE}:${ARENA_TUNABLE}`,
    );
  });

  it('adds the batch tunables (heap thresholds) only when asked, after the others, keeping a threshold of its own', () => {
    expect(BATCH_TUNABLES).toEqual(['glibc.malloc.mmap_threshold=33554432', 'glibc.malloc.trim_threshold=268435456']);
    expect(hugePagesEnv({}, 'linux', { batch: true }).GLIBC_TUNABLES).toBe([...MALLOC_TUNABLES, ...BATCH_TUNABLES].join(':'));
    expect(hugePagesEnv({}, 'linux', { batch: false }).GLIBC_TUNABLES).toBe(MALLOC_TUNABLES.join(':'));
    // glibc adjusts both thresholds only while neither is set: one of the user's own keeps ours for the other.
    expect(hugePagesEnv({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, 'linux', { batch: true }).GLIBC_TUNABLES).toBe(
      `glibc.malloc.mmap_threshold=65536:${HUGE_PAGES_TUNABLE}:${ARENA_TUNABLE}:${BATCH_TUNABLES[1]}`,
    );
    expect(withoutHugePages(hugePagesEnv({ PATH: '/bin' }, 'linux', { batch: true }))).toEqual({ PATH: '/bin' });
    const mac = { PATH: '/bin' };
    expect(hugePagesEnv(mac, 'darwin', { batch: true })).toBe(mac);
  });

  it('leaves the environment alone elsewhere, when turned off, or when the user set hugetlb', () => {
    const mac = { PATH: '/bin' };
    expect(hugePagesEnv(mac, 'darwin')).toBe(mac);
    expect(wantsHugePages({ NTK_WORKBENCH_HUGEPAGES: '0' }, 'linux')).toBe(false);
    const own = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' };
    expect(hugePagesEnv(own, 'linux')).toBe(own);
  });

  it('withoutHugePages() takes back exactly what it added (for the NumPy side of the bench)', () => {
    expect(withoutHugePages(hugePagesEnv({ PATH: '/bin' }, 'linux'))).toEqual({ PATH: '/bin' });
    const other = 'glibc.malloc.arena_max=2';
    expect(withoutHugePages(hugePagesEnv({ GLIBC_TUNABLES: other }, 'linux'))).toEqual({ GLIBC_TUNABLES: other });
    expect(withoutHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' });
  });
});

describe('heavyExecArgv()', () => {
  it("adds the heavy commands' node flags after the command's own, keeping a flag of the same name it has", () => {
    expect(heavyExecArgv([])).toEqual(HEAVY_NODE_FLAGS);
    expect(heavyExecArgv(['--inspect'])).toEqual(['--inspect', ...HEAVY_NODE_FLAGS]);
    expect(heavyExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(heavyExecArgv(['--max_semi_space_size=8'])).toEqual(['--max_semi_space_size=8']);
  });
});

/** Direct children of `pid` (Linux /proc). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The children of a process are read from /proc (a kernel with CONFIG_PROC_CHILDREN, as Debian's).
const onLinux = process.platform === 'linux' && existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
if (!onLinux)
  console.log(
    `SKIPPED the command's huge-pages child: it exists on Linux only, and this test finds it through /proc/<pid>/task/<pid>/children (${process.platform})`,
  );

describe.skipIf(!onLinux)("the command's huge-pages child", () => {
  /** Starts a long `train` and resolves once its first record is out, with the child's pid. */
  async function startTrain(dir: string) {
    const config = {
      dataset: 'sphere',
      samples: 16,
      inputDim: 4,
      hiddenWidth: 32,
      steps: 1_000_000,
      trackEvery: 100_000,
      targetLossRatio: 0,
      backend: 'js',
      dtype: 'float64',
    };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const { GLIBC_TUNABLES: _t, NTK_WORKBENCH_HUGEPAGES: _h, ...env } = process.env;
    const p = spawn(process.execPath, [bin, 'train', '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'run')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stderr = '';
    let stdout = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.once('close', (code, signal) => resolve({ code, signal })));
    const until = Date.now() + 90_000;
    while (!/(^|\n)step 0\//.test(stderr) && Date.now() < until) await sleep(50);
    expect(stderr).toMatch(/(^|\n)step 0\//);
    const kids = children(p.pid!);
    expect(kids).toHaveLength(1);
    return { p, child: kids[0]!, exit, stdout: () => stdout };
  }

  it('trains in a child with the tunable; SIGINT to the command stops the run once and the command exits 0', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-hugepages-'));
    try {
      const { p, child, exit, stdout } = await startTrain(dir);
      const environ = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
      // The child was started with every tunable (hugePagesEnv above); glibc 2.36 applies them all but rewrites the
      // variable as /proc shows it to its first entry, so only that prefix can be read back here.
      expect(environ.some((e) => e.startsWith(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`))).toBe(true);
      // and with the heavy commands' node flags (V8's semi-spaces of the child's own thread)
      const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
      for (const flag of HEAVY_NODE_FLAGS) expect(argv).toContain(flag);
      p.kill('SIGINT');
      expect(await exit).toEqual({ code: 0, signal: null });
      expect(stdout()).toMatch(/(^|\n)stopped: stopped at step \d+/);
      const status = JSON.parse(readFileSync(path.join(dir, 'run/status.json'), 'utf8')) as { status: string };
      expect(status.status).toBe('stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('killing the command outright (SIGKILL) takes the child with it', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-hugepages-'));
    try {
      const { p, child, exit } = await startTrain(dir);
      p.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      const until = Date.now() + 10_000;
      while (alive(child) && Date.now() < until) await sleep(50);
      expect(alive(child)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
