/**
 * Theory preview: the theory for the config in the form, before any run (theory:compute). A run's own
 * theory (in its meta) takes precedence in the panel.
 *
 * The preview remembers which config it was computed for (`forKey`), so the panel and the form's step-size
 * warning show it only while the form still says the same thing: no old λ's while a field is invalid or
 * the next preview is on its way, no error of an earlier config after the form changed.
 */
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { Config } from '../../../shared/config/schema';
import { getApi } from '../api/current';

/**
 * The config keys theory:compute reads (the data set it builds, κ, ν, the steps of its curve, the memory
 * limit). The other keys (width, regime, scaling, step sizes, loss normalization) only scale the preview
 * when it is read (readTheory with the form as context), so editing them needs no new computation and
 * the form's step-size warning follows every keystroke.
 */
export const PREVIEW_KEYS = [
  'dataset',
  'samples',
  'testSamples',
  'inputDim',
  'csvName',
  'normalize',
  'seed',
  'kappa',
  'nu',
  'steps',
  'memoryLimitMiB',
] as const;

/** A cheap identity of what a preview depends on (the CSV text by its length and ends, not its megabytes). */
export function configKey(c: Config): string {
  const picked: Record<string, unknown> = {};
  for (const k of PREVIEW_KEYS) picked[k] = c[k];
  const t = c.csvText;
  picked.csv = t === undefined ? null : `${t.length}:${t.slice(0, 64)}…${t.slice(-64)}`;
  return JSON.stringify(picked);
}

export const useTheoryStore = defineStore('theory', () => {
  const preview = shallowRef<unknown>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  /** configKey() of the config the preview or the error belongs to */
  const forKey = ref<string | null>(null);
  let seq = 0;

  /** Computes the theory for a config; a later call (or clear) supersedes an earlier one still in flight. */
  async function compute(config: Config): Promise<void> {
    const mine = ++seq;
    const key = configKey(config);
    loading.value = true;
    const r = await getApi().invoke('theory:compute', { config });
    if (mine !== seq) return;
    loading.value = false;
    forKey.value = key;
    if (r.ok) {
      preview.value = r.value !== null && typeof r.value === 'object' ? markRaw(r.value) : r.value;
      error.value = null;
    } else {
      preview.value = null;
      error.value = `${r.error.code}: ${r.error.message}`;
    }
  }

  /** Forgets the preview (the form is invalid): nothing old is shown and a reply in flight is dropped. */
  function clear(): void {
    seq++;
    loading.value = false;
    preview.value = null;
    error.value = null;
    forKey.value = null;
  }

  return { preview, error, loading, forKey, compute, clear };
});
