/**
 * Files between the page and the user's disk, whatever the shell: in the desktop app through the native
 * save and open dialogs (`file:save`, `file:open`), in browser mode as downloads (GET /download/<fileId>,
 * or a blob made in the page) and uploads (POST /upload, same origin, the auth cookie travels with it).
 */
import type { ExportFile, UploadedFile } from '../../../shared/api/contract';
import type { Result } from '../../../shared/api/result';
import { err, ok } from '../../../shared/api/result';
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

/** Uploads a file the user picked in the page (browser mode) and returns its upload id. */
export async function uploadFile(file: File): Promise<Result<UploadedFile>> {
  try {
    const r = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' }, credentials: 'same-origin' });
    if (!r.ok) return err(r.status === 413 ? 'too-large' : 'io-error', `upload of ${file.name} failed: ${r.status} ${(await r.text()).trim()}`);
    return ok((await r.json()) as UploadedFile);
  } catch (e) {
    return err('io-error', `upload of ${file.name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Desktop: the native open dialog for an archive (null value when cancelled). */
export function pickArchiveDesktop(): Promise<Result<UploadedFile | null>> {
  return getApi().invoke('file:open', { purpose: 'archive' });
}
