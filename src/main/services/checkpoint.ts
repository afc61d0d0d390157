/**
 * Checkpoint files: the parameters W [m, d], V [d, m] (row-major float64) and the generator state of a
 * run at one step, so an interrupted run can resume bit-exactly.
 *
 *   <run>/checkpoints/ckpt-<step, 12 digits>.bin
 *
 * Layout: 8-byte magic "NTKCKPT\n", uint32 LE header length h, h bytes of UTF-8 JSON header, zero
 * padding to a multiple of 8, then W and V as raw little-endian float64. The header holds schemaVersion,
 * step, dtype, shapes, rngState, the data byte length and its CRC-32. Files are written atomically and the
 * newest two are kept, so a torn newest file falls back to the previous one.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { WorkbenchException } from '../../shared/api/result';
import { type FsLayer, fsyncDir, realFs, writeFileAtomicSync, ioError } from './fsAtomic';

export const CHECKPOINT_DIR = 'checkpoints';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINTS_KEPT = 2;
const MAGIC = Buffer.from('NTKCKPT\n', 'latin1');
const MAX_HEADER_BYTES = 1 << 20;
const FILE_RE = /^ckpt-(\d{12})\.bin$/;

/** What a checkpoint holds: the step it was taken after, the parameters and the generator state. */
export interface Checkpoint {
  step: number;
  W: Float64Array;
  V: Float64Array;
  rngState: number[];
  /** optional shapes ([m, d] and [d, m]); stored flat as [length] when absent */
  shapes?: { W: number[]; V: number[] };
}

