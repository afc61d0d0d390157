import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { decodeNpy, decodeNpz, encodeNpy, encodeNpz, npzPieces } from '../../../../../src/main/services/export/npy';
import { readZip, storedZipPieces, writeZip } from '../../../../../src/main/services/export/zip';
import { numpyAvailable, python } from '../../../../support/numpy';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const np = numpyAvailable();

describe('encodeNpy()', () => {
  it('writes the version 1.0 header NumPy writes, padded so the data starts at a multiple of 64', () => {
    const b = encodeNpy(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(Array.from(b.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const h = b[8]! | (b[9]! << 8);
    expect((10 + h) % 64).toBe(0);
    const header = Buffer.from(b.subarray(10, 10 + h)).toString('latin1');
    expect(header.trimEnd()).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    // little-endian float64, C order: the second value 2.0 = 0x4000000000000000
    expect(Buffer.from(b).readDoubleLE(10 + h + 8)).toBe(2);
    expect(b.length).toBe(10 + h + 48);
  });

  it('writes 1-d shapes as (n,) and scalars as ()', () => {
    const text = (b: Uint8Array) => Buffer.from(b.subarray(10, 10 + (b[8]! | (b[9]! << 8)))).toString('latin1');
    expect(text(encodeNpy(Float32Array.of(1, 2), [2]))).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (2,)");
    expect(text(encodeNpy(BigInt64Array.of(7n), []))).toContain("'shape': ()");
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float64Array(5), [2, 3])).toThrow(/holds 6 values, the data has 5/);
  });
});

describe('decodeNpy()', () => {
  it('reads back exactly what it wrote, including non-finite values and every dtype', () => {
    const f8 = Float64Array.of(Math.PI, -0, 1e-310, NaN, Infinity, -Infinity);
    const r = decodeNpy(encodeNpy(f8, [3, 2]));
    expect(r).toMatchObject({ dtype: '<f8', shape: [3, 2] });
    expect(Array.from(r.data as Float64Array)).toEqual(Array.from(f8));
    expect(Object.is((r.data as Float64Array)[1], -0)).toBe(true);
    const f4 = Float32Array.of(0.1, 2.5);
    expect(Array.from(decodeNpy(encodeNpy(f4, [2])).data as Float32Array)).toEqual(Array.from(f4));
    expect((decodeNpy(encodeNpy(BigInt64Array.of(-3n), [])).data as BigInt64Array)[0]).toBe(-3n);
  });

  it.each([
    [new Uint8Array([1, 2, 3]), /bad magic/],
    [
      (() => {
        const b = encodeNpy(Float64Array.of(1, 2), [2]);
        return b.subarray(0, b.length - 1);
      })(),
      /needs 16 data bytes, found 15/,
    ],
    [
      new Uint8Array(
        Buffer.concat([
          Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 60, 0]),
          Buffer.from("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }".padEnd(59) + '\n'),
          Buffer.alloc(8),
        ]),
      ),
      /Fortran/,
    ],
    [
      new Uint8Array(
        Buffer.concat([
          Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 60, 0]),
          Buffer.from("{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }".padEnd(59) + '\n'),
          Buffer.alloc(2),
        ]),
      ),
      /dtype >i2/,
    ],
  ])('refuses a damaged or foreign file with the reason (%#)', (bytes, why) => {
    expect(() => decodeNpy(bytes, 'x.npy')).toThrow(why);
  });
});

describe('encodeNpz() / decodeNpz()', () => {
  it('round-trips named arrays', () => {
    const z = decodeNpz(encodeNpz({ W: { data: Float64Array.of(1, 2, 3, 4), shape: [2, 2] }, step: { data: BigInt64Array.of(12n), shape: [] } }));
    expect(z.W!.shape).toEqual([2, 2]);
    expect(Array.from(z.W!.data as Float64Array)).toEqual([1, 2, 3, 4]);
    expect((z.step!.data as BigInt64Array)[0]).toBe(12n);
  });
});

