/**
 * Exports in transit between the service and a user, waiting to be saved (Electron's save dialog) or
 * downloaded (browser mode's GET /download/<fileId>) — referred to by random ids, never by paths. Held in
 * memory for {@link TRANSFER_TTL_MS}, bounded in count and bytes (the oldest go first); each id works once.
 * (Files coming the other way are uploads: services/uploads.ts.)
 */
import { randomBytes } from 'node:crypto';
import type { ExportFile } from '../../../shared/api/contract';

export const TRANSFER_TTL_MS = 10 * 60 * 1000;
/** Bytes held across all pending transfers. */
export const MAX_HELD_BYTES = 2 * 1024 ** 3;
const MAX_HELD_COUNT = 64;

interface Held {
  fileName: string;
  mime: string;
  data: Uint8Array;
  at: number;
}

/** Pending downloads by id. */
export class TransferStore {
  private readonly downloads = new Map<string, Held>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  private sweep(): void {
    const cutoff = this.now() - TRANSFER_TTL_MS;
    for (const [id, h] of this.downloads) if (h.at < cutoff) this.downloads.delete(id);
    const all = [...this.downloads.entries()].sort((a, b) => a[1].at - b[1].at);
    let bytes = all.reduce((s, [, h]) => s + h.data.length, 0);
    let count = all.length;
    for (const [id] of all) {
      if (bytes <= MAX_HELD_BYTES && count <= MAX_HELD_COUNT) break;
      const h = this.downloads.get(id);
      this.downloads.delete(id);
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
}
