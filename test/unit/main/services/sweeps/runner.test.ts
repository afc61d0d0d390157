import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SweepRunner, readSweepState, type RunnerCell, type SweepProgress } from '../../../../../src/main/services/sweeps/runner';
import { EMPTY_METRICS, type CellExecutor, type CellOutcome, type CellRequest } from '../../../../../src/main/services/sweeps/executor';
import { expandSweep } from '../../../../../src/shared/sweeps/spec';
import { cellId } from '../../../../../src/main/services/sweeps/cellId';

/** A fake executor: writes a marker file, records calls, can be told to block or fail. */
function fakeExecutor(opts: { block?: boolean; fail?: (id: string) => string | null } = {}) {
  const calls: CellRequest[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const exec: CellExecutor & { calls: CellRequest[]; maxConcurrent: () => number } = {
    calls,
    maxConcurrent: () => maxConcurrent,
    async run(req) {
      calls.push(req);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        mkdirSync(req.runDir, { recursive: true });
        writeFileSync(path.join(req.runDir, 'partial'), 'x');
        if (opts.block) {
          await new Promise<void>((resolve) => (req.signal.aborted ? resolve() : req.signal.addEventListener('abort', () => resolve(), { once: true })));
          return { status: 'stopped', reason: 'cancelled', metrics: EMPTY_METRICS } satisfies CellOutcome;
        }
        await new Promise((r) => setTimeout(r, 5));
        const code = opts.fail?.(req.id) ?? null;
        if (code) return { status: 'failed', reason: code, errorCode: code, metrics: EMPTY_METRICS };
        writeFileSync(path.join(req.runDir, 'done'), 'x');
        return { status: 'finished', reason: 'ok', metrics: { ...EMPTY_METRICS, lossRatio: 0.5 } };
      } finally {
        concurrent--;
      }
    },
    completed: (dir) => Promise.resolve(existsSync(path.join(dir, 'done')) ? { status: 'finished', reason: 'ok', metrics: EMPTY_METRICS } : null),
    dispose: () => Promise.resolve(),
  };
  return exec;
}

function cells(widths: number[], seeds: number[]): RunnerCell[] {
  return expandSweep({ base: { steps: 5 }, grid: { hiddenWidth: widths }, seeds }).map((c) => ({
    id: cellId(c.config),
    index: c.index,
    point: c.point,
    work: { kind: 'train', config: c.config },
  }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sweep-runner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SweepRunner', () => {
  it('runs every cell once with at most `jobs` at a time and reports progress to the end', async () => {
    const exec = fakeExecutor();
    const cs = cells([8, 16, 32], [0, 1]);
    const events: SweepProgress[] = [];
    const r = new SweepRunner({
      name: 't',
      stateFile: path.join(dir, 'sweep.json'),
      runsDir: path.join(dir, 'runs'),
      cells: [...cs, cs[0]!],
      executor: exec,
      jobs: 2,
      onProgress: (p) => events.push(p),
    });
    const s = await r.run();
    expect(exec.calls.length).toBe(6); // the duplicate cell is one computation
    expect(new Set(exec.calls.map((c) => c.id)).size).toBe(6);
    expect(exec.maxConcurrent()).toBe(2);
    expect(new Set(exec.calls.map((c) => c.slot))).toEqual(new Set([0, 1]));
    expect(s).toMatchObject({ total: 6, finished: 6, failed: 0, pending: 0, skipped: 0, cancelled: false });
    const last = events[events.length - 1]!;
    expect(last.etaMs).toBe(0);
    expect(events.some((e) => e.etaMs !== null && e.etaMs > 0)).toBe(true);
    const st = await readSweepState(path.join(dir, 'sweep.json'));
    expect(Object.values(st!.cells).every((c) => c.state === 'finished')).toBe(true);
  });

  it('skips finished cells on a second run and redoes cells left running by a crash', async () => {
    const cs = cells([8, 16], [0, 1]);
    const opts = { name: 't', stateFile: path.join(dir, 'sweep.json'), runsDir: path.join(dir, 'runs'), cells: cs, jobs: 1 };
    await new SweepRunner({ ...opts, executor: fakeExecutor() }).run();
    // Simulate a crash in the middle of cell 2: its state says running, its folder is half written.
    const state = JSON.parse(readFileSync(opts.stateFile, 'utf8'));
    state.cells[cs[2]!.id].state = 'running';
    delete state.cells[cs[2]!.id].outcome;
    writeFileSync(opts.stateFile, JSON.stringify(state));
    rmSync(path.join(opts.runsDir, cs[2]!.id, 'done'));
    const exec = fakeExecutor();
    const s = await new SweepRunner({ ...opts, executor: exec }).run();
    expect(exec.calls.map((c) => c.id)).toEqual([cs[2]!.id]);
    expect(s).toMatchObject({ total: 4, skipped: 3, finished: 4 });
    // A folder complete on disk but unknown to the state (crash between the two writes) is kept too.
    rmSync(opts.stateFile);
    const exec2 = fakeExecutor();
    await new SweepRunner({ ...opts, executor: exec2 }).run();
    expect(exec2.calls).toEqual([]);
  });

  it('keeps diverged cells as results and redoes other failures on resume', async () => {
    const cs = cells([8, 16, 32], [0]);
    const opts = { name: 't', stateFile: path.join(dir, 'sweep.json'), runsDir: path.join(dir, 'runs'), cells: cs, jobs: 1 };
    const fail = (id: string): string | null => (id === cs[0]!.id ? 'run-diverged' : id === cs[1]!.id ? 'io-error' : null);
    const s = await new SweepRunner({ ...opts, executor: fakeExecutor({ fail }) }).run();
    expect(s).toMatchObject({ finished: 1, failed: 2 });
    const exec = fakeExecutor();
    await new SweepRunner({ ...opts, executor: exec }).run();
    expect(exec.calls.map((c) => c.id)).toEqual([cs[1]!.id]);
  });

  it('cancel stops the running cells, leaves them pending and removes their half-written folders', async () => {
    const cs = cells([8, 16, 32], [0]);
    const exec = fakeExecutor({ block: true });
    const r = new SweepRunner({
      name: 't',
      stateFile: path.join(dir, 'sweep.json'),
      runsDir: path.join(dir, 'runs'),
      cells: cs,
      executor: exec,
      jobs: 2,
      onProgress: (p) => {
        if (p.running === 2) r.cancel();
      },
    });
    const s = await r.run();
    expect(s.cancelled).toBe(true);
    expect(exec.calls.length).toBe(2);
    expect(s).toMatchObject({ finished: 0, pending: 3 });
    for (const c of exec.calls) expect(existsSync(c.runDir)).toBe(false);
    const st = await readSweepState(path.join(dir, 'sweep.json'));
    expect(Object.values(st!.cells).map((c) => c.state)).toEqual(['pending', 'pending', 'pending']);
  });

  it('refuses a corrupt state file naming it', async () => {
    writeFileSync(path.join(dir, 'sweep.json'), '{"schemaVersion": 1');
    await expect(
      new SweepRunner({
        name: 't',
        stateFile: path.join(dir, 'sweep.json'),
        runsDir: path.join(dir, 'runs'),
        cells: cells([8], [0]),
        executor: fakeExecutor(),
      }).run(),
    ).rejects.toThrow(/sweep\.json: not valid JSON/);
  });
});
