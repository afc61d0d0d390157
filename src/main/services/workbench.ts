/**
 * The workbench service: the one implementation of {@link WorkbenchApi} on the main side. The Electron
 * IPC and WebSocket adapters only move its calls and events; the CLI calls it directly.
 */
import { EventEmitter } from 'node:events';
import {
  isInvokeChannel,
  validateRequest,
  type AppInfo,
  type EventChannel,
  type EventMap,
  type InvokeChannel,
  type InvokeMap,
  type WorkbenchApi,
} from '../../shared/api/contract';
import { err, ok, WorkbenchException, type Result } from '../../shared/api/result';
import type { DataUploads, UploadInfo, UploadKind } from '../../shared/api/upload';
import { defaultConfig, issuesToText, parseConfig, type Config } from '../../shared/config/schema';
import { DataDirLock } from './dataDirLock';
import { EngineHost, type ProbeResult, type WorkerLocator } from './engineHost';
import { RunManager } from './runManager';
import { SessionStore } from './sessionStore';
import { ExportService, type FileDialogs } from './export/exportService';
import { UploadStore } from './uploads';
import { ExperimentManager } from './experiments/manager';
import { PRESETS } from '../../shared/experiments/presets';
import { APP_VERSION } from './appVersion';
import { RunTable } from './runs/runTable';

export interface WorkbenchServiceOptions {
  mode: 'electron' | 'browser';
  dataDir: string;
  worker?: WorkerLocator;
  log?: (msg: string) => void;
  /** native save/open dialogs (the Electron adapter); without them files move as downloads and uploads */
  dialogs?: FileDialogs;
  /** keep a prepared engine worker for the next run (EngineHostOptions.standby): the app's windows */
  standbyWorker?: boolean;
}

type Handler<K extends InvokeChannel> = (req: InvokeMap[K]['req']) => Promise<InvokeMap[K]['res']> | InvokeMap[K]['res'];

/** Parses a config or throws `invalid-config` whose message lists every `key: rule`. */
export function requireConfig(raw: unknown): Config {
  const r = parseConfig(raw);
  if (!r.ok) throw new WorkbenchException('invalid-config', issuesToText(r.issues), { issues: r.issues });
  return r.config;
}

/** The main-side API with its engine host, session store and run manager. */
export class WorkbenchService implements WorkbenchApi {
  readonly host: EngineHost;
  readonly store: SessionStore;
  readonly runs: RunManager;
  readonly exports: ExportService;
  readonly uploads: UploadStore;
  readonly experiments: ExperimentManager;
  readonly runTable: RunTable;
  /** the data folder's lock, once {@link start} took it */
  lock: DataDirLock | null = null;
  private readonly events = new EventEmitter();
  private probeResult: Promise<ProbeResult> | null = null;
  private readonly log: (msg: string) => void;
  private readonly handlers: { [K in InvokeChannel]: Handler<K> };

