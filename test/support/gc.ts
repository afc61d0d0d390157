/**
 * Garbage collection on demand in a test, and a probe of whether an object was collected: for tests that a
 * long-lived object (a run, a trainer) does not hold large arrays it has no more use for.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full, synchronous garbage collection (V8's `gc`, exposed in a fresh context). */
export const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Watches objects for collection without holding them: `watch(o, name)` registers o, `collected()` lists the
 * names of those collected so far (their finalizers run as tasks after a collection: await a timer first).
 */
export function collectionProbe(): { watch(o: object, name: string): void; collected(): string[] } {
  const names: string[] = [];
  const registry = new FinalizationRegistry<string>((name) => names.push(name));
  return {
    watch: (o, name) => registry.register(o, name),
    collected: () => [...names],
  };
}

/** Lets pending tasks (finalizers among them) run. */
export const nextTasks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
