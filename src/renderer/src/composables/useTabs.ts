/**
 * The WAI-ARIA tabs pattern with automatic activation: one tab in the tab order (roving tabindex);
 * ←/→ move to the previous/next tab (wrapping), Home/End to the first/last, and the tab moved to is
 * selected and focused. The handled key's default is prevented, so the global shortcuts (→ = Step)
 * leave it alone.
 */
import { nextTick } from 'vue';

/** The index a key moves to in a tab list of `count` tabs from `index`, or null for other keys. */
export function tabTarget(key: string, index: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * Handles a keydown on a tablist: selects the tab the key moves to and focuses it (the tablist element is
 * `e.currentTarget`; the selected tab is found by aria-selected after the DOM updated).
 */
export function onTabsKeydown<T extends string>(e: KeyboardEvent, ids: readonly T[], current: T, select: (id: T) => void): void {
  const next = tabTarget(e.key, Math.max(0, ids.indexOf(current)), ids.length);
  if (next === null) return;
  e.preventDefault();
  select(ids[next]!);
  const list = e.currentTarget as HTMLElement | null;
  void nextTick(() => list?.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus());
}
