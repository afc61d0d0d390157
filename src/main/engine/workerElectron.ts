/**
 * The engine worker as the Electron build runs it (src/main/index.ts locates this file). electron-vite bundles
 * what a file imports into that file's chunks, and a bundled worker cannot locate another bundled entry, so
 * this file is also the symmetric products' helper thread (linalg/symvHelper.ts), the theory thread
 * (theoryThread.ts) and the tracked-eigenvalue thread (eigenThread.ts): started with one of their workerData
 * it runs that, else the engine worker, which starts those threads from this same file. From
 * the TypeScript sources (CLI, browser mode, tests, bench) the worker starts through workerEntry.mjs instead,
 * and the helpers through linalg/symvHelperEntry.mjs.
 */
import { workerData } from 'node:worker_threads';
import { isSymvHelperData, setSymvHelperScript } from './linalg';
import { isEigenThreadData, isTheoryThreadData, setEngineThreadScripts } from './threadScripts';

if (isSymvHelperData(workerData)) {
  await import('./linalg/symvHelper');
} else {
  setSymvHelperScript(new URL(import.meta.url));
  setEngineThreadScripts(new URL(import.meta.url));
  // Plain imports (a bundler follows string literals only).
  if (isTheoryThreadData(workerData)) await import('./theoryThread');
  else if (isEigenThreadData(workerData)) await import('./eigenThread');
  else await import('./worker');
}
