/**
 * Nothing a client sends may take browser mode down: random requests, headers, cookies, WebSocket frames and
 * messages, and uploads are thrown at the real server, and after each one the server must still answer a
 * valid page request and a valid invoke. A crash shows as an unhandled error, which fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../../src/main/server/server';
import type { ServedApi } from '../../../../src/shared/api/contract';
import { cookieName } from '../../../../src/main/server/security';
import { isInvokeChannel, validateRequest } from '../../../../src/shared/api/contract';
import { WS_MAX_PAYLOAD } from '../../../../src/shared/api/wire';

/** An in-memory API that validates like the service and stores uploads by draining them. */
function fakeApi(): ServedApi {
  const events = new EventEmitter();
  const api: ServedApi = {
    async invokeUnknown(channel: unknown, req: unknown) {
      if (!isInvokeChannel(channel)) return { ok: false, error: { code: 'invalid-request', message: 'unknown channel' } };
      const v = validateRequest(channel, req ?? undefined);
      if (!v.ok) return { ok: false, error: { code: 'invalid-request', message: v.message } };
      return { ok: true, value: { channel } };
    },
    invoke: ((c: never, r: never) => api.invokeUnknown(c, r)) as never,
    on: ((channel: string, l: (p: unknown) => void) => {
      events.on(channel, l);
      return () => events.off(channel, l);
    }) as ServedApi['on'],
    async acceptUpload(kind, name, body, limit) {
      let bytes = 0;
      for await (const c of body) {
        bytes += c.length;
        if (bytes > limit) return { ok: false, error: { code: 'too-large', message: 'too large' } };
      }
      return { ok: true, value: { uploadId: 'up-000000000000000000000000', kind, name, bytes } };
    },
  };
  return api;
}

let dir: string;
let server: BrowserServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-fuzz-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  server = await startBrowserServer({ api: fakeApi(), staticDir: dir, port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${server.port}`;
const goodCookie = () => `${cookieName(server.port)}=${server.token}`;

/** Sends raw bytes on a fresh connection and returns what came back within `ms` (then closes it). */
function raw(bytes: Buffer | string, ms = 150): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      s.destroy();
      resolve(out);
    };
    s.on('data', (b) => (out += b.toString('latin1')));
    s.on('error', done);
    s.on('close', done);
    s.write(bytes, () => undefined);
    setTimeout(done, ms);
  });
}

/** The server still serves the page and carries an invoke over a fresh WebSocket. */
async function healthy(): Promise<void> {
  const page = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, headers: { host: `127.0.0.1:${server.port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  expect(page).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie: goodCookie(), origin: origin() } });
  const reply = await new Promise<unknown>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ t: 'invoke', id: 7, channel: 'app:info', req: null })));
    ws.once('message', (d) => resolve(JSON.parse(String(d))));
    ws.once('error', reject);
  });
  ws.terminate();
  expect(reply).toEqual({ t: 'result', id: 7, result: { ok: true, value: { channel: 'app:info' } } });
}

/** A WebSocket frame as a client sends it (masked unless told otherwise), with a declared length that may lie. */
function frame(o: { fin: boolean; rsv: number; opcode: number; masked: boolean; payload: Buffer; declared?: number }): Buffer {
  const len = o.declared ?? o.payload.length;
  const head: number[] = [(o.fin ? 0x80 : 0) | ((o.rsv & 7) << 4) | (o.opcode & 0x0f)];
  const m = o.masked ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255);
  else {
    head.push(m | 127);
    const big = BigInt(len);
    for (let i = 7; i >= 0; i--) head.push(Number((big >> BigInt(8 * i)) & 255n));
  }
  const key = o.masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(o.payload);
  if (o.masked) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Opens an authorized WebSocket by hand and sends raw frames on it. */
