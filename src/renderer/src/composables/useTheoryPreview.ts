/**
 * Keeps the theory preview following the form: a valid config is sent to theory:compute after a short
 * pause in typing (one computation per edit burst, not per key); an invalid one clears the preview at once.
 * Installed once, by the workbench view, so the preview also follows the form while a run is shown (the
 * form's step-size warning needs it).
 */
import { computed, onBeforeUnmount, watch } from 'vue';
import type { ComputedRef } from 'vue';
import { useConfigStore } from '../stores/config';
import { useAppStore } from '../stores/app';
import { configKey, useTheoryStore } from '../stores/theory';

/** Debounce of the preview after the last edit (ms). */
export const PREVIEW_DELAY_MS = 400;

/** Starts following the form; returns whether the preview on hand belongs to the form's current config. */
export function useTheoryPreview(): ComputedRef<boolean> {
  const config = useConfigStore();
  const theory = useTheoryStore();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const key = computed(() => (config.parsed.config ? configKey(config.parsed.config) : null));
  watch(
    key,
    (k) => {
      if (timer) clearTimeout(timer);
      timer = null;
      const c = config.parsed.config;
      if (k === null || !c) {
        theory.clear();
        return;
      }
      if (theory.forKey === k) return;
      timer = setTimeout(() => void theory.compute(c), PREVIEW_DELAY_MS);
    },
    { immediate: true },
  );
  // A preview lost with the connection is asked again once the server is back.
  const app = useAppStore();
  watch(
    () => app.connection,
    (now) => {
      const c = config.parsed.config;
      if (now === 'connected' && c && theory.error?.startsWith('io-error') && theory.forKey === key.value) void theory.compute(c);
    },
  );
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
  });
  return computed(() => key.value !== null && theory.forKey === key.value);
}

/** Whether the preview on hand belongs to the form's current config (for components that do not install it). */
export function usePreviewCurrent(): ComputedRef<boolean> {
  const config = useConfigStore();
  const theory = useTheoryStore();
  return computed(() => config.parsed.config !== null && theory.forKey === configKey(config.parsed.config));
}
