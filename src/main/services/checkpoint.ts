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
 *
 * Runs write through a {@link CheckpointWriter}: the file operations (write, fsyncs, rename, unlink) run on
 * libuv's thread pool, never on the main thread; one write is in flight per run, and a checkpoint that
 * arrives meanwhile waits in a single slot where a newer one replaces it (at most two sets of parameters are
 * held per run, and a run that checkpoints faster than the disk keeps the newest, not a backlog).
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { z } from 'zod';
import { WorkbenchException } from '../../shared/api/result';
import { ioError, readFileLimited } from './fsAtomic';

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
/** Whether this machine stores numbers little-endian (then arrays' bytes are written as they lie). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of a byte array; crc32("123456789") = 0xCBF43926.
 * `previous`: the CRC-32 of the bytes before these, to go on from (crc32(b, crc32(a)) is the CRC-32 of a then b).
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  // zlib's native CRC-32 (Node ≥ 20.15) is ~10× faster; the table version is the same function.
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(bytes, previous) >>> 0;
  return crc32Table(bytes, previous);
}

/** The table-driven CRC-32, the reference for the native one. */
export function crc32Table(bytes: Uint8Array, previous = 0): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = (previous ^ 0xffffffff) >>> 0;
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
  if (LITTLE_ENDIAN) {
    // The file is little-endian: on such a machine the arrays' own bytes are the file's bytes.
    data.set(new Uint8Array(cp.W.buffer, cp.W.byteOffset, cp.W.byteLength), 0);
    data.set(new Uint8Array(cp.V.buffer, cp.V.byteOffset, cp.V.byteLength), cp.W.byteLength);
  } else {
    let o = 0;
    for (let i = 0; i < cp.W.length; i++, o += 8) data.writeDoubleLE(cp.W[i]!, o);
    for (let i = 0; i < cp.V.length; i++, o += 8) data.writeDoubleLE(cp.V[i]!, o);
  }
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
 * Reads the newest valid checkpoint of a run, falling back to older ones when the newest is torn or
 * corrupt; null when there is none. Never modifies the files. `maxStep` ignores checkpoints after it.
 */
export async function readLatestCheckpoint(runDir: string, maxStep = Infinity): Promise<Checkpoint | null> {
  return (await inspectCheckpoints(runDir, maxStep)).checkpoint;
}

/** A checkpoint file that could not be used, and why. */
export interface RejectedCheckpoint {
  file: string;
  reason: string;
}

/**
 * Like {@link readLatestCheckpoint}, and also says which checkpoint files were passed over and why, so
 * that "every checkpoint is corrupt" can be told apart from "there is no checkpoint".
 */
export async function inspectCheckpoints(runDir: string, maxStep = Infinity): Promise<{ checkpoint: Checkpoint | null; rejected: RejectedCheckpoint[] }> {
  const files = checkpointFiles(path.join(runDir, CHECKPOINT_DIR)).filter((f) => f.step <= maxStep);
  const rejected: RejectedCheckpoint[] = [];
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    try {
      const buf = await readFileLimited(f.file, MAX_CHECKPOINT_BYTES);
      if (buf === null) continue;
      const cp = decodeCheckpoint(buf, f.file);
      if (cp.step !== f.step) {
        rejected.push({ file: f.file, reason: `holds step ${cp.step}, not the step ${f.step} of its name` });
        continue;
      }
      return { checkpoint: cp, rejected };
    } catch (e) {
      if (e instanceof WorkbenchException && e.code === 'session-corrupt') {
        rejected.push({ file: f.file, reason: e.message.startsWith(`${f.file}: `) ? e.message.slice(f.file.length + 2) : e.message });
        continue;
      }
      throw ioError(f.file, 'read', e);
    }
  }
  return { checkpoint: null, rejected };
}

/** The file operations of the asynchronous checkpoint writer (node:fs/promises satisfies it; tests wrap it). */
export interface AsyncFsLayer {
  open(p: string, flags: string, mode?: number): Promise<AsyncFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(p: string): Promise<void>;
  mkdir(p: string, opts: { recursive: true }): Promise<string | undefined>;
  readdir(p: string): Promise<string[]>;
  /** fsync of a descriptor opened elsewhere (the run's metrics file) */
  fsyncFd(fd: number): Promise<void>;
}

