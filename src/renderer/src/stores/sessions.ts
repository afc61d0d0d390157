/**
 * Sessions store: the session new runs go to. Null = the default session (the service creates it on the
 * first run). Set from the session browser ("Use for new runs", or a session just created there).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const useSessionsStore = defineStore('sessions', () => {
  const targetId = ref<string | null>(null);
  const targetName = ref<string | null>(null);

  /** Makes a session the one new runs go to (null: back to the default session). */
  function setTarget(sessionId: string | null, name: string | null = null): void {
    targetId.value = sessionId;
    targetName.value = sessionId === null ? null : name;
  }

  return { targetId, targetName, setTarget };
});
