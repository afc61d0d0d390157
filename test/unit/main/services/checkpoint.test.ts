import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_DIR,
  crc32,
  crc32Table,
  decodeCheckpoint,
  encodeCheckpoint,
  readLatestCheckpoint,
  writeCheckpoint,
} from '../../../../src/main/services/checkpoint';
import { tempDir } from './sessionFixtures';

/** Parameters with awkward float64 values: subnormals, signed zero, extremes, non-finite. */
function params(m: number, d: number, seed: number): { W: Float64Array; V: Float64Array } {
  const W = new Float64Array(m * d);
  const V = new Float64Array(d * m);
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let i = 0; i < W.length; i++) W[i] = next() * 1e-3;
  for (let i = 0; i < V.length; i++) V[i] = next() * 7;
  W[0] = -0;
  W[1] = Number.MIN_VALUE;
  W[2] = Number.MAX_VALUE;
  V[0] = Number.NaN;
  V[1] = -Number.POSITIVE_INFINITY;
  return { W, V };
}

const bitsEqual = (a: Float64Array, b: Float64Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('crc32()', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('goes on from the CRC-32 of the bytes before (native and table alike)', () => {
    const a = Buffer.from('12345');
    const b = Buffer.from('6789');
    expect(crc32(b, crc32(a))).toBe(0xcbf43926);
    expect(crc32Table(b, crc32Table(a))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0), 0xcbf43926)).toBe(0xcbf43926);
  });
});

describe('writeCheckpoint()', () => {
  it('round-trips parameters and generator state bit-exactly', async () => {
    const dir = tempDir();
    const { W, V } = params(30, 5, 1);
    await writeCheckpoint(dir, { step: 40, W, V, rngState: [1, 4294967295, 0, 123456789], shapes: { W: [30, 5], V: [5, 30] } });
    const cp = await readLatestCheckpoint(dir);
    expect(cp).not.toBeNull();
    expect(cp!.step).toBe(40);
    expect(bitsEqual(cp!.W, W)).toBe(true);
    expect(bitsEqual(cp!.V, V)).toBe(true);
    expect(cp!.rngState).toEqual([1, 4294967295, 0, 123456789]);
    expect(cp!.shapes).toEqual({ W: [30, 5], V: [5, 30] });
  });

  it('keeps only the newest two checkpoints', async () => {
    const dir = tempDir();
    for (const step of [10, 20, 30, 40]) await writeCheckpoint(dir, { step, ...params(4, 3, step), rngState: [step] });
    expect(fs.readdirSync(path.join(dir, CHECKPOINT_DIR)).sort()).toEqual(['ckpt-000000000030.bin', 'ckpt-000000000040.bin']);
    expect((await readLatestCheckpoint(dir))!.step).toBe(40);
  });

  it('refuses a shape that does not match the data, naming the argument and both sizes', async () => {
    const { W, V } = params(4, 3, 1);
    expect(() => encodeCheckpoint({ step: 1, W, V, rngState: [], shapes: { W: [3, 3], V: [3, 4] } })).toThrow(/W: shape \[3, 3\] does not match length 12/);
  });
});

describe('readLatestCheckpoint()', () => {
  it('falls back to the previous checkpoint when the newest is torn or bit-flipped, without touching the files', async () => {
    const dir = tempDir();
    await writeCheckpoint(dir, { step: 10, ...params(8, 4, 10), rngState: [10] });
    await writeCheckpoint(dir, { step: 20, ...params(8, 4, 20), rngState: [20] });
    const newest = path.join(dir, CHECKPOINT_DIR, 'ckpt-000000000020.bin');
    const full = fs.readFileSync(newest);
    fs.writeFileSync(newest, full.subarray(0, full.length - 13));
    expect((await readLatestCheckpoint(dir))!.step).toBe(10);
    const flipped = Buffer.from(full);
    flipped[flipped.length - 5]! ^= 0x10;
    fs.writeFileSync(newest, flipped);
    expect((await readLatestCheckpoint(dir))!.rngState).toEqual([10]);
    expect(fs.readFileSync(newest).equals(flipped)).toBe(true);
  });

  it('returns null when there is no checkpoint, and refuses a newer format version', async () => {
    expect(await readLatestCheckpoint(tempDir())).toBeNull();
    const buf = encodeCheckpoint({ step: 1, ...params(2, 2, 1), rngState: [] });
    const text = buf.toString('latin1').replace('"schemaVersion":1', '"schemaVersion":9');
    expect(() => decodeCheckpoint(Buffer.from(text, 'latin1'), 'x.bin')).toThrow(/newer version/);
  });
});
