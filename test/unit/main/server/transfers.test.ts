import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startBrowserServer, type BrowserServer } from '../../../../src/main/server/server';
import type { ServedApi } from '../../../../src/shared/api/contract';
import { cookieName } from '../../../../src/main/server/security';
import { TransferStore, TRANSFER_TTL_MS } from '../../../../src/main/services/export/transfers';

const api = {
  invokeUnknown: async () => ({ ok: true, value: null }),
  invoke: async () => ({ ok: true, value: null }),
  on: () => () => undefined,
} as unknown as ServedApi;

function request(
  port: number,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let dir: string;
let server: BrowserServer;
let transfers: TransferStore;
let clock = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-xfer-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  transfers = new TransferStore(() => clock);
  server = await startBrowserServer({ api, staticDir: dir, port: 0, transfers });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cookie = () => ({ cookie: `${cookieName(server.port)}=${server.token}` });

describe('GET /download/<fileId>', () => {
  it('serves an export once, as an attachment, only with the token', async () => {
    const f = transfers.offer('two runs “α”.csv', 'text/csv', new TextEncoder().encode('run_id,step\n'));
    expect((await request(server.port, 'GET', `/download/${f.fileId}`, {})).status).toBe(401);
    const r = await request(server.port, 'GET', `/download/${f.fileId}`, cookie());
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('run_id,step\n');
    expect(r.headers['content-type']).toBe('text/csv');
    expect(r.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('two runs “α”.csv')}`);
    expect((await request(server.port, 'GET', `/download/${f.fileId}`, cookie())).status).toBe(404);
  });

  it('forgets exports after their time, and refuses ids that are not ids', async () => {
    const f = transfers.offer('x.csv', 'text/csv', new Uint8Array(1));
    clock += TRANSFER_TTL_MS + 1;
    expect((await request(server.port, 'GET', `/download/${f.fileId}`, cookie())).status).toBe(404);
    expect((await request(server.port, 'GET', '/download/..%2F..%2Fetc%2Fpasswd', cookie())).status).toBe(404);
  });
});
