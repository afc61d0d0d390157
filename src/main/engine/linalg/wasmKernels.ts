/**
 * How the WebAssembly kernels of this folder are loaded. Their source is kernels/*.wat; `npm run kernels`
 * assembles them into kernels/wasm.generated.ts (bytes, so that the engine reads no files). Each module is
 * compiled once per thread; its instances, each with a memory of its own, are owned by the solver that uses
 * them (a matrix and its vectors live in that memory for the whole solve) and handed back when it is done.
 */

/** A compiled kernel module, compiled on first use. */
export function compiledOnce(bytes: Uint8Array<ArrayBuffer>): () => WebAssembly.Module {
  let module: WebAssembly.Module | undefined;
  return () => (module ??= new WebAssembly.Module(bytes));
}

/** Every pool of this thread, for {@link releaseIdleKernels}. */
const pools: Array<{ drain(): void }> = [];

/**
 * Lets go of the kernel instances no solve owns now, in this thread: for a thread whose eigensolves have moved
 * elsewhere (the engine worker once a run's tracked eigenvalues go to their own thread), whose idle memories
 * (8 MB and more each at n = 1000) would otherwise stay for the rest of the run. Later solves make new ones.
 */
export function releaseIdleKernels(): void {
  for (const p of pools) p.drain();
}

/**
 * Instances of one kernel that callers own one at a time: {@link acquire} hands out a released instance
 * (or makes one) and {@link release} takes it back for the next caller. Reuse is for speed: the memory of
 * a released instance is already grown and touched, and a first touch of fresh memory costs about as much
 * as the work done in it (~22 ms per 8 MB on these VMs against a 40–200 ms eigensolve of that size). Two
 * owners never share an instance, so a solve nested inside another (the Rayleigh–Ritz step of a Lanczos
 * iteration) gets one of its own.
 */
export class InstancePool<T> {
  private readonly free: T[] = [];

  constructor(private readonly create: () => T) {
    pools.push(this);
  }

  /** Forgets the released instances (their memories go with the next garbage collection). */
  drain(): void {
    this.free.length = 0;
  }

  /** An instance for the caller alone until it passes it to {@link release}. */
  acquire(): T {
    return this.free.pop() ?? this.create();
  }

  /** Takes back an instance its owner is done with. */
  release(instance: T): void {
    this.free.push(instance);
  }
}

/**
 * The guard of a handle on a pooled instance: `check()` throws once `release()` has run, so that a handle
 * kept past its owner's release cannot read or write the next owner's matrix.
 */
export function ownership(what: string, giveBack: () => void): { check(): void; release(): void } {
  let released = false;
  return {
    check() {
      if (released) throw new Error(`${what}: used after release()`);
    },
    release() {
      if (released) return;
      released = true;
      giveBack();
    },
  };
}

/**
 * A float64 view of the first `doubles` entries of a module's memory, growing the memory only when it is
 * smaller (so views made earlier stay valid unless this call grows it).
 */
export function float64Memory(memory: WebAssembly.Memory, doubles: number): Float64Array {
  const have = memory.buffer.byteLength;
  if (doubles * 8 > have) memory.grow(Math.ceil((doubles * 8 - have) / 65536));
  return new Float64Array(memory.buffer, 0, doubles);
}
