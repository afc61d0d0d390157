/**
 * Files over HTTP in browser mode (behind the same token, Host and Origin checks as every request):
 *
 *   GET  /download/<fileId>          an export the service holds (export:csv, export:report, …), once,
 *                                    as an attachment
 *
 * (Uploads, data files and archives alike, are POST /upload: see server.ts and src/shared/api/upload.ts.)
 *
 * Ids are the service's random transfer ids (services/export/transfers.ts); no path ever crosses.
 */
import type http from 'node:http';

/** The service's held files as this adapter needs them. */
export interface TransferEndpoints {
  take(fileId: string): { fileName: string; mime: string; data: Uint8Array } | null;
}

const ID_RE = /^[0-9a-f]{32}$/;

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
function disposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Serves /download/… for an already authorized request; returns false for other paths.
 */
export function handleTransfer(req: http.IncomingMessage, res: http.ServerResponse, url: URL, transfers: TransferEndpoints): boolean {
  if (url.pathname.startsWith('/download/')) {
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end();
      return true;
    }
    const id = url.pathname.slice('/download/'.length);
    const f = ID_RE.test(id) ? transfers.take(id) : null;
    if (!f) {
      plain(res, 404, 'No such export (exports are kept 10 minutes and downloaded once).');
      return true;
    }
    res.writeHead(200, {
      'Content-Type': f.mime,
      'Content-Length': f.data.length,
      'Content-Disposition': disposition(f.fileName),
      'Cache-Control': 'no-store',
    });
    res.end(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
    return true;
  }
  return false;
}
