/**
 * What producers and workers of a distributed sweep exchange through Redis, validated with zod on both
 * sides (a job, its progress, its result and a worker's presence record are data from another machine).
 *
 * One BullMQ queue ({@link QUEUE_NAME}) serves every sweep: a job is one cell, its id
 * `<sweepId>.<cellId>` (BullMQ refuses ':' in ids), so adding a cell again while its job exists is a
 * no-op. The result travels back as the job's return value: the cell's run folder as files (base64), so
 * that a worker on another machine needs no shared disk.
 */
import { z } from 'zod';

/** The BullMQ queue every producer and worker uses. */
export const QUEUE_NAME = 'ntk-workbench-sweeps';
/** Our own keys (worker presence) live under this prefix, beside BullMQ's `bull:` keys. */
export const KEY_PREFIX = 'ntk-workbench';
/** The most bytes of files one cell may send back (Redis holds the result until the producer takes it). */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** What a cell computes (the sweep runner's CellWork): a training run of a config, or one engine task. */
export const cellWorkSchema = z.discriminatedUnion('kind', [
  /** the config is validated by the worker with the shared schema (parseConfig) before it runs */
  z.object({ kind: z.literal('train'), config: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal('task'), task: z.string().min(1), args: z.unknown() }),
]);

/** A job: one cell of one sweep, with the producer's versions for the handshake. */
export const cellJobSchema = z.object({
  schemaVersion: z.literal(1),
  sweepId: id,
  cellId: id,
  index: z.number().int().min(0),
  point: z.record(z.string(), z.unknown()),
  work: cellWorkSchema,
  appVersion: z.string(),
  engineVersion: z.string(),
  /** also send the run's checkpoints back (they can be large; metrics, status and kept parameters always travel) */
  withCheckpoints: z.boolean(),
});
export type CellJob = z.infer<typeof cellJobSchema>;

/** One file of a run folder, relative to it (`metrics.ndjson`, `params/final.npz`). */
export const resultFileSchema = z.object({ path: z.string(), base64: z.string() });
export type ResultFile = z.infer<typeof resultFileSchema>;

/** A worker as a producer sees it. */
export const workerRefSchema = z.object({ id: z.string(), host: z.string() });

/** The final numbers of a cell (the sweep runner's CellMetrics). */
export const cellMetricsSchema = z.object({
  lastStep: z.number().nullable(),
  initialLoss: z.number().nullable(),
  finalLoss: z.number().nullable(),
  lossRatio: z.number().nullable(),
  backend: z.string().nullable(),
  dtype: z.string().nullable(),
});

/** The return value of a cell's job: how it ended, and its run folder's files. */
export const cellResultSchema = z.object({
  schemaVersion: z.literal(1),
  sweepId: id,
  cellId: id,
  status: z.enum(['finished', 'stopped', 'failed']),
  reason: z.string(),
  errorCode: z.string().optional(),
  metrics: cellMetricsSchema,
  worker: workerRefSchema,
  /** wall time of the cell on the worker */
  ms: z.number(),
  files: z.array(resultFileSchema),
});
export type CellResult = z.infer<typeof cellResultSchema>;

/** A job's progress (`job.updateProgress`), sent at most twice a second per cell. */
export const cellProgressSchema = z.object({
  step: z.number().int(),
  steps: z.number().int(),
  loss: z.number().nullable(),
  worker: workerRefSchema,
});
export type CellProgress = z.infer<typeof cellProgressSchema>;

/** A worker's presence record, refreshed every few seconds with an expiry (a dead worker disappears). */
export const workerPresenceSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  appVersion: z.string(),
  engineVersion: z.string(),
  /** the compute backend and dtype of its latest cell (null before its first) */
  backend: z.string().nullable(),
  dtype: z.string().nullable(),
  concurrency: z.number().int(),
  active: z.number().int(),
  cellsDone: z.number().int(),
  cellsFailed: z.number().int(),
  /** cells finished per minute since the worker started (null before its first) */
  cellsPerMinute: z.number().nullable(),
  /** training steps per second over its recent cells (null before its first) */
  stepsPerSecond: z.number().nullable(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** set when it refused a job of another version (the message names both) */
  refused: z.string().nullable(),
});
export type WorkerPresence = z.infer<typeof workerPresenceSchema>;

/** The BullMQ job id of a cell. */
export function jobIdOf(sweepId: string, cellId: string): string {
  return `${sweepId}.${cellId}`;
}

/** The presence key of a worker. */
export function presenceKey(workerId: string): string {
  return `${KEY_PREFIX}:worker:${workerId}`;
}
