/**
 * The native CPU backend: onnxruntime-node's bundled CPU library, float32 and float64 (issue 6).
 *
 * A whole GD step is ONE graph run (onnx/trainerGraphs.ts); the parameters stay onnxruntime tensors between
 * steps (a step's outputs are the next step's inputs). The traced NTK runs as a graph fused with the next
 * GD step, so that both share Zᵀ, σ and the mask: `tracedNtk()` computes that step too and keeps it
 * pending, and the following `step()` consumes it instead of running again.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { Dtype } from '../../../shared/config/schema';
import { GraphBuilder } from './onnx/graphBuilder';
import { buildForwardGraph, buildNtkGraph, buildStepGraph, buildTiedOperatorGraph, rowBlocks, type GraphDims } from './onnx/trainerGraphs';
import { checkKernelOut, checkTrainerSpec, kernelInto } from './spec';
import { defaultThreads } from './threads';
import type { ComputeBackend, NtkOperator, TiedOperatorSpec, Trainer, TrainerSpec } from './types';
import { nativeCallAsync } from '../nativeGuard';

// onnxruntime-node is CommonJS: required, not imported, so that Node does not first scan it and the modules it
// re-exports for their names (issue 13: the engine's start).
const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /** intra-op threads (default: cores − 1, at least 1, so the UI keeps a core) */
  threads?: number;
}

type Arr = Float32Array | Float64Array;

function toDtype(a: Float64Array, dtype: Dtype): Arr {
  return dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a);
}

/** Row-major transpose of a [rows, cols] array. */
function transpose(a: ArrayLike<number>, rows: number, cols: number, out: Arr | Float64Array): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
}

type Session = Ort.InferenceSession;
export type SessionKind = 'step' | 'stepNtk' | 'stepNtkCounts' | 'forward' | 'ntk';

/**
 * How a trainer's session of this kind holds its intermediates. No session plans a memory pattern (all of a
 * run's intermediates as one block: a fresh mapping faulted in at every run). Only the plain step of a batch
 * in one row block ({@link rowBlocks}) keeps onnxruntime's arena: it runs every iteration and its intermediates
 * are small there (n = 200, m = 10 000, float64: without the arena its [n, m] values came from fresh mappings at
 * every step, the joint step ~12 → 18 ms). Where the batch is blocked (large n·m) the [nb, m] intermediates
 * come from malloc and go back after each run, so that the plain step, the tracked step's graphs and the other
 * threads reuse the same freed memory instead of each holding its own (the step's arena held ~65 MiB beside
 * the tracked graphs' ~100). Measured at n = 1000, m = 10 000, the step's arena off, 6 alternating pairs:
 * peak RSS medians 551 → 522 MiB, the steps no slower; the tracked graphs' arenas off earlier: 657–712 →
 * 610–652 MiB (issue 13).
 */
export function sessionMemory(kind: SessionKind, dims: { n: number; m: number }): { enableCpuMemArena: boolean; enableMemPattern: false } {
  return { enableCpuMemArena: kind === 'step' && rowBlocks(dims.n, dims.m) === 1, enableMemPattern: false };
}

class OnnxTrainer implements Trainer {
  private readonly dims: GraphDims;
  private readonly tensorType: 'float32' | 'float64';
  private readonly fixed: Record<string, Ort.Tensor>;
  private W: Ort.Tensor;
  private V: Ort.Tensor;
  private pending: { W: Ort.Tensor; V: Ort.Tensor; loss: number } | null = null;
  /**
   * the forward graph's result for the parameters it ran on (loss() and outputs() share one run per θ);
   * dropped when the parameters move on, so that its [n, m] pattern and old parameters (~28 MiB at n = 1000,
   * m = 10000) are not held through the steps until the next tracked one (issue 13)
   */
  private forwardOf: { W: Ort.Tensor; V: Ort.Tensor; pattern: boolean; out: Promise<Ort.InferenceSession.OnnxValueMapType> } | null = null;
  /** the pattern flips are counted against (setPatternReference), as the counting graph's input A0 */
  private patternRef: Ort.Tensor | null = null;
  private readonly sessions = new Map<string, Promise<Session>>();
  /** mini-batch step graphs by batch size */
  private readonly batchSessions = new Map<number, Promise<Session>>();
  private disposed = false;

