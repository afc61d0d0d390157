/**
 * Theory preview: the theory for the config in the form, before any run (theory:compute). A run's own
 * theory (in its meta) takes precedence in the panel.
 */
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { Config } from '../../../shared/config/schema';
import { getApi } from '../api/current';

export const useTheoryStore = defineStore('theory', () => {
  const preview = shallowRef<unknown>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  let seq = 0;

  /** Computes the theory for a config; a later call supersedes an earlier one still in flight. */
  async function compute(config: Config): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    const r = await getApi().invoke('theory:compute', { config });
    if (mine !== seq) return;
    loading.value = false;
    if (r.ok) {
      preview.value = r.value !== null && typeof r.value === 'object' ? markRaw(r.value) : r.value;
      error.value = null;
    } else {
      preview.value = null;
      error.value = `${r.error.code}: ${r.error.message}`;
    }
  }

  return { preview, error, loading, compute };
});