describe('stored archives (.npz): written in pieces', () => {
  it('are read back by our hostile-zip reader and by fflate, names, CRC-32s and bytes alike', () => {
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    const files = [
      { name: 'a.npy', data: Uint8Array.of(1, 2, 3) },
      { name: 'dir/é.txt', data: new TextEncoder().encode('ünïcode name') },
      { name: 'empty.bin', data: new Uint8Array(0) },
      { name: 'big.bin', data: big },
    ];
    // The same entries given as several pieces each: the archive is the pieces' concatenation.
    const pieces = storedZipPieces(files.map((f) => ({ name: f.name, pieces: [f.data.subarray(0, 2), f.data.subarray(2)] })));
    const bytes = Buffer.concat(pieces);
    expect(Buffer.from(writeZip(files, 0)).equals(bytes)).toBe(true);
    const ours = readZip(bytes, 'test.zip', { maxEntries: 10, maxUncompressedBytes: 1e6 });
    expect(ours.map((f) => f.name)).toEqual(files.map((f) => f.name));
    ours.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(files[i]!.data))).toBe(true));
    const theirs = unzipSync(bytes);
    expect(Object.keys(theirs).sort()).toEqual(files.map((f) => f.name).sort());
    for (const f of files) expect(Buffer.from(theirs[f.name]!).equals(Buffer.from(f.data))).toBe(true);
    // A damaged byte in an entry's data fails its CRC-32.
    bytes[30 + 'a.npy'.length + 1]! ^= 0xff;
    expect(() => readZip(bytes, 'test.zip', { maxEntries: 10, maxUncompressedBytes: 1e6 })).toThrow(/checksum/);
  });

  it("hold the arrays' own bytes, not copies, and refuse names the reader refuses", () => {
    const W = Float64Array.of(1.5, -2, 3);
    const p = npzPieces({ W: { data: W, shape: [3] } });
    expect(p.some((piece) => piece.buffer === W.buffer && piece.byteLength === W.byteLength)).toBe(true);
    expect(() => storedZipPieces([{ name: '../x', pieces: [] }])).toThrow(/path-traversal/);
  });
});

describe('NumPy interop', () => {
  it.skipIf(!np.ok)(`np.load reads our .npy and .npz files, and we read np.save's (${np.ok ? np.reason : `skipped: ${np.reason}`})`, () => {
    const vals = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) * 10 ** (i - 6));
    writeFileSync(path.join(dir, 'a.npy'), encodeNpy(vals, [3, 4]));
    writeFileSync(path.join(dir, 'b.npy'), encodeNpy(Float32Array.of(0.5, -1.25), [2]));
    writeFileSync(path.join(dir, 'p.npz'), encodeNpz({ W: { data: vals, shape: [4, 3] }, step: { data: BigInt64Array.of(5n), shape: [] } }));
    const out = JSON.parse(
      python(
        `import json, sys, numpy as np
a = np.load(sys.argv[1]); b = np.load(sys.argv[2]); z = np.load(sys.argv[3])
np.save(sys.argv[4], np.arange(6, dtype='<f8').reshape(2, 3) / 7)
print(json.dumps({"a": [list(a.shape), str(a.dtype), a.flags['C_CONTIGUOUS'], [repr(float(x)) for x in a.ravel()]],
  "b": [list(b.shape), str(b.dtype), b.tolist()], "W": list(z["W"].shape), "step": int(z["step"]), "a12": repr(float(a[1, 2]))}))`,
        path.join(dir, 'a.npy'),
        path.join(dir, 'b.npy'),
        path.join(dir, 'p.npz'),
        path.join(dir, 'theirs.npy'),
      ),
    );
    expect(out.a[0]).toEqual([3, 4]);
    expect(out.a[1]).toBe('float64');
    expect(out.a[2]).toBe(true);
    // bit-exact: Python's repr of a float round-trips, as does Number() of it
    expect((out.a[3] as string[]).map(Number)).toEqual(Array.from(vals));
    expect(Number(out.a12)).toBe(vals[1 * 4 + 2]);
    expect(out.b).toEqual([[2], 'float32', [0.5, -1.25]]);
    expect(out.W).toEqual([4, 3]);
    expect(out.step).toBe(5);
    const theirs = decodeNpy(readFileSync(path.join(dir, 'theirs.npy')));
    expect(theirs.shape).toEqual([2, 3]);
    expect(Array.from(theirs.data as Float64Array)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i / 7));
  });
});