  private readonly options: Ort.InferenceSession.SessionOptions;

  constructor(spec: TrainerSpec, options: Ort.InferenceSession.SessionOptions) {
    checkTrainerSpec(spec);
    this.options = spec.spinWait === false ? sleepingThreads(options) : options;
    const { d, n, m, dtype } = spec;
    this.dims = { d, n, m, regime: spec.regime, dtype, decoderWeight: spec.etaW > 0 ? spec.etaV / spec.etaW : 1 };
    this.tensorType = dtype;
    const Xt = new Float64Array(n * d);
    transpose(spec.X, d, n, Xt);
    const scalar = (v: number) => new ort.Tensor(dtype, dtype === 'float64' ? new Float64Array([v]) : new Float32Array([v]), []);
    const lw = spec.lossWeight;
    // Products of the hyper-parameters are formed in float64 and rounded once.
    this.fixed = {
      X: new ort.Tensor(dtype, toDtype(spec.X, dtype), [d, n]),
      Xt: new ort.Tensor(dtype, toDtype(Xt, dtype), [n, d]),
      s: scalar(spec.scale),
      cW: scalar(lw * spec.scale * spec.etaW),
      cV: scalar(lw * spec.scale * spec.etaV),
      cL: scalar(lw / 2),
    };
    this.W = new ort.Tensor(dtype, toDtype(spec.W0, dtype), [m, d]);
    if (spec.regime === 'tied') {
      const Vt = new Float64Array(d * m);
      transpose(spec.W0, m, d, Vt);
      this.V = new ort.Tensor(dtype, toDtype(Vt, dtype), [d, m]);
    } else {
      this.V = new ort.Tensor(dtype, toDtype(spec.V0, dtype), [d, m]);
    }
  }

  private session(kind: SessionKind): Promise<Session> {
    if (this.disposed) return Promise.reject(new Error('trainer was disposed'));
    let p = this.sessions.get(kind);
    if (p === undefined) {
      const model =
        kind === 'step'
          ? buildStepGraph(this.dims, false)
          : kind === 'stepNtk' || kind === 'stepNtkCounts'
            ? buildStepGraph(this.dims, true, kind === 'stepNtkCounts')
            : kind === 'forward'
              ? buildForwardGraph(this.dims)
              : buildNtkGraph(this.dims);
      p = nativeCallAsync(() => ort.InferenceSession.create(model, { ...this.options, ...sessionMemory(kind, this.dims) }));
      this.sessions.set(kind, p);
    }
    return p;
  }

  private async run(kind: SessionKind, data?: { X: Ort.Tensor; Xt: Ort.Tensor }, session?: Session): Promise<Ort.InferenceSession.OnnxValueMapType> {
    const s = session ?? (await this.session(kind));
    // The trainer's own inputs (A0 only in the graph that counts the pattern, where it is set), then the batch's
    // data where given, then the fixed ones.
    const own: Record<string, Ort.Tensor | null> = { W: this.W, V: this.V, A0: this.patternRef };
    const feeds: Record<string, Ort.Tensor> = {};
    for (const name of s.inputNames) {
      feeds[name] = own[name] ?? (data !== undefined && (name === 'X' || name === 'Xt') ? data[name] : this.fixed[name]!);
    }
    return nativeCallAsync(() => s.run(feeds));
  }

  async stepBatch(indices: Int32Array): Promise<number> {
    const { d, n } = this.dims;
    const nb = indices.length;
    if (nb < 1 || nb > n) throw new RangeError(`stepBatch: indices has ${nb} entries, expected 1..${n}`);
    if (this.disposed) throw new Error('trainer was disposed');
    const X = this.fixed.X!.data as Arr;
    const Xb = this.tensorType === 'float64' ? new Float64Array(d * nb) : new Float32Array(d * nb);
    const Xbt = this.tensorType === 'float64' ? new Float64Array(nb * d) : new Float32Array(nb * d);
    for (let k = 0; k < nb; k++) {
      const i = indices[k]!;
      if (!(i >= 0 && i < n)) throw new RangeError(`stepBatch: index ${i} at position ${k} is outside 0..${n - 1}`);
      for (let a = 0; a < d; a++) Xb[a * nb + k] = Xbt[k * d + a] = X[a * n + i]!;
    }
    let p = this.batchSessions.get(nb);
    if (p === undefined) {
      p = nativeCallAsync(() => ort.InferenceSession.create(buildStepGraph({ ...this.dims, n: nb }, false), this.options));
      this.batchSessions.set(nb, p);
    }
    const data = { X: new ort.Tensor(this.tensorType, Xb, [d, nb]), Xt: new ort.Tensor(this.tensorType, Xbt, [nb, d]) };
    // A pending full-batch step (from tracedNtk) is not the step taken now.
    this.pending = null;
    const next = this.advance(await this.run('step', data, await p));
    this.moveTo(next);
    return next.loss;
  }