/** The parts of a FileHandle the writer uses. */
export interface AsyncFile {
  write(data: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The real file system, asynchronous (each call runs on libuv's thread pool). */
export const realAsyncFs: AsyncFsLayer = {
  open: (p, flags, mode) => nodeFs.promises.open(p, flags, mode),
  rename: (a, b) => nodeFs.promises.rename(a, b),
  unlink: (p) => nodeFs.promises.unlink(p),
  mkdir: (p, o) => nodeFs.promises.mkdir(p, o),
  readdir: (p) => nodeFs.promises.readdir(p),
  fsyncFd: (fd) => new Promise<void>((resolve, reject) => nodeFs.fsync(fd, (e) => (e ? reject(e) : resolve()))),
};

/** Largest checkpoint file read back (the largest Buffer Node allocates): anything bigger is not ours. */
export const MAX_CHECKPOINT_BYTES = 2 ** 32 - 1;

let asyncTmpCounter = 0;

async function fsyncDirAsync(fs: AsyncFsLayer, dir: string): Promise<void> {
  let fh: AsyncFile;
  try {
    fh = await fs.open(dir, 'r');
  } catch {
    return; // as fsyncDir: platforms that cannot open a folder
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await fh.close();
  }
}

/**
 * Writes one checkpoint file into `<runDir>/checkpoints/` off the main thread: temp file, fsync, rename,
 * fsync of the folder, then the files beyond the newest {@link CHECKPOINTS_KEPT} are removed. On failure
 * (io-error naming the file) the temp file is removed and the earlier checkpoints are untouched.
 */
export async function writeCheckpoint(runDir: string, cp: Checkpoint, fs: AsyncFsLayer = realAsyncFs): Promise<void> {
  const dir = path.join(runDir, CHECKPOINT_DIR);
  const bytes = encodeCheckpoint(cp);
  try {
    if ((await fs.mkdir(dir, { recursive: true })) !== undefined) await fsyncDirAsync(fs, runDir);
  } catch (e) {
    throw ioError(dir, 'create', e);
  }
  const name = `ckpt-${String(cp.step).padStart(12, '0')}.bin`;
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.tmp-${process.pid}-a${++asyncTmpCounter}`);
  let fh: AsyncFile | null = null;
  try {
    fh = await fs.open(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, null);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      off += bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(tmp, file);
  } catch (e) {
    if (fh !== null) await fh.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw ioError(file, 'write', e);
  }
  try {
    await fsyncDirAsync(fs, dir);
  } catch (e) {
    throw ioError(dir, 'sync folder', e);
  }
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    return; // the new checkpoint is in place; old ones left behind cost disk space only
  }
  const steps = names
    .map((n) => FILE_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), name: m[0] }))
    .sort((a, b) => a.step - b.step);
  for (const f of steps.slice(0, Math.max(0, steps.length - CHECKPOINTS_KEPT))) await fs.unlink(path.join(dir, f.name)).catch(() => undefined);
}

/** Options of a {@link CheckpointWriter}. */
export interface CheckpointWriterOptions {
  fs?: AsyncFsLayer;
  /** runs before each file is written (the run writer makes the metrics durable up to the checkpoint) */
  beforeWrite?: () => Promise<void>;
  /** called once with the first failure; later checkpoints are then dropped */
  onError: (e: WorkbenchException) => void;
}

/**
 * The checkpoint writer of one run: asynchronous, one write in flight, and a single waiting slot in which
 * a newer checkpoint supersedes an older one. After a failure it writes nothing more.
 */
export class CheckpointWriter {
  private inFlight: Promise<void> | null = null;
  private waiting: Checkpoint | null = null;
  private failed = false;
  private readonly fs: AsyncFsLayer;
  /** checkpoints written, and checkpoints replaced by a newer one before they were written */
  readonly stats = { written: 0, superseded: 0 };

  constructor(
    private readonly runDir: string,
    private readonly opts: CheckpointWriterOptions,
  ) {
    this.fs = opts.fs ?? realAsyncFs;
  }

  /** Queues a checkpoint; returns at once. */
  submit(cp: Checkpoint): void {
    if (this.failed) return;
    if (this.waiting !== null) this.stats.superseded++;
    this.waiting = cp;
    if (this.inFlight === null) this.inFlight = this.drain();
  }

  /** Resolves when nothing is in flight or waiting (every submitted checkpoint written, superseded or failed). */
  async flush(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting !== null && !this.failed) {
        const cp = this.waiting;
        this.waiting = null;
        try {
          await this.opts.beforeWrite?.();
          await writeCheckpoint(this.runDir, cp, this.fs);
          this.stats.written++;
        } catch (e) {
          this.failed = true;
          this.waiting = null;
          this.opts.onError(e instanceof WorkbenchException ? e : ioError(path.join(this.runDir, CHECKPOINT_DIR), 'write a checkpoint in', e));
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}
