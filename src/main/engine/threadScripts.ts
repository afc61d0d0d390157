/**
 * Where the engine's own threads find their script: the tsx bootstraps next to the sources by default; a
 * bundled engine worker (engine/workerElectron.ts, which also runs those threads) points them at itself.
 */
let theoryScript: URL | string = new URL('./theoryThreadEntry.mjs', import.meta.url);

/** The theory thread's script (engine/theoryThread.ts). */
export function theoryThreadScript(): URL | string {
  return theoryScript;
}

/** Points the theory thread at `script` (a bundle's engine worker file). */
export function setTheoryThreadScript(script: URL | string): void {
  theoryScript = script;
}

/** What the theory thread (engine/theoryThread.ts) is started with (its workerData). */
export interface TheoryThreadData {
  theoryThread: true;
  /** threads of its symmetric products (linalg's helpers), as the run's */
  threads: number;
}

/** Whether a thread's workerData is the theory thread's. */
export function isTheoryThreadData(data: unknown): data is TheoryThreadData {
  return typeof data === 'object' && data !== null && (data as { theoryThread?: unknown }).theoryThread === true;
}

let eigenScript: URL | string = new URL('./eigenThreadEntry.mjs', import.meta.url);

/** The tracked-eigenvalue thread's script (engine/eigenThread.ts). */
export function eigenThreadScript(): URL | string {
  return eigenScript;
}

/** Points the tracked-eigenvalue thread at `script` (a bundle's engine worker file). */
export function setEigenThreadScript(script: URL | string): void {
  eigenScript = script;
}

/** What the tracked-eigenvalue thread (engine/eigenThread.ts) is started with (its workerData). */
export interface EigenThreadData {
  eigenThread: true;
}

/** Whether a thread's workerData is the tracked-eigenvalue thread's. */
export function isEigenThreadData(data: unknown): data is EigenThreadData {
  return typeof data === 'object' && data !== null && (data as { eigenThread?: unknown }).eigenThread === true;
}
