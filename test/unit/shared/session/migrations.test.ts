import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateDocument, type MigrationSet } from '../../../../src/shared/session/migrations';
import { sessionManifestSchema } from '../../../../src/shared/session/schema';

/** A synthetic history: v0 manifests had `title` and `created`; v1 renamed them to `name` and `createdAt`/`updatedAt`. */
const synthetic: MigrationSet = {
  current: 1,
  migrations: {
    0: (doc) => {
      const { title, created, ...rest } = doc as { title?: unknown; created?: unknown };
      return { ...rest, name: title, createdAt: created, updatedAt: created };
    },
  },
};

describe('migrateDocument()', () => {
  it('migrates a v0 document (no schemaVersion) to v1 that then validates', () => {
    const v0 = { sessionId: 's1', title: 'Old', created: '2020-01-01T00:00:00.000Z' };
    const r = migrateDocument(v0, synthetic);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.from).toBe(0);
    expect(r.doc).toEqual({ schemaVersion: 1, sessionId: 's1', name: 'Old', createdAt: '2020-01-01T00:00:00.000Z', updatedAt: '2020-01-01T00:00:00.000Z' });
    expect(sessionManifestSchema.safeParse(r.doc).success).toBe(true);
    // The input is not mutated (a failed load must not have changed anything, even in memory).
    expect(v0).toEqual({ sessionId: 's1', title: 'Old', created: '2020-01-01T00:00:00.000Z' });
  });

  it('chains several steps in order', () => {
    const set: MigrationSet = {
      current: 3,
      migrations: { 0: (d) => ({ ...d, trail: 'a' }), 1: (d) => ({ ...d, trail: `${String(d.trail)}b` }), 2: (d) => ({ ...d, trail: `${String(d.trail)}c` }) },
    };
    const r = migrateDocument({ schemaVersion: 1, trail: 'x' }, set);
    expect(r).toEqual({ ok: true, from: 1, doc: { schemaVersion: 3, trail: 'xbc' } });
  });

  it('leaves a current document as it is', () => {
    const doc = { schemaVersion: 1, sessionId: 's', name: 'n', createdAt: '2020-01-01T00:00:00Z', updatedAt: '2020-01-01T00:00:00Z' };
    expect(migrateDocument(doc, MIGRATIONS.sessionManifest)).toEqual({ ok: true, from: 1, doc });
  });

  it('refuses a newer schemaVersion, a non-integer version, a missing step and a non-object', () => {
    expect(migrateDocument({ schemaVersion: 2 }, synthetic)).toEqual({
      ok: false,
      message: expect.stringMatching(/written by a newer version.*schemaVersion 2/),
    });
    expect(migrateDocument({ schemaVersion: '1' }, synthetic)).toEqual({
      ok: false,
      message: expect.stringMatching(/schemaVersion: expected a non-negative integer/),
    });
    expect(migrateDocument({ schemaVersion: 1.5 }, synthetic).ok).toBe(false);
    expect(migrateDocument({}, { current: 2, migrations: { 0: (d) => d } })).toEqual({ ok: false, message: 'no migration from schemaVersion 1' });
    expect(migrateDocument([1], synthetic)).toEqual({ ok: false, message: 'expected a JSON object' });
    expect(migrateDocument(null, synthetic).ok).toBe(false);
  });

  it('has a complete chain for every persisted file kind', () => {
    for (const [kind, set] of Object.entries(MIGRATIONS)) {
      for (let v = 0; v < set.current; v++) {
        // Version 0 never shipped for these kinds; only a chain with a gap above it would be a bug.
        if (v === 0 && set.current === 1) continue;
        expect((set.migrations as Record<number, unknown>)[v], `${kind} v${v}`).toBeTypeOf('function');
      }
    }
  });
});
