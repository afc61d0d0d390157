/**
 * The plain TypeScript compute backend: the reference trainer every other backend is compared with.
 * Full-batch (or mini-batch) GD of SPEC §4 in place on preallocated buffers, float64 or float32.
 * In float32 every stored array (parameters, pre-activations, outputs, residuals, gradients) is a
 * Float32Array, so every stored result is rounded to float32 as a float32 backend would round it; sums
 * run in float64 registers before they are stored (like a GEMM with a wider accumulator).
 *
 * Layouts: X [d, n], W [m, d], V [d, m], S = σ(Z) and A = 1[Z ≥ 0] [m, n], U = E [d, n] (see ./types.ts).
 */
import type { Dtype } from '../../../shared/config/schema';
import { tracedEmpiricalNtk } from '../ntk/empiricalNtk';
import { checkKernelOut, kernelInto } from './spec';
import type { ComputeBackend, Trainer, TrainerSpec } from './types';

type Buf = Float64Array | Float32Array;

function alloc(dtype: Dtype, length: number): Buf {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function checkSpec(spec: TrainerSpec): void {
  const { d, n, m } = spec;
  for (const [name, v] of [
    ['d', d],
    ['n', n],
    ['m', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`createTrainer: ${name} must be an integer ≥ 1, got ${v}`);
  }
  const check = (name: string, a: ArrayLike<number>, rows: number, cols: number) => {
    if (a.length !== rows * cols) throw new RangeError(`createTrainer: ${name} has ${a.length} entries, expected [${rows}, ${cols}] = ${rows * cols}`);
  };
  check('X', spec.X, d, n);
  check('W0', spec.W0, m, d);
  check('V0', spec.V0, d, m);
  if (spec.dtype !== 'float32' && spec.dtype !== 'float64') throw new RangeError(`createTrainer: dtype must be float32 or float64, got ${String(spec.dtype)}`);
}

/** The synchronous in-place GD engine behind the async Trainer interface. */
class JsGd {
  readonly d: number;
  readonly n: number;
  readonly m: number;
  /** the spec without θ₀ (copied into W, V: the caller's arrays are not held) */
  private readonly spec: Omit<TrainerSpec, 'W0' | 'V0'>;
  private readonly X: Buf;
  private readonly W: Buf;
  private readonly V: Buf;
  private readonly S: Buf;
  private readonly A: Uint8Array;
  private readonly U: Buf;
  private readonly gW: Buf;
  private readonly gV: Buf;
  private readonly prow: Buf;
  private readonly Xb: Buf;
  private readonly zrow: Float64Array;
  private readonly accU: Float64Array;
  private readonly accU2: Float64Array;
  private readonly s: number;
  private readonly etaW: number;
  private readonly etaV: number;
  private readonly lw: number;

  constructor(spec: TrainerSpec) {
    checkSpec(spec);
    const { W0: _W0, V0: _V0, ...rest } = spec;
    this.spec = rest;
    const { d, n, m, dtype } = spec;
    this.d = d;
    this.n = n;
    this.m = m;
    this.X = alloc(dtype, d * n);
    this.X.set(spec.X);
    this.W = alloc(dtype, m * d);
    this.W.set(spec.W0);
    this.V = alloc(dtype, d * m);
    if (spec.regime === 'tied') this.syncTied();
    else this.V.set(spec.V0);
    this.S = alloc(dtype, m * n);
    this.A = new Uint8Array(m * n);
    this.U = alloc(dtype, d * n);
    this.gW = alloc(dtype, m * d);
    this.gV = alloc(dtype, d * m);
    this.prow = alloc(dtype, n);
    this.Xb = alloc(dtype, d * n);
    this.zrow = new Float64Array(n);
    this.accU = new Float64Array(d * n);
    this.accU2 = new Float64Array(d * n);
    const r = dtype === 'float32' ? Math.fround : (x: number) => x;
    this.s = r(spec.scale);
    this.etaW = r(spec.etaW);
    this.etaV = r(spec.etaV);
    this.lw = r(spec.lossWeight);
  }

  private syncTied(): void {
    const { d, m, W, V } = this;
    for (let r = 0; r < m; r++) for (let a = 0; a < d; a++) V[a * m + r] = W[r * d + a]!;
  }

  /**
   * Forward pass on `nb` columns of X (stride nb): fills S = σ(Z) [m, nb], A = 1[Z ≥ 0] [m, nb] and
   * U [d, nb]. One pass over the neurons, so each row of S is used while it is in cache.
   */
  private forward(X: Buf, nb: number): void {
    const { d, m, W, V, S, A, U, accU, accU2, zrow, s } = this;
    // Two halves summed separately (as in autoencoder/model.ts) so an antisymmetric init gives u₀ = 0 exactly.
    const half = Math.floor(m / 2);
    accU.fill(0, 0, d * nb);
    accU2.fill(0, 0, d * nb);
    for (let r = 0; r < m; r++) {
      zrow.fill(0, 0, nb);
      for (let a = 0; a < d; a++) {
        const w = W[r * d + a]!;
        const xa = a * nb;
        for (let i = 0; i < nb; i++) zrow[i]! += w * X[xa + i]!;
      }
      const zr = r * nb;
      for (let i = 0; i < nb; i++) {
        const z = zrow[i]!;
        A[zr + i] = z >= 0 ? 1 : 0;
        S[zr + i] = z > 0 ? z : 0;
      }
      const t = r < half ? accU : accU2;
      for (let a = 0; a < d; a++) {
        const v = s * V[a * m + r]!;
        const ua = a * nb;
        for (let i = 0; i < nb; i++) t[ua + i]! += v * S[zr + i]!;
      }
    }
    for (let k = 0; k < d * nb; k++) U[k] = accU[k]! + accU2[k]!;
  }

  /** Turns U into the residual E = U − X in place and returns the weighted loss. */
  private residual(X: Buf, nb: number): number {
    const { U, d } = this;
    let sq = 0;
    for (let k = 0; k < d * nb; k++) {
      U[k] = U[k]! - X[k]!;
      const e = U[k]!;
      sq += e * e;
    }
    return 0.5 * this.lw * sq;
  }

  /** One GD step on `nb` columns of `X` (SPEC §4); returns the loss before the step. */
  private gdStep(X: Buf, nb: number): number {
    const { d, m, W, V, S, A, U: E, gW, gV, prow, zrow } = this;
    const regime = this.spec.regime;
    this.forward(X, nb);
    const loss = this.residual(X, nb);
    const c = this.s * this.lw;
    const needV = regime !== 'weak';
    const needW = regime !== 'decoder';
    // Backward pass, again one neuron at a time: ∂L/∂v_r = c·E s_r, ∂L/∂w_r = c·X ((Vᵀ E)_r ∘ a_r).
    for (let r = 0; r < m; r++) {
      const zr = r * nb;
      if (needV) {
        for (let a = 0; a < d; a++) {
          const ea = a * nb;
          let t = 0;
          for (let i = 0; i < nb; i++) t += E[ea + i]! * S[zr + i]!;
          gV[a * m + r] = c * t;
        }
      }
      if (needW) {
        zrow.fill(0, 0, nb);
        for (let a = 0; a < d; a++) {
          const v = V[a * m + r]!;
          const ea = a * nb;
          for (let i = 0; i < nb; i++) zrow[i]! += v * E[ea + i]!;
        }
        for (let i = 0; i < nb; i++) prow[i] = zrow[i]! * A[zr + i]!;
        for (let b = 0; b < d; b++) {
          const xb = b * nb;
          let t = 0;
          for (let i = 0; i < nb; i++) t += prow[i]! * X[xb + i]!;
          gW[r * d + b] = c * t;
        }
      }
    }
    const md = m * d;
    switch (regime) {
      case 'weak':
        for (let k = 0; k < md; k++) W[k]! -= this.etaW * gW[k]!;
        break;
      case 'decoder':
        for (let k = 0; k < md; k++) V[k]! -= this.etaV * gV[k]!;
        break;
      case 'joint':
        for (let k = 0; k < md; k++) W[k]! -= this.etaW * gW[k]!;
        for (let k = 0; k < md; k++) V[k]! -= this.etaV * gV[k]!;
        break;
      case 'tied':
        for (let r = 0; r < m; r++) {
          for (let a = 0; a < d; a++) {
            gW[r * d + a] = gW[r * d + a]! + gV[a * m + r]!;
            W[r * d + a]! -= this.etaW * gW[r * d + a]!;
          }
        }
        this.syncTied();
        break;
    }
    return loss;
  }

  step(count: number): number {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Trainer.step: count must be an integer ≥ 0, got ${count}`);
    if (count === 0) return this.loss();
    let loss = Number.NaN;
    for (let k = 0; k < count; k++) loss = this.gdStep(this.X, this.n);
    return loss;
  }

  stepBatch(indices: Int32Array): number {
    const { d, n } = this;
    const nb = indices.length;
    if (nb < 1 || nb > n) throw new RangeError(`Trainer.stepBatch: indices has ${nb} entries, expected 1..${n}`);
    for (let k = 0; k < nb; k++) {
      const i = indices[k]!;
      if (!(i >= 0 && i < n)) throw new RangeError(`Trainer.stepBatch: index ${i} at position ${k} is outside 0..${n - 1}`);
      for (let a = 0; a < d; a++) this.Xb[a * nb + k] = this.X[a * n + i]!;
    }
    return this.gdStep(this.Xb, nb);
  }

  loss(): number {
    this.forward(this.X, this.n);
    return this.residual(this.X, this.n);
  }

  outputs(): Float64Array {
    this.forward(this.X, this.n);
    return Float64Array.from(this.U);
  }

  params(): { W: Float64Array; V: Float64Array } {
    return { W: Float64Array.from(this.W), V: Float64Array.from(this.V) };
  }

  tracedNtk(out?: Float64Array): Float64Array {
    checkKernelOut(this.spec.n, out);
    const { W, V } = this.params();
    const { spec } = this;
    const H = tracedEmpiricalNtk({
      X: Float64Array.from(this.X),
      d: spec.d,
      n: spec.n,
      m: spec.m,
      W,
      V,
      scale: spec.scale,
      regime: spec.regime,
      etaW: spec.etaW,
      etaV: spec.etaV,
    });
    return out === undefined ? H : kernelInto(H, spec.n, out);
  }
}

/**
 * Creates a synchronous reference trainer (the engine of the 'js' backend); exported for tests and for
 * callers that want GD without promises. Same semantics as the Trainer from {@link createJsBackend}.
 */
export function createJsGd(spec: TrainerSpec): {
  step(count: number): number;
  stepBatch(indices: Int32Array): number;
  loss(): number;
  outputs(): Float64Array;
  params(): { W: Float64Array; V: Float64Array };
  tracedNtk(out?: Float64Array): Float64Array;
} {
  return new JsGd(spec);
}

/** The 'js' compute backend: plain TypeScript GD in float64 or float32 (the reference path). */
export function createJsBackend(): ComputeBackend {
  return {
    name: 'js',
    dtypes: ['float64', 'float32'],
    description: 'plain TypeScript (reference; float64 and float32, one thread)',
    createTrainer(spec: TrainerSpec): Trainer {
      const gd = new JsGd(spec);
      let disposed = false;
      const live = (what: string) => {
        if (disposed) throw new Error(`js trainer: ${what} after dispose()`);
      };
      return {
        step: async (count) => {
          live('step');
          return gd.step(count);
        },
        stepBatch: async (indices) => {
          live('stepBatch');
          return gd.stepBatch(indices);
        },
        loss: async () => {
          live('loss');
          return gd.loss();
        },
        params: async () => {
          live('params');
          return gd.params();
        },
        outputs: async () => {
          live('outputs');
          return gd.outputs();
        },
        tracedNtk: async (out) => {
          live('tracedNtk');
          return gd.tracedNtk(out);
        },
        dispose: () => {
          disposed = true;
        },
      };
    },
    dispose: () => {},
  };
}
