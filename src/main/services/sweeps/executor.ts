/**
 * The cell executor: how a sweep runs one cell. A training cell is a normal run written into the run
 * folder it is given (run folder format v1); a measurement cell (an experiment's init-time measurement,
 * no training) is one engine task whose result is written as `result.json` in its folder.
 *
 * The sweep runner (./runner.ts) only knows this interface, so the same runner drives the local queue, a
 * BullMQ worker on another machine (issue 18) and the tests' fakes. Executors reuse one engine worker per
 * job slot: a cell must not pay a fresh worker's and backend's start-up.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../shared/config/schema';
import type { EngineTask } from '../../engine/protocol';
import { EngineHost, type EngineWorker, type WorkerLocator } from '../engineHost';
import { driveRun } from '../runDriver';
import { realFs, writeJsonAtomicSync } from '../fsAtomic';
import { parseMetricsText, type MetricRecord } from '../../../shared/run/format';
import { WorkbenchException } from '../../../shared/api/result';

/** What a sweep cell computes: a training run of `config`, or one engine task. */
export type CellWork = { kind: 'train'; config: Config } | { kind: 'task'; task: EngineTask; args: unknown };

/** One cell as the runner hands it to an executor. */
export interface CellRequest {
  /** the deterministic cell id (./cellId.ts) */
  id: string;
  work: CellWork;
  /** the folder to write (absent or empty; the runner removes a half-written one first) */
  runDir: string;
  /** the job slot (0 … jobs − 1): an executor keeps one engine worker per slot */
  slot: number;
  signal: AbortSignal;
}

/** The final numbers of a cell, small enough to keep in the sweep's state file. */
export interface CellMetrics {
  lastStep: number | null;
  initialLoss: number | null;
  finalLoss: number | null;
  lossRatio: number | null;
  backend: string | null;
  dtype: string | null;
}

/** How a cell ended. `failed` with errorCode 'run-diverged' is a result (kept); other failures are redone on resume. */
export interface CellOutcome {
  status: 'finished' | 'stopped' | 'failed';
  reason: string;
  errorCode?: string;
  metrics: CellMetrics;
}

/** Runs sweep cells. */
export interface CellExecutor {
  run(req: CellRequest): Promise<CellOutcome>;
  /**
   * The outcome of a cell whose folder is already complete (a crash after the run ended but before the
   * sweep's state was written), or null when the folder must be recomputed.
   */
  completed(runDir: string, work: CellWork): Promise<CellOutcome | null>;
  /** Ends the workers. */
  dispose(): Promise<void>;
}

export const EMPTY_METRICS: CellMetrics = { lastStep: null, initialLoss: null, finalLoss: null, lossRatio: null, backend: null, dtype: null };

/** The file a measurement cell writes. */
export const TASK_RESULT_FILE = 'result.json';

/** Options of {@link localExecutor}. */
export interface LocalExecutorOptions {
  worker?: WorkerLocator;
  /** native backend threads per training cell (default 1: the jobs share the cores) */
  threads?: number;
  log?: (msg: string) => void;
}

/**
 * The executor of this machine: training cells through the run driver (services/runDriver.ts: format v1
 * run folders, I/O errors, divergence and Stop as in `train`) on one dedicated engine worker per slot,
 * reused cell after cell; measurement cells in the task worker of the slot's engine host.
 */
