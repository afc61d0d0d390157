/**
 * The sweep runner: a queue of cells run by a {@link CellExecutor} with `jobs` at a time, each cell in its
 * own folder `<runsDir>/<cellId>/`, the sweep's state persisted atomically in `stateFile` after every change.
 *
 * - A cell id is a hash of its config (./cellId.ts): a cell already finished (in this sweep or in an earlier
 *   one writing into the same folder) is never computed twice; duplicates in one sweep run once.
 * - Resumable: on start the state file is read back; finished cells (and diverged ones: a result) are kept,
 *   cells that were running when the process died, stopped or failed for another reason are redone (their
 *   half-written folder removed first). A cell folder that is complete but missing from the state (a crash
 *   between the two writes) is recognized through `executor.completed`.
 * - Cancellable through `cancel()` or an AbortSignal: running cells are stopped and stay pending.
 * - Progress events carry counts, throughput and an ETA for the whole sweep.
 *
 * The job source is pluggable ({@link JobSource}): the local queue here; a BullMQ source (issue 18) feeds the
 * same runner from Redis.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { CellExecutor, CellOutcome, CellWork } from './executor';
import { realFs, writeJsonAtomicSync } from '../fsAtomic';
import { WorkbenchException } from '../../../shared/api/result';
import { RUNS_DIR } from '../../../shared/session/schema';

/** One cell of a sweep as the runner sees it. */
export interface RunnerCell {
  /** deterministic id (cellId of the config, or of the task and its arguments) */
  id: string;
  /** position in expansion order */
  index: number;
  /** the swept values of this cell (for tables and legends) */
  point: Record<string, unknown>;
  work: CellWork;
}

/** Where cells come from: the local queue, or a shared queue of several machines. */
export interface JobSource {
  /** The next cell to run, or null when none is left for this process. */
  take(): Promise<RunnerCell | null>;
  /** Called once a taken cell has ended (any status). */
  settle(cell: RunnerCell, outcome: CellOutcome): Promise<void>;
}

/** The local queue: the given cells in order. */
export function localJobSource(cells: readonly RunnerCell[]): JobSource {
  let i = 0;
  return {
    take: () => Promise.resolve(i < cells.length ? cells[i++]! : null),
    settle: () => Promise.resolve(),
  };
}

export const CELL_STATES = ['pending', 'running', 'finished', 'failed', 'stopped'] as const;
export type CellState = (typeof CELL_STATES)[number];

const cellRecordSchema = z.object({
  index: z.number().int(),
  point: z.record(z.string(), z.unknown()),
  state: z.enum(CELL_STATES),
  outcome: z
    .object({
      status: z.enum(['finished', 'stopped', 'failed']),
      reason: z.string(),
      errorCode: z.string().optional(),
      metrics: z.object({
        lastStep: z.number().nullable(),
        initialLoss: z.number().nullable(),
        finalLoss: z.number().nullable(),
        lossRatio: z.number().nullable(),
        backend: z.string().nullable(),
        dtype: z.string().nullable(),
      }),
    })
    .optional(),
  ms: z.number().optional(),
  finishedAt: z.string().optional(),
});
export type CellRecord = z.infer<typeof cellRecordSchema>;

export const SWEEP_STATE_VERSION = 1;
export const sweepStateSchema = z.object({
  schemaVersion: z.literal(SWEEP_STATE_VERSION),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** cell id → its record */
  cells: z.record(z.string(), cellRecordSchema),
});
export type SweepState = z.infer<typeof sweepStateSchema>;

/** Progress of a whole sweep (sent after every change). */
export interface SweepProgress {
  total: number;
  /** cells kept from an earlier run (not computed now) */
  skipped: number;
  finished: number;
  failed: number;
  running: number;
  pending: number;
  elapsedMs: number;
  /** cells computed per minute in this process (null before the first ends) */
  cellsPerMinute: number | null;
  /** estimated time to the end (null before the first cell ends) */
  etaMs: number | null;
  /** the cell that just changed */
  cell?: { id: string; index: number; state: CellState; reason?: string };
}

/** The end of a sweep. */
export interface SweepSummary extends SweepProgress {
  cancelled: boolean;
  cells: (CellRecord & { id: string })[];
}

