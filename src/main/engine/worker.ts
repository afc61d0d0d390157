/**
 * The engine worker thread: the only module that knows `parentPort`. It picks the compute backend,
 * runs one training per 'start' message and reports through the protocol of ./protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { Checkpoint, HostToWorker, WorkerToHost } from './protocol';
import { sharedControl } from './protocol';
import { loadBackend } from './backends/select';
import {
  installEigenThread,
  installTheoryRunner,
  runTraining,
  type TheoryJobInput,
  type TheoryThreadReply,
  type EigenThread,
  type TrackedEigenJob,
  type TrackedEigenReply,
} from './training';
import { eigenThreadScript, theoryThreadScript, type EigenThreadData, type TheoryAsideJob, type TheoryThreadData } from './threadScripts';
import type { LossPoint, MetricRecord } from '../../shared/run/format';
import { WorkbenchException, type WorkbenchError } from '../../shared/api/result';
import { runTask } from './tasks';
import { installNativeGuard, nativeGuardBuffer } from './nativeGuard';
import { installFloat64Gemm, installSymvThreads, setSymvThreads, warmUpEigensolvers } from './linalg';
import { loadSyncFloat64Gemm } from './backends/float64Matmul';
import { defaultThreads, reusedServingThread, runOnThread, serveOnThread, spawnHelperThread, theoryThreadCount } from './backends/threads';

const port = parentPort;
if (!port) throw new Error('engine/worker.ts must run in a worker thread');

// Large symmetric products (Lanczos, the Householder reduction) also run on helper threads: as many
// threads as a native backend uses by default, or as a run's 'start' message asks for.
installSymvThreads(spawnHelperThread, defaultThreads());
// Eigenvectors computed here (a run's theory where it has no thread of its own) merge in onnxruntime too.
installFloat64Gemm(() => loadSyncFloat64Gemm(1));

/**
 * `data` as the workerData of a thread of this worker that makes onnxruntime calls (the theory and the
 * tracked-eigenvalue threads): with this worker's native-call guard, where one is installed, for them to count in.
 */
function withGuard<T extends { guard?: SharedArrayBuffer }>(data: T): T {
  const guard = nativeGuardBuffer();
  return guard !== null ? { ...data, guard } : data;
}

// A run's theory (from n = THEORY_THREAD_MIN_N on) goes to a thread of its own, beside the GD steps.
let runThreads = defaultThreads();
/** The theory threads at work, each with the flag that calls its job off. */
const theoryThreads = new Set<{ flag: Int32Array; done: Promise<unknown> }>();
installTheoryRunner(
  async (job) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const abort = flag.buffer as SharedArrayBuffer;
    // Where the run has the thread aside (two step threads or more), there, after the step-0 eigenvalues it
    // was given and before the later tracked steps' (which the run then waits for without stopping its steps):
    // one thread loaded and warmed up instead of a second one per run. Else a thread of its own.
    const aside = runThreads >= 2 ? asideThreads.lease() : null;
    const reply =
      aside !== null && !aside.failed
        ? (aside.solve({ theory: job, abort }) as Promise<TheoryThreadReply>)
        : runOnThread<TheoryJobInput, TheoryThreadReply>(
            theoryThreadScript(),
            withGuard<TheoryThreadData>({ theoryThread: true, threads: theoryThreadCount(runThreads), abort }),
            job,
          );
    const entry = { flag, done: reply.catch(() => {}) };
    theoryThreads.add(entry);
    try {
      const r = await reply;
      if (!r.ok) throw new Error(r.message);
      return r.out;
    } finally {
      theoryThreads.delete(entry);
    }
  },
  (m) => process.stderr.write(`[engine] ${m}\n`),
);

/** The longest a run's end waits for a theory thread it called off (it stops at its next check, within ms). */
const THEORY_CALL_OFF_MS = 10_000;

/**
 * Calls off the theory threads still at work and waits for them to answer: a thread is then outside onnxruntime
 * (its eigensolvers multiply there), so that the host may terminate this worker, and its threads with it, once
 * the run's end is reported.
 */
async function callOffTheories(): Promise<void> {
  const pending = [...theoryThreads];
  if (pending.length === 0) return;
  for (const t of pending) Atomics.store(t.flag, 0, 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, THEORY_CALL_OFF_MS)));
  await Promise.race([Promise.all(pending.map((t) => t.done)), late]);
  clearTimeout(timer);
}
// The thread aside: the eigenvalues of a run's tracked steps (from n = EIGEN_THREAD_MIN_N on), beside the GD
// steps and the rest of each tracked step's diagnostics, and the run's theory: where the run computes on two
// threads or more (a run on one thread leaves the other cores to the window). One such thread serves the runs
// of this worker one after another (a sweep's cells), so that each does not load and warm up a thread of its own.
type AsideJob = TrackedEigenJob | TheoryAsideJob;
type AsideReply = TrackedEigenReply | TheoryThreadReply;
const asideThreads = reusedServingThread(() =>
  serveOnThread<AsideJob, AsideReply>(eigenThreadScript(), withGuard<EigenThreadData>({ eigenThread: true }), (e) =>
    process.stderr.write(`[engine] the thread aside failed (the run computes its eigenvalues and theory in place): ${e.message}\n`),
  ),
);
installEigenThread((): EigenThread | null => {
  if (runThreads < 2) return null;
  const t = asideThreads.lease();
  return {
    get ready() {
      return t.ready;
    },
    solve: (job) => t.solve(job) as Promise<TrackedEigenReply>,
    close: () => t.close(),
  };
});

function send(msg: WorkerToHost): void {
  port!.postMessage(msg);
}

/**
 * Records are batched (at most every 30 ms or 256 records) so a fast loop does not flood the host with
 * messages; so are the loss points of held records (`ahead`), sent after the records of the same batch.
 */
