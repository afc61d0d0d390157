/**
 * The engine's native calls and its host's terminations kept apart.
 *
 * A worker thread terminated while it is inside an onnxruntime call takes the whole process down (the binding
 * throws into the torn-down thread: "terminate called after throwing an instance of 'Napi::Error'"). The host
 * gives each engine worker one shared word (protocol.ts: NATIVE_CLAIMING, NATIVE_CLAIMED): the number of its
 * threads inside such a call. To terminate the worker the host first marks the word, after which no native
 * call starts (it fails as cancelled: the engine is being shut down), waits for the calls under way to end,
 * claims the word and only then terminates (protocol.ts: `claimForTermination`): a termination never lands
 * inside a native call, and calls made back to back cannot starve it. The engine worker hands its word to its
 * theory and tracked-eigenvalue threads. Without a word installed (tests, the engine run in-process) the calls are made as they are.
 */
import { WorkbenchException } from '../../shared/api/result';
import { NATIVE_CLAIMED, NATIVE_CLAIMING } from './protocol';

let word: Int32Array | null = null;

/** Makes this thread's native calls count in `buffer` (an Int32Array's memory, entry 0); null: uncounted. */
export function installNativeGuard(buffer: SharedArrayBuffer | null): void {
  word = buffer === null ? null : new Int32Array(buffer, 0, 1);
}

/** The memory of the word this thread counts its native calls in (for the threads it starts), or null. */
export function nativeGuardBuffer(): SharedArrayBuffer | null {
  return word === null ? null : (word.buffer as SharedArrayBuffer);
}

/** Counts this thread in; throws 'cancelled' once the host has claimed the worker for termination. */
function enter(): Int32Array | null {
  const w = word;
  if (w === null) return null;
  for (;;) {
    const v = Atomics.load(w, 0);
    if (v === NATIVE_CLAIMED || (v & NATIVE_CLAIMING) !== 0) throw new WorkbenchException('cancelled', 'the engine is shutting down: no more native calls');
    if (Atomics.compareExchange(w, 0, v, v + 1) === v) return w;
  }
}

/** Runs the synchronous native call `fn` counted in (see the module doc). */
export function nativeCall<T>(fn: () => T): T {
  const w = enter();
  try {
    return fn();
  } finally {
    if (w !== null) Atomics.sub(w, 0, 1);
  }
}

/** Runs the asynchronous native call `fn` counted in until it settles (see the module doc). */
export async function nativeCallAsync<T>(fn: () => Promise<T>): Promise<T> {
  const w = enter();
  try {
    return await fn();
  } finally {
    if (w !== null) Atomics.sub(w, 0, 1);
  }
}
