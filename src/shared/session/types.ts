/**
 * Sessions as the API exposes them (the on-disk schema and migrations live beside this file).
 * A session is a folder holding a manifest and one sub-folder per run (run folder format v1).
 */
export interface SessionSummary {
  sessionId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  runCount: number;
  regimes: string[];
  widths: number[];
  /** status of the newest run */
  status: string | null;
  /** set when the session's manifest could not be read: the session-corrupt message (the folder is left as is) */
  corrupt?: string;
}