  constructor(private readonly opts: WorkbenchServiceOptions) {
    this.log = opts.log ?? (() => {});
    this.events.setMaxListeners(100);
    this.host = new EngineHost({ worker: opts.worker, log: this.log, standby: opts.standbyWorker === true });
    this.store = new SessionStore(opts.dataDir);
    this.uploads = new UploadStore(opts.dataDir);
    this.runs = new RunManager({
      host: this.host,
      store: this.store,
      emit: (channel, payload) => this.events.emit(channel, payload),
      log: this.log,
    });
    this.experiments = new ExperimentManager(opts.dataDir, {
      emit: (e) => this.events.emit('experiment:progress', e),
      log: this.log,
      ...(opts.worker ? { worker: opts.worker } : {}),
      sessions: this.store,
    });
    this.runTable = new RunTable(opts.dataDir);
    this.exports = new ExportService(this.store, this.uploads, APP_VERSION, opts.dialogs ?? null);
    this.handlers = {
      'app:info': () => this.appInfo(),
      'config:defaults': () => defaultConfig(),
      'config:validate': (raw) => {
        const r = parseConfig(raw);
        return r.ok ? { ok: true, issues: [] } : { ok: false, issues: r.issues };
      },
      'run:start': async (req) =>
        this.runs.start(requireConfig(await this.withUploads(req.config, req.uploads)), req.sessionId, { paused: req.paused === true }),
      'run:stop': (req) => this.runs.stop(req.runId),
      'run:pause': (req) => this.runs.pause(req.runId),
      'run:resume': (req) => this.runs.resume(req.runId),
      'run:step': (req) => this.runs.step(req.runId, req.steps),
      'run:list': () => this.runs.list(),
      'run:get': (req) => this.runs.detail(req.runId),
      'run:continue': (req) => this.runs.continueRun(req.runId, { takeOver: req.takeOver === true }),
      'theory:compute': async (req) => this.host.runTask('run-theory', requireConfig(await this.withUploads(req.config, req.uploads))),
      'csv:inspect': async (req) => {
        const { csvText } = (await this.withUploads(req.config, req.uploads)) as { csvText?: unknown };
        if (typeof csvText !== 'string')
          throw new WorkbenchException('invalid-request', 'csv:inspect: give the file as config.csvText or as an upload in uploads.csvText');
        return this.host.runTask('csv-inspect', { csvText });
      },
      'session:list': () => this.store.listSessions(),
      'session:create': (req) => this.store.createSession(req.name),
      'session:runs': (req) => this.store.listRuns(req.sessionId),
      'session:rename': (req) => this.store.renameSession(req.sessionId, req.name),
      'session:duplicate': (req) => this.store.duplicateSession(req.sessionId),
      'session:delete': (req) => this.store.deleteSession(req.sessionId, { confirmed: req.confirmed === true }),
      'export:csv': (req) => this.exports.csv(req),
      'export:report': (req) => this.exports.report(req),
      'export:arrays': (req) => this.exports.arrays(req),
      'session:archive': (req) => this.exports.archiveSession(req),
      'session:import': (req) => this.exports.importUpload(req),
      'file:save': (req) => this.exports.save(req),
      'file:open': (req) => this.exports.open(req),
      'upload:put': (req) => this.uploads.put(req.kind, req.name, req.bytes),
      // Related work (SPEC §10): each channel is one engine task; the request was validated by its schema.
      'related:kernel': (req) => this.host.runTask('related-kernel', req),
      'related:circle': (req) => this.host.runTask('jacot-circle', req),
      'related:weighted': (req) => this.host.runTask('weighted-ntk', req),
      'related:regression': (req) => this.host.runTask('krr', req),
      'related:memorization': (req) => this.host.runTask('krr-network', req),
      'related:rntk': (req) => this.host.runTask('rntk', req),
      'related:study': (req) => this.host.runTask('rntk-study', req),
      'related:features': (req) => this.host.runTask('rf-sweep', req),
      'experiment:presets': () => Object.values(PRESETS),
      'experiment:start': (req) => this.experiments.start(req),
      'experiment:cancel': (req) => this.experiments.cancel(req.experimentId),
      'experiment:get': (req) => this.experiments.get(req.experimentId),
      'experiment:list': () => this.experiments.list(),
      'sweep:start': (req) => this.experiments.startSweep(req),
      'sweep:cancel': (req) => this.experiments.cancelSweep(req.sweepId),
      'runs:table': (req) => this.runTable.list({ filter: req?.filter }),
      'runs:annotate': (req) => this.runTable.annotate(req.runId, { tags: req.tags, note: req.note }),
      'runs:delete': (req) => this.runTable.delete(req.runIds, { confirmed: req.confirmed === true }),
    };
  }

