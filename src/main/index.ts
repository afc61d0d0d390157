/** Electron entry (built by electron-vite): the engine worker is bundled and located by path. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import workerPath from './engine/workerElectron?modulePath';
import { startElectronApp } from './electron/app';

const here = path.dirname(fileURLToPath(import.meta.url));
startElectronApp({
  rendererDir: path.join(here, '../renderer'),
  preload: path.join(here, '../preload/index.cjs'),
  worker: () => workerPath,
});
