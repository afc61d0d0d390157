/** Ids of sessions and runs: `<prefix>-<yyyymmddhhmmss>-<8 hex>`, the same scheme in every shell. */
import { randomBytes } from 'node:crypto';

/** A fresh id `<prefix>-<yyyymmddhhmmss>-<8 hex>` (sessions: prefix `s`; runs: `run`). */
export function newId(prefix: string, now: Date = new Date()): string {
  return `${prefix}-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
}

/** A fresh run id, `run-<yyyymmddhhmmss>-<8 hex>` (a session's runs and `train --out` folders alike). */
export function newRunId(now: Date = new Date()): string {
  return newId('run', now);
}