const headerSchema = z
  .object({
    schemaVersion: z.number().int(),
    step: z.number().int().min(0),
    dtype: z.literal('float64'),
    endian: z.literal('little'),
    shapes: z.object({ W: z.array(z.number().int().min(0)), V: z.array(z.number().int().min(0)) }),
    rngState: z.array(z.number().int()),
    byteLength: z.number().int().min(0),
    crc32: z.number().int().min(0),
  })
  .strict();

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of a byte array; crc32("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes a checkpoint as the bytes of one checkpoint file (see the layout above). */
export function encodeCheckpoint(cp: Checkpoint): Buffer {
  if (!Number.isInteger(cp.step) || cp.step < 0) throw new WorkbenchException('invalid-data', `checkpoint step: expected an integer ≥ 0, got ${cp.step}`);
  if (!(cp.W instanceof Float64Array)) throw new WorkbenchException('invalid-data', 'checkpoint W: expected a Float64Array');
  if (!(cp.V instanceof Float64Array)) throw new WorkbenchException('invalid-data', 'checkpoint V: expected a Float64Array');
  if (!Array.isArray(cp.rngState) || !cp.rngState.every((x) => Number.isInteger(x))) {
    throw new WorkbenchException('invalid-data', 'checkpoint rngState: expected an array of integers');
  }
  const shapes = cp.shapes ?? { W: [cp.W.length], V: [cp.V.length] };
  if (product(shapes.W) !== cp.W.length) {
    throw new WorkbenchException('invalid-data', `checkpoint W: shape [${shapes.W.join(', ')}] does not match length ${cp.W.length}`);
  }
  if (product(shapes.V) !== cp.V.length) {
    throw new WorkbenchException('invalid-data', `checkpoint V: shape [${shapes.V.join(', ')}] does not match length ${cp.V.length}`);
  }
  const byteLength = (cp.W.length + cp.V.length) * 8;
  const data = Buffer.alloc(byteLength);
  // Explicit little-endian writes keep the file portable to big-endian machines.
  let o = 0;
  for (let i = 0; i < cp.W.length; i++, o += 8) data.writeDoubleLE(cp.W[i]!, o);
  for (let i = 0; i < cp.V.length; i++, o += 8) data.writeDoubleLE(cp.V[i]!, o);
  const header = Buffer.from(
    JSON.stringify({
      schemaVersion: CHECKPOINT_VERSION,
      step: cp.step,
      dtype: 'float64',
      endian: 'little',
      shapes,
      rngState: cp.rngState,
      byteLength,
      crc32: crc32(data),
    }),
    'utf8',
  );
  const pre = MAGIC.length + 4 + header.length;
  const pad = (8 - (pre % 8)) % 8;
  const out = Buffer.alloc(pre + pad + byteLength);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  data.copy(out, pre + pad);
  return out;
}

/** Decodes and verifies checkpoint bytes; throws session-corrupt naming `label` on any mismatch. */
export function decodeCheckpoint(buf: Uint8Array, label: string): Checkpoint & { shapes: { W: number[]; V: number[] } } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string) => new WorkbenchException('session-corrupt', `${label}: ${why}`, { file: label });
  if (b.length < MAGIC.length + 4 || !b.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('not a checkpoint file (bad magic)');
  const h = b.readUInt32LE(MAGIC.length);
  if (h > MAX_HEADER_BYTES || MAGIC.length + 4 + h > b.length) throw bad('truncated header');
  let raw: unknown;
  try {
    raw = JSON.parse(b.subarray(MAGIC.length + 4, MAGIC.length + 4 + h).toString('utf8'));
  } catch {
    throw bad('header is not valid JSON');
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > CHECKPOINT_VERSION) throw bad(`written by a newer version (schemaVersion ${version})`);
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) throw bad(`bad header: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const hd = parsed.data;
  const nW = product(hd.shapes.W);
  const nV = product(hd.shapes.V);
  if ((nW + nV) * 8 !== hd.byteLength) throw bad('shapes do not match byteLength');
  const pre = MAGIC.length + 4 + h;
  const start = pre + ((8 - (pre % 8)) % 8);
  if (b.length !== start + hd.byteLength) throw bad(`expected ${start + hd.byteLength} bytes, found ${b.length} (torn write?)`);
  const data = b.subarray(start);
  if (crc32(data) !== hd.crc32) throw bad('checksum mismatch');
  const W = new Float64Array(nW);
  const V = new Float64Array(nV);
  for (let i = 0; i < nW; i++) W[i] = data.readDoubleLE(i * 8);
  for (let i = 0; i < nV; i++) V[i] = data.readDoubleLE((nW + i) * 8);
  return { step: hd.step, W, V, rngState: hd.rngState, shapes: hd.shapes };
}

function checkpointFiles(dir: string): { step: number; file: string }[] {
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(dir, 'list', e);
  }
  const out: { step: number; file: string }[] = [];
  for (const n of names) {
    const m = FILE_RE.exec(n);
    if (m) out.push({ step: Number(m[1]), file: path.join(dir, n) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * Writes a checkpoint atomically into `<runDir>/checkpoints/` and deletes all but the newest
 * {@link CHECKPOINTS_KEPT}. An io-error leaves the earlier checkpoints untouched.
 */
export async function writeCheckpoint(runDir: string, cp: Checkpoint, fs: FsLayer = realFs): Promise<void> {
  const dir = path.join(runDir, CHECKPOINT_DIR);
  const bytes = encodeCheckpoint(cp);
  try {
    if (fs.mkdirSync(dir, { recursive: true }) !== undefined) fsyncDir(fs, runDir);
  } catch (e) {
    throw ioError(dir, 'create', e);
  }
  writeFileAtomicSync(fs, path.join(dir, `ckpt-${String(cp.step).padStart(12, '0')}.bin`), bytes);
  const files = checkpointFiles(dir);
  for (const f of files.slice(0, Math.max(0, files.length - CHECKPOINTS_KEPT))) {
    try {
      fs.unlinkSync(f.file);
    } catch {
      /* an old checkpoint left behind costs disk space only */
    }
  }
}

/**
 * Reads the newest valid checkpoint of a run, falling back to older ones when the newest is torn or
 * corrupt; null when there is none. Never modifies the files. `maxStep` ignores checkpoints after it.
 */
export async function readLatestCheckpoint(runDir: string, maxStep = Infinity): Promise<Checkpoint | null> {
  const files = checkpointFiles(path.join(runDir, CHECKPOINT_DIR)).filter((f) => f.step <= maxStep);
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    try {
      const st = await nodeFs.promises.lstat(f.file);
      if (!st.isFile()) continue;
      const cp = decodeCheckpoint(await nodeFs.promises.readFile(f.file), f.file);
      if (cp.step !== f.step) continue;
      return cp;
    } catch (e) {
      if (e instanceof WorkbenchException && e.code === 'session-corrupt') continue;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioError(f.file, 'read', e);
    }
  }
  return null;
}
