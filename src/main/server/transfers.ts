/**
 * Files over HTTP in browser mode (behind the same token, Host and Origin checks as every request):
 *
 *   GET  /download/<fileId>          an export the service holds (export:csv, export:report, …), once,
 *                                    as an attachment
 *   POST /upload?name=<file name>    raw bytes (an archive to import), Origin required and Content-Length
 *                                    at most the upload limit; answers {uploadId, fileName, bytes} as JSON
 *
 * Ids are the service's random transfer ids (services/export/transfers.ts); no path ever crosses.
 */
import type http from 'node:http';
import { MAX_UPLOAD_BYTES } from '../services/export/transfers';
import { originAllowed } from './security';

/** The service's held files as this adapter needs them. */
export interface TransferEndpoints {
  take(fileId: string): { fileName: string; mime: string; data: Uint8Array } | null;
  receive(fileName: string, data: Uint8Array): { uploadId: string; fileName: string; bytes: number };
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
 * Serves /download/… and /upload for an already authorized request; returns false for other paths.
 * `port` is the server's, for the Origin check of uploads.
 */
export function handleTransfer(req: http.IncomingMessage, res: http.ServerResponse, url: URL, transfers: TransferEndpoints, port: number): boolean {
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
  if (url.pathname === '/upload') {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return true;
    }
    // A page of another origin must not be able to push files, even with the cookie.
    if (!originAllowed(req.headers.origin, port, true)) {
      plain(res, 403, 'Forbidden: uploads need this page’s Origin.');
      return true;
    }
    const length = Number(req.headers['content-length']);
    if (!Number.isInteger(length) || length < 0) {
      plain(res, 411, 'Length required.');
      return true;
    }
    if (length > MAX_UPLOAD_BYTES) {
      plain(res, 413, `Upload of ${length} bytes is above the ${MAX_UPLOAD_BYTES}-byte limit.`);
      req.resume();
      return true;
    }
    const name = (url.searchParams.get('name') ?? 'upload').replace(/[\\/\x00-\x1f]/g, '_').slice(0, 200) || 'upload';
    const body = Buffer.alloc(length);
    let got = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (got + chunk.length > length) {
        failed = true;
        plain(res, 400, 'Body longer than its Content-Length.');
        req.destroy();
        return;
      }
      chunk.copy(body, got);
      got += chunk.length;
    });
    req.on('end', () => {
      if (failed) return;
      if (got !== length) {
        plain(res, 400, `Body of ${got} bytes, Content-Length said ${length}.`);
        return;
      }
      const r = transfers.receive(name, new Uint8Array(body.buffer, body.byteOffset, body.length));
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(r));
    });
    req.on('error', () => {
      failed = true;
    });
    return true;
  }
  return false;
}
