/**
 * Migrations of persisted files: each file kind has a current schemaVersion and one function per earlier
 * version that lifts a document by one version. Load = parse → {@link migrateDocument} → validate.
 * A file without `schemaVersion` is version 0 (files from before versioning); a version above the
 * current one was written by a newer app and is refused rather than guessed at.
 */
import { RUN_FORMAT_VERSION } from '../run/format';
import { SESSION_MANIFEST_VERSION, THEORY_FILE_VERSION } from './schema';

/** Lifts a document from version v to v + 1. */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/** The migration chain of one file kind. */
export interface MigrationSet {
  current: number;
  /** migrations[v] lifts version v to v + 1, for every v < current */
  migrations: Record<number, Migration>;
}

export type MigrateResult = { ok: true; doc: Record<string, unknown>; from: number } | { ok: false; message: string };

/**
 * Brings a parsed JSON document to the current version of its kind. Does not validate the result
 * (the caller's zod schema does), and never mutates `raw`.
 */
export function migrateDocument(raw: unknown, set: MigrationSet): MigrateResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'expected a JSON object' };
  const v0 = (raw as { schemaVersion?: unknown }).schemaVersion ?? 0;
  if (typeof v0 !== 'number' || !Number.isInteger(v0) || v0 < 0) {
    return { ok: false, message: `schemaVersion: expected a non-negative integer, got ${JSON.stringify(v0)}` };
  }
  if (v0 > set.current) {
    return { ok: false, message: `written by a newer version of NTK Workbench (schemaVersion ${v0}; this version reads up to ${set.current})` };
  }
  let doc: Record<string, unknown> = structuredClone(raw as Record<string, unknown>);
  for (let v = v0; v < set.current; v++) {
    const step = set.migrations[v];
    if (!step) return { ok: false, message: `no migration from schemaVersion ${v}` };
    doc = { ...step(doc), schemaVersion: v + 1 };
  }
  return { ok: true, doc, from: v0 };
}

/** The migration chains of every persisted file kind (all at version 1: no earlier versions exist yet). */
export const MIGRATIONS = {
  sessionManifest: { current: SESSION_MANIFEST_VERSION, migrations: {} },
  runConfig: { current: RUN_FORMAT_VERSION, migrations: {} },
  runStatus: { current: RUN_FORMAT_VERSION, migrations: {} },
  theory: { current: THEORY_FILE_VERSION, migrations: {} },
} satisfies Record<string, MigrationSet>;
