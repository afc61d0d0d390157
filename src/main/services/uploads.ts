/**
 * The upload store: large inputs sent once as bytes and referred to by id (src/shared/api/upload.ts).
 *
 *   <dataDir>/uploads/<uploadId>          the bytes of one upload
 *   <dataDir>/uploads/.part-<uploadId>    an upload being received (renamed into place when complete)
 *
 * Uploads are scratch data of one app instance, not part of any session: they are kept for an hour after
 * their last use, at most {@link UploadStoreOptions.maxTotalBytes} together (the oldest go first), and the
 * folder is emptied at start-up. A run that uses an upload copies what it needs into its run folder.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';
import { UPLOAD_ID_PATTERN, UPLOAD_LIMITS, type UploadInfo, type UploadKind } from '../../shared/api/upload';
import { decodeTextFile } from '../../shared/data/text';
import { ioError } from './fsAtomic';

export const UPLOADS_DIR = 'uploads';

export interface UploadStoreOptions {
  /** every upload together; the oldest are dropped to make room (default 1 GiB: one archive and data files) */
  maxTotalBytes?: number;
  /** an upload unused this long is dropped (default one hour) */
  ttlMs?: number;
  now?: () => number;
}

interface Entry extends UploadInfo {
  file: string;
  lastUsed: number;
}

/** Size-bounded, id-addressed scratch storage for uploads. */
export class UploadStore {
  readonly dir: string;
  private readonly entries = new Map<string, Entry>();
  private readonly maxTotal: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(dataDir: string, opts: UploadStoreOptions = {}) {
    this.dir = path.join(path.resolve(dataDir), UPLOADS_DIR);
    this.maxTotal = opts.maxTotalBytes ?? 1024 * 1024 * 1024;
    this.ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
    this.now = opts.now ?? (() => Date.now());
  }

  /** Start-up: removes every upload left by an earlier instance (they belong to pages that are gone). */
  async clear(): Promise<number> {
    let names: string[];
    try {
      names = await nodeFs.promises.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw ioError(this.dir, 'list', e);
    }
    let removed = 0;
    for (const n of names) {
      if (!UPLOAD_ID_PATTERN.test(n) && !(n.startsWith('.part-') && UPLOAD_ID_PATTERN.test(n.slice(6)))) continue;
      try {
        await nodeFs.promises.unlink(path.join(this.dir, n));
        removed++;
      } catch {
        /* left for the next start */
      }
    }
    this.entries.clear();
    return removed;
  }

  /**
   * Stores an upload from a byte stream (an HTTP body) or a buffer (IPC). More than `limit` bytes (the
   * kind's limit at most) is 'too-large' and nothing is kept; a failed write is 'io-error' and the partial
   * file is removed.
   */
  async put(kind: UploadKind, name: string, body: AsyncIterable<Uint8Array> | Uint8Array, limit: number = UPLOAD_LIMITS[kind]): Promise<UploadInfo> {
    const max = Math.min(limit, UPLOAD_LIMITS[kind]);
    if (body instanceof Uint8Array && body.length > max) {
      throw new WorkbenchException('too-large', `upload: ${body.length} bytes, above the ${max}-byte limit for ${kind} files`, {
        bytes: body.length,
        limit: max,
      });
    }
    await this.expire();
    const uploadId = `up-${randomBytes(12).toString('hex')}`;
    const file = path.join(this.dir, uploadId);
    const part = path.join(this.dir, `.part-${uploadId}`);
    try {
      await nodeFs.promises.mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw ioError(this.dir, 'create', e);
    }
    let fh: nodeFs.promises.FileHandle | null = null;
    let bytes = 0;
    try {
      fh = await nodeFs.promises.open(part, 'wx', 0o600);
      const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = body instanceof Uint8Array ? [body] : body;
      for await (const chunk of chunks) {
        bytes += chunk.length;
        if (bytes > max) {
          throw new WorkbenchException('too-large', `upload: more than the ${max}-byte limit for ${kind} files`, { limit: max });
        }
        // A short write (a disk filling up) is not an error by itself: write the rest, which then fails.
        for (let off = 0; off < chunk.length;) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off, null);
          if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
          off += bytesWritten;
        }
      }
      await fh.close();
      fh = null;
      await this.makeRoom(bytes);
      await nodeFs.promises.rename(part, file);
    } catch (e) {
      if (fh) await fh.close().catch(() => undefined);
      await nodeFs.promises.unlink(part).catch(() => undefined);
      throw e instanceof WorkbenchException ? e : ioError(part, 'write', e);
    }
    const info: UploadInfo = { uploadId, kind, name: name.slice(0, 512), bytes };
    this.entries.set(uploadId, { ...info, file, lastUsed: this.now() });
    return info;
  }

  /** The bytes of an upload of the given kind; not-found for an unknown, expired or other-kind id. */
  async read(uploadId: string, kind: UploadKind): Promise<{ name: string; bytes: Buffer }> {
    const e = this.entries.get(uploadId);
    if (!e || e.kind !== kind) {
      throw new WorkbenchException(
        'not-found',
        `no ${kind} upload ${JSON.stringify(uploadId.slice(0, 64))} (expired, or sent to another server instance): upload the file again`,
        {
          uploadId,
        },
      );
    }
    e.lastUsed = this.now();
    let bytes: Buffer;
    try {
      bytes = await nodeFs.promises.readFile(e.file);
    } catch (err) {
      this.entries.delete(uploadId);
      throw ioError(e.file, 'read', err);
    }
    return { name: e.name, bytes };
  }

  /** An upload's text (UTF-8, or UTF-16 with a byte-order mark); invalid-data with an encoding hint otherwise. */
  async readText(uploadId: string, kind: UploadKind): Promise<{ name: string; text: string }> {
    const { name, bytes } = await this.read(uploadId, kind);
    const d = decodeTextFile(bytes, name);
    if (!d.ok) throw new WorkbenchException('invalid-data', d.message, { uploadId });
    return { name, text: d.text };
  }

  /** Bytes held by every upload. */
  get totalBytes(): number {
    let t = 0;
    for (const e of this.entries.values()) t += e.bytes;
    return t;
  }

  /** Removes an upload that has served its purpose (an imported archive). Unknown ids are ignored. */
  async discard(uploadId: string): Promise<void> {
    await this.drop(uploadId);
  }

  private async drop(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    await nodeFs.promises.unlink(e.file).catch(() => undefined);
  }

  private async expire(): Promise<void> {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, e] of [...this.entries]) if (e.lastUsed < cutoff) await this.drop(id);
  }

  private async makeRoom(incoming: number): Promise<void> {
    const byAge = [...this.entries.values()].sort((a, b) => a.lastUsed - b.lastUsed);
    let total = this.totalBytes;
    for (const e of byAge) {
      if (total + incoming <= this.maxTotal) break;
      total -= e.bytes;
      await this.drop(e.uploadId);
    }
  }
}
