/**
 * App store: facts about the running app (backend, dtypes, data dir) and the transport state.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo } from '../../../shared/api/contract';
import type { ConnectionState } from '../api/client';
import { getApi } from '../api/current';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const error = ref<string | null>(null);
  const connection = ref<ConnectionState>('connecting');
  /** the keyboard shortcuts help (?) is open */
  const helpOpen = ref(false);
  /** the header's view and the workbench side panel's tab (other views switch them, e.g. "Clone with changes") */
  const view = ref<'workbench' | 'runs' | 'experiments' | 'related'>('workbench');
  const sideTab = ref<'config' | 'runs' | 'sessions'>('config');
  let unsubscribe: (() => void) | null = null;

  /** Loads app:info and follows the connection state (reloading app:info after a reconnect). */
  async function init(): Promise<void> {
    const api = getApi();
    connection.value = api.connection();
    unsubscribe?.();
    unsubscribe = api.onConnection((s) => {
      const wasDown = connection.value !== 'connected';
      connection.value = s;
      if (s === 'connected' && wasDown) void load();
    });
    await load();
  }

  async function load(): Promise<void> {
    const r = await getApi().invoke('app:info', undefined);
    if (r.ok) {
      info.value = r.value;
      error.value = null;
    } else {
      error.value = r.error.message;
    }
  }

  return { info, error, connection, helpOpen, view, sideTab, init, load };
});
