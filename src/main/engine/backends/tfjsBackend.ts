/**
 * TensorFlow.js backends, float32 only (tfjs has no float64): 'wasm' (SIMD, single-threaded — threaded wasm
 * does not work in Node), 'tfjs-cpu' (plain JS kernels), and 'tensorflow' (libtensorflow through
 * @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, when one of them is installed and loads). All three
 * run the same trainer code on the tf namespace they were loaded with.
 *
 * Every op runs inside tf.tidy; the trainer holds exactly its parameters and data as live tensors.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tfCore from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { checkKernelOut, checkTrainerSpec, kernelInto } from './spec';
import type { ComputeBackend, Trainer, TrainerSpec } from './types';
import { TFJS_NODE_HINT, TFJS_NODE_PACKAGES } from './tfjsPackages';

type Tf = typeof tfCore;
type Tensor = tfCore.Tensor;
type TfjsName = 'wasm' | 'tfjs-cpu' | 'tensorflow';

/** The tfjs backend names behind our backend names. */
const TF_BACKEND: Record<TfjsName, string> = { wasm: 'wasm', 'tfjs-cpu': 'cpu', tensorflow: 'tensorflow' };

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /** folder holding tfjs-backend-wasm's .wasm files (default: the installed package's dist/) */
  wasmDir?: string;
  /** replaces the dynamic import of a tfjs-node package (tests inject failures) */
  importPackage?: (name: string) => Promise<unknown>;
}

function errorText(err: unknown): string {
  const s = err instanceof Error ? err.message : String(err);
  return s.split('\n')[0] ?? s;
}

let wasmPathsSet = false;

async function activate(tf: Tf, name: TfjsName): Promise<void> {
  const target = TF_BACKEND[name];
  if (tf.getBackend() === target) return;
  if (!(await tf.setBackend(target))) throw new Error(`tf.setBackend('${target}') failed`);
}

/** Loads tfjs-node-gpu, else tfjs-node; throws with both reasons when neither loads. */
async function loadTensorflow(opts: TfjsBackendOptions): Promise<{ tf: Tf; pkg: string }> {
  const importPackage = opts.importPackage ?? ((name: string) => import(/* @vite-ignore */ name));
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      const mod = (await importPackage(pkg)) as Tf & { default?: Tf };
      const tf = typeof mod.setBackend === 'function' ? mod : mod.default;
      if (tf === undefined || typeof tf.setBackend !== 'function') throw new Error('the module has no tf namespace');
      await activate(tf, 'tensorflow');
      return { tf, pkg };
    } catch (err) {
      reasons.push(`${pkg}: ${errorText(err)}`);
    }
  }
  throw new Error(`${reasons.join('; ')} (${TFJS_NODE_HINT})`);
}

class TfjsTrainer implements Trainer {
  private readonly X: Tensor;
  private readonly Xt: Tensor;
  private W: Tensor;
  private V: Tensor;
  private readonly s: Tensor;
  private readonly cW: Tensor;
  private readonly cV: Tensor;
  private readonly cL: Tensor;
  private disposed = false;

  constructor(
    private readonly tf: Tf,
    private readonly name: TfjsName,
    private readonly spec: TrainerSpec,
  ) {
    checkTrainerSpec(spec);
    const { d, n, m } = spec;
    const lw = spec.lossWeight;
    this.X = tf.tensor2d(Float32Array.from(spec.X), [d, n]);
    this.Xt = tf.tidy(() => tf.transpose(this.X));
    this.W = tf.tensor2d(Float32Array.from(spec.W0), [m, d]);
    this.V = spec.regime === 'tied' ? tf.tidy(() => tf.transpose(this.W)) : tf.tensor2d(Float32Array.from(spec.V0), [d, m]);
    this.s = tf.scalar(spec.scale);
    this.cW = tf.scalar(lw * spec.scale * spec.etaW);
    this.cV = tf.scalar(lw * spec.scale * spec.etaV);
    this.cL = tf.scalar(lw / 2);
  }

  private async ready(): Promise<void> {
    if (this.disposed) throw new Error('trainer was disposed');
    await activate(this.tf, this.name);
  }

  /** Zᵀ = XᵀWᵀ [n, m], the mask 1[Zᵀ ≥ 0] (float), Sᵀ = σ(Zᵀ), Rᵀ = s·SᵀVᵀ − Xᵀ [n, d] (inside a tidy). */
  private forward(X: Tensor = this.X, Xt: Tensor = this.Xt): { mask: Tensor; St: Tensor; Rt: Tensor } {
    const tf = this.tf;
    const Zt = tf.matMul(X, this.W, true, true);
    const mask = tf.cast(tf.greaterEqual(Zt, 0), 'float32');
    const St = tf.relu(Zt);
    const Rt = tf.sub(tf.mul(tf.matMul(St, this.V, false, true), this.s), Xt);
    return { mask, St, Rt };
  }

