/**
 * Files between the page and the user's disk, whatever the shell: in the desktop app through the native
 * save and open dialogs (`file:save`, `file:open`), in browser mode as downloads (GET /download/<fileId>,
 * or a blob made in the page) and uploads (`upload:put`, which browser mode sends as POST /upload).
 */
import type { ExportFile } from '../../../shared/api/contract';
import type { UploadInfo } from '../../../shared/api/upload';
import type { Result } from '../../../shared/api/result';
import { ok } from '../../../shared/api/result';
import { getApi } from './current';

/** True in the desktop app (the preload exposes window.workbench). */
export function isDesktop(): boolean {
  return typeof (globalThis as { workbench?: unknown }).workbench === 'object';
}

function clickDownload(href: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Hands a file the service holds to the user: save dialog (desktop) or download (browser). */
export async function deliverExport(file: ExportFile): Promise<Result<{ saved: boolean; path: string | null }>> {
  if (isDesktop()) return getApi().invoke('file:save', { fileId: file.fileId });
  clickDownload(`/download/${file.fileId}`, file.fileName);
  return ok({ saved: true, path: null });
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Saves bytes made in the page (a chart's SVG, PNG or CSV): save dialog (desktop) or download (browser). */
export async function saveBytes(fileName: string, mime: string, data: Blob): Promise<Result<{ saved: boolean; path: string | null }>> {
  if (isDesktop()) {
    const bytes = new Uint8Array(await data.arrayBuffer());
    return getApi().invoke('file:save', { fileName, mime, dataBase64: toBase64(bytes) });
  }
  const url = URL.createObjectURL(data);
  try {
    clickDownload(url, fileName);
  } finally {
    // The click has started the download; the URL is no longer needed once the event loop turns.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return ok({ saved: true, path: null });
}

/** Uploads an archive the user picked in the page (browser mode: POST /upload, kind `archive`) and returns its upload id. */
export async function uploadArchive(file: File): Promise<Result<UploadInfo>> {
  return getApi().invoke('upload:put', { kind: 'archive', name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
}

/** Desktop: the native open dialog for an archive (null value when cancelled). */
export function pickArchiveDesktop(): Promise<Result<UploadInfo | null>> {
  return getApi().invoke('file:open', { purpose: 'archive' });
}
