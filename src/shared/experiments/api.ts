/** The experiments' part of the API contract (issue 16): requests, the state of a running experiment, its event. */
import { z } from 'zod';
import { experimentParamsSchema, PRESET_IDS, type ExperimentSummary, type PresetId } from './presets';
import type { ExperimentFigure } from '../charts/experiments';

export const experimentStartSchema = z
  .object({
    preset: z.enum(PRESET_IDS),
    quick: z.boolean(),
    params: experimentParamsSchema.optional(),
    /** cells at a time (default: every core but one) */
    jobs: z.number().int().min(1).max(64).optional(),
    /**
     * "Run on: Redis URL": the cells go to the workers on this Redis (`ntk-workbench worker --redis URL`)
     * instead of this machine; redis:// or rediss:// (TLS), a password in the URL allowed. Never stored or
     * echoed back: the state shows it with its credentials redacted.
     */
    redisUrl: z.string().min(1).max(2048).optional(),
    /** resume this earlier experiment (same preset) instead of starting a new one */
    experimentId: z
      .string()
      .regex(/^x-[a-z0-9-]{1,64}$/, 'expected an experiment id')
      .optional(),
  })
  .strict();
export type ExperimentStartRequest = z.infer<typeof experimentStartSchema>;
export const experimentIdSchema = z.object({ experimentId: z.string().regex(/^x-[a-z0-9-]{1,64}$/, 'expected an experiment id') }).strict();

/** Sweep progress as the API reports it. */
export interface ExperimentProgress {
  total: number;
  finished: number;
  failed: number;
  running: number;
  pending: number;
  skipped: number;
  elapsedMs: number;
  etaMs: number | null;
  cellsPerMinute: number | null;
}

/** A worker connected to the Redis an experiment runs on (its presence record, as the UI lists it). */
export interface ConnectedWorker {
  id: string;
  host: string;
  pid: number;
  /** backend and dtype of its latest cell (null before its first) */
  backend: string | null;
  dtype: string | null;
  cellsPerMinute: number | null;
  stepsPerSecond: number | null;
  active: number;
  cellsDone: number;
}

/** Where an experiment's cells run: this machine, or the workers of a Redis (URL with credentials redacted). */
export interface ExperimentRemote {
  redis: string;
  workers: ConnectedWorker[];
  /** set while the sweep is paused (Redis unreachable) or a worker refused it; the message says which */
  notice: string | null;
}

export type ExperimentStatus = 'running' | 'finished' | 'cancelled' | 'failed';

/** An experiment of the data folder: running, or done with its verdict and figures. */
export interface ExperimentState {
  experimentId: string;
  preset: PresetId;
  quick: boolean;
  status: ExperimentStatus;
  /** where its files are (data.csv, summary.json, figures/, runs/) */
  folder: string;
  startedAt: string;
  progress: ExperimentProgress | null;
  summary: ExperimentSummary | null;
  figures: ExperimentFigure[];
  error: string | null;
  /** set when its cells run on the workers of a Redis */
  remote?: ExperimentRemote;
  /** the session its training cells appear in as runs (experiments started in the app) */
  sessionId?: string;
}

/** The `experiment:progress` event. */
export interface ExperimentProgressEvent {
  experimentId: string;
  status: ExperimentStatus;
  progress: ExperimentProgress | null;
  /** set when its cells run on the workers of a Redis: connected workers and notices */
  remote?: ExperimentRemote;
}

/**
 * "Sweep" in the Experiments view: a grid over any config fields from a base config (the Run form's), times
 * seeds, on the same sweep runner as `ntk-workbench sweep` (cells keyed by their config's hash, resumable,
 * cancellable). Progress comes as `experiment:progress` events with `experimentId` = the sweep's id.
 */
export const sweepStartSchema = z
  .object({
    /** the config every cell starts from (validated per cell with the config schema) */
    base: z.record(z.string(), z.unknown()),
    /** config key → its values (`KEY=v1,v2` in the form); cells are the Cartesian product */
    grid: z.record(
      z.string(),
      z
        .array(z.union([z.number(), z.string(), z.boolean(), z.null()]))
        .min(1)
        .max(10_000),
    ),
    /** seeds per cell (A..B in the form; default: the base config's seed) */
    seeds: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1),
      )
      .min(1)
      .max(10_000)
      .optional(),
    jobs: z.number().int().min(1).max(64).optional(),
    /** as experiment:start: the workers of this Redis run the cells; never stored or echoed back */
    redisUrl: z.string().min(1).max(2048).optional(),
  })
  .strict();
export type SweepStartRequest = z.infer<typeof sweepStartSchema>;
export const sweepIdSchema = z.object({ sweepId: z.string().regex(/^x-sweep-[a-z0-9-]{1,64}$/, 'expected a sweep id') }).strict();

/** A sweep started from the app (its folder: `<dataDir>/experiments/<sweepId>/` with sweep.json and runs/). */
export interface SweepState {
  sweepId: string;
  status: ExperimentStatus;
  folder: string;
  startedAt: string;
  /** cells of the grid × seeds */
  cells: number;
  progress: ExperimentProgress | null;
  error: string | null;
  /** the session its runs appear in */
  sessionId?: string;
  remote?: ExperimentRemote;
}
