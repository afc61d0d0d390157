/**
 * Builds `window.workbench` from the contract's allowlists (no electron import here, so it is testable).
 * Only allowlisted channels pass; nothing else of ipcRenderer is exposed.
 */
import {
  IPC_EVENT,
  IPC_INVOKE,
  isEventChannel,
  isInvokeChannel,
  type EventChannel,
  type EventMap,
  type InvokeChannel,
  type InvokeMap,
} from '../shared/api/contract';
import type { Result } from '../shared/api/result';

/** The parts of ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** What the renderer sees as window.workbench. */
export interface WorkbenchBridge {
  invoke<K extends InvokeChannel>(channel: K, req: InvokeMap[K]['req']): Promise<Result<InvokeMap[K]['res']>>;
  on<K extends EventChannel>(channel: K, listener: (payload: EventMap[K]) => void): () => void;
}

/** Creates the bridge object over an ipcRenderer. */
export function buildBridge(ipc: IpcRendererLike): WorkbenchBridge {
  return {
    invoke(channel, req) {
      if (!isInvokeChannel(channel)) {
        return Promise.resolve({ ok: false, error: { code: 'invalid-request', message: `unknown channel ${String(channel)}` } });
      }
      return ipc.invoke(IPC_INVOKE, channel, req) as Promise<Result<never>>;
    },
    on(channel, listener) {
      if (!isEventChannel(channel)) throw new Error(`unknown event channel ${String(channel)}`);
      const wrapped = (_e: unknown, ch: unknown, payload: unknown): void => {
        if (ch === channel) listener(payload as never);
      };
      ipc.on(IPC_EVENT, wrapped as (event: unknown, ...args: unknown[]) => void);
      return () => void ipc.removeListener(IPC_EVENT, wrapped as (event: unknown, ...args: unknown[]) => void);
    },
  };
}
