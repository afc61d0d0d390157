/**
 * Share a config (issue 15): the whole config as one compact, versioned string (src/shared/config/share.ts)
 * for "Copy config" / "Paste config", and in browser mode a link that opens the form with it
 * (`<page>#config=<string>`: the fragment never reaches the server). Pasting restores the form exactly or
 * names the key that failed validation; an older string says what changed.
 */
import { ref } from 'vue';
import { decodeConfigString, encodeConfigString } from '../../../shared/config/share';
import type { Config } from '../../../shared/config/schema';
import { useConfigStore } from '../stores/config';

/** What the last paste, link or clone did to the form (shown above the form). */
export const shareNotice = ref<{ kind: 'ok' | 'error'; text: string } | null>(null);

const LINK_PREFIX = '#config=';

/** The link that opens this page's form with `config` (browser mode). */
export function configLink(config: Config, location: { origin: string; pathname: string } = window.location): string {
  return `${location.origin}${location.pathname}${LINK_PREFIX}${encodeConfigString(config)}`;
}

/** Copies text to the clipboard where the page may; false where it may not (the text is shown to copy by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts a config string into the form. Returns null on success, else the message (for a config that fails
 * validation it names the key and the rule). Changes made by migrating an older string are reported.
 */
export function applyConfigString(text: string, source = 'the config string'): string | null {
  const r = decodeConfigString(text);
  if (!r.ok) {
    shareNotice.value = { kind: 'error', text: `Could not use ${source}: ${r.message}` };
    return r.message;
  }
  useConfigStore().loadConfig(r.config);
  const changes = r.changes.length > 0 ? ` It was written by an older version (format ${r.version}): ${r.changes.join(' ')}` : '';
  shareNotice.value = { kind: 'ok', text: `Form filled from ${source}.${changes}` };
  return null;
}

/** At start-up: a link's `#config=…` fills the form, and the fragment is removed from the address bar. */
export function applyConfigLink(): void {
  if (typeof window === 'undefined' || !window.location.hash.startsWith(LINK_PREFIX)) return;
  const text = decodeURIComponent(window.location.hash.slice(LINK_PREFIX.length));
  applyConfigString(text, 'the link');
  history.replaceState(null, '', window.location.pathname + window.location.search);
}
