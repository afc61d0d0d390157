/**
 * The browser-mode adapter: an HTTP server on 127.0.0.1 that serves the built renderer, takes uploads
 * (`POST /upload`, see src/shared/api/upload.ts) and upgrades `/ws` to a WebSocket (ws) that carries the
 * WorkbenchApi. Every request needs the per-start token; every message is validated.
 *
 * Nothing a client sends may end or stall the process: each handler catches its own errors, every socket
 * has an 'error' listener (ws reports protocol errors — oversized or invalid-UTF-8 frames, bad opcodes —
 * as 'error' events, which would otherwise end the process), and a failed request answers 4xx/5xx.
 */
import http from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_CHANNELS, type ServedApi } from '../../shared/api/contract';
import { err, type Result } from '../../shared/api/result';
import { UPLOAD_LIMITS, UPLOAD_PATH, uploadKindSchema, uploadNameSchema } from '../../shared/api/upload';
import { clientMessageSchema, encodeServerMessage, WS_MAX_PAYLOAD, WS_PATH, type ServerMessage } from '../../shared/api/wire';
import { authorize, newToken, SECURITY_HEADERS, tokenCookie } from './security';
import { handleTransfer, type TransferEndpoints } from './transfers';

export interface BrowserServerOptions {
  api: ServedApi;
  /** folder with the built renderer (index.html and assets) */
  staticDir: string;
  /** 0 = any free port */
  port: number;
  token?: string;
  log?: (msg: string) => void;
  /** exports to download (GET /download/<id>; see transfers.ts) */
  transfers?: TransferEndpoints;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** HTTP status of a failed upload by its error code. */
const UPLOAD_STATUS: Record<string, number> = { 'too-large': 413, 'invalid-request': 400, 'io-error': 507, forbidden: 403 };

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Parses a request target; null for one that is not a valid path (answered 400). */
function requestUrl(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** Starts the browser-mode server on 127.0.0.1 only. */
export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? newToken();
  const log = opts.log ?? (() => {});
  const root = path.resolve(opts.staticDir);
  let port = opts.port;
  /** The token, Host and Origin checks of one request (`strict`: WebSockets and uploads take the cookie only). */
  const check = (req: http.IncomingMessage, url: URL, strict: boolean) =>
    authorize({
      token,
      port,
      host: req.headers.host,
      origin: req.headers.origin,
      cookie: req.headers.cookie,
      queryToken: strict ? null : url.searchParams.get('token'),
      strict,
    });

  const fail = (res: http.ServerResponse, status: number, text: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (e) {
      log(`request ${req.method} ${String(req.url).slice(0, 200)} failed: ${describeError(e)}`);
      fail(res, 500, 'Internal error\n');
    }
  });
  // A connection that errors (reset, bad HTTP) must not reach the process as an unhandled 'error'.
  server.on('clientError', (e, socket) => {
    const status = (e as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
    log(`client error: ${describeError(e)}`);
  });

  function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    req.on('error', (e) => log(`request stream error: ${describeError(e)}`));
    const url = requestUrl(req.url);
    if (url === null) return fail(res, 400, 'Bad request\n');
    if (url.pathname === UPLOAD_PATH) return void onUpload(req, res, url);
    const decision = check(req, url, false);
    if (!decision.ok) {
      return fail(
        res,
        decision.status,
        `${decision.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${decision.reason}. Open the URL printed by \`npm start\`.\n`,
      );
    }
    if (decision.setCookie) res.setHeader('Set-Cookie', tokenCookie(token, port));
    if (opts.transfers && handleTransfer(req, res, url, opts.transfers)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    serveStatic(root, url.pathname, req, res).catch((e: unknown) => {
      log(`serving ${url.pathname.slice(0, 200)} failed: ${describeError(e)}`);
      fail(res, 500, 'Internal error\n');
    });
  }

  const answerJson = (res: http.ServerResponse, status: number, result: Result<unknown>): void => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(result));
  };

  /** `POST /upload?kind=K&name=N`: the body is the file's bytes, streamed to the service within the kind's limit. */
  async function onUpload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    // Whatever is still unread when we answer early is discarded, and the connection closed.
    const refuse = (status: number, code: Parameters<typeof err>[0], message: string): void => {
      res.setHeader('Connection', 'close');
      answerJson(res, status, err(code, message));
      req.resume();
    };
    try {
      const decision = check(req, url, true);
      if (!decision.ok) return refuse(decision.status, 'forbidden', `upload: ${decision.reason}`);
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return refuse(405, 'invalid-request', 'upload: expected POST');
      }
      const kind = uploadKindSchema.safeParse(url.searchParams.get('kind'));
      if (!kind.success) return refuse(400, 'invalid-request', `upload: kind: expected one of ${Object.keys(UPLOAD_LIMITS).join(', ')}`);
      const name = uploadNameSchema.safeParse(url.searchParams.get('name') ?? 'upload');
      if (!name.success) return refuse(400, 'invalid-request', 'upload: name: expected 1 to 512 characters');
      const limit = UPLOAD_LIMITS[kind.data];
      const declared = Number(req.headers['content-length']);
      if (req.headers['content-length'] === undefined || !Number.isInteger(declared) || declared < 0) {
        return refuse(411, 'invalid-request', 'upload: a Content-Length header is required');
      }
      if (declared > limit) return refuse(413, 'too-large', `upload: ${declared} bytes, above the ${limit}-byte limit for ${kind.data} files`);
      if (!opts.api.acceptUpload) return refuse(404, 'invalid-request', 'upload: not supported by this server');
      const result = await opts.api.acceptUpload(kind.data, name.data, req, limit);
      if (!result.ok) return refuse(UPLOAD_STATUS[result.error.code] ?? 500, result.error.code, result.error.message);
      answerJson(res, 200, result);
    } catch (e) {
      log(`upload failed: ${describeError(e)}`);
      refuse(500, 'internal', `upload failed: ${describeError(e)}`);
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  wss.on('error', (e) => log(`websocket server error: ${describeError(e)}`));
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (e) => log(`upgrade socket error: ${describeError(e)}`));
    try {
      const url = requestUrl(req.url);
      const decision = url === null ? ({ ok: false, status: 400 } as const) : check(req, url, true);
      if (url === null || url.pathname !== WS_PATH || !decision.ok) {
        const status = !decision.ok ? decision.status : 404;
        const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 400 ? 'Bad Request' : 'Not Found';
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        // ws turns protocol errors (a frame above maxPayload, invalid UTF-8, a bad opcode) into 'error'
        // and then closes the socket: log it; without this listener the process would end.
        ws.on('error', (e) => log(`websocket error (the connection is closed): ${describeError(e)}`));
        ws.on('close', () => sockets.delete(ws));
        ws.on('message', (data, isBinary) => {
          onMessage(ws, data, isBinary).catch((e: unknown) => log(`websocket message failed: ${describeError(e)}`));
        });
      });
    } catch (e) {
      log(`upgrade failed: ${describeError(e)}`);
      socket.destroy();
    }
  });

  const send = (ws: WebSocket, msg: ServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    let text: string;
    try {
      text = encodeServerMessage(msg);
    } catch (e) {
      log(`could not serialize a message: ${describeError(e)}`);
      if (msg.t !== 'result') return;
      text = JSON.stringify({ t: 'result', id: msg.id, result: err('internal', `the result could not be serialized: ${describeError(e)}`) });
    }
    ws.send(text, (e) => {
      if (e) log(`websocket send failed: ${describeError(e)}`);
    });
  };

  async function onMessage(ws: WebSocket, data: unknown, isBinary: boolean): Promise<void> {
    let parsed: unknown;
    try {
      if (isBinary) throw new Error('binary');
      parsed = JSON.parse(String(data));
    } catch {
      ws.close(1003, 'expected a JSON text message');
      return;
    }
    const m = clientMessageSchema.safeParse(parsed);
    if (!m.success) {
      const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : -1;
      send(ws, {
        t: 'result',
        id,
        result: {
          ok: false,
          error: { code: 'invalid-request', message: `bad message: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` },
        },
      });
      return;
    }
    let result: Result<unknown>;
    try {
      result = (await opts.api.invokeUnknown(m.data.channel, m.data.req)) as Result<unknown>;
    } catch (e) {
      log(`invoke ${m.data.channel} threw: ${describeError(e)}`);
      result = err('internal', `internal error in ${m.data.channel}: ${describeError(e)}`);
    }
    send(ws, { t: 'result', id: m.data.id, result });
  }

  const unsubscribe = EVENT_CHANNELS.map((channel) =>
    opts.api.on(channel, (payload) => {
      for (const ws of sockets) send(ws, { t: 'event', channel, payload });
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log(`server error: ${describeError(e)}`));
  port = (server.address() as AddressInfo).port;
  log(`browser mode listening on 127.0.0.1:${port}`);
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const u of unsubscribe) u();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function serveStatic(root: string, pathname: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (rel.includes('\0')) {
    res.writeHead(400).end();
    return;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = path.resolve(root, '.' + path.posix.normalize(rel));
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  let stat;
  try {
    stat = await fsp.stat(file);
  } catch {
    stat = null;
  }
  if (!stat || !stat.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': stat.size,
    'Cache-Control': type.startsWith('text/html') ? 'no-store' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
