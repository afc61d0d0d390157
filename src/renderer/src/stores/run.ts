/**
 * Run store: every run this page knows about, with its status, progress, metadata and ALL its metric
 * records (the charts downsample for display; the store never drops a record). Records and metadata are
 * marked raw and a per-run `version` counter tells the charts when to redraw, so a run with a million
 * records (or a theory object holding an n×n matrix) does not make Vue track a million objects.
 */
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowReactive } from 'vue';
import type { RunDetail, RunMeta, RunProgressEvent, RunStatusEvent, RunFailedEvent, RunSummary } from '../../../shared/api/contract';
import type { WorkbenchError } from '../../../shared/api/result';
import type { Config } from '../../../shared/config/schema';
import type { LossPoint, MetricRecord, RunStatus } from '../../../shared/run/format';
import { getApi } from '../api/current';

export type RunPhase = RunStatus | 'starting';

/** One run as the page sees it. */
export interface RunView {
  runId: string;
  sessionId: string | null;
  status: RunPhase;
  reason: string | null;
  step: number;
  totalSteps: number;
  stepsPerSecond: number | null;
  etaSeconds: number | null;
  meta: RunMeta | null;
  error: WorkbenchError | null;
  config: Config | null;
  /** every record received, in step order (raw, not reactive: read `version` to depend on it) */
  records: MetricRecord[];
  /**
   * losses of steps after the last record whose records are still held back by the run (while its theory is
   * computed), in step order (raw); dropped as their records arrive
   */
  ahead: LossPoint[];
  /** bumped whenever records or progress change */
  version: number;
}

/** True while a run can still change (running, paused or starting). */
export function isActive(status: RunPhase | undefined): boolean {
  return status === 'running' || status === 'paused' || status === 'starting';
}

/**
 * Appends the records of a progress batch that are newer than the last one held (batches may overlap
 * after a reconnect), keeping `target` sorted by step. Returns how many were appended.
 */
export function appendRecords<T extends { step: number }>(target: T[], incoming: readonly T[]): number {
  let last = target.length > 0 ? target[target.length - 1]!.step : -1;
  let added = 0;
  for (const r of incoming) {
    if (r.step > last) {
      target.push(r);
      last = r.step;
      added++;
    }
  }
  return added;
}

/**
 * The held-back loss points after `records` once a progress batch is in: the earlier ones not yet replaced by
 * a record, then the batch's new ones, in step order.
 */
export function mergeAhead(ahead: readonly LossPoint[], records: readonly MetricRecord[], incoming: readonly LossPoint[] = []): LossPoint[] {
  const last = records.length > 0 ? records[records.length - 1]!.step : -1;
  const out = ahead.filter((p) => p.step > last);
  appendRecords(
    out,
    incoming.filter((p) => p.step > last),
  );
  return out;
}

/**
 * The loss points a live chart draws: the records, then the held-back points after them.
 */
export function withAhead(records: readonly MetricRecord[], ahead: readonly LossPoint[]): readonly MetricRecord[] {
  return ahead.length === 0 ? records : [...records, ...mergeAhead(ahead, records)];
}

/**
 * A run's stored records (sorted by step) followed by the held records newer than the last stored one:
 * what a page should show after reading a run that may still be sending progress.
 */
export function mergeStored(stored: readonly MetricRecord[], held: readonly MetricRecord[]): MetricRecord[] {
  const out = [...stored].sort((a, b) => a.step - b.step);
  appendRecords(out, held);
  return out;
}

function emptyRun(runId: string): RunView {
  return reactive({
    runId,
    sessionId: null,
    status: 'starting',
    reason: null,
    step: 0,
    totalSteps: 0,
    stepsPerSecond: null,
    etaSeconds: null,
    meta: null,
    error: null,
    config: null,
    records: markRaw([]) as MetricRecord[],
    ahead: markRaw([]) as LossPoint[],
    version: 0,
  }) as RunView;
}

