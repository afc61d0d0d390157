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
import { Worker } from 'node:worker_threads';
import { EngineHost, quietOnnxRuntime, sourceWorker, type WorkerLocator } from '../engineHost';
import { RunWriter } from '../runWriter';
import { machineInfo } from '../runManager';
import { APP_VERSION } from '../workbench';
import { assertRunFits } from '../../../shared/run/memory';
import { CTRL_CANCEL, CTRL_SLOTS, type HostToWorker, type RunOutcome, type WorkerToHost } from '../../engine/protocol';
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
 * The executor of this machine: training cells on one kept engine worker per slot (format v1 run folders,
 * I/O errors, divergence and Stop as in `train`), measurement cells in one engine task worker per slot.
 */
export function localExecutor(opts: LocalExecutorOptions = {}): CellExecutor {
  const threads = opts.threads ?? 1;
  const hosts = new Map<number, EngineHost>();
  const workers = new Map<number, SlotWorker>();
  const slotWorker = (slot: number): SlotWorker => {
    let w = workers.get(slot);
    if (!w || w.dead) {
      w = new SlotWorker(opts.worker ?? sourceWorker, threads);
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
      if (req.work.kind === 'train') return trainCell(slotWorker(req.slot), req.work.config, req.runDir, req.signal);
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
      await Promise.all([...all.map((h) => h.dispose()), ...ws.map((w) => w.dispose())]);
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
    const st = JSON.parse(await fsp.readFile(path.join(runDir, 'status.json'), 'utf8')) as { status?: string; reason?: string; errorCode?: string; lastStep?: number };
    const keep = st.status === 'finished' || (st.status === 'failed' && st.errorCode === 'run-diverged');
    if (!keep) return null;
    const records = await readRecords(runDir);
    const first = records[0];
    const last = records[records.length - 1];
    return {
      status: st.status as 'finished' | 'failed',
      reason: st.reason ?? '',
      ...(st.errorCode ? { errorCode: st.errorCode } : {}),
      metrics: { ...EMPTY_METRICS, lastStep: st.lastStep ?? null, initialLoss: first?.loss ?? null, finalLoss: last?.loss ?? null, lossRatio: last?.lossRatio ?? null },
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

/**
 * An engine worker kept for the cells of one job slot: the engine worker runs one training per 'start'
 * message, so consecutive cells reuse its thread, its loaded modules and its backend library instead of
 * paying a fresh worker's start-up. One run at a time; a worker that crashes is replaced for the next cell.
 */
class SlotWorker {
  private readonly worker: Worker;
  dead = false;
  private current: ((msg: WorkerToHost) => void) | null = null;
  private onCrash: ((why: string) => void) | null = null;

  constructor(locate: WorkerLocator, readonly threads: number) {
    quietOnnxRuntime();
    this.worker = new Worker(locate(), { stderr: false, stdout: false });
    this.worker.on('message', (msg: WorkerToHost) => this.current?.(msg));
    const die = (why: string): void => {
      this.dead = true;
      this.onCrash?.(why);
    };
    this.worker.on('error', (e) => die(`the engine crashed: ${e.message}`));
    this.worker.on('exit', (code) => die(`the engine exited unexpectedly (code ${code})`));
  }

  /** Runs one training; handlers see only this run's messages. */
  run(runId: string, config: Config, handlers: { onMessage(msg: WorkerToHost): void; onCrash(why: string): void }, signal: AbortSignal): void {
    const control = new SharedArrayBuffer(CTRL_SLOTS * 4);
    const ctl = new Int32Array(control);
    const stop = (): void => void Atomics.store(ctl, CTRL_CANCEL, 1);
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    this.current = (msg) => {
      if ('runId' in msg && msg.runId !== runId) return;
      if (msg.type === 'done') {
        signal.removeEventListener('abort', stop);
        this.current = null;
        this.onCrash = null;
      }
      handlers.onMessage(msg);
    };
    this.onCrash = (why) => {
      signal.removeEventListener('abort', stop);
      this.current = null;
      this.onCrash = null;
      handlers.onCrash(why);
    };
    const start: HostToWorker = { type: 'start', runId, config, control, threads: this.threads };
    this.worker.postMessage(start);
  }

  async dispose(): Promise<void> {
    this.dead = true;
    this.onCrash = null;
    await this.worker.terminate();
  }
}

/**
 * One training cell on a slot's worker, written as a run folder v1 (the same writer, I/O-error and outcome
 * rules as `train`: a failed write stops the run and fails it with io-error; status.json never claims a
 * step that is not on disk).
 */
async function trainCell(w: SlotWorker, config: Config, runDir: string, signal: AbortSignal): Promise<CellOutcome> {
  assertRunFits(config);
  const runId = `run-${path.basename(runDir)}`;
  const writer = await RunWriter.create(runDir, {
    schemaVersion: 1,
    runId,
    config,
    appVersion: APP_VERSION,
    backend: config.backend,
    dtype: config.dtype,
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
  });
  let first: MetricRecord | null = null;
  let last: MetricRecord | null = null;
  let backend: string | null = null;
  let dtype: string | null = null;
  let io: Promise<void> = Promise.resolve();
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  writer.onFailure(() => ac.abort());
  const done = await new Promise<{ outcome: RunOutcome; lastStep: number }>((resolve) => {
    w.run(
      runId,
      config,
      {
        onMessage: (msg) => {
          switch (msg.type) {
            case 'meta':
              backend = msg.meta.backend;
              dtype = msg.meta.dtype;
              io = io.then(() => writer.writeMeta(msg.meta)).catch(() => undefined);
              break;
            case 'records':
              if (writer.failed) return;
              try {
                writer.append(msg.records);
              } catch {
                return;
              }
              first ??= msg.records[0] ?? null;
              last = msg.records[msg.records.length - 1] ?? last;
              break;
            case 'checkpoint':
              writer.checkpoint(msg.checkpoint);
              break;
            case 'params':
              io = io.then(() => writer.keepParams(msg.params)).catch(() => undefined);
              break;
            case 'done':
              resolve({ outcome: msg.outcome, lastStep: msg.lastStep });
              break;
            default:
              break;
          }
        },
        onCrash: (why) => resolve({ outcome: { status: 'failed', reason: why, error: { code: 'worker-crashed', message: why } }, lastStep: (last as MetricRecord | null)?.step ?? 0 }),
      },
      ac.signal,
    );
  });
  signal.removeEventListener('abort', onAbort);
  await io;
  const failure = await writer.settle();
  let outcome: RunOutcome = failure
    ? { status: 'failed', reason: `could not write ${runDir}: ${failure.message}; the run was stopped, earlier data is intact`, error: failure.toError() }
    : done.outcome;
  const lastStep = Math.min(done.lastStep, writer.lastAppendedStep);
  try {
    await writer.writeOutcome(outcome, lastStep, new Date().toISOString());
    await writer.close();
  } catch (e) {
    if (outcome.status !== 'failed') {
      const err = e instanceof WorkbenchException ? e : new WorkbenchException('io-error', String(e));
      outcome = { status: 'failed', reason: `could not finish ${runDir}: ${err.message}`, error: err.toError() };
    }
  }
  const f = first as MetricRecord | null;
  const l = last as MetricRecord | null;
  return {
    status: outcome.status,
    reason: outcome.reason,
    ...(outcome.status === 'failed' ? { errorCode: outcome.error.code } : {}),
    metrics: { lastStep, initialLoss: f?.loss ?? null, finalLoss: l?.loss ?? null, lossRatio: l?.lossRatio ?? null, backend, dtype },
  };
}
