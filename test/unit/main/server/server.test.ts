import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer, type ServedApi } from '../../../../src/main/server/server';
import { validateRequest, isInvokeChannel } from '../../../../src/shared/api/contract';
import { cookieName } from '../../../../src/main/server/security';

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
  };
  return api as never;
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
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie: `${cookieName(server.port)}=${server.token}`, origin: `http://127.0.0.1:${server.port}` } });
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
});
