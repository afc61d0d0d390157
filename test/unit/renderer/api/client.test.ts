import { describe, expect, it } from 'vitest';
import { createBridgeApi, createWsApi } from '../../../../src/renderer/src/api/client';
import type { SocketLike } from '../../../../src/renderer/src/api/client';

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

function setup(backoffMs = [10, 20, 40]) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const api = createWsApi('ws://127.0.0.1:1/ws', {
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
