/**
 * The browser-mode adapter: an HTTP server on 127.0.0.1 that serves the built renderer and a WebSocket
 * (ws) that carries the WorkbenchApi. Every request needs the per-start token; every message is validated.
 */
import http from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_CHANNELS, type WorkbenchApi } from '../../shared/api/contract';
import { clientMessageSchema, WS_MAX_PAYLOAD, WS_PATH, type ServerMessage } from '../../shared/api/wire';
import { authorize, newToken, SECURITY_HEADERS, tokenCookie } from './security';
import { handleTransfer, type TransferEndpoints } from './transfers';

/** The service side the adapter needs: the API plus untyped invoke for untrusted input. */
export interface ServedApi extends WorkbenchApi {
  invokeUnknown(channel: unknown, req: unknown): Promise<unknown>;
}

export interface BrowserServerOptions {
  api: ServedApi;
  /** folder with the built renderer (index.html and assets) */
  staticDir: string;
  /** 0 = any free port */
  port: number;
  token?: string;
  log?: (msg: string) => void;
  /** exports to download and uploads to receive (GET /download/<id>, POST /upload; see transfers.ts) */
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

/** Starts the browser-mode server on 127.0.0.1 only. */
export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? newToken();
  const log = opts.log ?? (() => {});
  const root = path.resolve(opts.staticDir);
  let port = opts.port;
  /** The token, Host and Origin checks of one request (WebSockets take the cookie only). */
  const check = (req: http.IncomingMessage, url: URL, websocket: boolean) =>
    authorize({
      token,
      port,
      host: req.headers.host,
      origin: req.headers.origin,
      cookie: req.headers.cookie,
      queryToken: websocket ? null : url.searchParams.get('token'),
      websocket,
    });

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const decision = check(req, url, false);
    if (!decision.ok) {
      res.writeHead(decision.status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${decision.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${decision.reason}. Open the URL printed by \`npm start\`.\n`);
      return;
    }
    if (decision.setCookie) res.setHeader('Set-Cookie', tokenCookie(token));
    if (opts.transfers && handleTransfer(req, res, url, opts.transfers, port)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    void serveStatic(root, url.pathname, req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const decision = check(req, url, true);
    if (url.pathname !== WS_PATH || !decision.ok) {
      const status = !decision.ok ? decision.status : 404;
      socket.write(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => void onMessage(ws, data, isBinary));
    });
  });

  const send = (ws: WebSocket, msg: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
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
      send(ws, { t: 'result', id, result: { ok: false, error: { code: 'invalid-request', message: `bad message: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` } } });
      return;
    }
    const result = (await opts.api.invokeUnknown(m.data.channel, m.data.req)) as ServerMessage extends { result: infer R } ? R : never;
    send(ws, { t: 'result', id: m.data.id, result });
  }

  const unsubscribe = EVENT_CHANNELS.map((channel) =>
    opts.api.on(channel, (payload) => {
      for (const ws of sockets) send(ws, { t: 'event', channel, payload });
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
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
  createReadStream(file).pipe(res);
}