export function localExecutor(opts: LocalExecutorOptions = {}): CellExecutor {
  const threads = opts.threads ?? 1;
  const hosts = new Map<number, EngineHost>();
  // One worker per slot, reused run after run (the host replaces one that crashed or had to be terminated).
  const workers = new Map<number, EngineWorker>();
  const slotWorker = (slot: number): EngineWorker => {
    let w = workers.get(slot);
    if (!w) {
      w = hostFor(slot).dedicatedWorker();
      workers.set(slot, w);
    }
    return w;
  };
  const hostFor = (slot: number): EngineHost => {
    let h = hosts.get(slot);
    if (!h) {
      h = new EngineHost({ ...(opts.worker ? { worker: opts.worker } : {}), threads, ...(opts.log ? { log: opts.log } : {}) });
      hosts.set(slot, h);
    }
    return h;
  };
  return {
    async run(req) {
      if (req.work.kind === 'train') {
        const res = await driveRun({
          config: req.work.config,
          runDir: req.runDir,
          engine: slotWorker(req.slot),
          signal: req.signal,
          ...(opts.log ? { log: opts.log } : {}),
        });
        const o = res.outcome;
        return {
          status: o.status,
          reason: o.reason,
          ...(o.status === 'failed' ? { errorCode: o.error.code } : {}),
          metrics: {
            lastStep: res.lastStep,
            initialLoss: res.firstRecord?.loss ?? null,
            finalLoss: res.lastRecord?.loss ?? null,
            lossRatio: res.lastRecord?.lossRatio ?? null,
            backend: res.meta?.backend ?? null,
            dtype: res.meta?.dtype ?? null,
          },
        };
      }
      const work = req.work;
      let value: unknown;
      try {
        value = await abortable(hostFor(req.slot).runTask(work.task, work.args), req.signal);
      } catch (e) {
        if (req.signal.aborted) return { status: 'stopped', reason: 'cancelled', metrics: EMPTY_METRICS };
        const code = e instanceof WorkbenchException ? e.code : 'internal';
        return { status: 'failed', reason: e instanceof Error ? e.message : String(e), errorCode: code, metrics: EMPTY_METRICS };
      }
      await fsp.mkdir(req.runDir, { recursive: true });
      writeJsonAtomicSync(realFs, path.join(req.runDir, TASK_RESULT_FILE), { schemaVersion: 1, task: work.task, args: work.args, value });
      return { status: 'finished', reason: 'measured', metrics: EMPTY_METRICS };
    },
    completed: (runDir, work) => completedCell(runDir, work),
    async dispose() {
      const all = [...hosts.values()];
      hosts.clear();
      const ws = [...workers.values()];
      workers.clear();
      await Promise.all(ws.map((w) => w.dispose()));
      await Promise.all(all.map((h) => h.dispose()));
    },
  };
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Reads a finished cell folder back (see {@link CellExecutor.completed}); null when it is not complete. */
export async function completedCell(runDir: string, work: CellWork): Promise<CellOutcome | null> {
  try {
    if (work.kind === 'task') {
      const r = JSON.parse(await fsp.readFile(path.join(runDir, TASK_RESULT_FILE), 'utf8')) as { value?: unknown };
      return r && 'value' in r ? { status: 'finished', reason: 'measured', metrics: EMPTY_METRICS } : null;
    }
    const st = JSON.parse(await fsp.readFile(path.join(runDir, 'status.json'), 'utf8')) as {
      status?: string;
      reason?: string;
      errorCode?: string;
      lastStep?: number;
    };
    const keep = st.status === 'finished' || (st.status === 'failed' && st.errorCode === 'run-diverged');
    if (!keep) return null;
    const records = await readRecords(runDir);
    const first = records[0];
    const last = records[records.length - 1];
    return {
      status: st.status as 'finished' | 'failed',
      reason: st.reason ?? '',
      ...(st.errorCode ? { errorCode: st.errorCode } : {}),
      metrics: {
        ...EMPTY_METRICS,
        lastStep: st.lastStep ?? null,
        initialLoss: first?.loss ?? null,
        finalLoss: last?.loss ?? null,
        lossRatio: last?.lossRatio ?? null,
      },
    };
  } catch {
    return null;
  }
}

/** The metrics records of a run folder (a torn last line ignored); [] when there are none. */
export async function readRecords(runDir: string): Promise<MetricRecord[]> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(runDir, 'metrics.ndjson'), 'utf8');
  } catch {
    return [];
  }
  const r = parseMetricsText(text);
  if ('error' in r) throw new WorkbenchException('session-corrupt', `${runDir}/metrics.ndjson line ${r.line}: ${r.error}`);
  return r.records;
}
