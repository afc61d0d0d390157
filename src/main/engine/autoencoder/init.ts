/**
 * Initial parameters of the two-layer ReLU autoencoder (SPEC §3), drawn in float64 from the engine's
 * seeded generator only, so that one seed gives the same network on every backend.
 *
 * Layouts (see backends/types.ts): W [m, d] (row r = encoder neuron w_r), V [d, m] (column r = v_r).
 */
import type { InitFamily } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import type { Rng } from '../random';

/** Options of {@link initParams}. */
export interface InitOptions {
  /** hidden width */
  m: number;
  /** input = output dimension */
  d: number;
  init: InitFamily;
  /** encoder scale κ */
  kappa: number;
  /** decoder scale ν */
  nu: number;
  /** weight-tied network: V = Wᵀ */
  tied: boolean;
}

/** Initial parameters: W [m, d], V [d, m], float64. */
export interface AutoencoderParams {
  W: Float64Array;
  V: Float64Array;
}

/**
 * Draws W₀ [m, d] and V₀ [d, m] for the given init family (SPEC §3):
 * gaussian w_r ~ N(0, κ²I), v_r ~ N(0, ν²I); rademacher ±κ / ±ν entries; orthogonal: m/d independent
 * Haar-orthogonal d×d blocks per layer with columns of norm √d, times κ resp. ν; antisymmetric doubling:
 * a Gaussian first half and w_{r+m/2} = w_r, v_{r+m/2} = −v_r (so u₀ ≡ 0). Tied: V = Wᵀ.
 * W is drawn first, then V, from the same generator.
 */
export function initParams(opts: InitOptions, rng: Rng): AutoencoderParams {
  const { m, d, init, kappa, nu, tied } = opts;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`initParams: m must be an integer ≥ 1, got ${m}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`initParams: d must be an integer ≥ 1, got ${d}`);
  if (init === 'orthogonal' && m % d !== 0) {
    throw new WorkbenchException('invalid-config', `hiddenWidth: orthogonal init needs a multiple of the input dimension ${d}, got ${m}`, { m, d });
  }
  if (init === 'antisymmetric' && m % 2 !== 0) {
    throw new WorkbenchException('invalid-config', `hiddenWidth: antisymmetric init needs an even width, got ${m}`, { m });
  }
  // Encoder rows w_r (length d) and decoder vectors v_r (length d) are drawn as [m, d] neuron-major
  // arrays so every family draws one neuron after another; V is transposed into [d, m] at the end.
  const Wn = new Float64Array(m * d);
  const Vn = new Float64Array(m * d);
  switch (init) {
    case 'gaussian':
      rng.fillNormal(Wn, kappa);
      if (!tied) rng.fillNormal(Vn, nu);
      break;
    case 'rademacher':
      rng.fillRademacher(Wn, kappa);
      if (!tied) rng.fillRademacher(Vn, nu);
      break;
    case 'orthogonal':
      fillOrthogonalRows(Wn, m, d, kappa, rng);
      if (!tied) fillOrthogonalRows(Vn, m, d, nu, rng);
      break;
    case 'antisymmetric': {
      const half = (m / 2) * d;
      const wHalf = Wn.subarray(0, half);
      rng.fillNormal(wHalf, kappa);
      Wn.set(wHalf, half);
      if (!tied) {
        const vHalf = Vn.subarray(0, half);
        rng.fillNormal(vHalf, nu);
        for (let k = 0; k < half; k++) Vn[half + k] = -vHalf[k]!;
      }
      break;
    }
    default: {
      const never: never = init;
      throw new WorkbenchException('invalid-config', `init: unknown init family ${String(never)}`);
    }
  }
  const V = new Float64Array(d * m);
  const src = tied ? Wn : Vn;
  for (let r = 0; r < m; r++) for (let a = 0; a < d; a++) V[a * m + r] = src[r * d + a]!;
  return { W: Wn, V };
}

/**
 * Fills `out` [m, d] with m/d independent Haar-orthogonal d×d blocks (each block's d rows are the
 * orthonormal columns of Q), rows scaled to norm √d·scale. Q comes from Gram–Schmidt of a Gaussian
 * matrix, which has a positive-diagonal R and therefore a Haar-distributed Q.
 */
function fillOrthogonalRows(out: Float64Array, m: number, d: number, scale: number, rng: Rng): void {
  const g = new Float64Array(d * d);
  const norm = Math.sqrt(d) * scale;
  for (let block = 0; block < m / d; block++) {
    rng.fillNormal(g, 1);
    // g holds d vectors of length d (row k = k-th Gaussian column); orthonormalize them in order.
    for (let k = 0; k < d; k++) {
      const gk = k * d;
      // Two passes of modified Gram–Schmidt keep orthogonality at round-off level.
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < k; j++) {
          const gj = j * d;
          let p = 0;
          for (let a = 0; a < d; a++) p += g[gk + a]! * g[gj + a]!;
          for (let a = 0; a < d; a++) g[gk + a]! -= p * g[gj + a]!;
        }
      }
      let s = 0;
      for (let a = 0; a < d; a++) s += g[gk + a]! * g[gk + a]!;
      const inv = 1 / Math.sqrt(s);
      for (let a = 0; a < d; a++) g[gk + a]! *= inv;
    }
    const base = block * d * d;
    for (let k = 0; k < d * d; k++) out[base + k] = g[k]! * norm;
  }
}
