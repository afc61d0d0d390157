/**
 * Files in transit between the service and a user: exports waiting to be saved (Electron's save dialog)
 * or downloaded (browser mode's GET /download/<fileId>), and uploads waiting to be used (browser mode's
 * POST /upload, Electron's open dialog) — referred to by random ids, never by paths. Held in memory for
 * {@link TRANSFER_TTL_MS}, bounded in count and bytes (the oldest go first); each id works once.
 *
 * This is the upload-by-id path the archive import needs; a generic data-file upload can share it
 * (same ids, bounds and single use).
 */
import { randomBytes } from 'node:crypto';
import { WorkbenchException } from '../../../shared/api/result';
import type { ExportFile } from '../../../shared/api/contract';

export const TRANSFER_TTL_MS = 10 * 60 * 1000;
/** Largest upload accepted (an archive). */
export const MAX_UPLOAD_BYTES = 1024 ** 3;
/** Bytes held across all pending transfers. */
export const MAX_HELD_BYTES = 2 * 1024 ** 3;
const MAX_HELD_COUNT = 64;

interface Held {
  fileName: string;
  mime: string;
  data: Uint8Array;
  at: number;
}

/** Pending downloads and uploads by id. */
export class TransferStore {
  private readonly downloads = new Map<string, Held>();
  private readonly uploads = new Map<string, Held>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  private sweep(): void {
    const cutoff = this.now() - TRANSFER_TTL_MS;
    for (const m of [this.downloads, this.uploads]) for (const [id, h] of m) if (h.at < cutoff) m.delete(id);
    const all = [...this.downloads.entries(), ...this.uploads.entries()].sort((a, b) => a[1].at - b[1].at);
    let bytes = all.reduce((s, [, h]) => s + h.data.length, 0);
    let count = all.length;
    for (const [id] of all) {
      if (bytes <= MAX_HELD_BYTES && count <= MAX_HELD_COUNT) break;
      const h = this.downloads.get(id) ?? this.uploads.get(id);
      this.downloads.delete(id);
      this.uploads.delete(id);
      bytes -= h?.data.length ?? 0;
      count--;
    }
  }

  /** Holds an export for download or saving; returns its description. */
  offer(fileName: string, mime: string, data: Uint8Array): ExportFile {
    this.sweep();
    const fileId = randomBytes(16).toString('hex');
    this.downloads.set(fileId, { fileName, mime, data, at: this.now() });
    this.sweep();
    return { fileId, fileName, mime, bytes: data.length };
  }

  /** Takes a pending export (once); null when the id is unknown or expired. */
  take(fileId: string): { fileName: string; mime: string; data: Uint8Array } | null {
    this.sweep();
    const h = this.downloads.get(fileId);
    if (!h) return null;
    this.downloads.delete(fileId);
    return h;
  }

  /** Holds uploaded bytes; returns the id to use them by. */
  receive(fileName: string, data: Uint8Array): { uploadId: string; fileName: string; bytes: number } {
    if (data.length > MAX_UPLOAD_BYTES) throw new WorkbenchException('too-large', `upload of ${data.length} bytes is above the ${MAX_UPLOAD_BYTES}-byte limit`);
    this.sweep();
    const uploadId = randomBytes(16).toString('hex');
    this.uploads.set(uploadId, { fileName, mime: 'application/octet-stream', data, at: this.now() });
    this.sweep();
    return { uploadId, fileName, bytes: data.length };
  }

  /** Takes an upload (once); not-found when the id is unknown or expired. */
  claim(uploadId: string): { fileName: string; data: Uint8Array } {
    this.sweep();
    const h = this.uploads.get(uploadId);
    if (!h) throw new WorkbenchException('not-found', `no upload ${uploadId} (uploads are kept ${TRANSFER_TTL_MS / 60000} minutes and used once)`);
    this.uploads.delete(uploadId);
    return h;
  }
}