function recordBatcher(runId: string): { push(r: MetricRecord): void; ahead(p: LossPoint): void; flush(): void } {
  let buf: MetricRecord[] = [];
  let points: LossPoint[] = [];
  let last = 0;
  const due = (size: number): boolean => {
    const now = performance.now();
    if (now - last > 30 || size >= 256) {
      last = now;
      return true;
    }
    return false;
  };
  return {
    push(r) {
      buf.push(r);
      if (due(buf.length)) this.flush();
    },
    ahead(p) {
      points.push(p);
      if (due(points.length)) this.flush();
    },
    flush() {
      if (buf.length > 0) send({ type: 'records', runId, records: buf });
      if (points.length > 0) send({ type: 'ahead', runId, points });
      buf = [];
      points = [];
    },
  };
}

/** Shortest interval between two checkpoints sent to the host. */
const CHECKPOINT_INTERVAL_MS = 50;

/**
 * Checkpoints leave the worker at most every {@link CHECKPOINT_INTERVAL_MS}: a newer one replaces one not yet
 * sent (the host's checkpoint writer coalesces the same way), so that a run checkpointing every step of a
 * tiny network does not flood the host's thread with messages. The newest is always sent before the run
 * ends or pauses; records up to it are sent first.
 */
function checkpointThrottle(runId: string, flushRecords: () => void): { push(cp: Checkpoint): void; flush(): void } {
  let pending: Checkpoint | null = null;
  let last = -Infinity;
  return {
    push(cp) {
      pending = cp;
      if (performance.now() - last >= CHECKPOINT_INTERVAL_MS) this.flush();
    },
    flush() {
      if (pending === null) return;
      flushRecords();
      send({ type: 'checkpoint', runId, checkpoint: pending });
      pending = null;
      last = performance.now();
    },
  };
}

/** A standby worker's {@link prepare} while it runs (resolved at once for any other worker). */
let preparing: Promise<void> = Promise.resolve();

async function start(msg: Extract<HostToWorker, { type: 'start' }>): Promise<void> {
  // A standby worker finishes its preparation first, so that none of it lands inside the run's set-up.
  await preparing;
  const { runId, config } = msg;
  const batch = recordBatcher(runId);
  const checkpoints = checkpointThrottle(runId, () => batch.flush());
  let lastStep = 0;
  try {
    if (msg.threads !== undefined) setSymvThreads(msg.threads);
    runThreads = msg.threads ?? defaultThreads();
    const { backend, attempts } = await loadBackend(config.backend, config.dtype, {
      log: (m) => process.stderr.write(`[engine] ${m}\n`),
      ...(msg.threads !== undefined ? { threads: msg.threads } : {}),
    });
    const chosen = attempts.find((a) => a.ok && a.name === backend.name);
    send({ type: 'ready', backend: backend.name, reason: chosen?.reason ?? '' });
    const outcome = await runTraining(
      config,
      backend,
      sharedControl(msg.control, () => {
        batch.flush();
        checkpoints.flush();
      }),
      {
        onMeta: (meta) => send({ type: 'meta', runId, meta }),
        onRecord: (rec) => {
          lastStep = rec.step;
          batch.push(rec);
        },
        onAhead: (p) => batch.ahead(p),
        onCheckpoint: (cp) => checkpoints.push(cp),
        onParams: (params) => {
          batch.flush();
          send({ type: 'params', runId, params });
        },
        now: () => performance.now(),
      },
      msg.resumeFrom ? { resumeFrom: msg.resumeFrom } : undefined,
    );
    batch.flush();
    checkpoints.flush();
    backend.dispose();
    await callOffTheories();
    send({ type: 'done', runId, outcome, lastStep });
  } catch (e) {
    batch.flush();
    checkpoints.flush();
    const error = toError(e);
    await callOffTheories();
    send({ type: 'done', runId, outcome: { status: 'failed', reason: error.message, error }, lastStep });
  }
}

function toError(e: unknown): WorkbenchError {
  if (e instanceof WorkbenchException) return e.toError();
  return { code: 'internal', message: e instanceof Error ? e.message : String(e), details: { stack: e instanceof Error ? e.stack : undefined } };
}

/**
 * A standby worker's preparation (the host keeps one for the next run of the app): the default backend's
 * native library loaded and the eigensolvers' code compiled, while the user is still choosing, so that the
 * run's first record does not wait for them. A failure here is not reported: the run meets it again.
 */
async function prepare(): Promise<void> {
  try {
    const { backend } = await loadBackend('auto', 'float32');
    backend.dispose();
  } catch {
    // the run's own loadBackend reports why
  }
  warmUpEigensolvers();
}

port.on('message', (msg: HostToWorker) => {
  if (msg.type === 'guard') installNativeGuard(msg.buffer);
  else if (msg.type === 'start') void start(msg);
  else if (msg.type === 'prepare') preparing = prepare();
  else if (msg.type === 'task') {
    if (msg.threads !== undefined) setSymvThreads(msg.threads);
    void runTask(msg.task, msg.args).then(
      (value) => send({ type: 'task-result', id: msg.id, ok: true, value }),
      (e: unknown) => send({ type: 'task-result', id: msg.id, ok: false, error: toError(e) }),
    );
  } else if (msg.type === 'probe') {
    void loadBackend('auto', 'float32').then(
      ({ backend, attempts }) => {
        send({
          type: 'probe-result',
          backend: backend.name,
          reason: attempts.find((a) => a.name === backend.name)?.reason ?? '',
          dtypes: [...backend.dtypes],
          attempts,
        });
        backend.dispose();
      },
      (e: unknown) => send({ type: 'probe-result', backend: 'none', reason: String(e), dtypes: [], attempts: [] }),
    );
  }
});
