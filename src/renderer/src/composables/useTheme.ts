/**
 * The colour theme follows the system (prefers-color-scheme) and updates live when it changes.
 */
import { onBeforeUnmount, ref } from 'vue';
import type { Ref } from 'vue';
import type { ChartTheme } from '../../../shared/charts/common';

/** Returns the current theme as a ref and keeps `data-theme` on <html> in sync. */
export function useTheme(): Ref<ChartTheme> {
  const mq = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const theme = ref<ChartTheme>(mq?.matches ? 'dark' : 'light');
  const apply = (): void => {
    theme.value = mq?.matches ? 'dark' : 'light';
    if (typeof document !== 'undefined') document.documentElement.dataset.theme = theme.value;
  };
  apply();
  const onChange = (): void => apply();
  mq?.addEventListener?.('change', onChange);
  onBeforeUnmount(() => mq?.removeEventListener?.('change', onChange));
  return theme;
}
