/**
 * The one typed API of the workbench (STYLE.md §1). The renderer talks only to {@link WorkbenchApi};
 * the Electron IPC, WebSocket and CLI adapters translate transport and nothing else.
 *
 * Invoke channels are `area:verb`, event channels `area:noun`. The allowlists below are the only
 * channels an adapter accepts; a unit test checks they match the types.
 */
import {
  experimentIdSchema,
  experimentStartSchema,
  sweepIdSchema,
  sweepStartSchema,
  type ExperimentProgressEvent,
  type ExperimentStartRequest,
  type ExperimentState,
  type SweepStartRequest,
  type SweepState,
} from '../experiments/api';
import type { ExperimentPreset } from '../experiments/presets';
import { z } from 'zod';
import { MAX_CSV_CHARS, type Config, type ConfigIssue } from '../config/schema';
import type { LossPoint, MetricRecord, RunConfigFile, RunStatus, RunStatusFile } from '../run/format';
import type { Result, WorkbenchError } from './result';
import type { SessionSummary } from '../session/types';
import type { RunTheory, TheoryPreview } from '../run/theory';
import type { RunPreview } from '../run/preview';
import type { RunRow } from '../runs/table';
import { noteSchema, tagsSchema } from '../runs/summary';
import {
  dataUploadsSchema,
  uploadIdSchema,
  uploadKindSchema,
  uploadNameSchema,
  UPLOAD_LIMITS,
  type DataUploads,
  type UploadInfo,
  type UploadKind,
} from './upload';
import {
  circleRequestSchema,
  kernelRequestSchema,
  krrNetworkRequestSchema,
  krrRequestSchema,
  rfSweepRequestSchema,
  rntkRequestSchema,
  rntkStudyRequestSchema,
  weightedRequestSchema,
  type CircleRequest,
  type KernelRequest,
  type KrrNetworkRequest,
  type KrrRequest,
  type RfSweepRequest,
  type RntkRequest,
  type RntkStudyRequest,
  type WeightedRequest,
} from '../related/schema';
import type {
  CircleExperiment,
  KernelResult,
  KrrNetworkResult,
  KrrResult,
  RfSweepResult,
  RntkResult,
  RntkStudyResult,
  WeightedExperiment,
} from '../related/results';

/** Facts about the running app shown in the UI. */
export interface AppInfo {
  appVersion: string;
  mode: 'electron' | 'browser';
  /** the compute backend the engine picked (or will pick) for `backend: auto` */
  backend: string;
  backendReason: string;
  dtypes: string[];
  dataDir: string;
  machine: { platform: string; arch: string; cpus: number; node: string };
}

/** A run as the UI lists it. */
export interface RunSummary {
  runId: string;
  sessionId: string;
  status: RunStatus;
  reason: string | null;
  regime: string;
  hiddenWidth: number;
  samples: number;
  steps: number;
  lastStep: number;
  startedAt: string;
  backend: string;
  dtype: string;
}

/** Everything needed to redraw a run's charts without recomputing. */
export interface RunDetail {
  summary: RunSummary;
  config: RunConfigFile;
  status: RunStatusFile;
  records: MetricRecord[];
  /** theory.json parsed once with the contract's schema (null: none, or not a run theory of this version) */
  theory: RunTheory | null;
}