function wsRaw(frames: Buffer[], ms = 120): Promise<string> {
  const key = randomBytes(16).toString('base64');
  const upgrade =
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin()}\r\nCookie: ${goodCookie()}\r\n\r\n`;
  return raw(Buffer.concat([Buffer.from(upgrade, 'latin1'), ...frames]), ms);
}

describe('browser mode under hostile input (issue 21, items 1 and 2)', () => {
  it('answers a malformed token cookie with 401, on a page request and on an upgrade, and stays up', async () => {
    for (const name of [cookieName(server.port), 'ntk_workbench_token']) {
      const page = await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: ${name}=%\r\nConnection: close\r\n\r\n`);
      expect(page).toMatch(/^HTTP\/1\.1 401/);
      const up = await raw(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          `Sec-WebSocket-Version: 13\r\nOrigin: ${origin()}\r\nCookie: ${name}=%E0%A4%A\r\n\r\n`,
      );
      expect(up).toMatch(/^HTTP\/1\.1 401/);
    }
    await healthy();
  });

  it('closes only the offending socket on a text frame above the payload limit', async () => {
    const out = await wsRaw([frame({ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.alloc(8), declared: WS_MAX_PAYLOAD + 1 })]);
    expect(out).toMatch(/^HTTP\/1\.1 101/);
    await healthy();
  });

  it('closes only the offending socket on a text frame of invalid UTF-8, and on an unmasked or unknown frame', async () => {
    await wsRaw([frame({ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff]) })]);
    await wsRaw([frame({ fin: true, rsv: 0, opcode: 1, masked: false, payload: Buffer.from('{}') })]);
    await wsRaw([frame({ fin: true, rsv: 5, opcode: 0x0b, masked: true, payload: Buffer.from('x') })]);
    await healthy();
  });

  it('survives random requests: methods, paths, headers, cookies and bodies', async () => {
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/);
    const headerValue = fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[\x20-\x7e]{0,80}$/), fc.constant('%'), fc.constant('%E0%A4%A'));
    const cookieValue = fc.oneof(fc.constant('%'), fc.constant('%zz'), fc.constant(server.token), fc.string({ maxLength: 50 }), fc.constant('\u00ff\u0100'));
    const req = fc.record({
      method: fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'), token),
      path: fc.oneof(
        fc.constantFrom('/', '/index.html', '/ws', '/upload', '/upload?kind=csv&name=a', '/..%2f..%2fetc%2fpasswd', '/%', '/%00', '//x', '*', '/?token=%'),
        fc.string({ maxLength: 40 }).map((s) => '/' + s),
        fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/),
      ),
      withToken: fc.boolean(),
      host: fc.oneof(fc.constant(`127.0.0.1:${server.port}`), fc.constant('localhost'), fc.string({ maxLength: 30 })),
      origin: fc.option(fc.oneof(fc.constant(origin()), fc.constant('null'), fc.string({ maxLength: 30 }))),
      cookieName: fc.oneof(fc.constant(cookieName(server.port)), fc.constant('ntk_workbench_token'), token),
      cookie: fc.option(cookieValue),
      extra: fc.array(fc.tuple(token, headerValue), { maxLength: 6 }),
      body: fc.option(fc.uint8Array({ maxLength: 300 })),
      lengthLies: fc.boolean(),
      crlf: fc.constantFrom('\r\n', '\n', '\r'),
    });
    await fc.assert(
      fc.asyncProperty(req, async (r) => {
        const p = r.withToken ? `${r.path}${r.path.includes('?') ? '&' : '?'}token=${server.token}` : r.path;
        const lines = [`${r.method} ${p} HTTP/1.1`, `Host: ${r.host}`];
        if (r.origin !== null) lines.push(`Origin: ${r.origin}`);
        if (r.cookie !== null) lines.push(`Cookie: a=1; ${r.cookieName}=${r.cookie}`);
        for (const [k, v] of r.extra) lines.push(`${k}: ${v}`);
        const body = r.body === null ? Buffer.alloc(0) : Buffer.from(r.body);
        if (r.body !== null) lines.push(`Content-Length: ${r.lengthLies ? body.length + 17 : body.length}`);
        lines.push('Connection: close');
        await raw(Buffer.concat([Buffer.from(lines.join(r.crlf) + r.crlf + r.crlf, 'utf8'), body]), 60);
        await healthy();
      }),
      { numRuns: 120 },
    );
  });

  it('survives random WebSocket frames: opcodes, reserved bits, masks, lengths and bytes', async () => {
    const f = fc.record({
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      opcode: fc.integer({ min: 0, max: 15 }),
      masked: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      declared: fc.option(fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constant(WS_MAX_PAYLOAD + 1), fc.constant(2 ** 53 - 1))),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(f, { minLength: 1, maxLength: 4 }), async (frames) => {
        await wsRaw(
          frames.map((x) => frame({ ...x, declared: x.declared ?? undefined })),
          60,
        );
        await healthy();
      }),
      { numRuns: 120 },
    );
  });

  it('survives random messages on an open socket: JSON of any shape, channels and payloads, other encodings', async () => {
    const message = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          t: fc.constantFrom('invoke', 'result', 'event', 'x'),
          id: fc.oneof(fc.integer(), fc.double(), fc.string()),
          channel: fc.oneof(fc.constantFrom('app:info', 'run:start', 'upload:put', 'session:delete', 'fs:rm'), fc.string()),
          req: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie: goodCookie(), origin: origin() } });
    ws.on('error', () => undefined);
    await new Promise((r) => ws.once('open', r));
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), fc.boolean(), async (msgs, binary) => {
        for (const m of msgs) if (ws.readyState === ws.OPEN) ws.send(binary ? Buffer.from(m, 'utf8') : m);
        await new Promise((r) => setTimeout(r, 5));
        await healthy();
      }),
      { numRuns: 80 },
    );
    ws.terminate();
  });

  it('survives random uploads: kinds, names, declared sizes and bodies, with and without the cookie and origin', async () => {
    const up = fc.record({
      kind: fc.oneof(fc.constant('csv'), fc.string({ maxLength: 8 })),
      name: fc.oneof(fc.constant('a.csv'), fc.string({ maxLength: 600 })),
      authorized: fc.boolean(),
      length: fc.oneof(fc.constant('exact'), fc.constant('missing'), fc.constant('huge'), fc.constant('garbage')),
      body: fc.uint8Array({ maxLength: 500 }),
    });
    await fc.assert(
      fc.asyncProperty(up, async (u) => {
        const body = Buffer.from(u.body);
        const lines = [`POST /upload?kind=${encodeURIComponent(u.kind)}&name=${encodeURIComponent(u.name)} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`];
        if (u.authorized) lines.push(`Origin: ${origin()}`, `Cookie: ${goodCookie()}`);
        if (u.length === 'exact') lines.push(`Content-Length: ${body.length}`);
        if (u.length === 'huge') lines.push(`Content-Length: ${2 ** 40}`);
        if (u.length === 'garbage') lines.push('Content-Length: 12abc');
        lines.push('Connection: close');
        await raw(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), body]), 60);
        await healthy();
      }),
      { numRuns: 60 },
    );
  });
});
