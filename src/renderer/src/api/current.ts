/**
 * The one API instance the stores use. main.ts installs the real client; tests install a fake.
 */
import type { ConnectedApi } from './client';

let current: ConnectedApi | null = null;

/** Installs the API the stores talk to. */
export function setApi(api: ConnectedApi): void {
  current = api;
}

/** The installed API; throws if main.ts (or a test) has not installed one. */
export function getApi(): ConnectedApi {
  if (!current) throw new Error('no WorkbenchApi installed: call setApi() first');
  return current;
}
