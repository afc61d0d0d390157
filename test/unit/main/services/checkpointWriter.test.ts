import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointWriter,
  CHECKPOINT_DIR,
  crc32,
  crc32Table,
  readLatestCheckpoint,
  realAsyncFs,
  type AsyncFsLayer,
} from '../../../../src/main/services/checkpoint';
import { RunWriter } from '../../../../src/main/services/runWriter';
import type { MetricRecord } from '../../../../src/shared/run/format';
import { configFile, tempDir } from './sessionFixtures';

const cp = (step: number, n = 4) => ({ step, W: new Float64Array(n).fill(step), V: new Float64Array(n).fill(-step), rngState: [step] });
const rec = (step: number): MetricRecord => ({ step, loss: 1, wallMs: step });

/** The real async fs with a gate on each write (the disk is slow until released) and optional ENOSPC. */
function slowFs() {
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const layer = {
    ...realAsyncFs,
    failWith: null as string | null,
    log: [] as string[],
    release(): void {
      for (const w of waiting.splice(0)) w();
    },
    async open(p: string, flags: string, mode?: number) {
      const fh = await realAsyncFs.open(p, flags, mode);
      if (flags !== 'wx') return fh;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return {
        write: async (d: Uint8Array, o: number, l: number, pos: number | null) => {
          await new Promise<void>((r) => waiting.push(r));
          if (layer.failWith) throw Object.assign(new Error(`${layer.failWith}: no space left on device, write`), { code: layer.failWith });
          return fh.write(d, o, l, pos);
        },
        sync: () => fh.sync(),
        close: async () => {
          inFlight--;
          await fh.close();
        },
      };
    },
    async fsyncFd(fd: number) {
      layer.log.push('fsync-metrics');
      return realAsyncFs.fsyncFd(fd);
    },
    async rename(a: string, b: string) {
      layer.log.push(`rename ${path.basename(b)}`);
      return realAsyncFs.rename(a, b);
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
  return layer;
}

/** Lets the slow disk finish, a write at a time, until `p` settles. */
async function drive<T>(f: { release(): void }, p: Promise<T>): Promise<T> {
  let settled = false;
  void p.finally(() => (settled = true)).catch(() => undefined);
  while (!settled) {
    await new Promise((r) => setTimeout(r, 5));
    f.release();
  }
  return p;
}

describe('CheckpointWriter (issue 21, item 5)', () => {
  it('writes one checkpoint at a time; while it is on its way a newer one replaces the one waiting (bounded, newest kept)', async () => {
    const dir = tempDir();
    const f = slowFs();
    const errors: unknown[] = [];
    const w = new CheckpointWriter(dir, { fs: f as unknown as AsyncFsLayer, onError: (e) => errors.push(e) });
    for (let s = 1; s <= 50; s++) w.submit(cp(s));
    // submit() returned at once 50 times: nothing was written on the caller's turn.
    expect(fs.existsSync(path.join(dir, CHECKPOINT_DIR, 'ckpt-000000000001.bin'))).toBe(false);
    await drive(f, w.flush());
    expect(errors).toEqual([]);
    expect(w.stats.written).toBe(2); // step 1 (already on its way) and step 50 (the newest)
    expect(w.stats.superseded).toBe(48);
    expect(f.maxInFlight).toBe(1);
    expect((await readLatestCheckpoint(dir))!.step).toBe(50);
  });

  it('reports the first failure once, writes nothing after it, and leaves the earlier checkpoints and no temp file', async () => {
    const dir = tempDir();
    const f = slowFs();
    const errors: { code: string; message: string }[] = [];
    const w = new CheckpointWriter(dir, { fs: f as unknown as AsyncFsLayer, onError: (e) => errors.push(e) });
    w.submit(cp(10));
    await drive(f, w.flush());
    f.failWith = 'ENOSPC';
    w.submit(cp(20));
    await drive(f, w.flush());
    w.submit(cp(30));
    await drive(f, w.flush());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'io-error', message: expect.stringMatching(/ckpt-000000000020\.bin \(the disk is full\)/) });
    expect(fs.readdirSync(path.join(dir, CHECKPOINT_DIR))).toEqual(['ckpt-000000000010.bin']);
    expect((await readLatestCheckpoint(dir))!.step).toBe(10);
  });

  it('makes the metrics durable before each checkpoint file appears (the run writer fsyncs them off the main thread)', async () => {
    const dir = path.join(tempDir(), 'run');
    const f = slowFs();
    const w = await RunWriter.create(dir, configFile(), { asyncFs: f as unknown as AsyncFsLayer });
    w.append([rec(0), rec(1), rec(2)]);
    await drive(f, w.writeCheckpoint(cp(2)));
    expect(f.log).toEqual(['fsync-metrics', 'rename ckpt-000000000002.bin']);
    await w.close();
  });
});

describe('crc32()', () => {
  it('agrees with the table-driven reference on random bytes', () => {
    const b = Buffer.alloc(100_003);
    for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
    expect(crc32(b)).toBe(crc32Table(b));
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