  private static value(out: Ort.InferenceSession.OnnxValueMapType, name: string): Ort.Tensor {
    const t = out[name];
    if (t === undefined) throw new Error(`onnx graph returned no '${name}'`);
    return t as Ort.Tensor;
  }

  /** The parameters move on to `next`: the pending step and the forward results of the old ones are dropped. */
  private moveTo(next: { W: Ort.Tensor; V: Ort.Tensor }): void {
    this.pending = null;
    this.forwardOf = null;
    this.W = next.W;
    this.V = next.V;
  }

  private advance(out: Ort.InferenceSession.OnnxValueMapType): { W: Ort.Tensor; V: Ort.Tensor; loss: number } {
    const W = OnnxTrainer.value(out, 'W_next');
    const regime = this.dims.regime;
    const V = regime === 'joint' || regime === 'decoder' ? OnnxTrainer.value(out, 'V_next') : this.V;
    const loss = Number((OnnxTrainer.value(out, 'loss').data as Arr)[0]);
    return { W, V, loss };
  }

  async step(count: number): Promise<number> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`step: count must be a positive integer, got ${count}`);
    let loss = Number.NaN;
    for (let k = 0; k < count; k++) {
      const next = this.pending ?? this.advance(await this.run('step'));
      this.moveTo(next);
      loss = next.loss;
    }
    return loss;
  }

  /**
   * The forward graph at the current parameters, run once for them. A fused run that counted the pattern
   * instead of giving it serves the loss and the outputs, not the pattern (`pattern`: the forward graph runs).
   */
  private forward(pattern = false): Promise<Ort.InferenceSession.OnnxValueMapType> {
    if (this.forwardOf === null || this.forwardOf.W !== this.W || this.forwardOf.V !== this.V || (pattern && !this.forwardOf.pattern)) {
      this.forwardOf = { W: this.W, V: this.V, pattern: true, out: this.run('forward') };
    }
    return this.forwardOf.out;
  }

  async loss(): Promise<number> {
    if (this.pending !== null) return this.pending.loss;
    const out = await this.forward();
    return Number((OnnxTrainer.value(out, 'loss').data as Arr)[0]);
  }

  async params(): Promise<{ W: Float64Array; V: Float64Array }> {
    const { m, d, regime } = this.dims;
    const W = Float64Array.from(this.W.data as Arr);
    if (regime === 'tied') {
      const V = new Float64Array(d * m);
      transpose(W, m, d, V);
      return { W, V };
    }
    return { W, V: Float64Array.from(this.V.data as Arr) };
  }

  async outputs(): Promise<Float64Array> {
    const { d, n } = this.dims;
    const out = await this.forward();
    const U = new Float64Array(d * n);
    transpose(OnnxTrainer.value(out, 'Ut').data as Arr, n, d, U);
    return U;
  }

  async tracedNtk(out?: Float64Array): Promise<Float64Array> {
    const { n } = this.dims;
    checkKernelOut(n, out);
    if (this.pending !== null) return kernelInto(OnnxTrainer.value(await this.run('ntk'), 'H').data as Arr, n, out);
    const counts = this.patternRef !== null;
    const res = await this.run(counts ? 'stepNtkCounts' : 'stepNtk');
    // The fused graph's loss, Ut and A (or its counts) are the forward graph's at these parameters: loss(),
    // outputs() and activationPattern() (or patternStats()) read them until the pending step is taken.
    this.forwardOf = { W: this.W, V: this.V, pattern: !counts, out: Promise.resolve(res) };
    this.pending = this.advance(res);
    return kernelInto(OnnxTrainer.value(res, 'H').data as Arr, n, out);
  }

  setPatternReference(A0: Uint8Array): void {
    const { n, m } = this.dims;
    if (A0.length !== n * m) throw new RangeError(`setPatternReference: A0 has ${A0.length} entries, expected ${n * m} for shape [${n}, ${m}]`);
    this.patternRef = new ort.Tensor('uint8', A0, [n, m]);
  }

  async patternStats(): Promise<{ flips: number; deadFraction: number } | null> {
    const f = this.forwardOf;
    if (f === null || f.pattern || f.W !== this.W || f.V !== this.V) return null;
    const out = await f.out;
    const flips = Number((OnnxTrainer.value(out, 'flips').data as Int32Array)[0]);
    const active = OnnxTrainer.value(out, 'active').data as Int32Array;
    const m = this.dims.m;
    if (active.length !== m) throw new Error(`patternStats: the graph returned ${active.length} unit counts, expected ${m}`);
    let dead = 0;
    for (let r = 0; r < m; r++) if (active[r] === 0) dead++;
    return { flips, deadFraction: m === 0 ? 0 : dead / m };
  }

  async activationPattern(): Promise<Uint8Array> {
    const A = OnnxTrainer.value(await this.forward(true), 'A').data as Uint8Array;
    const { n, m } = this.dims;
    if (A.length !== n * m) throw new Error(`activationPattern: the graph returned ${A.length} values, expected ${n * m}`);
    return A;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending = null;
    this.forwardOf = null;
    this.patternRef = null;
    for (const p of [...this.sessions.values(), ...this.batchSessions.values()]) {
      p.then((s) => s.release()).catch(() => undefined);
    }
    this.sessions.clear();
    this.batchSessions.clear();
  }
}

