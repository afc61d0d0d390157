/**
 * Electron lifecycle: one BrowserWindow with contextIsolation, sandbox and no nodeIntegration, the
 * renderer loaded from the app:// protocol (not file://) under a strict CSP without any WebSocket source
 * (the desktop renderer talks over IPC only), navigation of any frame and new windows blocked, permission
 * requests, permission checks and device permissions denied, and the IPC adapter with a sender check on
 * every call. The window and the about box carry the app icon of resources/; Help → About shows the about box.
 */
import { app, BrowserWindow, Menu, dialog, ipcMain, net, protocol, session } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkbenchService } from '../services/workbench';
import { APP_VERSION } from '../services/appVersion';
import { windowIconPath, type ResourceRoots } from './resources';
import { resolveDataDir } from '../services/dataDir';
import type { WorkerLocator } from '../services/engineHost';
import { DESKTOP_CSP } from '../../shared/api/csp';
import { attachIpc, isTrustedRendererUrl } from './ipcAdapter';
import { electronDialogs } from './dialogs';

const SCHEME = 'app';
const HOST = 'workbench';

protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

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
    // Sub-frames navigate without 'will-navigate': this event covers every frame of the page.
    contents.on('will-frame-navigate', (details) => {
      if (!isTrustedRendererUrl(details.url)) details.preventDefault();
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
    session.defaultSession.setPermissionCheckHandler(() => false);
    session.defaultSession.setDevicePermissionHandler(() => false);
    session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] } });
    });

    const roots: ResourceRoots = { packaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() };
    const icon = windowIconPath(roots);
    app.setAboutPanelOptions({
      applicationName: 'NTK Workbench',
      applicationVersion: APP_VERSION,
      version: `Electron ${process.versions.electron}`,
      credits: 'A research workbench for over-parameterized two-layer ReLU autoencoders and their neural tangent kernels.',
      copyright: 'MIT License',
      iconPath: icon,
    });
    const template: MenuItemConstructorOptions[] = [
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ label: 'About NTK Workbench', click: () => app.showAboutPanel() }] },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));

    try {
      const dataDir = resolveDataDir({ flag: dataDirFlag(process.argv), env: process.env });
      service = new WorkbenchService({
        mode: 'electron',
        dataDir,
        worker: opts.worker,
        log: (m) => console.error(`[workbench] ${m}`),
        dialogs: electronDialogs(() => win),
        standbyWorker: true,
      });
      await service.start();
    } catch (e) {
      // Another instance on this data folder, or no data folder: say why in a dialog, then quit.
      dialog.showErrorBox('NTK Workbench cannot start', e instanceof Error ? e.message : String(e));
      service = null;
      app.quit();
      return;
    }
    attachIpc(ipcMain, service, () => (win ? win.webContents : null));

    win = new BrowserWindow({
      width: 1440,
      height: 900,
      minWidth: 1280,
      minHeight: 720,
      title: 'NTK Workbench',
      icon,
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
