/**
 * Keyboard shortcuts: Space = run / pause, S or → = step, Esc = stop. Ignored while typing in a form
 * control, and when a modifier key is held (so browser shortcuts keep working).
 */
import { onBeforeUnmount, onMounted } from 'vue';

export interface ShortcutHandlers {
  toggleRun(): void;
  step(): void;
  stop(): void;
}

/** True when a key event comes from a place where typing must not trigger shortcuts. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  return el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** Maps a key event to a shortcut action name, or null. */
export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>): keyof ShortcutHandlers | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return 'stop';
  if (isTypingTarget(e.target)) return null;
  if (e.key === ' ' || e.key === 'Spacebar') return 'toggleRun';
  if (e.key === 's' || e.key === 'S' || e.key === 'ArrowRight') return 'step';
  return null;
}

/** Installs the shortcuts on window for the lifetime of the calling component. */
export function useShortcuts(handlers: ShortcutHandlers): void {
  const onKey = (e: KeyboardEvent): void => {
    const action = shortcutFor(e);
    if (!action) return;
    // Space on a focused button would also click it: handle it once, here.
    e.preventDefault();
    handlers[action]();
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