/** A batch of progress, throttled to ≤ 30 events per second. */
export interface RunProgressEvent {
  runId: string;
  records: MetricRecord[];
  /**
   * the losses of steps already taken whose records are still held back (while the theory that completes a
   * tracked record is computed: engine/training/run.ts), all after `records`; the records replace them
   */
  ahead?: LossPoint[];
  step: number;
  totalSteps: number;
  stepsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface RunStatusEvent {
  runId: string;
  status: RunStatus;
  reason: string | null;
  error?: WorkbenchError;
  /** run metadata once known (backend actually used, dtype, learning rates, theory) */
  meta?: RunMeta;
}

export interface RunFailedEvent {
  runId: string;
  error: WorkbenchError;
}

/** What the engine reports when a run has been set up. */
export interface RunMeta {
  backend: string;
  dtype: string;
  learningRates: { encoder: number | null; decoder: number | null };
  /** dimensions after the data set was built */
  n: number;
  d: number;
  m: number;
  warnings: string[];
  /** the run's theory (null when it could not be computed: the warnings say why; or while `theoryPending`) */
  theory: RunTheory | null;
  /**
   * true in the meta a run reports at set-up, before its theory (n×n eigendecompositions) is computed: the
   * run's first record comes first, then the meta again with the theory and `theoryPending` false (issue 13)
   */
  theoryPending?: boolean;
  /**
   * L(θ₀), known at set-up before step 0's record (which waits for H(0) and its eigenvalues): the UI draws it as
   * step 0 until that record is in (issue 13). null when not finite; absent in a meta that came without it.
   */
  initialLoss?: number | null;
  /** ms from the run's start to {@link RunMeta.initialLoss} (the clock of the records' wallMs) */
  initialLossMs?: number;
  /** the model view's preview at step 0 (2-D points, MNIST thumbnails or per-sample errors) */
  preview?: RunPreview;
}

/**
 * What the CSV check found in a file: its data rows (samples), columns (d) and header. A file the run's
 * parser rejects comes back as an `invalid-data` error whose details carry the 1-based line and column.
 */
export interface CsvInspection {
  rows: number;
  columns: number;
  header: string[] | null;
}

/**
 * A file the service has made (CSV, report, archive, arrays) and holds briefly under a random id: Electron
 * saves it through a native save dialog (`file:save`), browser mode downloads it from GET /download/<fileId>.
 */
export interface ExportFile {
  fileId: string;
  fileName: string;
  mime: string;
  bytes: number;
}

/** What `session:import` created. */
export interface ImportSummary {
  sessionId: string;
  name: string;
  runIds: string[];
  /** archived id → new id, for ids that were taken already */
  renamed: Record<string, string>;
  migrated: string[];
}

export interface ValidateResult {
  ok: boolean;
  issues: ConfigIssue[];
}

/** Invoke channels: request and response types. */
export interface InvokeMap {
  'app:info': { req: void; res: AppInfo };
  'config:defaults': { req: void; res: Config };
  'config:validate': { req: unknown; res: ValidateResult };
  /**
   * `paused: true` starts the run paused at step 0 (then Step advances it, TF-Playground style);
   * `uploads.csvText` names an upload whose text stands in for `config.csvText` (see ./upload.ts)
   */
  'run:start': { req: { config: unknown; sessionId?: string; paused?: boolean; uploads?: DataUploads }; res: { runId: string; sessionId: string } };
  'run:stop': { req: { runId: string }; res: { runId: string } };
  'run:pause': { req: { runId: string }; res: { runId: string } };
  'run:resume': { req: { runId: string }; res: { runId: string } };
  'run:step': { req: { runId: string; steps: number }; res: { runId: string } };
  'run:list': { req: void; res: RunSummary[] };
  'run:get': { req: { runId: string }; res: RunDetail };
  'theory:compute': { req: { config: unknown; uploads?: DataUploads }; res: TheoryPreview };
  /**
   * checks a CSV file with the run's own parser before any run (the file field's validation): the text in
   * `config.csvText`, or as an upload named in `uploads.csvText` (the browser client sends a long text so)
   */
  'csv:inspect': { req: { config: { csvText?: string; csvName?: string }; uploads?: DataUploads }; res: CsvInspection };
  /**
   * resume an interrupted run from its last checkpoint; `takeOver: true` (after the user confirmed) resumes
   * a run whose owner file names a process that is alive but, by its start time, may not be the writer
   */
  'run:continue': { req: { runId: string; takeOver?: boolean }; res: { runId: string } };
  /** stores bytes for later requests to refer to by id (desktop: over IPC; browser mode: POST /upload) */
  'upload:put': { req: { kind: UploadKind; name: string; bytes: Uint8Array }; res: UploadInfo };
  'session:list': { req: void; res: SessionSummary[] };
  'session:create': { req: { name: string }; res: SessionSummary };
  'session:runs': { req: { sessionId: string }; res: RunSummary[] };
  'session:rename': { req: { sessionId: string; name: string }; res: SessionSummary };
  'session:duplicate': { req: { sessionId: string }; res: SessionSummary };
  'session:delete': { req: { sessionId: string; confirmed?: boolean }; res: { sessionId: string; trashed: boolean } };
  /** the metrics of runs as one CSV (long format `run_id,step,metric,value,…`, or wide) */
  'export:csv': { req: { runIds: string[]; wide?: boolean }; res: ExportFile };
  /** a self-contained HTML report of runs or of a session */
  'export:report': { req: { runIds?: string[]; sessionId?: string }; res: ExportFile };
  /** a run's kept parameters and spectra as .npy files in one zip */
  'export:arrays': { req: { runId: string }; res: ExportFile };
  /** a session's folders as one zip, to import elsewhere */
  'session:archive': { req: { sessionId: string }; res: ExportFile };
  /** imports an uploaded archive as a new session */
  'session:import': { req: { uploadId: string }; res: ImportSummary };
  /** desktop app: saves a held export, or bytes made in the page, through the native save dialog */
  'file:save': { req: { fileId: string } | { fileName: string; mime: string; dataBase64: string }; res: { saved: boolean; path: string | null } };
  /** desktop app: the native open dialog; the picked file is held as an upload (null when cancelled) */
  'file:open': { req: { purpose: 'archive' }; res: UploadInfo | null };

