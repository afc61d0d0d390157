import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../../src/main/server/server';
import type { ServedApi } from '../../../../src/shared/api/contract';
import { validateRequest, isInvokeChannel } from '../../../../src/shared/api/contract';
import { cookieName } from '../../../../src/main/server/security';
import { UPLOAD_LIMITS } from '../../../../src/shared/api/upload';

/** An in-memory API: echoes requests and lets the test emit events. */
function fakeApi(): ServedApi & { events: EventEmitter; calls: unknown[] } {
  const events = new EventEmitter();
  const calls: unknown[] = [];
  const api = {
    events,
    calls,
    async invokeUnknown(channel: unknown, req: unknown) {
      calls.push([channel, req]);
      if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'invalid-request', message: 'unknown channel' } };
      const v = validateRequest(channel, req);
      if (!v.ok) return { ok: false, error: { code: 'invalid-request', message: v.message } };
      return { ok: true, value: { channel, req } };
    },
    invoke: (c: never, r: never) => api.invokeUnknown(c, r) as never,
    on(channel: string, l: (p: unknown) => void) {
      events.on(channel, l);
      return () => events.off(channel, l);
    },
    async acceptUpload(kind: string, name: string, body: AsyncIterable<Uint8Array>, limit: number) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c));
      const bytes = Buffer.concat(chunks);
      calls.push(['upload', kind, name, bytes.toString('utf8'), limit]);
      return { ok: true, value: { uploadId: 'up-0123456789abcdef01234567', kind, name, bytes: bytes.length } };
    },
  };
  return api as never;
}

function post(port: number, p: string, body: Buffer | null, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

function get(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let server: BrowserServer;
let api: ReturnType<typeof fakeApi>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-srv-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(os.tmpdir(), 'ntk-secret.txt'), 'secret');
  api = fakeApi();
  server = await startBrowserServer({ api, staticDir: dir, port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('startBrowserServer()', () => {
  it('listens on 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
  });

  it('serves the page with the token, sets an HttpOnly cookie and a CSP', async () => {
    const r = await get(server.port, `/?token=${server.token}`);
    expect(r.status).toBe(200);
    expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('refuses requests without the token (401) and with a foreign Host (403)', async () => {
    expect((await get(server.port, '/')).status).toBe(401);
    expect((await get(server.port, '/index.html')).status).toBe(401);
    expect((await get(server.port, `/?token=${server.token}`, { host: 'attacker.example' })).status).toBe(403);
  });

  it('accepts the cookie instead of the token, and refuses path traversal', async () => {
    const cookie = `${cookieName(server.port)}=${server.token}`;
    expect((await get(server.port, '/index.html', { cookie })).status).toBe(200);
    const t = await get(server.port, '/..%2f..%2f..%2ftmp%2fntk-secret.txt', { cookie });
    expect([403, 404]).toContain(t.status);
    expect(t.body).not.toContain('secret');
  });

  it('carries invokes and events over the WebSocket and validates messages', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, {
      headers: { cookie: `${cookieName(server.port)}=${server.token}`, origin: `http://127.0.0.1:${server.port}` },
    });
    const messages: unknown[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ t: 'invoke', id: 1, channel: 'run:stop', req: { runId: 'run-1' } }));
    ws.send(JSON.stringify({ t: 'invoke', id: 2, channel: 'fs:read', req: {} }));
    ws.send(JSON.stringify({ t: 'nonsense' }));
    await new Promise((r) => setTimeout(r, 150));
    api.events.emit('run:progress', { runId: 'run-1', records: [], step: 3, totalSteps: 10, stepsPerSecond: null, etaSeconds: null });
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    expect(messages).toContainEqual({ t: 'result', id: 1, result: { ok: true, value: { channel: 'run:stop', req: { runId: 'run-1' } } } });
    expect(messages).toContainEqual(expect.objectContaining({ t: 'result', id: 2, result: expect.objectContaining({ ok: false }) }));
    expect(messages).toContainEqual(expect.objectContaining({ t: 'result', id: -1, result: expect.objectContaining({ ok: false }) }));
    expect(messages).toContainEqual(expect.objectContaining({ t: 'event', channel: 'run:progress' }));
  });

  it('refuses WebSocket upgrades without the cookie or from a foreign origin', async () => {
    const tryOpen = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    expect(await tryOpen({ origin: `http://127.0.0.1:${server.port}` })).toBe('401');
    expect(await tryOpen({ origin: 'http://evil.example', cookie: `${cookieName(server.port)}=${server.token}` })).toBe('403');
  });

  it('takes uploads over POST /upload with the cookie and our Origin only, within the size limit (issue 21, item 2)', async () => {
    const auth = { cookie: `${cookieName(server.port)}=${server.token}`, origin: `http://127.0.0.1:${server.port}` };
    const body = Buffer.from('1,2\n3,4\n');
    const ok = await post(server.port, '/upload?kind=csv&name=x.csv', body, { ...auth, 'content-length': String(body.length) });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, value: { uploadId: 'up-0123456789abcdef01234567', kind: 'csv', name: 'x.csv', bytes: body.length } });
    expect(api.calls).toContainEqual(['upload', 'csv', 'x.csv', '1,2\n3,4\n', UPLOAD_LIMITS.csv]);
    // Without the cookie, from another origin (a page on another port of 127.0.0.1), or with the token in the query: refused.
    expect((await post(server.port, '/upload?kind=csv', body, { origin: auth.origin, 'content-length': String(body.length) })).status).toBe(401);
    expect(
      (await post(server.port, '/upload?kind=csv', body, { cookie: auth.cookie, origin: 'http://127.0.0.1:1', 'content-length': String(body.length) })).status,
    ).toBe(403);
    expect((await post(server.port, '/upload?kind=csv', body, { cookie: auth.cookie, 'content-length': String(body.length) })).status).toBe(403);
    expect(
      (await post(server.port, `/upload?kind=csv&token=${server.token}`, body, { origin: auth.origin, 'content-length': String(body.length) })).status,
    ).toBe(401);
    // A declared size above the kind's limit is refused before any byte is read; unknown kinds and a missing length too.
    const big = await post(server.port, '/upload?kind=csv', null, { ...auth, 'content-length': String(UPLOAD_LIMITS.csv + 1) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ ok: false, error: { code: 'too-large' } });
    expect((await post(server.port, '/upload?kind=exe', body, { ...auth, 'content-length': String(body.length) })).status).toBe(400);
    const chunked = await post(server.port, '/upload?kind=csv', body, { ...auth, 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(411);
  });
});
