/**
 * Shared fixtures for the backend tests: a small seeded network and float64 references computed
 * independently of every backend (GD step from autoencoder/model.ts, traced NTK from an explicit Jacobian).
 */
import { expect } from 'vitest';
import type { Dtype, Regime } from '../../../../../src/shared/config/schema';
import type { Trainer, TrainerSpec } from '../../../../../src/main/engine/backends/types';
import { createRng } from '../../../../../src/main/engine/random';
import { gdStep, forward } from '../../../../../src/main/engine/autoencoder/model';

export const REGIMES_ALL: readonly Regime[] = ['weak', 'joint', 'decoder', 'tied'];

/** Relative tolerance (‖got − ref‖∞ / ‖ref‖∞) per compute dtype: a few ulps × the reduction lengths. */
export const REL_TOL: Record<Dtype, number> = { float64: 1e-11, float32: 2e-5 };

/** A seeded spec: sphere data X [d, n], Gaussian W [m, d], V [d, m] (tied: V = Wᵀ), distinct η_W, η_V. */
export function makeSpec(regime: Regime, dtype: Dtype, dims = { d: 4, n: 6, m: 30 }, seed = 7): TrainerSpec {
  const { d, n, m } = dims;
  const rng = createRng(seed, 2);
  const X = new Float64Array(d * n);
  rng.fillNormal(X, 1);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += X[a * n + i]! ** 2;
    for (let a = 0; a < d; a++) X[a * n + i]! /= Math.sqrt(s);
  }
  const W0 = new Float64Array(m * d);
  rng.fillNormal(W0, 1);
  const V0 = new Float64Array(d * m);
  if (regime === 'tied') {
    for (let r = 0; r < m; r++) for (let a = 0; a < d; a++) V0[a * m + r] = W0[r * d + a]!;
  } else {
    rng.fillNormal(V0, 1);
  }
  return { X, d, n, m, scale: 1 / Math.sqrt(m), regime, etaW: 0.3, etaV: 0.2, lossWeight: 1 / n, dtype, W0, V0 };
}

/** Reference: `steps` GD steps in float64 (autoencoder/model.ts), and the loss before the last one. */
export function referenceSteps(spec: TrainerSpec, steps: number): { W: Float64Array; V: Float64Array; loss: number } {
  let W = spec.W0;
  let V = spec.V0;
  let loss = Number.NaN;
  const opts = { regime: spec.regime, scale: spec.scale, etaW: spec.etaW, etaV: spec.etaV, lossWeight: spec.lossWeight };
  for (let k = 0; k < steps; k++) ({ W, V, loss } = gdStep(W, V, spec.X, spec, opts));
  return { W, V, loss };
}

/** Reference reconstructions U = s·V σ(WX) [d, n] and the weighted loss at (W, V). */
export function referenceForward(spec: TrainerSpec, W: Float64Array, V: Float64Array): { U: Float64Array; loss: number } {
  const { U } = forward(W, V, spec.X, spec, spec.scale);
  let l = 0;
  for (let k = 0; k < U.length; k++) l += (U[k]! - spec.X[k]!) ** 2;
  return { U, loss: 0.5 * spec.lossWeight * l };
}

/**
 * Reference traced NTK H̄ = (1/d) Σ_a J_a J_aᵀ [n, n] from the explicit Jacobian of u over the trained
 * parameters (SPEC §5.2): ∂u_a(x_i)/∂W_rb = s V_ar 1[z_ri ≥ 0] x_bi, ∂u_a(x_i)/∂V_a'r = δ_aa' s σ(z_ri),
 * tied ∂u_a(x_i)/∂W_rb = s(δ_ab σ(z_ri) + 1[z_ri ≥ 0] W_ra x_bi). Joint training with η_W ≠ η_V weights the
 * decoder columns by η_V/η_W (the effective kernel (η_W H^W + η_V H^V)/η_W, SPEC §10.6).
 */