  /** related work (SPEC §10): a Gram matrix of any kernel of the app, and its spectrum */
  'related:kernel': { req: KernelRequest; res: KernelResult };
  /** Jacot et al.'s Θ_m(x₀, x(γ)) on the unit circle for several widths and seeds, at init and after training */
  'related:circle': { req: CircleRequest; res: CircleExperiment };
  /** the weighted NTK Θ_ω: λ's, predicted and actual loss, the weak → joint → decoder continuum */
  'related:weighted': { req: WeightedRequest; res: WeightedExperiment };
  /** kernel ridge regression from training to test points */
  'related:regression': { req: KrrRequest; res: KrrResult };
  /** kernel regression against a trained autoencoder (SPEC §6 memorization) */
  'related:memorization': { req: KrrNetworkRequest; res: KrrNetworkResult };
  /** the recurrent NTK and NNGP Grams of a sequence set */
  'related:rntk': { req: RntkRequest; res: RntkResult };
  /** regression / classification on sequences with the RNTK for several σ_w */
  'related:study': { req: RntkStudyRequest; res: RntkStudyResult };
  /** random-feature NTK error against the feature dimension D */
  'related:features': { req: RfSweepRequest; res: RfSweepResult };

  /** the experiment presets E1–E9 (and E2-orth, E4-orth): claims and parameters at both sizes */
  'experiment:presets': { req: void; res: ExperimentPreset[] };
  /** starts (or resumes) an experiment: a sweep on the local runner, then its verdict and figures */
  'experiment:start': { req: ExperimentStartRequest; res: ExperimentState };
  /** cancels a running experiment (running cells stop and stay pending; start it again to resume) */
  'experiment:cancel': { req: { experimentId: string }; res: ExperimentState };
  'experiment:get': { req: { experimentId: string }; res: ExperimentState };
  /** the experiments of the data folder, newest first (without figures) */
  'experiment:list': { req: void; res: ExperimentState[] };
  /**
   * starts a grid sweep over any config fields (× seeds) on the sweep runner; its progress comes as
   * experiment:progress with experimentId = sweepId; its runs appear in a session named after it
   */
  'sweep:start': { req: SweepStartRequest; res: SweepState };
  /** cancels a running sweep (finished cells are kept) */
  'sweep:cancel': { req: { sweepId: string }; res: SweepState };
  /**
   * the run table: every run of every session from its summary file, with tags and note; `filter` is an
   * expression of src/shared/runs/filter.ts over the table's columns (a bad one: invalid-request naming where)
   */
  'runs:table': { req: { filter?: string } | undefined; res: RunRow[] };
  /** sets a run's tags and/or note (annotations.json, atomic, versioned) */
  'runs:annotate': { req: { runId: string; tags?: string[]; note?: string }; res: { runId: string; tags: string[]; note: string } };
  /** deletes runs to the system trash; permanently only with `confirmed` where there is no trash */
  'runs:delete': { req: { runIds: string[]; confirmed?: boolean }; res: { deleted: string[]; trashed: boolean } };
}

/** Event channels and their payloads (main → renderer). */
export interface EventMap {
  'run:progress': RunProgressEvent;
  'run:status': RunStatusEvent;
  'run:failed': RunFailedEvent;
  'experiment:progress': ExperimentProgressEvent;
}

export type InvokeChannel = keyof InvokeMap;
export type EventChannel = keyof EventMap;

/** The allowlist of invoke channels (the only ones adapters accept). */
export const INVOKE_CHANNELS = [
  'app:info',
  'config:defaults',
  'config:validate',
  'run:start',
  'run:stop',
  'run:pause',
  'run:resume',
  'run:step',
  'run:list',
  'run:get',
  'theory:compute',
  'csv:inspect',
  'run:continue',
  'session:list',
  'session:create',
  'session:runs',
  'session:rename',
  'session:duplicate',
  'session:delete',
  'export:csv',
  'export:report',
  'export:arrays',
  'session:archive',
  'session:import',
  'file:save',
  'file:open',
  'upload:put',
  'related:kernel',
  'related:circle',
  'related:weighted',
  'related:regression',
  'related:memorization',
  'related:rntk',
  'related:study',
  'related:features',
  'experiment:presets',
  'experiment:start',
  'experiment:cancel',
  'experiment:get',
  'experiment:list',
  'sweep:start',
  'sweep:cancel',
  'runs:table',
  'runs:annotate',
  'runs:delete',
] as const satisfies readonly InvokeChannel[];

/** The allowlist of event channels. */
export const EVENT_CHANNELS = ['run:progress', 'run:status', 'run:failed', 'experiment:progress'] as const satisfies readonly EventChannel[];

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected letters, digits, - and _ only');

/** The random id of a held export or upload (128 bits, hex). */
const transferId = z.string().regex(/^[0-9a-f]{32}$/, 'expected a 32-character hex id');

/** A suggested file name: no folders, no control characters. */
const fileName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\\/:*?"<>|\x00-\x1f]+$/, 'expected a file name without folders or special characters');

/** Request schemas: every payload crossing a process boundary is validated with these. */
export const REQUEST_SCHEMAS: { [K in InvokeChannel]: z.ZodType } = {
  'app:info': z.undefined().or(z.null()),
  'config:defaults': z.undefined().or(z.null()),
  'config:validate': z.unknown(),
  'run:start': z.object({ config: z.unknown(), sessionId: id.optional(), paused: z.boolean().optional(), uploads: dataUploadsSchema.optional() }).strict(),
  'run:stop': z.object({ runId: id }).strict(),
  'run:pause': z.object({ runId: id }).strict(),
  'run:resume': z.object({ runId: id }).strict(),
  'run:step': z.object({ runId: id, steps: z.number().int().min(1).max(1_000_000) }).strict(),
  'run:list': z.undefined().or(z.null()),
  'run:get': z.object({ runId: id }).strict(),
  'theory:compute': z.object({ config: z.unknown(), uploads: dataUploadsSchema.optional() }).strict(),
  'csv:inspect': z
    .object({
      config: z.object({ csvText: z.string().max(MAX_CSV_CHARS).optional(), csvName: z.string().max(512).optional() }).strict(),
      uploads: dataUploadsSchema.optional(),
    })
    .strict(),
  'run:continue': z.object({ runId: id, takeOver: z.boolean().optional() }).strict(),
  'session:list': z.undefined().or(z.null()),
  'session:create': z.object({ name: z.string().min(1).max(200) }).strict(),
  'session:runs': z.object({ sessionId: id }).strict(),
  'session:rename': z.object({ sessionId: id, name: z.string().min(1).max(200) }).strict(),
  'session:duplicate': z.object({ sessionId: id }).strict(),
  'session:delete': z.object({ sessionId: id, confirmed: z.boolean().optional() }).strict(),
  'export:csv': z.object({ runIds: z.array(id).min(1).max(1000), wide: z.boolean().optional() }).strict(),
  'export:report': z
    .object({ runIds: z.array(id).min(1).max(200).optional(), sessionId: id.optional() })
    .strict()
    .refine((r) => (r.runIds === undefined) !== (r.sessionId === undefined), { message: 'expected runIds or sessionId (one of them)' }),
  'export:arrays': z.object({ runId: id }).strict(),
  'session:archive': z.object({ sessionId: id }).strict(),
  'session:import': z.object({ uploadId: uploadIdSchema }).strict(),
  'file:save': z.union([
    z.object({ fileId: transferId }).strict(),
    z
      .object({
        fileName: fileName,
        mime: z
          .string()
          .min(1)
          .max(100)
          .regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'expected a MIME type'),
        // base64 of at most 64 MiB (a 4× PNG of a chart is a few MB)
        dataBase64: z
          .string()
          .max(Math.ceil((64 * 1024 * 1024) / 3) * 4)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
      })
      .strict(),
  ]),
  'file:open': z.object({ purpose: z.literal('archive') }).strict(),
  // Bytes cross IPC as a Uint8Array; a JSON message (WebSocket) cannot carry one, so there this fails
  // and browser mode uploads over HTTP instead.
  'upload:put': z
    .object({ kind: uploadKindSchema, name: uploadNameSchema, bytes: z.instanceof(Uint8Array, { error: 'expected bytes (a Uint8Array)' }) })
    .strict()
    .refine((r) => r.bytes.length <= UPLOAD_LIMITS[r.kind], { error: 'bytes: above the size limit of this kind of upload', path: ['bytes'] }),
  'related:kernel': kernelRequestSchema,
  'related:circle': circleRequestSchema,
  'related:weighted': weightedRequestSchema,
  'related:regression': krrRequestSchema,
  'related:memorization': krrNetworkRequestSchema,
  'related:rntk': rntkRequestSchema,
  'related:study': rntkStudyRequestSchema,
  'related:features': rfSweepRequestSchema,
  'experiment:presets': z.undefined().or(z.null()),
  'experiment:start': experimentStartSchema,
  'experiment:cancel': experimentIdSchema,
  'experiment:get': experimentIdSchema,
  'experiment:list': z.undefined().or(z.null()),
  'sweep:start': sweepStartSchema,
  'sweep:cancel': sweepIdSchema,
  'runs:table': z
    .object({ filter: z.string().max(4000).optional() })
    .strict()
    .or(z.undefined())
    .or(z.null()),
  'runs:annotate': z
    .object({ runId: id, tags: tagsSchema.optional(), note: noteSchema.optional() })
    .strict()
    .refine((r) => r.tags !== undefined || r.note !== undefined, { message: 'expected tags or note (or both)' }),
  'runs:delete': z.object({ runIds: z.array(id).min(1).max(1000), confirmed: z.boolean().optional() }).strict(),
};

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The API every adapter implements and the renderer consumes. */
export interface WorkbenchApi {
  invoke<K extends InvokeChannel>(channel: K, req: InvokeMap[K]['req']): Promise<Result<InvokeMap[K]['res']>>;
  on<K extends EventChannel>(channel: K, listener: (payload: EventMap[K]) => void): () => void;
}

