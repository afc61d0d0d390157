/**
 * The only code in the renderer that touches `window.workbench` (Electron preload) or the browser-mode
 * WebSocket. Everything else receives a {@link ConnectedApi} and never knows which transport is underneath.
 */
import type { EventChannel, EventMap, InvokeChannel, InvokeMap, WorkbenchApi } from '../../../shared/api/contract';
import type { Result } from '../../../shared/api/result';
import { err } from '../../../shared/api/result';
import { decodeServerMessage, WS_PATH } from '../../../shared/api/wire';
import type { ServerMessage } from '../../../shared/api/wire';
import { INLINE_TEXT_MAX_CHARS, UPLOAD_PATH, type UploadInfo, type UploadKind } from '../../../shared/api/upload';

/** Transport state shown in the UI ("disconnected — reconnecting"). */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** The WorkbenchApi plus the state of the transport under it. */
export interface ConnectedApi extends WorkbenchApi {
  /** the current transport state */
  connection(): ConnectionState;
  /** calls `listener` whenever the transport state changes; returns the unsubscribe function */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** closes the transport for good (tests, page unload) */
  close(): void;
}

/** What the Electron preload exposes as `window.workbench`. */
export interface PreloadBridge {
  invoke(channel: string, req: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

/** The subset of the DOM WebSocket the client uses (so tests can pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** Sends bytes as an upload (browser mode: POST /upload) and answers the service's Result. */
export type HttpUpload = (kind: UploadKind, name: string, bytes: Uint8Array) => Promise<Result<UploadInfo>>;

export interface WsClientOptions {
  /** creates a socket for a URL (default: the browser's WebSocket) */
  createSocket?: (url: string) => SocketLike;
  /** sends an upload over HTTP (default: fetch to the page's own origin) */
  httpUpload?: HttpUpload;
  /** reconnect delays in ms; the last one repeats (default 250, 500, 1000, 2000, 4000) */
  backoffMs?: readonly number[];
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const OPEN = 1;

/** Picks the Electron bridge when `window.workbench` exists, else the same-origin WebSocket client. */
export function createApi(): ConnectedApi {
  const w = globalThis as unknown as { workbench?: PreloadBridge; location?: Location };
  if (w.workbench && typeof w.workbench.invoke === 'function') return createBridgeApi(w.workbench);
  const loc = w.location;
  const scheme = loc?.protocol === 'https:' ? 'wss' : 'ws';
  return createWsApi(`${scheme}://${loc?.host ?? '127.0.0.1'}${WS_PATH}`);
}

/**
 * Browser-mode uploads: the bytes as the body of `POST /upload?kind=K&name=N` to the page's own origin (the
 * token cookie goes with it), answered with the service's Result as JSON.
 */
export const fetchUpload: HttpUpload = async (kind, name, bytes) => {
  let res: Response;
  try {
    res = await fetch(`${UPLOAD_PATH}?kind=${encodeURIComponent(kind)}&name=${encodeURIComponent(name.slice(0, 512) || 'upload')}`, {
      method: 'POST',
      body: bytes as Uint8Array<ArrayBuffer>,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  } catch (e) {
    return err('io-error', `upload of ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return (await res.json()) as Result<UploadInfo>;
  } catch {
    return err('io-error', `upload of ${name} failed: HTTP ${res.status}`);
  }
};

/** Wraps the Electron preload bridge; its transport is always connected. */
export function createBridgeApi(bridge: PreloadBridge): ConnectedApi {
  return {
    async invoke<K extends InvokeChannel>(channel: K, req: InvokeMap[K]['req']): Promise<Result<InvokeMap[K]['res']>> {
      try {
        return (await bridge.invoke(channel, req)) as Result<InvokeMap[K]['res']>;
      } catch (e) {
        return err('internal', `${channel} failed in the bridge: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    on<K extends EventChannel>(channel: K, listener: (payload: EventMap[K]) => void): () => void {
      return bridge.on(channel, (p) => listener(p as EventMap[K]));
    },
    connection: () => 'connected',
    onConnection: () => () => undefined,
    close: () => undefined,
  };
}

/**
 * A WebSocket client for the browser-mode wire format (src/shared/api/wire.ts). It reconnects with
 * backoff; invokes made while connecting are queued, and every invoke still waiting when the socket
 * closes resolves as a Result error (code 'io-error') instead of hanging. Data files never ride in a
 * message: `upload:put` and a long `config.csvText` go over HTTP as uploads (src/shared/api/upload.ts).
 */
export function createWsApi(url: string, opts: WsClientOptions = {}): ConnectedApi {
  const createSocket = opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
  const backoff = opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : [250, 500, 1000, 2000, 4000];
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  let nextId = 1;
  let closed = false;
  let timer: unknown = null;
  const pending = new Map<number, { resolve: (r: Result<unknown>) => void; channel: string; payload: string; sent: boolean }>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState) => void>();

  const setState = (s: ConnectionState): void => {
    if (s === state) return;
    state = s;
    for (const l of stateListeners) l(s);
  };

  const failPending = (why: string): void => {
    const all = [...pending.entries()];
    pending.clear();
    for (const [, p] of all) p.resolve(err('io-error', `${p.channel}: ${why}`));
  };

  const connect = (): void => {
    if (closed) return;
    let s: SocketLike;
    try {
      s = createSocket(url);
    } catch (e) {
      scheduleReconnect(`could not open ${url}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    socket = s;
    s.onopen = () => {
      attempt = 0;
      setState('connected');
      for (const p of pending.values()) {
        if (!p.sent) {
          s.send(p.payload);
          p.sent = true;
        }
      }
    };
    s.onmessage = (ev) => handleMessage(ev.data);
    s.onerror = () => undefined;
    s.onclose = () => {
      if (socket === s) socket = null;
      scheduleReconnect('the connection to the workbench server was lost');
    };
  };

  const scheduleReconnect = (why: string): void => {
    failPending(why);
    if (closed) return;
    setState('disconnected');
    const delay = backoff[Math.min(attempt, backoff.length - 1)]!;
    attempt++;
    timer = setTimer(() => {
      timer = null;
      connect();
    }, delay);
  };

  const handleMessage = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = decodeServerMessage(data);
    } catch {
      return;
    }
    if (msg.t === 'result') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      p.resolve(msg.result);
    } else if (msg.t === 'event') {
      const set = listeners.get(msg.channel);
      if (set) for (const l of [...set]) l(msg.payload);
    }
  };

  connect();

  const httpUpload = opts.httpUpload ?? fetchUpload;
  /** the last data text uploaded, so that the theory preview and Run send it once */
  let uploaded: { text: string; uploadId: string } | null = null;
  /** an upload of a data text still in flight */
  let uploading: { text: string; result: Promise<Result<UploadInfo>> } | null = null;

  /** The long data text of a request that should go as an upload, or null (see {@link withUploadedData}). */
  function dataText(channel: InvokeChannel, req: unknown): string | null {
    if (channel !== 'run:start' && channel !== 'theory:compute' && channel !== 'csv:inspect') return null;
    const text = (req as { config?: { csvText?: unknown } } | null)?.config?.csvText;
    return typeof text === 'string' && text.length > INLINE_TEXT_MAX_CHARS ? text : null;
  }

  /**
   * A data file does not travel inside a message: a config whose csvText is long goes as an upload (once per
   * text), and the request names it in `uploads.csvText` instead.
   */
  async function withUploadedData(req: unknown, text: string): Promise<{ req: unknown } | { error: Result<never> }> {
    const r = req as { config: { csvText?: unknown; csvName?: unknown } };
    if (uploaded?.text !== text) {
      // The file check, the preview and Run may ask for the same text at once: they share one upload.
      if (uploading?.text !== text) {
        const name = typeof r.config.csvName === 'string' && r.config.csvName !== '' ? r.config.csvName : 'data.csv';
        uploading = { text, result: httpUpload('csv', name, new TextEncoder().encode(text)) };
      }
      const mine = uploading;
      const u = await mine.result;
      if (uploading === mine) uploading = null;
      if (!u.ok) return { error: u as Result<never> };
      uploaded = { text, uploadId: u.value.uploadId };
    }
    const { csvText: _dropped, ...config } = r.config;
    return { req: { ...r, config, uploads: { csvText: uploaded.uploadId } } };
  }

  function send<K extends InvokeChannel>(channel: K, req: unknown): Promise<Result<InvokeMap[K]['res']>> {
    if (closed) return Promise.resolve(err('io-error', `${channel}: the client is closed`));
    const id = nextId++;
    const payload = JSON.stringify({ t: 'invoke', id, channel, req: req ?? null });
    return new Promise((resolve) => {
      const entry = { resolve: resolve as (r: Result<unknown>) => void, channel, payload, sent: false };
      pending.set(id, entry);
      if (socket && socket.readyState === OPEN) {
        socket.send(payload);
        entry.sent = true;
      } else if (state === 'disconnected') {
        pending.delete(id);
        resolve(err('io-error', `${channel}: disconnected from the workbench server (reconnecting)`));
      }
    });
  }

  return {
    invoke<K extends InvokeChannel>(channel: K, req: InvokeMap[K]['req']): Promise<Result<InvokeMap[K]['res']>> {
      if (closed) return Promise.resolve(err('io-error', `${channel}: the client is closed`));
      if (channel === 'upload:put') {
        const u = req as InvokeMap['upload:put']['req'];
        return httpUpload(u.kind, u.name, u.bytes) as Promise<Result<InvokeMap[K]['res']>>;
      }
      const text = dataText(channel, req);
      if (text === null) return send<K>(channel, req);
      return (async () => {
        for (let attempt = 0; ; attempt++) {
          const prepared = await withUploadedData(req, text);
          if ('error' in prepared) return prepared.error;
          const r = await send<K>(channel, prepared.req);
          // The server forgets uploads when it restarts: send the data once more.
          const lost = !r.ok && r.error.code === 'not-found' && uploaded !== null && r.error.details?.uploadId === uploaded.uploadId;
          if (!lost || attempt > 0) return r;
          uploaded = null;
        }
      })();
    },
    on<K extends EventChannel>(channel: K, listener: (payload: EventMap[K]) => void): () => void {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    connection: () => state,
    onConnection(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      closed = true;
      if (timer !== null) clearTimer(timer);
      failPending('the client was closed');
      socket?.close();
      socket = null;
    },
  };
}