export const useRunStore = defineStore('run', () => {
  const runs = shallowReactive(new Map<string, RunView>());
  const currentRunId = ref<string | null>(null);
  const summaries = ref<RunSummary[]>([]);
  const lastError = ref<WorkbenchError | null>(null);
  let unsubscribers: (() => void)[] = [];

  const current = computed<RunView | null>(() => (currentRunId.value ? (runs.get(currentRunId.value) ?? null) : null));
  const currentStatus = computed<RunPhase | null>(() => current.value?.status ?? null);
  const active = computed(() => isActive(current.value?.status));

  function touch(run: RunView): void {
    run.version++;
  }

  function ensure(runId: string): RunView {
    let r = runs.get(runId);
    if (!r) {
      runs.set(runId, emptyRun(runId));
      r = runs.get(runId)!;
    }
    return r;
  }

  /** Applies a run:progress batch. */
  function onProgress(e: RunProgressEvent): void {
    const run = ensure(e.runId);
    appendRecords(run.records, e.records);
    if (run.ahead.length > 0 || e.ahead) run.ahead = markRaw(mergeAhead(run.ahead, run.records, e.ahead));
    run.step = e.step;
    run.totalSteps = e.totalSteps;
    run.stepsPerSecond = e.stepsPerSecond;
    run.etaSeconds = e.etaSeconds;
    if (run.status === 'starting') run.status = 'running';
    touch(run);
  }

  /** Applies a run:status event (status, reason, metadata). */
  function onStatus(e: RunStatusEvent): void {
    const run = ensure(e.runId);
    run.status = e.status;
    run.reason = e.reason;
    if (e.meta) run.meta = markRaw(e.meta);
    if (e.error) run.error = e.error;
    if (!isActive(e.status)) {
      run.etaSeconds = null;
      run.stepsPerSecond = null;
    }
    touch(run);
  }

  /** Applies a run:failed event. */
  function onFailed(e: RunFailedEvent): void {
    const run = ensure(e.runId);
    run.status = 'failed';
    run.error = e.error;
    run.reason = e.error.message;
    run.etaSeconds = null;
    touch(run);
  }

  /** Subscribes to the run events (idempotent). */
  function init(): void {
    for (const u of unsubscribers) u();
    const api = getApi();
    unsubscribers = [api.on('run:progress', onProgress), api.on('run:status', onStatus), api.on('run:failed', onFailed)];
  }

  /** Starts a run with a validated config; returns the run id or null (the error is in lastError). */
  async function start(config: Config, sessionId?: string, opts: { paused?: boolean } = {}): Promise<string | null> {
    lastError.value = null;
    const r = await getApi().invoke('run:start', { config, ...(sessionId ? { sessionId } : {}), ...(opts.paused ? { paused: true } : {}) });
    if (!r.ok) {
      lastError.value = r.error;
      return null;
    }
    const run = ensure(r.value.runId);
    run.sessionId = r.value.sessionId;
    run.config = markRaw(config);
    if (run.totalSteps === 0) run.totalSteps = config.steps;
    currentRunId.value = r.value.runId;
    touch(run);
    return r.value.runId;
  }

  async function control(channel: 'run:pause' | 'run:resume' | 'run:stop', next: RunPhase | null): Promise<boolean> {
    const run = current.value;
    if (!run) return false;
    const r = await getApi().invoke(channel, { runId: run.runId });
    if (!r.ok) {
      lastError.value = r.error;
      return false;
    }
    // The status event confirms it; reflect the accepted command at once so the UI answers immediately.
    if (next && isActive(run.status)) {
      run.status = next;
      touch(run);
    }
    return true;
  }

  /** Pauses the current run. */
  const pause = (): Promise<boolean> => control('run:pause', 'paused');
  /** Resumes the current run. */
  const resume = (): Promise<boolean> => control('run:resume', 'running');
  /** Stops the current run (the status event brings the final state). */
  const stop = (): Promise<boolean> => control('run:stop', null);

  /** Takes `steps` steps of the current (paused) run. */
  async function step(steps: number): Promise<boolean> {
    const run = current.value;
    if (!run) return false;
    const r = await getApi().invoke('run:step', { runId: run.runId, steps: Math.max(1, Math.floor(steps)) });
    if (!r.ok) {
      lastError.value = r.error;
      return false;
    }
    return true;
  }

  /** Stops the current run if it is active and clears the view (the run stays listed). */
  async function reset(): Promise<void> {
    if (active.value) await stop();
    currentRunId.value = null;
    lastError.value = null;
  }

  /** Loads the run list. */
  async function refreshList(): Promise<void> {
    const r = await getApi().invoke('run:list', undefined);
    if (r.ok) summaries.value = r.value;
    else lastError.value = r.error;
  }

  /** Opens a stored run (all its records, for redraw without recomputing) and makes it current. */
  async function open(runId: string): Promise<boolean> {
    const r = await getApi().invoke('run:get', { runId });
    if (!r.ok) {
      lastError.value = r.error;
      return false;
    }
    loadDetail(r.value);
    currentRunId.value = runId;
    return true;
  }

  /** Replaces a run's state by a stored RunDetail. */
  function loadDetail(d: RunDetail): void {
    const run = ensure(d.summary.runId);
    run.sessionId = d.summary.sessionId;
    // A live run's file lags its events: records that arrived while run:get was on its way (or were
    // flushed after the file was read) are newer than the file's last step and must not be dropped, or
    // the chart would keep a gap that later batches never fill. Events that went further than the file
    // also carry the newer status (a run that finished while its file was being read stays finished).
    const heldLast = run.records.length > 0 ? run.records[run.records.length - 1]!.step : -1;
    const eventsAhead = heldLast > d.status.lastStep && run.status !== 'starting';
    if (!eventsAhead) {
      // The summary carries a live run's status (the file may lag behind a pause).
      run.status = d.summary.status;
      run.reason = d.status.reason;
    }
    run.config = markRaw(d.config.config);
    run.totalSteps = d.config.config.steps;
    run.records = markRaw(mergeStored(d.records, run.records));
    run.ahead = markRaw(mergeAhead(run.ahead, run.records));
    run.step = Math.max(d.status.lastStep, heldLast);
    run.meta = markRaw({
      backend: d.config.backend,
      dtype: d.config.dtype,
      learningRates: d.config.learningRates ?? run.meta?.learningRates ?? { encoder: null, decoder: null },
      n: run.meta?.n ?? d.config.config.samples,
      d: run.meta?.d ?? d.config.config.inputDim,
      m: run.meta?.m ?? d.config.config.hiddenWidth,
      warnings: run.meta?.warnings ?? [],
      theory: d.theory ?? run.meta?.theory ?? null,
      preview: run.meta?.preview,
    });
    touch(run);
  }

  /** After the transport came back: re-reads the current run, whose status may have changed meanwhile. */
  async function resync(): Promise<void> {
    const id = currentRunId.value;
    if (!id) return;
    const r = await getApi().invoke('run:get', { runId: id });
    if (r.ok && currentRunId.value === id) loadDetail(r.value);
  }

  /** Makes a known run current (e.g. picked from the list). */
  function select(runId: string | null): void {
    currentRunId.value = runId;
  }

  return {
    runs,
    currentRunId,
    current,
    currentStatus,
    active,
    summaries,
    lastError,
    init,
    start,
    pause,
    resume,
    stop,
    step,
    reset,
    refreshList,
    open,
    loadDetail,
    resync,
    select,
    onProgress,
    onStatus,
    onFailed,
  };
});