/** The state file that marks a sweep's folder (`sweep --out DIR`, `experiment --out DIR`). */
export const SWEEP_STATE_FILE = 'sweep.json';

/** A sweep's folder `dir`: its state file and the parent of its cells' run folders (runs/<cellId>/). */
export function sweepFolder(dir: string): { stateFile: string; runsDir: string } {
  return { stateFile: path.join(dir, SWEEP_STATE_FILE), runsDir: path.join(dir, RUNS_DIR) };
}

export interface SweepRunnerOptions {
  /** a name kept in the state file */
  name: string;
  /** the sweep's state file (JSON, atomic writes) */
  stateFile: string;
  /** parent of the cells' folders */
  runsDir: string;
  cells: readonly RunnerCell[];
  executor: CellExecutor;
  /** cells at a time (default: every core but one, at least 1) */
  jobs?: number;
  /** default: the local queue over the cells not yet done */
  source?: (todo: RunnerCell[]) => JobSource;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  now?: () => number;
}

/** The default number of jobs: leaves the UI a core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** A cell is kept on resume when it finished or diverged (a result); anything else is redone. */
export function isKept(o: CellOutcome | undefined): boolean {
  return !!o && (o.status === 'finished' || (o.status === 'failed' && o.errorCode === 'run-diverged'));
}

