import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { attachIpc, isTrustedRendererUrl } from '../../../../src/main/electron/ipcAdapter';
import { IPC_EVENT, IPC_INVOKE } from '../../../../src/shared/api/contract';
import { buildBridge } from '../../../../src/preload/bridge';

/** In-memory ipcMain / ipcRenderer pair joined by an emitter; no Electron involved. */
function fakeIpc(frameUrl: string) {
  const handlers = new Map<string, (event: { senderFrame: { url: string } }, ...args: unknown[]) => Promise<unknown>>();
  const toRenderer = new EventEmitter();
  const ipcMain = {
    handle: (c: string, h: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>) => void handlers.set(c, h),
    removeHandler: (c: string) => void handlers.delete(c),
  };
  const ipcRenderer = {
    invoke: (c: string, ...args: unknown[]) => handlers.get(c)!({ senderFrame: { url: frameUrl } }, ...args),
    on: (c: string, l: (...a: unknown[]) => void) => toRenderer.on(c, l),
    removeListener: (c: string, l: (...a: unknown[]) => void) => toRenderer.off(c, l),
  };
  const sink = { send: (c: string, ...args: unknown[]) => void toRenderer.emit(c, {}, ...args), isDestroyed: () => false };
  return { ipcMain, ipcRenderer, sink, handlers };
}

function fakeApi() {
  const events = new EventEmitter();
  return {
    events,
    invokeUnknown: async (channel: unknown, req: unknown) => ({ ok: true, value: { channel, req } }),
    invoke: async () => ({ ok: true, value: null }),
    on: (c: string, l: (p: unknown) => void) => {
      events.on(c, l);
      return () => events.off(c, l);
    },
  };
}

describe('attachIpc() + buildBridge()', () => {
  it('carries invokes from the bridge to the service and events back', async () => {
    const ipc = fakeIpc('app://workbench/index.html');
    const api = fakeApi();
    const dispose = attachIpc(ipc.ipcMain, api as never, () => ipc.sink);
    const bridge = buildBridge(ipc.ipcRenderer);
    expect(await bridge.invoke('run:stop', { runId: 'r1' })).toEqual({ ok: true, value: { channel: 'run:stop', req: { runId: 'r1' } } });
    const seen: unknown[] = [];
    const off = bridge.on('run:status', (p) => seen.push(p));
    api.events.emit('run:status', { runId: 'r1', status: 'finished', reason: 'done' });
    api.events.emit('run:progress', { runId: 'r1' });
    expect(seen).toEqual([{ runId: 'r1', status: 'finished', reason: 'done' }]);
    off();
    dispose();
    expect(ipc.handlers.has(IPC_INVOKE)).toBe(false);
  });

  it('refuses calls from frames that are not our renderer', async () => {
    const ipc = fakeIpc('https://evil.example/');
    attachIpc(ipc.ipcMain, fakeApi() as never, () => ipc.sink);
    const r = (await buildBridge(ipc.ipcRenderer).invoke('app:info', undefined)) as { ok: boolean; error?: { code: string } };
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('forbidden');
  });

  it('does not pass channels outside the allowlist', async () => {
    const ipc = fakeIpc('app://workbench/index.html');
    const api = fakeApi();
    attachIpc(ipc.ipcMain, api as never, () => ipc.sink);
    const bridge = buildBridge(ipc.ipcRenderer);
    const r = (await bridge.invoke('shell:exec' as never, {} as never)) as { ok: boolean };
    expect(r.ok).toBe(false);
    expect(() => bridge.on('secret:event' as never, () => {})).toThrow(/unknown event channel/);
    expect(IPC_EVENT).toBe('workbench:event');
  });

  it('trusts only app://workbench URLs', () => {
    expect(isTrustedRendererUrl('app://workbench/index.html')).toBe(true);
    expect(isTrustedRendererUrl('file:///etc/passwd')).toBe(false);
    expect(isTrustedRendererUrl('app://other/index.html')).toBe(false);
    expect(isTrustedRendererUrl(null)).toBe(false);
  });
});
