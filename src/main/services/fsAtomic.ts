/**
 * Durable file primitives for the session store: an injectable file-system layer (so tests can make a
 * write fail with ENOSPC or count fsyncs), atomic replace, size-checked reads and containment checks.
 *
 * Atomic replace = write a temp file in the same folder, fsync it, rename it over the target, fsync the
 * folder. A crash at any point leaves either the old or the new file, never a mix. We do not use
 * write-file-atomic here because it neither fsyncs the folder nor lets a test inject a failing layer.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';

/** The synchronous file operations the session store uses (node:fs satisfies it; tests wrap it). */
export interface FsLayer {
  openSync(p: string, flags: string, mode?: number): number;
  writeSync(fd: number, data: Uint8Array, offset?: number, length?: number, position?: number | null): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  ftruncateSync(fd: number, len: number): void;
  fstatSync(fd: number): nodeFs.Stats;
  renameSync(from: string, to: string): void;
  unlinkSync(p: string): void;
  mkdirSync(p: string, opts: { recursive: true }): string | undefined;
}

/** The real file system. */
export const realFs: FsLayer = {
  openSync: (p, flags, mode) => nodeFs.openSync(p, flags, mode),
  writeSync: (fd, data, offset, length, position) => nodeFs.writeSync(fd, data, offset, length, position),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  closeSync: (fd) => nodeFs.closeSync(fd),
  ftruncateSync: (fd, len) => nodeFs.ftruncateSync(fd, len),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
  mkdirSync: (p, o) => nodeFs.mkdirSync(p, o),
};

/** Builds the io-error a caller sees: names the file and the system error code. */
export function ioError(file: string, action: string, e: unknown): WorkbenchException {
  if (e instanceof WorkbenchException) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const hint = code === 'ENOSPC' ? ' (the disk is full)' : code === 'EACCES' || code === 'EPERM' ? ' (permission denied)' : '';
  return new WorkbenchException('io-error', `cannot ${action} ${file}${hint}: ${msg}`, { file, errno: code ?? null });
}

/** Writes a whole buffer at the fd's current position, looping over short writes. */
export function writeAll(fs: FsLayer, fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    const n = fs.writeSync(fd, data, off, data.length - off, null);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
  }
}

/**
 * Fsyncs a folder so a rename inside it is durable. Some platforms (Windows) cannot open a folder for
 * fsync; there the rename is as durable as the OS makes it, which is the best available.
 */
