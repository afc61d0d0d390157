/**
 * One API call a panel makes on demand, with its loading flag, error message and last result. A newer call
 * supersedes an older one still in flight (its answer is dropped), so a slider can fire calls freely.
 */
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { InvokeChannel, InvokeMap } from '../../../shared/api/contract';
import { getApi } from '../api/current';

/** State and trigger of one channel's calls. */
export interface Invocation<K extends InvokeChannel> {
  result: ShallowRef<InvokeMap[K]['res'] | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  /** calls the channel; resolves when this call (or a newer one) has finished */
  run(req: InvokeMap[K]['req']): Promise<void>;
}

/** Creates the call state for `channel` (see the module doc). */
export function useInvoke<K extends InvokeChannel>(channel: K): Invocation<K> {
  const result = shallowRef<InvokeMap[K]['res'] | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let latest = 0;
  async function run(req: InvokeMap[K]['req']): Promise<void> {
    const mine = ++latest;
    loading.value = true;
    error.value = null;
    const r = await getApi().invoke(channel, req);
    if (mine !== latest) return;
    loading.value = false;
    if (r.ok) result.value = r.value;
    else error.value = r.error.message;
  }
  return { result, loading, error, run };
}
