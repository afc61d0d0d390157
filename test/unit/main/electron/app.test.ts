/**
 * The desktop app's runtime hardening (issue 21, item 15), with Electron replaced by recording fakes
 * (importing the real module would try to download its binary): permission checks and device permissions
 * denied, every frame's navigation guarded, and a CSP without WebSocket sources.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const h = vi.hoisted(() => {
  const state = {
    appEvents: null as unknown as import('node:events').EventEmitter,
    ready: null as unknown as Promise<void>,
    readyResolve: () => undefined as void,
    permissionCheck: null as ((...a: unknown[]) => boolean) | null,
    devicePermission: null as ((...a: unknown[]) => boolean) | null,
    permissionRequest: null as ((...a: unknown[]) => void) | null,
    headers: null as ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null,
    errorBoxes: [] as string[][],
    quit: 0,
    windows: [] as { options: unknown; url: string | null }[],
    about: null as unknown,
    menu: null as unknown,
  };
  return state;
});

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  h.appEvents = new Emitter();
  h.ready = new Promise<void>((r) => (h.readyResolve = r));
  class BrowserWindow extends Emitter {
    webContents = new Emitter();
    constructor(options: unknown) {
      super();
      h.windows.push({ options, url: null });
    }
    loadURL(url: string) {
      h.windows[h.windows.length - 1]!.url = url;
      return Promise.resolve();
    }
  }
  return {
    app: {
      on: (ev: string, fn: (...a: unknown[]) => void) => h.appEvents.on(ev, fn),
      whenReady: () => h.ready,
      quit: () => void h.quit++,
      isPackaged: false,
      getAppPath: () => process.cwd(),
      setAboutPanelOptions: (o: unknown) => void (h.about = o),
      showAboutPanel: () => undefined,
    },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: (m: unknown) => void (h.menu = m) },
    BrowserWindow,
    dialog: { showErrorBox: (title: string, text: string) => void h.errorBoxes.push([title, text]) },
    ipcMain: { handle: () => undefined, removeHandler: () => undefined },
    net: { fetch: () => Promise.resolve(new Response('')) },
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: (...a: unknown[]) => void) => void (h.permissionRequest = fn),
        setPermissionCheckHandler: (fn: (...a: unknown[]) => boolean) => void (h.permissionCheck = fn),
        setDevicePermissionHandler: (fn: (...a: unknown[]) => boolean) => void (h.devicePermission = fn),
        webRequest: { onHeadersReceived: (fn: NonNullable<typeof h.headers>) => void (h.headers = fn) },
      },
    },
  };
});

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-electron-'));
  process.env.NTK_WORKBENCH_DATA_DIR = dataDir;
  h.errorBoxes = [];
  h.quit = 0;
  h.windows = [];
});
afterEach(() => {
  delete process.env.NTK_WORKBENCH_DATA_DIR;
});

async function started(): Promise<void> {
  const { startElectronApp } = await import('../../../../src/main/electron/app');
  startElectronApp({ rendererDir: dataDir, preload: path.join(dataDir, 'preload.cjs'), worker: () => 'unused.js' });
  h.readyResolve();
  for (let i = 0; i < 100 && h.windows.length === 0 && h.errorBoxes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
}

async function closeAll(): Promise<void> {
  h.appEvents.emit('window-all-closed');
  for (let i = 0; i < 100 && h.quit === 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('startElectronApp()', () => {
  it('denies permission checks and device permissions, guards the navigation of every frame, and sends a CSP without WebSocket sources', async () => {
    await started();
    expect(h.windows).toHaveLength(1);
    expect(h.permissionCheck!({}, 'media', 'app://workbench', {})).toBe(false);
    expect(h.permissionCheck!({}, 'clipboard-read', 'app://workbench', {})).toBe(false);
    expect(h.devicePermission!({ deviceType: 'usb', origin: 'app://workbench' })).toBe(false);
    const answers: boolean[] = [];
    h.permissionRequest!({}, 'notifications', (ok: boolean) => answers.push(ok));
    expect(answers).toEqual([false]);

    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: () => undefined });
    h.appEvents.emit('web-contents-created', {}, contents);
    const navigate = (url: string) => {
      const details = { url, isMainFrame: false, preventDefault: vi.fn() };
      contents.emit('will-frame-navigate', details);
      return details.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('app://workbench/index.html')).toBe(false);

    let csp = '';
    h.headers!({ responseHeaders: {} }, (r) => (csp = r.responseHeaders['Content-Security-Policy']![0]!));
    expect(csp).toMatch(/connect-src 'self';/);
    expect(csp).not.toMatch(/ws:|wss:/);
    expect(csp).toContain("script-src 'self'");
    await closeAll();
    expect(fs.existsSync(path.join(dataDir, 'workbench.lock'))).toBe(false);
  });

  it('gives the window and the about box the app icon of resources/, and Help an About item (issue 17)', async () => {
    await started();
    const icon = (h.windows[0]!.options as { icon: string }).icon;
    expect(icon).toBe(path.join(process.cwd(), 'resources', 'icons', '256x256.png'));
    expect(fs.existsSync(icon)).toBe(true);
    expect(h.about).toMatchObject({ applicationName: 'NTK Workbench', iconPath: icon });
    const help = (h.menu as { role?: string; submenu?: { label: string }[] }[]).find((m) => m.role === 'help');
    expect(help?.submenu?.map((i) => i.label)).toEqual(['About NTK Workbench']);
    await closeAll();
  });

  it('says why in a dialog and quits when another instance holds the data folder (issue 17)', async () => {
    const { DataDirLock } = await import('../../../../src/main/services/dataDirLock');
    const other = DataDirLock.acquire(dataDir, { mode: 'browser', url: 'http://127.0.0.1:8123/' });
    await started();
    other.release();
    expect(h.windows).toHaveLength(0);
    expect(h.errorBoxes).toEqual([['NTK Workbench cannot start', expect.stringContaining('in use by NTK Workbench (browser mode at http://127.0.0.1:8123/')]]);
    expect(h.quit).toBe(1);
  });
});
