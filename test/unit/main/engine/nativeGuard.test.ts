import { afterEach, describe, expect, it } from 'vitest';
import { installNativeGuard, nativeCall, nativeCallAsync, nativeGuardBuffer } from '../../../../src/main/engine/nativeGuard';
import { claimForTermination, NATIVE_CLAIMED } from '../../../../src/main/engine/protocol';

afterEach(() => installNativeGuard(null));

function guard(): Int32Array {
  const w = new Int32Array(new SharedArrayBuffer(4));
  installNativeGuard(w.buffer as SharedArrayBuffer);
  return w;
}

describe('the native-call guard', () => {
  it('counts the calls under way, synchronous and asynchronous, and makes them as they are without a word', async () => {
    expect(nativeCall(() => 7)).toBe(7);
    const w = guard();
    expect(nativeGuardBuffer()).toBe(w.buffer);
    expect(nativeCall(() => Atomics.load(w, 0))).toBe(1);
    expect(nativeCall(() => nativeCall(() => Atomics.load(w, 0)))).toBe(2);
    expect(() =>
      nativeCall(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Atomics.load(w, 0)).toBe(0);
    let release = (): void => {};
    const call = nativeCallAsync(() => new Promise<string>((r) => (release = () => r('done'))));
    expect(Atomics.load(w, 0)).toBe(1);
    release();
    expect(await call).toBe('done');
    expect(Atomics.load(w, 0)).toBe(0);
  });

  it('lets the host claim the worker once the calls under way have ended, and no call starts from the claim on', async () => {
    const w = guard();
    let release = (): void => {};
    const call = nativeCallAsync(() => new Promise<void>((r) => (release = r)));
    // a call under way: the claim waits (and is refused within a short bound) …
    expect(await claimForTermination(w, 20)).toBe(false);
    // … while new calls are already refused
    expect(() => nativeCall(() => 1)).toThrow(expect.objectContaining({ code: 'cancelled' }));
    await expect(nativeCallAsync(async () => 1)).rejects.toMatchObject({ code: 'cancelled' });
    const claimed = claimForTermination(w, 5000);
    release();
    await call;
    expect(await claimed).toBe(true);
    expect(Atomics.load(w, 0)).toBe(NATIVE_CLAIMED);
    expect(() => nativeCall(() => 1)).toThrow(/the engine is shutting down/);
    // claiming again is a no-op
    expect(await claimForTermination(w, 1)).toBe(true);
  });
});
