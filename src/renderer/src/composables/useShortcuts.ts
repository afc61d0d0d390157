/**
 * Keyboard shortcuts: Space = run / pause, S or → = step, Esc = stop (or close the open help), ? = the
 * shortcuts help. Ignored while typing in a form control, when a modifier key is held (so browser
 * shortcuts keep working), and for keys a control already handled (a tab list's arrows).
 */
import { onBeforeUnmount, onMounted } from 'vue';

export interface ShortcutHandlers {
  toggleRun(): void;
  step(): void;
  stop(): void;
  help(): void;
}

/** The shortcuts as the help lists them (key, what it does). */
export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ['Space', 'Run, or pause the running run'],
  ['S or →', 'Step (one step, or K with ×K); from idle it starts the run paused'],
  ['Esc', 'Stop the run (closes this help first)'],
  ['← → Home End', 'Move between tabs when a tab has the focus'],
  ['?', 'Show or hide this help'],
];

/** True when a key event comes from a place where typing must not trigger shortcuts. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  return el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** Maps a key event to a shortcut action name, or null. */
export function shortcutFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'> & { defaultPrevented?: boolean },
): keyof ShortcutHandlers | null {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return null;
  if (e.key === 'Escape') return 'stop';
  if (isTypingTarget(e.target)) return null;
  if (e.key === '?') return 'help';
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
