/**
 * A helper thread of the symmetric products (started by symvThreads.ts through the engine's spawner): it
 * waits for a product, takes bands of its rows (each into y or its band's slot) until none are left, and waits
 * again. From the sources it starts through symvHelperEntry.mjs (tsx); in the Electron build the bundled engine
 * worker file runs it when started with a helper's workerData (engine/workerElectron.ts).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { BANDS, CLAIM, GEN, MEMORY, runBands, SPIN_MS, symvKernel, type Symv4Fn, type SymvHelperData, type SymvMemoryMessage } from './symvRows';

const { control, id } = workerData as SymvHelperData;
const ctl = new Int32Array(control);
const port = parentPort!;

/** The memories products ran on so far, with the kernel instantiated on each. */
const memories = new Map<number, { memory: WebAssembly.Memory; symv4: Symv4Fn }>();

/**
 * The memory of id `memoryId`: the caller posts a memory before the first product on it and then announces
 * the product, so it is in the port's queue by the time the announcement is seen.
 */
function memoryFor(memoryId: number): { memory: WebAssembly.Memory; symv4: Symv4Fn } | undefined {
  for (;;) {
    const have = memories.get(memoryId);
    if (have !== undefined) return have;
    const received = receiveMessageOnPort(port);
    if (received === undefined) return undefined;
    const { memoryId: mid, memory } = received.message as SymvMemoryMessage;
    memories.set(mid, { memory, symv4: symvKernel(memory) });
  }
}

// The pool starts at generation 0; a product asked for before this thread was up is seen at once.
let seen = 0;
for (;;) {
  // Products come in runs (an iterative solver asks for one after a little work of its own): poll for a
  // short while before sleeping, since waking a sleeping thread costs about as much as a small product.
  // The sleep is timed, so that a thread whose owner is gone still ends.
  const spinUntil = performance.now() + SPIN_MS;
  while (Atomics.load(ctl, GEN) === seen && performance.now() < spinUntil);
  Atomics.wait(ctl, GEN, seen, 1000);
  const g = Atomics.load(ctl, GEN);
  if (g === -1) break;
  if (g === seen) continue;
  seen = g;
  // A wake-up ahead of a run of products (claims closed), or a product whose bands are all taken already.
  const claim = Atomics.load(ctl, CLAIM);
  if (claim >>> 16 !== g || (claim & 0xffff) >= BANDS) continue;
  const target = memoryFor(ctl[MEMORY]!);
  if (target === undefined) throw new Error(`symmetric-product helper ${id}: memory ${ctl[MEMORY]} was never sent`);
  runBands(ctl, g, new Float64Array(target.memory.buffer), target.symv4);
}
