import type { TheoryJobInput } from './training/theoryJob';

/**
 * Where the engine's own threads find their script: the tsx bootstraps next to the sources by default; a
 * bundled engine worker (engine/workerElectron.ts, which also runs those threads) points them at itself.
 */
const scripts: { theory: URL | string; eigen: URL | string } = {
  theory: new URL('./theoryThreadEntry.mjs', import.meta.url),
  eigen: new URL('./eigenThreadEntry.mjs', import.meta.url),
};

/** The theory thread's script (engine/theoryThread.ts). */
export function theoryThreadScript(): URL | string {
  return scripts.theory;
}

/** The tracked-eigenvalue thread's script (engine/eigenThread.ts). */
export function eigenThreadScript(): URL | string {
  return scripts.eigen;
}

/** Points the theory and the tracked-eigenvalue threads at `script` (a bundle's engine worker file). */
export function setEngineThreadScripts(script: URL | string): void {
  scripts.theory = script;
  scripts.eigen = script;
}

/** What the theory thread (engine/theoryThread.ts) is started with (its workerData). */
export interface TheoryThreadData {
  theoryThread: true;
  /** threads of its symmetric products (linalg's helpers), as the run's */
  threads: number;
  /** an Int32Array's memory whose entry 0 set to 1 calls the job off (see engine/worker.ts) */
  abort?: SharedArrayBuffer;
  /** the engine worker's native-call guard (engine/nativeGuard.ts), which this thread's onnxruntime calls count in */
  guard?: SharedArrayBuffer;
}

/** What the tracked-eigenvalue thread (engine/eigenThread.ts) is started with (its workerData). */
export interface EigenThreadData {
  eigenThread: true;
  /** the engine worker's native-call guard (engine/nativeGuard.ts), which this thread's onnxruntime calls count in */
  guard?: SharedArrayBuffer;
}

/** A run's theory as a job of the engine's thread aside (engine/eigenThread.ts), beside its tracked steps' jobs. */
export interface TheoryAsideJob {
  theory: TheoryJobInput;
  /** an Int32Array's memory whose entry 0 set to 1 calls the job off (see engine/worker.ts) */
  abort: SharedArrayBuffer;
}

/** Whether a message to the thread aside is a theory job (else a tracked step's eigenvalues). */
export function isTheoryAsideJob(msg: unknown): msg is TheoryAsideJob {
  return typeof msg === 'object' && msg !== null && 'theory' in msg && 'abort' in msg;
}

/** Whether `data` (a thread's workerData) has `flag` set to true. */
function flagged(data: unknown, flag: string): boolean {
  return typeof data === 'object' && data !== null && (data as Record<string, unknown>)[flag] === true;
}

/** Whether a thread's workerData is the theory thread's. */
export function isTheoryThreadData(data: unknown): data is TheoryThreadData {
  return flagged(data, 'theoryThread');
}

/** Whether a thread's workerData is the tracked-eigenvalue thread's. */
export function isEigenThreadData(data: unknown): data is EigenThreadData {
  return flagged(data, 'eigenThread');
}
