/**
 * Optional float64 matrix product on onnxruntime-node's CPU kernels, for callers that can await level-3
 * work (issue 5). onnxruntime is imported lazily so that nothing loads it unless asked; when it is missing
 * or fails to start, {@link loadFloat64Matmul} resolves to null and the caller keeps its TypeScript kernels.
 * The linalg solvers are synchronous and stay pure: {@link loadSyncFloat64Gemm} gives them a synchronous product
 * to install (linalg's installFloat64Gemm).
 */
import { createRequire } from 'node:module';
import type { InferenceSession } from 'onnxruntime-node';
import type { Float64Gemm } from '../linalg';
import { GraphBuilder } from './onnx/graphBuilder';
import { nativeCall, nativeCallAsync } from '../nativeGuard';

type SessionOptions = InferenceSession.SessionOptions;

/** C = A B in float64 on onnxruntime; one cached session per shape. */
export interface Float64Matmul {
  /** C [m, n] = A [m, k] · B [k, n], all row-major. */
  matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Promise<Float64Array>;
  /** Releases the cached sessions. */
  dispose(): Promise<void>;
  /** e.g. 'onnxruntime-node 1.30 CPU, 2 threads'. */
  readonly description: string;
}

/** Options of {@link loadFloat64Matmul}. */
export interface Float64MatmulOptions {
  /** Intra-op threads (default 2). */
  threads?: number;
}

/**
 * Loads onnxruntime-node and returns a float64 {@link Float64Matmul}, or null when the library cannot be
 * loaded here (the caller then falls back to TypeScript). C = A B with A [m, k], B [k, n] row-major.
 */
export async function loadFloat64Matmul(opts: Float64MatmulOptions = {}): Promise<Float64Matmul | null> {
  const options = cpuOptions('loadFloat64Matmul', opts.threads ?? 2);
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    return null;
  }
  const sessions = new Map<string, Promise<import('onnxruntime-node').InferenceSession>>();
  const session = (m: number, k: number, n: number): Promise<import('onnxruntime-node').InferenceSession> => {
    const key = `${m}x${k}x${n}`;
    let s = sessions.get(key);
    if (s === undefined) {
      const g = new GraphBuilder('float64');
      const c = g.op('MatMul', [g.input('A', [m, k]), g.input('B', [k, n])]);
      g.output(c, 'C');
      s = nativeCallAsync(() => ort.InferenceSession.create(g.build('float64_matmul'), options));
      sessions.set(key, s);
    }
    return s;
  };
  return {
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} CPU, ${options.intraOpNumThreads} thread${options.intraOpNumThreads > 1 ? 's' : ''}`,
    async matmul(a, b, m, k, n) {
      for (const [name, v] of [
        ['m', m],
        ['k', k],
        ['n', n],
      ] as const) {
        if (!Number.isInteger(v) || v < 1) throw new RangeError(`float64Matmul: ${name} must be a positive integer, got ${v}`);
      }
      if (a.length !== m * k) throw new RangeError(`float64Matmul: a has ${a.length} entries, expected ${m * k} for shape [${m}, ${k}]`);
      if (b.length !== k * n) throw new RangeError(`float64Matmul: b has ${b.length} entries, expected ${k * n} for shape [${k}, ${n}]`);
      const s = await session(m, k, n);
      const out = await nativeCallAsync(() => s.run({ A: new ort.Tensor('float64', a, [m, k]), B: new ort.Tensor('float64', b, [k, n]) }));
      const c = out.C;
      if (c === undefined) throw new Error('float64Matmul: the session returned no C');
      return c.data as Float64Array;
    },
    async dispose() {
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) await (await s).release();
    },
  };
}

/**
 * The float64 product of the synchronous solvers (the divide-and-conquer eigensolver's merges,
 * linalg/tridiagonalDc.ts) on onnxruntime's CPU kernels, or null where onnxruntime-node cannot be loaded. It
 * runs on the calling thread (`threads` intra-op threads, the caller counted) through the binding's
 * synchronous session: one session for every shape (its dimensions are symbolic) and one more for a product
 * plus an addend, the inputs read where they lie and the result written into the caller's array. At n = 1000
 * it multiplies at ~35 GFLOP/s on one thread against ~6 for our WebAssembly kernels.
 */
export function loadSyncFloat64Gemm(threads = 1): Float64Gemm | null {
  // No arena: a product's intermediate (the sum's A·B) goes back to the system after each run instead of
  // staying held by the session between the eigensolver's rare calls.
  const options = { ...cpuOptions('loadSyncFloat64Gemm', threads), enableCpuMemArena: false, enableMemPattern: false };
  let ort: typeof import('onnxruntime-node');
  let product: SyncSession;
  let productAdd: SyncSession;
  try {
    const require = createRequire(import.meta.url);
    ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const native = require('onnxruntime-node/dist/binding') as { initOrt(): void; binding: { InferenceSession: new () => SyncSession } };
    native.initOrt();
    const load = (withC: boolean): SyncSession => {
      const g = new GraphBuilder('float64');
      const ab = g.op('MatMul', [g.input('A', null), g.input('B', null)]);
      g.output(withC ? g.op('Add', [ab, g.input('C', null)]) : ab, 'Y');
      const model = g.build(withC ? 'float64_gemm_add' : 'float64_gemm');
      const s = new native.binding.InferenceSession();
      nativeCall(() => s.loadModel(model.buffer, model.byteOffset, model.byteLength, options));
      return s;
    };
    product = load(false);
    productAdd = load(true);
  } catch {
    return null;
  }
  return (a, b, m, k, n, out, c) => {
    if (a.length !== m * k || b.length !== k * n || out.length !== m * n || (c !== undefined && c.length !== m * n)) {
      const with_ = c !== undefined ? ` + [${m}, ${n}]` : '';
      throw new RangeError(
        `syncFloat64Gemm: [${m}, ${k}]·[${k}, ${n}]${with_} does not fit arrays of ${[a, b, out, ...(c ? [c] : [])].map((x) => x.length).join(', ')} entries`,
      );
    }
    const feeds: Record<string, unknown> = { A: new ort.Tensor('float64', a, [m, k]), B: new ort.Tensor('float64', b, [k, n]) };
    if (c !== undefined) feeds.C = new ort.Tensor('float64', c, [m, n]);
    nativeCall(() => (c !== undefined ? productAdd : product).run(feeds, { Y: new ort.Tensor('float64', out, [m, n]) }, {}));
  };
}

/** The part of onnxruntime-node's native session that the synchronous product uses. */
interface SyncSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): unknown;
}

/** The CPU session options of both products: `threads` intra-op threads (checked, named after `who`), in sequence. */
function cpuOptions(who: string, threads: number): SessionOptions & { intraOpNumThreads: number } {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`${who}: threads must be a positive integer, got ${threads}`);
  return { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
}