  /**
   * Start-up: takes the data folder's lock (a second instance on the folder is refused, 'forbidden',
   * naming the first), then tidies what an earlier process left: uploads, temp files and half-made folders,
   * and runs left running by a process that is gone (marked stopped, interrupted). A tidying step that
   * fails (a full disk) is logged and start-up goes on: nothing it skips is lost, and it is tried again at
   * the next start.
   */
  async start(): Promise<void> {
    this.lock = DataDirLock.acquire(this.opts.dataDir, { mode: this.opts.mode, log: this.log });
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        this.log(`start-up: could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    await step('clear old uploads', () => this.uploads.clear());
    await step('remove temp files left by an earlier process', () =>
      this.store.removeDebris({ onError: (file, e) => this.log(`start-up: could not remove ${file}: ${e instanceof Error ? e.message : String(e)}`) }),
    );
    await step('mark interrupted runs', () =>
      this.store.markAllInterrupted({ onError: (runId, e) => this.log(`start-up: run ${runId} stays marked running (it reads as interrupted): ${e.message}`) }),
    );
  }

  /** Puts the text of the uploads a request names into its config (the config is checked afterwards). */
  private async withUploads(raw: unknown, uploads: DataUploads | undefined): Promise<unknown> {
    if (!uploads?.csvText) return raw;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    if ((raw as { csvText?: unknown }).csvText !== undefined) {
      throw new WorkbenchException('invalid-request', 'csvText: give the text in the config or as an upload (uploads.csvText), not both');
    }
    const { name, text } = await this.uploads.readText(uploads.csvText, 'csv');
    const cfg = raw as { csvName?: unknown };
    return { ...raw, csvText: text, ...(cfg.csvName === undefined ? { csvName: name } : {}) };
  }

  /** Browser mode's HTTP uploads: stores the body (at most `limit` bytes) and answers its id. */
  async acceptUpload(kind: UploadKind, name: string, body: AsyncIterable<Uint8Array>, limit: number): Promise<Result<UploadInfo>> {
    try {
      return ok(await this.uploads.put(kind, name, body, limit));
    } catch (e) {
      if (e instanceof WorkbenchException) return { ok: false, error: e.toError() };
      this.log(`internal error in upload: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return err('internal', `internal error in upload: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Which backend `auto` picks on this machine (probed once, in a worker). */
  probe(): Promise<ProbeResult> {
    this.probeResult ??= this.host.probe().catch((e: unknown) => ({
      backend: 'unknown',
      reason: `probe failed: ${String(e)}`,
      dtypes: [],
      attempts: [],
    }));
    return this.probeResult;
  }

  private async appInfo(): Promise<AppInfo> {
    const p = await this.probe();
    return {
      appVersion: APP_VERSION,
      mode: this.opts.mode,
      backend: p.backend,
      backendReason: p.reason,
      dtypes: p.dtypes,
      dataDir: this.opts.dataDir,
      machine: { platform: process.platform, arch: process.arch, cpus: (await import('node:os')).cpus().length, node: process.version },
    };
  }

  /** Validates the channel and payload, runs the handler, and wraps the outcome in a Result. */
  async invoke<K extends InvokeChannel>(channel: K, req: InvokeMap[K]['req']): Promise<Result<InvokeMap[K]['res']>> {
    return (await this.invokeUnknown(channel, req)) as Result<InvokeMap[K]['res']>;
  }

  /** Like invoke, for untrusted input from an adapter (channel not yet known to be allowed). */
  async invokeUnknown(channel: unknown, req: unknown): Promise<Result<unknown>> {
    if (!isInvokeChannel(channel)) return err('invalid-request', `unknown channel ${JSON.stringify(String(channel)).slice(0, 80)}`);
    const v = validateRequest(channel, req ?? undefined);
    if (!v.ok) return err('invalid-request', `${channel}: ${v.message}`);
    try {
      const handler = this.handlers[channel] as (r: unknown) => Promise<unknown> | unknown;
      return ok(await handler(v.value));
    } catch (e) {
      if (e instanceof WorkbenchException) return { ok: false, error: e.toError() };
      this.log(`internal error in ${channel}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return err('internal', `internal error in ${channel}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  on<K extends EventChannel>(channel: K, listener: (payload: EventMap[K]) => void): () => void {
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }

  /** Stops runs and workers, and gives the data folder's lock back. */
  async dispose(): Promise<void> {
    await this.experiments.dispose();
    await this.runs.stopAll();
    await this.host.dispose();
    this.lock?.release();
    this.lock = null;
  }
}
