import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FSYNC_INTERVAL_MS, RunWriter, isRunActive } from '../../../../src/main/services/runWriter';
import { writeFileAtomicSync, writeJsonAtomicSync } from '../../../../src/main/services/fsAtomic';
import { parseMetricsText, type MetricRecord } from '../../../../src/shared/run/format';
import { WorkbenchException } from '../../../../src/shared/api/result';
import { configFile, faultyFs, hashTree, tempDir } from './sessionFixtures';

const rec = (step: number, loss = 1 / (step + 1)): MetricRecord => ({ step, loss, wallMs: step * 3 });

function readRecords(runDir: string): MetricRecord[] {
  const parsed = parseMetricsText(fs.readFileSync(path.join(runDir, 'metrics.ndjson'), 'utf8'));
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.records;
}

/** A manual clock and timer queue so the fsync cadence is checked without waiting. */
function manualTime() {
  let t = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => t,
    setTimer: (fn: () => void, ms: number) => {
      const e = { at: t + ms, fn, live: true };
      timers.push(e);
      return () => {
        e.live = false;
      };
    },
    advance(ms: number) {
      t += ms;
      for (const e of timers) {
        if (e.live && e.at <= t) {
          e.live = false;
          e.fn();
        }
      }
    },
  };
}

describe('RunWriter.create()', () => {
  it('writes config.json and a running status.json with schemaVersion, and registers the run as active', async () => {
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile());
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const st = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    expect(cfg.schemaVersion).toBe(1);
    expect(cfg.runId).toBe('run-test');
    expect(st).toMatchObject({ schemaVersion: 1, status: 'running', reason: null, lastStep: 0 });
    expect(isRunActive(dir)).toBe(true);
    await w.close();
    expect(isRunActive(dir)).toBe(false);
  });

  it('refuses to overwrite an existing run or a folder that is not empty, as bad input (exit 2), leaving it untouched', async () => {
    const dir = path.join(tempDir(), 'run');
    await (await RunWriter.create(dir, configFile())).close();
    const before = hashTree(dir);
    await expect(RunWriter.create(dir, configFile())).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringContaining('already holds a run'),
    });
    expect(hashTree(dir)).toBe(before);
    const other = path.join(tempDir(), 'notes');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'keep.txt'), 'mine');
    await expect(RunWriter.create(other, configFile())).rejects.toMatchObject({ code: 'invalid-request', message: expect.stringContaining('not empty') });
    expect(fs.readdirSync(other)).toEqual(['keep.txt']);
    // An empty folder (made by the user beforehand) is fine.
    const empty = path.join(tempDir(), 'empty');
    fs.mkdirSync(empty);
    await (await RunWriter.create(empty, configFile())).close();
    expect(fs.existsSync(path.join(empty, 'config.json'))).toBe(true);
  });
});

describe('append()', () => {
  it('puts every record on disk synchronously, before close, with non-finite values kept explicitly', async () => {
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile());
    w.append([rec(0), rec(1, Number.NaN)]);
    // Read before close: a process killed now must already have both lines in the file.
    const recs = readRecords(dir);
    expect(recs.map((r) => r.step)).toEqual([0, 1]);
    expect(recs[1]!.loss).toBeNull();
    expect(recs[1]!.nonFinite).toEqual({ loss: 'NaN' });
    await w.close();
  });

  it('fsyncs at most once per second, and catches up by timer and at close', async () => {
    const f = faultyFs();
    const time = manualTime();
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile(), { fs: f, now: time.now, setTimer: time.setTimer });
    const base = f.fsyncs;
    const syncTimes: number[] = [];
    let seen = base;
    // 100 appends every 50 ms = 5 simulated seconds.
    for (let i = 0; i < 100; i++) {
      w.append([rec(i)]);
      time.advance(50);
      if (f.fsyncs > seen) {
        syncTimes.push(time.now());
        seen = f.fsyncs;
      }
    }
    for (let i = 1; i < syncTimes.length; i++) expect(syncTimes[i]! - syncTimes[i - 1]!).toBeGreaterThanOrEqual(FSYNC_INTERVAL_MS);
    // 5 s of appends: at least 4 syncs (the data is never more than a second behind), at most 5.
    expect(f.fsyncs - base).toBeGreaterThanOrEqual(4);
    expect(f.fsyncs - base).toBeLessThanOrEqual(5);
    // A quiet period: the pending timer syncs the tail within a second.
    w.append([rec(100)]);
    const before = f.fsyncs;
    time.advance(FSYNC_INTERVAL_MS);
    expect(f.fsyncs).toBe(before + 1);
    const beforeClose = f.fsyncs;
    await w.close();
    expect(f.fsyncs).toBe(beforeClose + 1);
  });

  it('turns ENOSPC into an io-error naming metrics.ndjson, keeps earlier lines intact and refuses further appends', async () => {
    const f = faultyFs();
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile(), { fs: f });
    w.append([rec(0), rec(1), rec(2)]);
    const good = fs.readFileSync(path.join(dir, 'metrics.ndjson'));
    f.failWrites = 'ENOSPC';
    let caught: unknown;
    try {
      w.append([rec(3)]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkbenchException);
    expect((caught as WorkbenchException).code).toBe('io-error');
    expect((caught as WorkbenchException).message).toMatch(/metrics\.ndjson/);
    expect((caught as WorkbenchException).message).toMatch(/disk is full/);
    // The half-written line was cut back off: the file is byte-for-byte what it was.
    expect(fs.readFileSync(path.join(dir, 'metrics.ndjson')).equals(good)).toBe(true);
    f.failWrites = null;
    expect(() => w.append([rec(4)])).toThrow(/metrics\.ndjson/);
    await w.close();
    expect(readRecords(dir).map((r) => r.step)).toEqual([0, 1, 2]);
  });
});

