/**
 * On-disk schemas of the session store (besides the run files of src/shared/run/format.ts):
 *
 *   <dataDir>/sessions/<sessionId>/session.json          SessionManifest
 *   <dataDir>/sessions/<sessionId>/runs/<runId>/...      run folder format v1 (+ theory.json, checkpoints/)
 *
 * Every JSON file carries `schemaVersion`; loading is parse → migrate (migrations.ts) → validate (here).
 */
import { z } from 'zod';
import { MAX_CSV_CHARS } from '../config/schema';

export const SESSION_MANIFEST_FILE = 'session.json';
export const SESSIONS_DIR = 'sessions';
export const RUNS_DIR = 'runs';

export const SESSION_MANIFEST_VERSION = 1;
export const THEORY_FILE_VERSION = 1;

/**
 * Largest config.json accepted: the biggest a valid config serializes to. Its csvText holds at most
 * MAX_CSV_CHARS characters, and JSON writes one in at most 6 bytes (`\u001f`); the other keys fit in 1 MiB.
 */
export const MAX_CONFIG_BYTES = 6 * MAX_CSV_CHARS + 1024 * 1024;
export const MAX_SMALL_JSON_BYTES = 1024 * 1024;
export const MAX_THEORY_BYTES = 64 * 1024 * 1024;
export const MAX_METRICS_BYTES = 512 * 1024 * 1024;

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'expected an ISO date' });

/** session.json: the session's name and dates. */
export const sessionManifestSchema = z.object({
  schemaVersion: z.literal(SESSION_MANIFEST_VERSION),
  sessionId: z.string(),
  name: z.string().min(1).max(200),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type SessionManifest = z.infer<typeof sessionManifestSchema>;

/** theory.json: the theory values of a run, as the engine computed them (opaque to the store). */
export const theoryFileSchema = z.object({
  schemaVersion: z.literal(THEORY_FILE_VERSION),
  theory: z.unknown(),
});
export type TheoryFile = z.infer<typeof theoryFileSchema>;