  async step(count: number): Promise<number> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`step: count must be a positive integer, got ${count}`);
    await this.ready();
    return this.gdSteps(count, this.X, this.Xt);
  }

  async stepBatch(indices: Int32Array): Promise<number> {
    const { n } = this.spec;
    if (indices.length < 1 || indices.length > n) throw new RangeError(`stepBatch: indices has ${indices.length} entries, expected 1..${n}`);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!(i >= 0 && i < n)) throw new RangeError(`stepBatch: index ${i} at position ${k} is outside 0..${n - 1}`);
    }
    await this.ready();
    const tf = this.tf;
    const Xb = tf.tidy(() => tf.gather(this.X, tf.tensor1d(indices, 'int32'), 1));
    const Xbt = tf.tidy(() => tf.transpose(Xb));
    try {
      return await this.gdSteps(1, Xb, Xbt);
    } finally {
      tf.dispose([Xb, Xbt]);
    }
  }

  /** `count` GD steps on the samples X [d, b] (Xt [b, d]); returns the loss before the last one. */
  private async gdSteps(count: number, X: Tensor, Xt: Tensor): Promise<number> {
    const tf = this.tf;
    const { regime } = this.spec;
    let loss: Tensor | null = null;
    for (let k = 0; k < count; k++) {
      const next = tf.tidy(() => {
        const { mask, St, Rt } = this.forward(X, Xt);
        const l = tf.mul(tf.sum(tf.square(Rt)), this.cL);
        let W = this.W;
        let V = this.V;
        if (regime !== 'decoder') {
          const Rg = tf.mul(Rt, this.cW);
          const Gt = tf.mul(tf.matMul(Rg, this.V), mask);
          let delta = tf.matMul(Gt, Xt, true, false);
          if (regime === 'tied') delta = tf.add(delta, tf.matMul(St, Rg, true, false));
          W = tf.sub(this.W, delta);
          if (regime === 'tied') V = tf.transpose(W);
        }
        if (regime === 'joint' || regime === 'decoder') V = tf.sub(this.V, tf.matMul(tf.mul(Rt, this.cV), St, true, false));
        return { W, V, l };
      });
      if (next.W !== this.W) this.W.dispose();
      if (next.V !== this.V) this.V.dispose();
      this.W = next.W;
      this.V = next.V;
      loss?.dispose();
      loss = next.l;
    }
    const value = (await loss!.data())[0]!;
    loss!.dispose();
    return value;
  }

  async loss(): Promise<number> {
    await this.ready();
    const tf = this.tf;
    const l = tf.tidy(() => tf.mul(tf.sum(tf.square(this.forward().Rt)), this.cL));
    const value = (await l.data())[0]!;
    l.dispose();
    return value;
  }

  async params(): Promise<{ W: Float64Array; V: Float64Array }> {
    await this.ready();
    return { W: Float64Array.from(await this.W.data()), V: Float64Array.from(await this.V.data()) };
  }

  async outputs(): Promise<Float64Array> {
    await this.ready();
    const tf = this.tf;
    const U = tf.tidy(() => tf.transpose(tf.add(this.forward().Rt, this.Xt)));
    const out = Float64Array.from(await U.data());
    U.dispose();
    return out;
  }

  /** Traced NTK, the same formulas as the ONNX graph (SPEC §5.2; see onnx/trainerGraphs.ts). */
  async tracedNtk(out?: Float64Array): Promise<Float64Array> {
    checkKernelOut(this.spec.n, out);
    await this.ready();
    const tf = this.tf;
    const { regime, d } = this.spec;
    const H = tf.tidy(() => {
      const { mask, St } = this.forward();
      const s2 = tf.mul(this.s, this.s);
      let sum: Tensor | null = null;
      if (regime !== 'decoder') {
        const vv = tf.reshape(tf.sum(tf.square(this.V), 0), [1, -1]);
        const Bt = tf.mul(mask, tf.sqrt(tf.mul(vv, tf.div(s2, d))));
        sum = tf.mul(tf.matMul(this.X, this.X, true, false), tf.matMul(Bt, Bt, false, true));
      }
      if (regime !== 'weak') {
        const weight = regime === 'tied' ? 1 + 2 / d : regime === 'joint' && this.spec.etaW > 0 ? this.spec.etaV / this.spec.etaW : 1;
        const factor = tf.mul(s2, weight);
        const G = tf.mul(tf.matMul(St, St, false, true), factor);
        sum = sum === null ? G : tf.add(sum, G);
      }
      return sum!;
    });
    const values = kernelInto(await H.data(), this.spec.n, out);
    H.dispose();
    return values;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tf.dispose([this.X, this.Xt, this.W, this.V, this.s, this.cW, this.cV, this.cL]);
  }
}

/**
 * Creates a TensorFlow.js backend (float32 only): 'wasm' (tfjs-backend-wasm, SIMD, one thread),
 * 'tfjs-cpu' (tfjs-backend-cpu) or 'tensorflow' (tfjs-node-gpu, else tfjs-node).
 * @throws Error with the reason when the library does not load (select.ts turns it into a fallback).
 */
export async function createTfjsBackend(name: TfjsName, opts: TfjsBackendOptions = {}): Promise<ComputeBackend> {
  let tf: Tf = tfCore;
  let library = `tfjs-core ${tfCore.version_core}`;
  if (name === 'tensorflow') {
    const loaded = await loadTensorflow(opts);
    tf = loaded.tf;
    library = `${loaded.pkg} (tfjs ${tf.version_core})`;
  } else {
    if (name === 'wasm' && !wasmPathsSet) {
      const dir = opts.wasmDir ?? join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
      wasmPathsSet = true;
    }
    await activate(tf, name);
  }
  const device = name === 'wasm' ? 'wasm SIMD, 1 thread' : name === 'tfjs-cpu' ? 'cpu (JS kernels)' : 'libtensorflow';
  return {
    name,
    dtypes: ['float32'],
    description: `${library}, ${device}`,
    createTrainer: (spec) => {
      if (spec.dtype !== 'float32') throw new RangeError(`createTrainer: backend '${name}' computes in float32 only, got dtype ${spec.dtype}`);
      return new TfjsTrainer(tf, name, spec);
    },
    dispose: () => undefined,
  };
}
