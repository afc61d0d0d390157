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
    /** resume this earlier experiment (same preset) instead of starting a new one */
    experimentId: z.string().regex(/^x-[a-z0-9-]{1,64}$/, 'expected an experiment id').optional(),
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
}

/** The `experiment:progress` event. */
export interface ExperimentProgressEvent {
  experimentId: string;
  status: ExperimentStatus;
  progress: ExperimentProgress | null;
}