/** Reads a sweep state file; null when absent; a corrupt file is 'session-corrupt' naming it. */
export async function readSweepState(file: string): Promise<SweepState | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new WorkbenchException('io-error', `could not read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WorkbenchException('session-corrupt', `${file}: not valid JSON`);
  }
  const r = sweepStateSchema.safeParse(raw);
  if (!r.success) throw new WorkbenchException('session-corrupt', `${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Runs a sweep (see the module doc). */
export class SweepRunner {
  private readonly o: SweepRunnerOptions;
  private readonly ac = new AbortController();
  private state!: SweepState;

  constructor(opts: SweepRunnerOptions) {
    if (opts.jobs !== undefined && !(Number.isInteger(opts.jobs) && opts.jobs >= 1))
      throw new RangeError(`SweepRunner: jobs must be an integer ≥ 1, got ${opts.jobs}`);
    this.o = opts;
    opts.signal?.addEventListener('abort', () => this.cancel(), { once: true });
    if (opts.signal?.aborted) this.cancel();
  }

  /** Stops the running cells (they stay pending) and takes no new ones. */
  cancel(): void {
    this.ac.abort();
  }

  private persist(): void {
    this.state.updatedAt = new Date().toISOString();
    writeJsonAtomicSync(realFs, this.o.stateFile, this.state);
  }

  /** Runs every cell not yet done; resolves when all ended or the sweep was cancelled. */
  async run(): Promise<SweepSummary> {
    const now = this.o.now ?? Date.now;
    const t0 = now();
    const jobs = this.o.jobs ?? defaultJobs();
    await fsp.mkdir(this.o.runsDir, { recursive: true });
    await fsp.mkdir(path.dirname(this.o.stateFile), { recursive: true });
    const previous = await readSweepState(this.o.stateFile);
    const created = new Date().toISOString();
    this.state = { schemaVersion: SWEEP_STATE_VERSION, name: this.o.name, createdAt: previous?.createdAt ?? created, updatedAt: created, cells: {} };

    // Dedupe by id (the same config twice is one computation), keep finished cells, queue the rest.
    const unique = new Map<string, RunnerCell>();
    for (const c of this.o.cells) if (!unique.has(c.id)) unique.set(c.id, c);
    const todo: RunnerCell[] = [];
    let skipped = 0;
    for (const c of unique.values()) {
      const prev = previous?.cells[c.id];
      const dir = path.join(this.o.runsDir, c.id);
      if (prev && prev.state !== 'running' && isKept(prev.outcome) && (await exists(dir))) {
        this.state.cells[c.id] = { ...prev, index: c.index, point: c.point };
        skipped++;
        continue;
      }
      const done = await this.o.executor.completed(dir, c.work);
      if (done) {
        this.state.cells[c.id] = { index: c.index, point: c.point, state: done.status === 'finished' ? 'finished' : 'failed', outcome: done };
        skipped++;
        continue;
      }
      this.state.cells[c.id] = { index: c.index, point: c.point, state: 'pending' };
      todo.push(c);
    }
    this.persist();

    const counts = { finished: 0, failed: 0, running: 0 };
    for (const r of Object.values(this.state.cells)) {
      if (r.state === 'finished') counts.finished++;
      else if (r.state === 'failed') counts.failed++;
    }
    const total = unique.size;
    let computed = 0;
    let busyMs = 0;
    const progress = (cell?: SweepProgress['cell']): SweepProgress => {
      const elapsedMs = now() - t0;
      const pending = total - counts.finished - counts.failed - counts.running;
      const perCell = computed > 0 ? busyMs / computed : null;
      const remaining = pending + counts.running;
      return {
        total,
        skipped,
        finished: counts.finished,
        failed: counts.failed,
        running: counts.running,
        pending,
        elapsedMs,
        cellsPerMinute: computed > 0 && elapsedMs > 0 ? (computed * 60_000) / elapsedMs : null,
        etaMs: perCell === null ? (remaining === 0 ? 0 : null) : (remaining * perCell) / Math.min(jobs, Math.max(1, remaining)),
        ...(cell ? { cell } : {}),
      };
    };
    const emit = (cell?: SweepProgress['cell']): void => this.o.onProgress?.(progress(cell));
    emit();

    const source = (this.o.source ?? localJobSource)(todo);
    const signal = this.ac.signal;
    let fatal: unknown = null;
    const slot = async (k: number): Promise<void> => {
      while (!signal.aborted && fatal === null) {
        const cell = await source.take();
        if (!cell || signal.aborted) return;
        const dir = path.join(this.o.runsDir, cell.id);
        const rec = this.state.cells[cell.id] ?? { index: cell.index, point: cell.point, state: 'pending' as CellState };
        this.state.cells[cell.id] = rec;
        await fsp.rm(dir, { recursive: true, force: true });
        rec.state = 'running';
        delete rec.outcome;
        counts.running++;
        this.persist();
        emit({ id: cell.id, index: cell.index, state: 'running' });
        const started = now();
        let outcome: CellOutcome;
        // Each cell gets its own signal, linked to the sweep's, so listeners an executor adds go away with the cell.
        const cellAc = new AbortController();
        const relay = (): void => cellAc.abort();
        signal.addEventListener('abort', relay, { once: true });
        if (signal.aborted) cellAc.abort();
        try {
          outcome = await this.o.executor.run({ id: cell.id, work: cell.work, runDir: dir, slot: k, signal: cellAc.signal });
        } catch (e) {
          outcome = {
            status: 'failed',
            reason: e instanceof Error ? e.message : String(e),
            errorCode: e instanceof WorkbenchException ? e.code : 'internal',
            metrics: { lastStep: null, initialLoss: null, finalLoss: null, lossRatio: null, backend: null, dtype: null },
          };
        }
        signal.removeEventListener('abort', relay);
        const ms = now() - started;
        counts.running--;
        if (outcome.status === 'stopped' || (signal.aborted && !isKept(outcome))) {
          // Cancelled: the cell is redone by the next run of the sweep.
          rec.state = 'pending';
          delete rec.outcome;
          await fsp.rm(dir, { recursive: true, force: true });
        } else {
          rec.state = outcome.status === 'finished' ? 'finished' : 'failed';
          rec.outcome = outcome;
          rec.ms = ms;
          rec.finishedAt = new Date().toISOString();
          if (rec.state === 'finished') counts.finished++;
          else counts.failed++;
          computed++;
          busyMs += ms;
        }
        try {
          this.persist();
        } catch (e) {
          fatal = e;
        }
        await source.settle(cell, outcome);
        emit({ id: cell.id, index: cell.index, state: rec.state, ...(outcome.reason ? { reason: outcome.reason } : {}) });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, (_, k) => slot(k)));
    if (fatal) throw fatal instanceof Error ? fatal : new Error(String(fatal));
    const end = progress();
    return {
      ...end,
      cancelled: signal.aborted && end.pending > 0,
      cells: Object.entries(this.state.cells)
        .map(([id, r]) => ({ id, ...r }))
        .sort((a, b) => a.index - b.index),
    };
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.stat(p);
    return true;
  } catch {
    return false;
  }
}