describe('setStatus()', () => {
  it('replaces status.json atomically: a failed replace leaves the old file and no temp file', async () => {
    const f = faultyFs();
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile(), { fs: f });
    w.append([rec(0), rec(7), rec(9)]);
    await w.setStatus({ status: 'paused', reason: 'user', lastStep: 7 });
    const before = fs.readFileSync(path.join(dir, 'status.json'));
    f.failWrites = 'ENOSPC';
    await expect(w.setStatus({ status: 'finished', reason: 'done', lastStep: 9 })).rejects.toMatchObject({ code: 'io-error' });
    f.failWrites = null;
    f.failRenames = 'EACCES';
    await expect(w.setStatus({ status: 'finished', reason: 'done', lastStep: 9 })).rejects.toThrow(/status\.json.*permission denied/);
    f.failRenames = null;
    expect(fs.readFileSync(path.join(dir, 'status.json')).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    await w.setStatus({ status: 'finished', reason: 'done', lastStep: 9 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'))).toMatchObject({ status: 'finished', lastStep: 9, schemaVersion: 1 });
    await w.close();
  });
});

describe('writeFileAtomicSync()', () => {
  it('leaves the previous content when the write fails midway', () => {
    const f = faultyFs();
    const file = path.join(tempDir(), 'x.json');
    writeJsonAtomicSync(f, file, { a: 1 });
    f.failWrites = 'EIO';
    expect(() => writeFileAtomicSync(f, file, 'y'.repeat(10_000))).toThrow(/x\.json/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 1 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.json']);
  });
});

describe('RunWriter.open()', () => {
  it('cuts a torn last line and continues appending after the last complete record', async () => {
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile());
    w.append([rec(0), rec(1)]);
    await w.close();
    fs.appendFileSync(path.join(dir, 'metrics.ndjson'), '{"step":2,"lo');
    const w2 = await RunWriter.open(dir);
    expect(w2.lastAppendedStep).toBe(1);
    w2.append([rec(2)]);
    await w2.close();
    expect(readRecords(dir).map((r) => r.step)).toEqual([0, 1, 2]);
  });

  it('drops records after keepThroughStep (they are recomputed from the checkpoint)', async () => {
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile());
    w.append([0, 10, 20, 30].map((s) => rec(s)));
    await w.close();
    const w2 = await RunWriter.open(dir, { keepThroughStep: 10 });
    w2.append([rec(20)]);
    await w2.close();
    expect(readRecords(dir).map((r) => r.step)).toEqual([0, 10, 20]);
  });

  it('leaves an intact metrics file byte-for-byte unchanged', async () => {
    const dir = path.join(tempDir(), 'run');
    const w = await RunWriter.create(dir, configFile());
    w.append([rec(0), rec(1, Number.POSITIVE_INFINITY)]);
    await w.close();
    const before = fs.readFileSync(path.join(dir, 'metrics.ndjson'));
    await (await RunWriter.open(dir)).close();
    expect(fs.readFileSync(path.join(dir, 'metrics.ndjson')).equals(before)).toBe(true);
  });
});

describe('recordEngine()', () => {
  it('replaces backend, dtype and learning rates in config.json and keeps everything else', async () => {
    const dir = path.join(tempDir(), 'run');
    const cfg = { ...configFile(), backend: 'auto', dtype: 'float32' as const };
    const w = await RunWriter.create(dir, cfg);
    await w.recordEngine({ backend: 'onnx', dtype: 'float64', learningRates: { encoder: 0.5, decoder: null } });
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(onDisk).toEqual({ ...cfg, backend: 'onnx', dtype: 'float64', learningRates: { encoder: 0.5, decoder: null } });
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    await w.close();
  });
});
