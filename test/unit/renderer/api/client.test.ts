import { describe, expect, it } from 'vitest';
import { createBridgeApi, createWsApi } from '../../../../src/renderer/src/api/client';
import type { HttpUpload, SocketLike } from '../../../../src/renderer/src/api/client';
import { INLINE_TEXT_MAX_CHARS } from '../../../../src/shared/api/upload';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(d: string): void {
    this.sent.push(d);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
}

function setup(backoffMs = [10, 20, 40], httpUpload?: HttpUpload) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const api = createWsApi('ws://127.0.0.1:1/ws', {
    ...(httpUpload ? { httpUpload } : {}),
    createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    backoffMs,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  return { api, sockets, timers };
}

describe('createWsApi()', () => {
  it('queues an invoke made while connecting and sends it once the socket opens', async () => {
    const { api, sockets } = setup();
    expect(api.connection()).toBe('connecting');
    const p = api.invoke('app:info', undefined);
    expect(sockets[0]!.sent).toHaveLength(0);
    sockets[0]!.open();
    expect(api.connection()).toBe('connected');
    const msg = JSON.parse(sockets[0]!.sent[0]!) as { t: string; id: number; channel: string };
    expect(msg).toMatchObject({ t: 'invoke', channel: 'app:info' });
    sockets[0]!.receive({ t: 'result', id: msg.id, result: { ok: true, value: { appVersion: '9' } } });
    await expect(p).resolves.toEqual({ ok: true, value: { appVersion: '9' } });
  });

  it('resolves pending invokes as io-error Results when the socket closes, then reconnects with backoff', async () => {
    const { api, sockets, timers } = setup([10, 20]);
    const states: string[] = [];
    api.onConnection((s) => states.push(s));
    sockets[0]!.open();
    const p = api.invoke('run:list', undefined);
    sockets[0]!.drop();
    const r = await p;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('io-error');
    expect(api.connection()).toBe('disconnected');
    expect(timers.map((t) => t.ms)).toEqual([10]);
    timers[0]!.fn();
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    expect(timers.map((t) => t.ms)).toEqual([10, 20]);
    timers[1]!.fn();
    sockets[2]!.drop();
    // the last delay repeats
    expect(timers.map((t) => t.ms)).toEqual([10, 20, 20]);
    timers[2]!.fn();
    sockets[3]!.open();
    expect(states).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('answers an invoke made while disconnected at once with an io-error Result', async () => {
    const { api, sockets } = setup();
    sockets[0]!.open();
    sockets[0]!.drop();
    const r = await api.invoke('app:info', undefined);
    expect(r).toMatchObject({ ok: false, error: { code: 'io-error' } });
  });

  it('delivers events to the listeners of their channel until unsubscribed', () => {
    const { api, sockets } = setup();
    sockets[0]!.open();
    const got: unknown[] = [];
    const off = api.on('run:status', (p) => got.push(p));
    api.on('run:progress', () => got.push('wrong channel'));
    sockets[0]!.receive({ t: 'event', channel: 'run:status', payload: { runId: 'a', status: 'running', reason: null } });
    off();
    sockets[0]!.receive({ t: 'event', channel: 'run:status', payload: { runId: 'b', status: 'running', reason: null } });
    expect(got).toEqual([{ runId: 'a', status: 'running', reason: null }]);
  });

  it('ignores results for unknown ids and malformed messages', async () => {
    const { api, sockets } = setup();
    sockets[0]!.open();
    const p = api.invoke('app:info', undefined);
    sockets[0]!.onmessage?.({ data: 'not json' });
    sockets[0]!.receive({ t: 'result', id: 999, result: { ok: true, value: 1 } });
    const id = (JSON.parse(sockets[0]!.sent[0]!) as { id: number }).id;
    sockets[0]!.receive({ t: 'result', id, result: { ok: true, value: 2 } });
    await expect(p).resolves.toEqual({ ok: true, value: 2 });
  });
});

describe('createBridgeApi()', () => {
  it('turns a bridge exception into an internal-error Result', async () => {
    const api = createBridgeApi({ invoke: () => Promise.reject(new Error('boom')), on: () => () => undefined });
    const r = await api.invoke('app:info', undefined);
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(api.connection()).toBe('connected');
  });
});

describe('createWsApi() and data files (issue 21, item 2)', () => {
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('uploads a long csvText once, over HTTP, and sends its id instead of the text (theory preview and Run alike)', async () => {
    const uploads: { kind: string; name: string; bytes: number }[] = [];
    const http: HttpUpload = async (kind, name, bytes) => {
      uploads.push({ kind, name, bytes: bytes.length });
      return { ok: true, value: { uploadId: `up-${'a'.repeat(23)}${uploads.length}`, kind, name, bytes: bytes.length } };
    };
    const { api, sockets } = setup([10], http);
    sockets[0]!.open();
    const csvText = '0.5,0.25\n'.repeat(Math.ceil(INLINE_TEXT_MAX_CHARS / 9) + 10);
    const config = { dataset: 'csv', samples: 4, csvText, csvName: 'big.csv' };
    const p1 = api.invoke('theory:compute', { config });
    await tick();
    const p2 = api.invoke('run:start', { config, sessionId: 's1' });
    await tick();
    expect(uploads).toEqual([{ kind: 'csv', name: 'big.csv', bytes: csvText.length }]);
    const sent = sockets[0]!.sent.map((x) => JSON.parse(x));
    expect(sent).toEqual([
      {
        t: 'invoke',
        id: 1,
        channel: 'theory:compute',
        req: { config: { dataset: 'csv', samples: 4, csvName: 'big.csv' }, uploads: { csvText: `up-${'a'.repeat(23)}1` } },
      },
      {
        t: 'invoke',
        id: 2,
        channel: 'run:start',
        req: { config: { dataset: 'csv', samples: 4, csvName: 'big.csv' }, sessionId: 's1', uploads: { csvText: `up-${'a'.repeat(23)}1` } },
      },
    ]);
    for (const m of sent) expect(JSON.stringify(m).length).toBeLessThan(1000);
    sockets[0]!.receive({ t: 'result', id: 1, result: { ok: true, value: 1 } });
    sockets[0]!.receive({ t: 'result', id: 2, result: { ok: true, value: 2 } });
    expect(await p1).toEqual({ ok: true, value: 1 });
    expect(await p2).toEqual({ ok: true, value: 2 });
  });

  it('shares one upload between the CSV check, the preview and Run asking for the same text at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const uploads: string[] = [];
    const http: HttpUpload = async (kind, name, bytes) => {
      uploads.push(name);
      await gate;
      return { ok: true, value: { uploadId: `up-${'b'.repeat(24)}`, kind, name, bytes: bytes.length } };
    };
    const { api, sockets } = setup([10], http);
    sockets[0]!.open();
    const csvText = '1,2\n'.repeat(Math.ceil(INLINE_TEXT_MAX_CHARS / 4) + 10);
    void api.invoke('csv:inspect', { config: { csvText, csvName: 'big.csv' } });
    void api.invoke('theory:compute', { config: { dataset: 'csv', csvText, csvName: 'big.csv' } });
    await tick();
    release();
    await tick();
    await tick();
    expect(uploads).toEqual(['big.csv']);
    const sent = sockets[0]!.sent.map((x) => JSON.parse(x) as { channel: string; req: { config: object; uploads: object } });
    expect(sent.map((m) => m.channel)).toEqual(['csv:inspect', 'theory:compute']);
    expect(sent[0]!.req).toEqual({ config: { csvName: 'big.csv' }, uploads: { csvText: `up-${'b'.repeat(24)}` } });
    expect(sent[1]!.req.uploads).toEqual({ csvText: `up-${'b'.repeat(24)}` });
  });

  it('uploads again when the server has forgotten the upload (it restarted), and sends short texts inline', async () => {
    let n = 0;
    const http: HttpUpload = async (kind, name, bytes) => ({
      ok: true,
      value: { uploadId: `up-${String(++n).padStart(24, '0')}`, kind, name, bytes: bytes.length },
    });
    const { api, sockets } = setup([10], http);
    sockets[0]!.open();
    const config = { dataset: 'csv', csvText: 'x'.repeat(INLINE_TEXT_MAX_CHARS + 1) };
    const p = api.invoke('theory:compute', { config });
    await tick();
    const first = JSON.parse(sockets[0]!.sent[0]!);
    sockets[0]!.receive({
      t: 'result',
      id: first.id,
      result: { ok: false, error: { code: 'not-found', message: 'no csv upload', details: { uploadId: first.req.uploads.csvText } } },
    });
    await tick();
    await tick();
    const second = JSON.parse(sockets[0]!.sent[1]!);
    expect(second.req.uploads.csvText).toBe(`up-${'0'.repeat(23)}2`);
    sockets[0]!.receive({ t: 'result', id: second.id, result: { ok: true, value: 'theory' } });
    expect(await p).toEqual({ ok: true, value: 'theory' });
    api.invoke('theory:compute', { config: { dataset: 'csv', csvText: '1,2\n' } });
    expect(JSON.parse(sockets[0]!.sent[2]!).req).toEqual({ config: { dataset: 'csv', csvText: '1,2\n' } });
  });

  it('sends upload:put over HTTP, never in a socket message, and passes its failure on', async () => {
    const http: HttpUpload = async () => ({ ok: false, error: { code: 'too-large', message: 'upload: above the limit' } });
    const { api, sockets } = setup([10], http);
    sockets[0]!.open();
    const r = await api.invoke('upload:put', { kind: 'csv', name: 'a.csv', bytes: new Uint8Array(3) });
    expect(r).toEqual({ ok: false, error: { code: 'too-large', message: 'upload: above the limit' } });
    expect(sockets[0]!.sent).toEqual([]);
  });
});