/**
 * The service side every adapter serves (the WebSocket server, the Electron IPC adapter): the API, plus an
 * untyped invoke for untrusted input (checked against the allowlist and the request schemas), and uploads.
 */
export interface ServedApi extends WorkbenchApi {
  invokeUnknown(channel: unknown, req: unknown): Promise<unknown>;
  /** Stores an upload's bytes (streamed, at most `limit` bytes); optional for adapters that take none. */
  acceptUpload?(kind: UploadKind, name: string, body: AsyncIterable<Uint8Array>, limit: number): Promise<Result<UploadInfo>>;
}

/** The Electron IPC channel that carries every (channel, request) pair of {@link InvokeMap} (preload ↔ main). */
export const IPC_INVOKE = 'workbench:invoke';
/** The Electron IPC channel that carries every (channel, payload) pair of {@link EventMap} (main → preload). */
export const IPC_EVENT = 'workbench:event';

/** True if a string is an allowed invoke channel. */
export function isInvokeChannel(c: unknown): c is InvokeChannel {
  return typeof c === 'string' && (INVOKE_CHANNELS as readonly string[]).includes(c);
}

/** True if a string is an allowed event channel. */
export function isEventChannel(c: unknown): c is EventChannel {
  return typeof c === 'string' && (EVENT_CHANNELS as readonly string[]).includes(c);
}

/** Validates a request payload for a channel; returns a message naming the field on failure. */
export function validateRequest(channel: InvokeChannel, payload: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const r = REQUEST_SCHEMAS[channel].safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, message: r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ') };
}

export type { Result, SessionSummary, RunRow };
