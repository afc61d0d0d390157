/**
 * Two small files a run folder may hold besides run folder format v1, for the run table (issue 15):
 *
 *   <run>/summary.json      RunSummaryFile: everything a table row needs (config without the CSV text,
 *                           provenance, the last record's metrics), written at the end of a run and rebuilt
 *                           from config.json, status.json and metrics.ndjson when missing or stale
 *   <run>/annotations.json  RunAnnotationsFile: the user's tags and note
 *
 * Both carry `schemaVersion`; the summary also records the size of metrics.ndjson and the mtime and size of
 * status.json it was built from, so a summary that no longer matches its run (a resumed run) is rebuilt.
 */
import { z } from 'zod';
import { RUN_STATUSES, machineSchema } from '../run/format';
import { MAX_NOTE_CHARS, MAX_TAGS, TAG_PATTERN } from './table';

export const SUMMARY_FILE = 'summary.json';
export const ANNOTATIONS_FILE = 'annotations.json';
export const SUMMARY_VERSION = 1;
export const ANNOTATIONS_VERSION = 1;
/** Either file above this size is not read (a summary is a few kB). */
export const MAX_SUMMARY_BYTES = 256 * 1024;

const num = z.number().nullable();
const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const runSummaryFileSchema = z.object({
  schemaVersion: z.literal(SUMMARY_VERSION),
  runId: z.string(),
  status: z.enum(RUN_STATUSES),
  reason: z.string().nullable(),
  lastStep: z.number().int().min(0),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  appVersion: z.string(),
  backend: z.string(),
  dtype: z.string(),
  machine: machineSchema,
  learningRates: z.object({ encoder: num, decoder: num }).nullable(),
  /** the config without csvText (its length is `csvChars`) */
  config: z.record(z.string(), cell),
  csvChars: z.number().int().min(0).nullable(),
  /** records in metrics.ndjson and the last one's values */
  records: z.number().int().min(0),
  final: z.object({
    step: z.number().int().min(0).nullable(),
    loss: num,
    lossRatio: num,
    testLoss: num,
    wallMs: num,
    /** λ_min and λ_max of the empirical NTK at the last tracked step (`eigStep`) */
    lambdaMin: num,
    lambdaMax: num,
    eigStep: z.number().int().min(0).nullable(),
  }),
  stepsPerSecond: num,
  /** what the summary was built from: a mismatch means it is stale */
  source: z.object({ metricsBytes: z.number().int().min(0), statusBytes: z.number().int().min(0), statusMtimeMs: z.number() }),
  builtAt: z.string(),
});
export type RunSummaryFile = z.infer<typeof runSummaryFileSchema>;

export const tagsSchema = z
  .array(z.string().regex(TAG_PATTERN, 'expected letters, digits and _ . + - (up to 64 characters)'))
  .max(MAX_TAGS, `expected at most ${MAX_TAGS} tags`);
export const noteSchema = z.string().max(MAX_NOTE_CHARS, `expected at most ${MAX_NOTE_CHARS} characters`);

export const runAnnotationsFileSchema = z.object({
  schemaVersion: z.literal(ANNOTATIONS_VERSION),
  tags: tagsSchema,
  note: noteSchema,
  updatedAt: z.string(),
});
export type RunAnnotationsFile = z.infer<typeof runAnnotationsFileSchema>;
