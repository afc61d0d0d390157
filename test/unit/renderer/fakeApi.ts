/** A scripted in-memory WorkbenchApi for store and component tests. */
import type { EventChannel, EventMap, InvokeChannel } from '../../../src/shared/api/contract';
import type { Result } from '../../../src/shared/api/result';
import type { ConnectedApi, ConnectionState } from '../../../src/renderer/src/api/client';

export interface FakeApi extends ConnectedApi {
  calls: { channel: InvokeChannel; req: unknown }[];
  handlers: Partial<Record<InvokeChannel, (req: unknown) => Result<unknown>>>;
  emit<K extends EventChannel>(channel: K, payload: EventMap[K]): void;
  setConnection(s: ConnectionState): void;
}

export function fakeApi(handlers: FakeApi['handlers'] = {}): FakeApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const connListeners = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = 'connected';
  const api: FakeApi = {
    calls: [],
    handlers,
    invoke(channel, req) {
      api.calls.push({ channel, req });
      const h = api.handlers[channel];
      const r = h ? h(req) : { ok: false as const, error: { code: 'internal' as const, message: `no fake for ${channel}` } };
      return Promise.resolve(r as never);
    },
    on(channel, listener) {
      let s = listeners.get(channel);
      if (!s) listeners.set(channel, (s = new Set()));
      s.add(listener as (p: unknown) => void);
      return () => s.delete(listener as (p: unknown) => void);
    },
    emit(channel, payload) {
      for (const l of listeners.get(channel) ?? []) l(payload);
    },
    connection: () => state,
    onConnection(l) {
      connListeners.add(l);
      return () => connListeners.delete(l);
    },
    setConnection(s) {
      state = s;
      for (const l of connListeners) l(s);
    },
    close: () => undefined,
  };
  return api;
}
