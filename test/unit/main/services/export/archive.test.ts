import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { ARCHIVE_MANIFEST, createArchive, importArchive } from '../../../../../src/main/services/export/archive';
import { readZip } from '../../../../../src/main/services/export/zip';
import { SessionStore } from '../../../../../src/main/services/sessionStore';
import { WorkbenchException } from '../../../../../src/shared/api/result';
import { MIGRATIONS } from '../../../../../src/shared/session/migrations';
import { rawZip } from '../../../../support/rawZip';

const fixtures = path.resolve(__dirname, '../../../../fixtures/runs');
let tmp: string;
let sessionDir: string;

/** Every file under a folder with its bytes, by relative path (the data directory's full state). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ntk-archive-'));
  // A session folder made of the two seeded fixture runs.
  sessionDir = path.join(tmp, 'src-data/sessions/s-fixture');
  for (const name of ['seeded-joint', 'seeded-weak']) {
    const id = JSON.parse(readFileSync(path.join(fixtures, name, 'config.json'), 'utf8')).runId;
    cpSync(path.join(fixtures, name), path.join(sessionDir, 'runs', id), { recursive: true });
  }
  writeFileSync(
    path.join(sessionDir, 'session.json'),
    JSON.stringify({
      schemaVersion: 1,
      sessionId: 's-fixture',
      name: 'Fixture, “two runs”',
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
    }),
  );
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function freshDataDir(): string {
  const d = path.join(tmp, `data-${Math.random().toString(36).slice(2)}`);
  mkdirSync(path.join(d, 'sessions'), { recursive: true });
  return d;
}

describe('createArchive() and importArchive()', () => {
  it('round trip: export → import into a fresh data directory → byte-identical run files, and the store lists it', async () => {
    const { bytes, manifest } = await createArchive(sessionDir, '0.1.0');
    expect(manifest).toMatchObject({ kind: 'session', session: { sessionId: 's-fixture' } });
    const dataDir = freshDataDir();
    const r = await importArchive(bytes, dataDir);
    expect(r.sessionId).toBe('s-fixture');
    expect(r.renamed).toEqual({});
    const before = snapshot(sessionDir);
    const after = snapshot(path.join(dataDir, 'sessions', 's-fixture'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k)!.equals(v), k).toBe(true);
    expect([...before.keys()].some((k) => k.endsWith('params/final.npz'))).toBe(true);
    const store = new SessionStore(dataDir);
    const sessions = await store.listSessions();
    expect(sessions.map((s) => [s.sessionId, s.name, s.runCount])).toEqual([['s-fixture', 'Fixture, “two runs”', 2]]);
    const detail = await store.readRun(r.runIds[0]!);
    expect(detail.records.length).toBeGreaterThan(0);
  });

  it('a second import gets fresh session and run ids (config.json rewritten), the first is untouched', async () => {
    const { bytes } = await createArchive(sessionDir, '0.1.0');
    const dataDir = freshDataDir();
    const a = await importArchive(bytes, dataDir);
    const first = snapshot(dataDir);
    const b = await importArchive(bytes, dataDir);
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(Object.keys(b.renamed).sort()).toEqual([...a.runIds, a.sessionId].sort());
    for (const [k, v] of first) expect(readFileSync(path.join(dataDir, k)).equals(v)).toBe(true);
    for (const id of b.runIds) {
      expect(JSON.parse(readFileSync(path.join(dataDir, 'sessions', b.sessionId, 'runs', id, 'config.json'), 'utf8')).runId).toBe(id);
    }
    expect((await new SessionStore(dataDir).listAllRuns()).length).toBe(4);
  });

  it("archives an experiment's session: its runs are links to the cells' folders, archived as the runs themselves", async () => {
    const data = path.join(tmp, `exp-data-${Math.random().toString(36).slice(2)}`);
    const sess = path.join(data, 'sessions/s-exp');
    mkdirSync(path.join(sess, 'runs'), { recursive: true });
    writeFileSync(
      path.join(sess, 'session.json'),
      JSON.stringify({ schemaVersion: 1, sessionId: 's-exp', name: 'E1 · x-1', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' }),
    );
    const id = JSON.parse(readFileSync(path.join(fixtures, 'seeded-joint', 'config.json'), 'utf8')).runId as string;
    const cell = path.join(data, 'experiments/x-1/runs/c0');
    cpSync(path.join(fixtures, 'seeded-joint'), cell, { recursive: true });
    symlinkSync(cell, path.join(sess, 'runs', id), 'dir');
    const { bytes, manifest } = await createArchive(sess, '0.1.0');
    expect(manifest.runs).toEqual([id]);
    const dataDir = freshDataDir();
    const r = await importArchive(bytes, dataDir);
    const imported = path.join(dataDir, 'sessions', r.sessionId, 'runs', r.runIds[0]!);
    expect(lstatSync(imported).isDirectory()).toBe(true);
    expect(readFileSync(path.join(imported, 'metrics.ndjson')).equals(readFileSync(path.join(cell, 'metrics.ndjson')))).toBe(true);
    // A link that leads out of the data directory is refused, not followed.
    const outside = path.join(tmp, `outside-${Math.random().toString(36).slice(2)}`);
    cpSync(path.join(fixtures, 'seeded-weak'), outside, { recursive: true });
    const weakId = JSON.parse(readFileSync(path.join(outside, 'config.json'), 'utf8')).runId as string;
    symlinkSync(outside, path.join(sess, 'runs', weakId), 'dir');
    await expect(createArchive(sess, '0.1.0')).rejects.toMatchObject({ code: 'session-corrupt' });
  });

  it('archives a single run folder; it imports as a new session holding that run', async () => {
    const { bytes, manifest } = await createArchive(path.join(fixtures, 'seeded-weak'), '0.1.0');
    expect(manifest.kind).toBe('runs');
    const r = await importArchive(bytes, freshDataDir());
    expect(r.runIds).toEqual(manifest.runs);
    expect(r.name).toMatch(/^Imported 1 run/);
  });

  it('migrates files of an older schemaVersion on import, writes the migrated form and says which', async () => {
    const { bytes } = await createArchive(path.join(fixtures, 'seeded-joint'), '0.1.0');
    // A "version 0" status.json (no schemaVersion, no lastStep) and a chain 0 → 1 that fills lastStep in.
    const files = readZip(bytes, 't', { maxEntries: 100, maxUncompressedBytes: 1e9 });
    const patched = Object.fromEntries(
      files.map((f) => {
        if (!f.name.endsWith('status.json')) return [f.name, f.data];
        const { schemaVersion: _v, lastStep: _l, ...old } = JSON.parse(new TextDecoder().decode(f.data));
        return [f.name, new TextEncoder().encode(JSON.stringify(old))];
      }),
    );
    const migrations = {
      archive: { current: 1, migrations: {} },
      ...MIGRATIONS,
      runStatus: { current: 1, migrations: { 0: (d: Record<string, unknown>) => ({ ...d, lastStep: 12 }) } },
    };
    const dataDir = freshDataDir();
    const r = await importArchive(zipSync(patched), dataDir, { migrations });
    expect(r.migrated).toEqual([`runs/${r.runIds[0]}/status.json`]);
    const written = JSON.parse(readFileSync(path.join(dataDir, 'sessions', r.sessionId, 'runs', r.runIds[0]!, 'status.json'), 'utf8'));
    expect(written).toMatchObject({ schemaVersion: 1, lastStep: 12, status: 'finished' });
    // Without that migration the same archive is refused, naming the file, and nothing is written.
    const other = freshDataDir();
    await expect(importArchive(zipSync(patched), other)).rejects.toThrow(/status\.json": invalid-file: no migration from schemaVersion 0/);
    expect(snapshot(other).size).toBe(0);
  });

  it('refuses an archive whose files were written by a newer version, naming the file', async () => {
    const { bytes } = await createArchive(path.join(fixtures, 'seeded-joint'), '0.1.0');
    const files = readZip(bytes, 't', { maxEntries: 100, maxUncompressedBytes: 1e9 });
    const patched = Object.fromEntries(
      files.map((f) => [
        f.name,
        f.name.endsWith('status.json')
          ? new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(f.data)), schemaVersion: 9 }))
          : f.data,
      ]),
    );
    const dataDir = freshDataDir();
    await expect(importArchive(zipSync(patched), dataDir)).rejects.toThrow(/status\.json": invalid-file: written by a newer version/);
    expect(snapshot(dataDir).size).toBe(0);
  });
});

describe('importArchive() refuses hostile archives with nothing written', () => {
  const manifest = (runs: string[] = ['run-a']) => JSON.stringify({ schemaVersion: 1, kind: 'runs', appVersion: '0', createdAt: 'x', session: null, runs });
  const cases: [string, () => Uint8Array, string, RegExp][] = [
    [
      'a ".." entry (zip-slip)',
      () =>
        rawZip([
          { name: ARCHIVE_MANIFEST, data: manifest() },
          { name: 'runs/../../evil.txt', data: 'x' },
        ]),
      'path-traversal',
      /runs\/\.\.\/\.\.\/evil\.txt/,
    ],
    ['an absolute path', () => rawZip([{ name: '/etc/evil', data: 'x' }]), 'absolute-path', /\/etc\/evil/],
    ['a drive letter', () => rawZip([{ name: 'C:/Windows/evil', data: 'x' }]), 'drive-letter', /C:\/Windows\/evil/],
    ['a backslash path', () => rawZip([{ name: 'runs\\..\\evil', data: 'x' }]), 'backslash', /evil/],
    [
      'a symlink entry',
      () =>
        rawZip([
          { name: ARCHIVE_MANIFEST, data: manifest() },
          { name: 'runs/run-a/config.json', data: '/etc/passwd', mode: 0o120777 },
        ]),
      'symlink',
      /runs\/run-a\/config\.json/,
    ],
    ['too many entries', () => rawZip(Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, data: '' }))), 'too-many-entries', /12 entries/],
    ['more declared bytes than the bound', () => rawZip([{ name: 'big', data: 'x', declaredSize: 2000, deflate: true }]), 'too-large', /"big"/],
    [
      'an entry inflating past its declared size (zip bomb)',
      () => rawZip([{ name: 'bomb', data: new Uint8Array(100_000), declaredSize: 10, deflate: true }]),
      'size-mismatch',
      /"bomb"/,
    ],
    [
      'duplicate names',
      () =>
        rawZip([
          { name: ARCHIVE_MANIFEST, data: manifest() },
          { name: 'runs/run-a/status.json', data: '{}' },
          { name: 'runs/run-a/status.json', data: '{}' },
        ]),
      'duplicate-name',
      /status\.json/,
    ],
    [
      'names equal but for case',
      () =>
        rawZip([
          { name: 'runs/run-a/Status.json', data: '{}' },
          { name: 'runs/run-a/status.json', data: '{}' },
        ]),
      'duplicate-name',
      /status\.json/,
    ],
    ['an encrypted entry', () => rawZip([{ name: 'x', data: 'x', flags: 1 }]), 'encrypted', /"x"/],
    [
      'an entry that is not a file of a listed run',
      () =>
        rawZip([
          { name: ARCHIVE_MANIFEST, data: manifest() },
          { name: 'runs/run-a/evil.sh', data: 'x' },
        ]),
      'unexpected-entry',
      /evil\.sh/,
    ],
    [
      'a damaged CRC',
      () => {
        const z = rawZip([{ name: ARCHIVE_MANIFEST, data: manifest() }]);
        const at = 30 + ARCHIVE_MANIFEST.length + 3;
        z[at] = z[at]! ^ 0xff;
        return z;
      },
      'checksum',
      /ntk-archive\.json/,
    ],
    ['not a zip at all', () => new TextEncoder().encode('hello, this is not a zip file at all'), 'not-a-zip', /end-of-central-directory/],
  ];
  it.each(cases)('%s', async (_name, make, rule, entry) => {
    const dataDir = freshDataDir();
    const before = snapshot(dataDir);
    let err: unknown;
    try {
      await importArchive(make(), dataDir, { label: 'hostile.zip', limits: { maxEntries: 10, maxUncompressedBytes: 1000 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WorkbenchException);
    const e = err as WorkbenchException;
    expect(e.code).toBe('invalid-data');
    expect(e.message).toContain(`${rule}:`);
    expect(e.message).toMatch(entry);
    expect(e.details).toMatchObject({ rule });
    expect(snapshot(dataDir)).toEqual(before);
    expect(readdirSync(path.join(dataDir, 'sessions'))).toEqual([]);
    expect(statSync(dataDir).isDirectory()).toBe(true);
  });
});

describe('ExportService.importUpload()', () => {
  it('imports an archive uploaded like every other file (kind archive), once; a data-file upload id is refused', async () => {
    const { ExportService } = await import('../../../../../src/main/services/export/exportService');
    const { UploadStore } = await import('../../../../../src/main/services/uploads');
    const dataDir = freshDataDir();
    const uploads = new UploadStore(dataDir);
    const service = new ExportService(new SessionStore(dataDir), uploads, '0.1.0');
    const { bytes } = await createArchive(sessionDir, '0.1.0');
    const csv = await uploads.put('csv', 'x.csv', new TextEncoder().encode('1,2\n'));
    await expect(service.importUpload({ uploadId: csv.uploadId })).rejects.toMatchObject({ code: 'not-found' });
    const up = await uploads.put('archive', 'shared.zip', bytes);
    const r = await service.importUpload({ uploadId: up.uploadId });
    expect(r.sessionId).toBe('s-fixture');
    expect(readdirSync(path.join(dataDir, 'sessions'))).toContain('s-fixture');
    // used once: the bytes are gone, a second import of the same id is not-found
    await expect(service.importUpload({ uploadId: up.uploadId })).rejects.toMatchObject({ code: 'not-found' });
    expect(uploads.totalBytes).toBe(4);
  });
});
