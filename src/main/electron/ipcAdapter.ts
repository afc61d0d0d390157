/**
 * The Electron IPC adapter, free of any `electron` import so it can be tested with in-memory fakes.
 * One invoke channel (`workbench:invoke`) carries (channel, request) pairs checked against the contract's
 * allowlist; one event channel (`workbench:event`) carries (channel, payload). Every call checks its sender.
 */
import { EVENT_CHANNELS, IPC_EVENT, IPC_INVOKE, type EventChannel, type ServedApi } from '../../shared/api/contract';
import { err, type Result } from '../../shared/api/result';

/** The parts of ipcMain the adapter uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The window the events go to. */
export interface EventSink {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** True if a frame URL belongs to our renderer (the app:// protocol), never a remote page. */
export function isTrustedRendererUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'workbench';
  } catch {
    return false;
  }
}

/** Wires the service to ipcMain and forwards events to the sink; returns a disposer. */
export function attachIpc(ipcMain: IpcMainLike, api: ServedApi, sink: () => EventSink | null): () => void {
  ipcMain.handle(IPC_INVOKE, async (event, channel, req): Promise<Result<unknown>> => {
    if (!isTrustedRendererUrl(event.senderFrame?.url)) return err('forbidden', 'IPC from an untrusted frame');
    return (await api.invokeUnknown(channel, req)) as Result<unknown>;
  });
  const offs = EVENT_CHANNELS.map((channel: EventChannel) =>
    api.on(channel, (payload) => {
      const s = sink();
      if (s && !s.isDestroyed()) s.send(IPC_EVENT, channel, payload);
    }),
  );
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    for (const off of offs) off();
  };
}
