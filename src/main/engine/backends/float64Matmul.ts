/**
 * Optional float64 matrix product on onnxruntime-node's CPU kernels, for callers that can await level-3
 * work (issue 5). onnxruntime is imported lazily so that nothing loads it unless asked; when it is missing
 * or fails to start, {@link loadFloat64Matmul} resolves to null and the caller keeps its TypeScript kernels.
 * The linalg solvers are synchronous and stay pure; this helper is for async callers and measurements.
 */
import { GraphBuilder } from './onnx/graphBuilder';

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
  const threads = opts.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`loadFloat64Matmul: threads must be a positive integer, got ${threads}`);
  }
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    return null;
  }
  const options: import('onnxruntime-node').InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const sessions = new Map<string, Promise<import('onnxruntime-node').InferenceSession>>();
  const session = (m: number, k: number, n: number): Promise<import('onnxruntime-node').InferenceSession> => {
    const key = `${m}x${k}x${n}`;
    let s = sessions.get(key);
    if (s === undefined) {
      const g = new GraphBuilder('float64');
      const c = g.op('MatMul', [g.input('A', [m, k]), g.input('B', [k, n])]);
      g.output(c, 'C');
      s = ort.InferenceSession.create(g.build('float64_matmul'), options);
      sessions.set(key, s);
    }
    return s;
  };
  return {
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} CPU, ${threads} thread${threads > 1 ? 's' : ''}`,
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
      const out = await s.run({ A: new ort.Tensor('float64', a, [m, k]), B: new ort.Tensor('float64', b, [k, n]) });
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