/** The weight-tied full-NTK product on one graph (trainerGraphs.buildTiedOperatorGraph); x and y [d, n]. */
function onnxTiedOperator(p: TiedOperatorSpec, options: Ort.InferenceSession.SessionOptions): NtkOperator {
  const { X, d, n, m, W, dtype } = p;
  const Xt = new Float64Array(n * d);
  transpose(X, d, n, Xt);
  const fixed: Record<string, Ort.Tensor> = {
    X: new ort.Tensor(dtype, toDtype(X, dtype), [d, n]),
    Xt: new ort.Tensor(dtype, toDtype(Xt, dtype), [n, d]),
    W: new ort.Tensor(dtype, toDtype(W, dtype), [m, d]),
    s2: new ort.Tensor(dtype, dtype === 'float64' ? new Float64Array([p.scale * p.scale]) : new Float32Array([p.scale * p.scale]), []),
  };
  let session: Promise<Session> | null = nativeCallAsync(() => ort.InferenceSession.create(buildTiedOperatorGraph({ d, n, m, dtype }), options));
  const yt = dtype === 'float64' ? new Float64Array(n * d) : new Float32Array(n * d);
  return {
    N: n * d,
    async apply(x: Float64Array): Promise<Float64Array> {
      if (session === null) throw new Error('tied NTK operator was disposed');
      if (x.length !== n * d) throw new RangeError(`tiedNtkOperator: x has ${x.length} entries, expected ${n * d}`);
      transpose(x, d, n, yt);
      const s = await session;
      const out = await nativeCallAsync(() => s.run({ ...fixed, Yt: new ort.Tensor(dtype, yt, [n, d]) }));
      const Ot = out.Ot;
      if (Ot === undefined) throw new Error("onnx graph returned no 'Ot'");
      const y = new Float64Array(n * d);
      transpose(Ot.data as Arr, n, d, y);
      return y;
    },
    dispose(): void {
      session?.then((s) => s.release()).catch(() => undefined);
      session = null;
    },
  };
}