export function fsyncDir(fs: FsLayer, dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

let tmpCounter = 0;

/**
 * Replaces `file` atomically with `data` (temp file + fsync + rename + fsync of the folder; `data` in pieces:
 * their concatenation). On any failure the temp file is removed, the old file is left as it was, and an
 * io-error naming the file is thrown.
 */
export function writeFileAtomicSync(fs: FsLayer, file: string, data: Uint8Array | string | readonly Uint8Array[]): void {
  // A file given in pieces is written piece after piece (a large one is then never copied into one buffer).
  const pieces = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${++tmpCounter}`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (const piece of pieces) writeAll(fs, fd, piece);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* the write error below is the one to report */
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* the temp file may never have been created */
    }
    throw ioError(file, 'write', e);
  }
  try {
    fsyncDir(fs, dir);
  } catch (e) {
    throw ioError(dir, 'sync folder', e);
  }
}

/** Serializes a value as pretty JSON and replaces `file` atomically. */
export function writeJsonAtomicSync(fs: FsLayer, file: string, value: unknown): void {
  writeFileAtomicSync(fs, file, JSON.stringify(value, null, 2) + '\n');
}

/** True when `child` is `parent` or lies inside it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The data directory's real path, with `subdir` made inside it first (the session store and the run table
 * resolve ids under it); a directory that cannot be made or resolved is an 'io' error naming it.
 */
export async function openDataRoot(dataDir: string, subdir: string): Promise<string> {
  try {
    nodeFs.mkdirSync(path.join(dataDir, subdir), { recursive: true });
    return await nodeFs.promises.realpath(dataDir);
  } catch (e) {
    throw ioError(dataDir, 'open the data directory', e);
  }
}

/**
 * Resolves `p` through symlinks and checks it stays inside `root` (itself resolved). Returns the real
 * path, or null if `p` does not exist. Throws session-corrupt when a symlink leads outside the root.
 */
export async function realPathInside(root: string, p: string): Promise<string | null> {
  let real: string;
  try {
    real = await nodeFs.promises.realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(p, 'resolve', e);
  }
  if (!isInside(root, real)) {
    throw new WorkbenchException('session-corrupt', `${p} is a link that points outside the data directory (${real}); refusing to follow it`, {
      file: p,
    });
  }
  return real;
}

/** Open flags for reading a file we have not created: O_NONBLOCK so that a FIFO cannot block the open. */
const READ_FLAGS = nodeFs.constants.O_RDONLY | (nodeFs.constants.O_NONBLOCK ?? 0);

function notRegular(file: string, st: nodeFs.Stats): WorkbenchException {
  const kind = st.isFIFO()
    ? 'a FIFO'
    : st.isSocket()
      ? 'a socket'
      : st.isDirectory()
        ? 'a folder'
        : st.isSymbolicLink()
          ? 'a link'
          : 'a device or special file';
  return new WorkbenchException('session-corrupt', `${file} is ${kind}, not a regular file; refusing to read it`, { file });
}

/**
 * Reads a file as a Buffer after checking its type and size, so that a hostile 1 GB file is refused before
 * any of it is read and a FIFO or device in its place is refused before it is opened (opening a FIFO for
 * reading blocks until a writer appears, and it would hold a thread of the pool with it). The type is
 * checked with lstat before the open and with fstat after it (opened non-blocking), so a file swapped in
 * between is caught too. Returns null when the file does not exist.
 */
export async function readFileLimited(file: string, maxBytes: number): Promise<Buffer | null> {
  let pre: nodeFs.Stats;
  try {
    pre = await nodeFs.promises.lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(file, 'inspect', e);
  }
  if (!pre.isFile()) throw notRegular(file, pre);
  let fh: nodeFs.promises.FileHandle;
  try {
    fh = await nodeFs.promises.open(file, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(file, 'open', e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(file, st);
    if (st.size > maxBytes) {
      throw new WorkbenchException(
        'session-corrupt',
        `${file} is ${st.size} bytes, larger than the ${maxBytes} bytes this file can legitimately hold; refusing to read it`,
        { file, size: st.size, maxBytes },
      );
    }
    // Read at most maxBytes + 1 so a file growing under us is still caught.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total === buf.length) break;
    }
    if (total > maxBytes) {
      throw new WorkbenchException('session-corrupt', `${file} grew beyond ${maxBytes} bytes while being read`, { file });
    }
    return buf.subarray(0, total);
  } finally {
    await fh.close();
  }
}

/**
 * The synchronous twin of {@link readFileLimited} for the few small files read on the main thread (the
 * owner file, config.json when the engine reports, metrics.ndjson on resume): same type and size checks.
 */
export function readFileLimitedSync(file: string, maxBytes: number): Buffer | null {
  let pre: nodeFs.Stats;
  try {
    pre = nodeFs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(file, 'inspect', e);
  }
  if (!pre.isFile()) throw notRegular(file, pre);
  let fd: number;
  try {
    fd = nodeFs.openSync(file, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(file, 'open', e);
  }
  try {
    const st = nodeFs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, st);
    if (st.size > maxBytes) {
      throw new WorkbenchException(
        'session-corrupt',
        `${file} is ${st.size} bytes, larger than the ${maxBytes} bytes this file can legitimately hold; refusing to read it`,
        {
          file,
          size: st.size,
          maxBytes,
        },
      );
    }
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const n = nodeFs.readSync(fd, buf, total, buf.length - total, total);
      if (n === 0) break;
      total += n;
      if (total === buf.length) break;
    }
    if (total > maxBytes) throw new WorkbenchException('session-corrupt', `${file} grew beyond ${maxBytes} bytes while being read`, { file });
    return buf.subarray(0, total);
  } finally {
    nodeFs.closeSync(fd);
  }
}