export function referenceTracedNtk(spec: TrainerSpec, W: Float64Array, V: Float64Array): Float64Array {
  const { d, n, m, regime, scale: s, X } = spec;
  const z = (r: number, i: number) => {
    let v = 0;
    for (let b = 0; b < d; b++) v += W[r * d + b]! * X[b * n + i]!;
    return v;
  };
  const root = regime === 'joint' ? Math.sqrt(spec.etaV / spec.etaW) : 1;
  const P = m * d + (regime === 'joint' || regime === 'decoder' ? d * m : 0);
  const J = new Float64Array(d * n * P);
  for (let a = 0; a < d; a++) {
    for (let i = 0; i < n; i++) {
      const row = (a * n + i) * P;
      for (let r = 0; r < m; r++) {
        const zr = z(r, i);
        const act = zr >= 0 ? 1 : 0;
        const sig = Math.max(zr, 0);
        if (regime === 'weak' || regime === 'joint') {
          for (let b = 0; b < d; b++) J[row + r * d + b] = s * V[a * m + r]! * act * X[b * n + i]!;
        }
        if (regime === 'tied') {
          for (let b = 0; b < d; b++) J[row + r * d + b] = s * ((a === b ? sig : 0) + act * W[r * d + a]! * X[b * n + i]!);
        }
        if (regime === 'joint' || regime === 'decoder') J[row + m * d + a * m + r] = root * s * sig;
      }
    }
  }
  const H = new Float64Array(n * n);
  for (let a = 0; a < d; a++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        const ri = (a * n + i) * P;
        const rj = (a * n + j) * P;
        for (let p = 0; p < P; p++) v += J[ri + p]! * J[rj + p]!;
        H[i * n + j]! += v / d;
      }
    }
  }
  return H;
}

/** ‖got − ref‖∞ / ‖ref‖∞. */
export function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new RangeError(`relErr: lengths differ (${got.length} vs ${ref.length})`);
  let num = 0;
  let den = 0;
  for (let k = 0; k < ref.length; k++) {
    num = Math.max(num, Math.abs(got[k]! - ref[k]!));
    den = Math.max(den, Math.abs(ref[k]!));
  }
  return den === 0 ? num : num / den;
}

/**
 * Runs the same script on a trainer and returns everything it observed: traced NTK at θ₀, the loss of
 * step 1, the loss of steps 2..4, params, outputs, loss and traced NTK at θ₄ (written into a caller's
 * buffer, and a buffer of the wrong length rejected).
 */
export async function observe(
  t: Trainer,
): Promise<{ H0: Float64Array; loss1: number; loss4: number; W: Float64Array; V: Float64Array; U: Float64Array; loss: number; H4: Float64Array }> {
  const H0 = await t.tracedNtk();
  const loss1 = await t.step(1);
  const loss4 = await t.step(3);
  const { W, V } = await t.params();
  // θ₄'s kernel through the caller's buffer (the kernel-tracking path): it must land in that buffer.
  const out = new Float64Array(H0.length).fill(Number.NaN);
  const H4 = await t.tracedNtk(out);
  if (H4 !== out) throw new Error('tracedNtk(out) returned another array than out');
  await expect(t.tracedNtk(new Float64Array(H0.length + 1))).rejects.toThrow(/out has \d+ entries, expected/);
  return { H0, loss1, loss4, W, V, U: await t.outputs(), loss: await t.loss(), H4 };
}

/** Largest relative difference between two observations (arrays by relErr, losses relatively). */
export function observationDiff(a: Awaited<ReturnType<typeof observe>>, b: Awaited<ReturnType<typeof observe>>): number {
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.abs(y);
  return Math.max(
    relErr(a.H0, b.H0),
    rel(a.loss1, b.loss1),
    rel(a.loss4, b.loss4),
    relErr(a.W, b.W),
    relErr(a.V, b.V),
    relErr(a.U, b.U),
    rel(a.loss, b.loss),
    relErr(a.H4, b.H4),
  );
}

/** Two mini-batch steps (batches of 4 and 3 samples) and a full step; returns the losses and final W, V. */
export async function batchScript(t: Trainer): Promise<{ losses: number[]; W: Float64Array; V: Float64Array }> {
  const losses = [await t.stepBatch!(Int32Array.from([5, 0, 2, 3])), await t.stepBatch!(Int32Array.from([1, 4, 0])), await t.step(1)];
  const { W, V } = await t.params();
  return { losses, W, V };
}

/** Largest relative difference between two {@link batchScript} results. */
export function batchDiff(a: Awaited<ReturnType<typeof batchScript>>, b: Awaited<ReturnType<typeof batchScript>>): number {
  return Math.max(relErr(a.losses, b.losses), relErr(a.W, b.W), relErr(a.V, b.V));
}