function sessionOptions(threads: number, providers: Ort.InferenceSession.SessionOptions['executionProviders']): Ort.InferenceSession.SessionOptions {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`createOnnxBackend: threads must be a positive integer, got ${threads}`);
  return {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/**
 * The options with the intra-op threads sleeping between operations instead of spin-waiting for the next
 * one: where other threads of the run compute beside the steps (its theory), spinning takes their cores
 * (measured at n = 1000 on 2 cores: the whole run ~12% faster; a lone small step ~30% slower).
 */
function sleepingThreads(options: Ort.InferenceSession.SessionOptions): Ort.InferenceSession.SessionOptions {
  return { ...options, extra: { session: { intra_op: { allow_spinning: '0' } } } };
}

/**
 * Creates the onnxruntime-node CPU backend (float32 and float64). Session options: `threads` intra-op
 * threads (default {@link defaultThreads}), one inter-op thread, graphOptimizationLevel 'all'.
 */
export function createOnnxBackend(opts: OnnxBackendOptions = {}): ComputeBackend {
  const threads = opts.threads ?? defaultThreads();
  const options = sessionOptions(threads, ['cpu']);
  return {
    name: 'onnx',
    dtypes: ['float32', 'float64'],
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} CPU, ${threads} thread${threads > 1 ? 's' : ''}`,
    createTrainer: (spec) => new OnnxTrainer(spec, options),
    tiedNtkOperator: (p) => onnxTiedOperator(p, options),
    dispose: () => undefined,
  };
}

/** The CUDA execution provider's libraries that onnxruntime-node's installer fetches (not in the npm package). */
const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * Creates the onnxruntime-node CUDA backend: the same graphs with the CUDA execution provider first (nodes
 * it lacks run on the CPU provider). onnxruntime-node bundles only the CPU library; the CUDA provider
 * libraries (libonnxruntime_providers_cuda.so, _shared.so; CUDA 12 and cuDNN 9 on the machine) are fetched by
 * `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (README). Before
 * the backend is offered, a one-node probe graph must run on CUDA device 0, so that a machine without those
 * libraries or without a GPU gets the provider's own error as the reason, not a silent CPU run.
 */
export async function createOnnxCudaBackend(opts: OnnxBackendOptions = {}): Promise<ComputeBackend> {
  const threads = opts.threads ?? defaultThreads();
  const cuda = { name: 'cuda', deviceId: 0 } as const;
  if (!ort.listSupportedBackends().some((b) => b.name === 'cuda')) {
    throw new Error(`this onnxruntime-node build (${process.platform}/${process.arch}) has no CUDA execution provider`);
  }
  // Without the provider libraries onnxruntime would fail too, but only after printing its own error line.
  const binDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const missing = CUDA_PROVIDER_LIBS.filter((f) => !existsSync(join(binDir, f)));
  if (missing.length > 0) {
    throw new Error(`the CUDA provider libraries are not installed (${missing.join(', ')} missing in ${binDir}); see README: GPU`);
  }
  // onnxruntime's CUDA provider lets cuBLAS use TF32 for float32 GEMMs on Ampere and later GPUs (~1e-3 relative
  // error, far outside float32's tolerance here); this variable, read by cuBLAS when its handle is created,
  // keeps them in float32. A user who wants TF32 sets it to 1 before starting.
  process.env['NVIDIA_TF32_OVERRIDE'] ??= '0';
  const probeGraph = new GraphBuilder('float32');
  probeGraph.output(probeGraph.op('Relu', [probeGraph.input('x', [2])]), 'y');
  let probe: Session;
  try {
    // Severity 4 (fatal only) keeps the provider's load failure out of the log; the reason travels in the error.
    probe = await nativeCallAsync(() => ort.InferenceSession.create(probeGraph.build('cuda_probe'), { ...sessionOptions(1, [cuda]), logSeverityLevel: 4 }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`CUDA execution provider unavailable (${msg}); it needs CUDA 12, cuDNN 9 and the provider libraries (see README: GPU)`);
  }
  try {
    const p = probe;
    const out = await nativeCallAsync(() => p.run({ x: new ort.Tensor('float32', new Float32Array([-1, 2]), [2]) }));
    const y = (out['y'] as Ort.Tensor | undefined)?.data as Float32Array | undefined;
    if (y?.[0] !== 0 || y[1] !== 2) throw new Error(`probe graph gave ${y === undefined ? 'no output' : `[${Array.from(y).join(', ')}]`}`);
  } finally {
    await probe.release();
  }
  const options = sessionOptions(threads, [cuda, 'cpu']);
  return {
    name: 'onnx-cuda',
    dtypes: ['float32', 'float64'],
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} CUDA device 0 (CPU provider for the rest, ${threads} thread${threads > 1 ? 's' : ''})`,
    createTrainer: (spec) => new OnnxTrainer(spec, options),
    tiedNtkOperator: (p) => onnxTiedOperator(p, options),
    dispose: () => undefined,
  };
}
