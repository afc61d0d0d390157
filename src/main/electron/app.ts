/**
 * Electron lifecycle: one BrowserWindow with contextIsolation, sandbox and no nodeIntegration, the
 * renderer loaded from the app:// protocol (not file://) under a strict CSP, navigation and new windows
 * blocked, permissions denied, and the IPC adapter with a sender check on every call.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkbenchService } from '../services/workbench';
import { resolveDataDir } from '../services/dataDir';
import type { WorkerLocator } from '../services/engineHost';
import { SECURITY_HEADERS } from '../server/security';
import { attachIpc, isTrustedRendererUrl } from './ipcAdapter';
import { electronDialogs } from './dialogs';

const SCHEME = 'app';
const HOST = 'workbench';

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);

function dataDirFlag(argv: string[]): string | undefined {
  const i = argv.indexOf('--data-dir');
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith('--data-dir='));
  return eq?.slice('--data-dir='.length);
}

/** Starts the desktop app. `rendererDir` holds the built renderer; `worker` locates the bundled engine worker. */
export function startElectronApp(opts: { rendererDir: string; preload: string; worker: WorkerLocator }): void {
  let win: BrowserWindow | null = null;
  let service: WorkbenchService | null = null;

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isTrustedRendererUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isTrustedRendererUrl(url)) event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(async () => {
    const root = path.resolve(opts.rendererDir);
    protocol.handle(SCHEME, (request) => {
      const url = new URL(request.url);
      if (url.host !== HOST) return new Response('Not found', { status: 404 });
      const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
      const file = path.resolve(root, '.' + path.posix.normalize(rel));
      if (!file.startsWith(root + path.sep)) return new Response('Forbidden', { status: 403 });
      return net.fetch(pathToFileURL(file).toString());
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [SECURITY_HEADERS['Content-Security-Policy']!] } });
    });

    const dataDir = resolveDataDir({ flag: dataDirFlag(process.argv), env: process.env });
    service = new WorkbenchService({ mode: 'electron', dataDir, worker: opts.worker, log: (m) => console.error(`[workbench] ${m}`), dialogs: electronDialogs(() => win) });
    await service.start();
    attachIpc(ipcMain, service, () => (win ? win.webContents : null));

    win = new BrowserWindow({
      width: 1440,
      height: 900,
      minWidth: 1280,
      minHeight: 720,
      title: 'NTK Workbench',
      show: false,
      webPreferences: {
        preload: opts.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        disableBlinkFeatures: 'Auxclick',
      },
    });
    win.once('ready-to-show', () => win?.show());
    void win.loadURL(`${SCHEME}://${HOST}/index.html`);
    win.on('closed', () => {
      win = null;
    });
  });

  app.on('window-all-closed', () => {
    void (async () => {
      await service?.dispose();
      app.quit();
    })();
  });
}
