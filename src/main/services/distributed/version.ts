/**
 * The version handshake of distributed sweeps: a worker computes a cell only for a producer of the same
 * app version and engine version, since a cell computed by other code would be a different result under
 * the same cell id. A job carries its producer's versions; a worker of other versions refuses it with a
 * message naming both ({@link versionMismatch}).
 */
import { APP_VERSION } from '../appVersion';

/**
 * The engine's revision: bump it with any change to `src/main/engine` that changes a run's numbers (a
 * new formula, another order of summation, a different generator), so that workers of old and new
 * code never mix their cells in one sweep.
 */
export const ENGINE_VERSION = '1';

/** The versions a producer stamps on its jobs and a worker compares against its own. */
export interface Versions {
  appVersion: string;
  engineVersion: string;
}

/** This process's versions. */
export function ownVersions(): Versions {
  return { appVersion: APP_VERSION, engineVersion: ENGINE_VERSION };
}

/** `app 0.1.0, engine 1` */
export function describeVersions(v: Versions): string {
  return `app ${v.appVersion}, engine ${v.engineVersion}`;
}

/** Null when the versions agree; otherwise the refusal, naming the worker's and the producer's versions. */
export function versionMismatch(worker: Versions, producer: Versions): string | null {
  if (worker.appVersion === producer.appVersion && worker.engineVersion === producer.engineVersion) return null;
  return `version mismatch: this worker runs ${describeVersions(worker)} but the producer runs ${describeVersions(producer)}; the worker refuses its cells (run the same NTK Workbench version on every machine)`;
}
