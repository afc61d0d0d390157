/**
 * Infinite-width kernels of the two-layer ReLU autoencoder in closed form (SPEC §5.4), float64.
 *
 * For w ~ N(0, I_d) and arbitrary x, y with angle θ (stable form θ = 2·atan2(‖x̂ − ŷ‖, ‖x̂ + ŷ‖)):
 *   H_enc(x, y) = xᵀy · (π − θ)/(2π)
 *   H_dec(x, y) = ‖x‖‖y‖ · (sin θ + (π − θ) cos θ)/(2π),   sin θ = ‖x̂ − ŷ‖‖x̂ + ŷ‖/2
 * and both are 0 when x = 0 or y = 0. Layout: X [d, n] row-major, X[a*n + i] (columns are samples).
 */
import type { Regime } from '../../../shared/config/schema';
import { WorkbenchException } from '../../../shared/api/result';
import { columnNorms, matmulTransA } from '../linalg';

/** Kernel kind: encoder H_enc or decoder H_dec. */
export type KernelKind = 'enc' | 'dec';

/**
 * Above this |cos θ| the angle is recomputed from the difference and sum vectors directly: arccos and
 * 1 ∓ cos lose accuracy near ±1, the atan2 form does not.
 */
const DIRECT_ANGLE_COS = 0.9;
/**
 * Sample pairs whose cosine is at least this in absolute value are the candidates of the data's parallel-sample
 * check (datasets/warnings.ts): the square kernels' pass lists them ({@link sharedInfiniteKernels}), so that the
 * check needs no Gram matrix of its own.
 */
export const PARALLEL_SCREEN_COS = 0.99;

interface PairKernels {
  enc: Float64Array | null;
  dec: Float64Array | null;
}

function checkShape(fn: string, name: string, a: Float64Array, d: number, n: number): void {
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${fn}: expected integers d ≥ 1 and n ≥ 0 for ${name}, got d=${d}, n=${n}`);
  }
  if (a.length !== d * n) {
    throw new RangeError(`${fn}: ${name} has ${a.length} entries, expected ${d * n} for shape [d=${d}, n=${n}]`);
  }
}

function unitColumns(x: Float64Array, d: number, n: number, norms: Float64Array): Float64Array {
  const u = new Float64Array(d * n);
  const inv = new Float64Array(n);
  for (let i = 0; i < n; i++) inv[i] = norms[i]! > 0 ? 1 / norms[i]! : 0;
  for (let a = 0; a < d; a++) for (let i = 0; i < n; i++) u[a * n + i] = x[a * n + i]! * inv[i]!;
  return u;
}

/**
 * Computes the requested kernels between the columns of X [d, n] and Y [d, nY] in one pass.
 * Same-array, same-index pairs get θ = 0 exactly.
 */
function pairKernels(
  fn: string,
  wantEnc: boolean,
  wantDec: boolean,
  X: Float64Array,
  d: number,
  n: number,
  Y: Float64Array | undefined,
  nY: number | undefined,
  alloc: (length: number) => Float64Array = (length) => new Float64Array(length),
  /** square case: receives i, j of every pair i < j with |cos| ≥ {@link PARALLEL_SCREEN_COS} (both non-zero) */
  screened?: number[],
): PairKernels {
  checkShape(fn, 'X', X, d, n);
  const same = Y === undefined || Y === X;
  const Yv = Y ?? X;
  const m = Y === undefined ? n : (nY ?? Math.floor(Y.length / d));
  if (!same) checkShape(fn, 'Y', Yv, d, m);
  else if (m !== n) throw new RangeError(`${fn}: nY=${m} differs from n=${n} while Y is X`);

  const nx = columnNorms(X, d, n);
  const ny = same ? nx : columnNorms(Yv, d, m);
  const ux = unitColumns(X, d, n, nx);
  const uy = same ? ux : unitColumns(Yv, d, m, ny);
  const cosines = matmulTransA(ux, uy, d, n, m);
  const enc = wantEnc ? alloc(n * m) : null;
  const dec = wantDec ? alloc(n * m) : null;
  const inv2pi = 1 / (2 * Math.PI);

  for (let i = 0; i < n; i++) {
    const ni = nx[i]!;
    if (ni === 0) continue;
    // Square case: the upper triangle only (the lower one is its mirror image, below).
    for (let j = same ? i : 0; j < m; j++) {
      const nj = ny[j]!;
      if (nj === 0) continue;
      let c = cosines[i * m + j]!;
      if (screened !== undefined && j > i && Math.abs(c) >= PARALLEL_SCREEN_COS) screened.push(i, j);
      let theta: number;
      let sin: number;
      if (same && i === j) {
        theta = 0;
        sin = 0;
        c = 1;
      } else if (Math.abs(c) > DIRECT_ANGLE_COS) {
        let dm = 0;
        let dp = 0;
        for (let a = 0; a < d; a++) {
          const p = ux[a * n + i]!;
          const q = uy[a * m + j]!;
          dm += (p - q) * (p - q);
          dp += (p + q) * (p + q);
        }
        const am = Math.sqrt(dm);
        const ap = Math.sqrt(dp);
        theta = 2 * Math.atan2(am, ap);
        sin = (am * ap) / 2;
        c = (dp - dm) / 4;
      } else {
        c = Math.min(1, Math.max(-1, c));
        const am = Math.sqrt(Math.max(0, 2 - 2 * c));
        const ap = Math.sqrt(Math.max(0, 2 + 2 * c));
        theta = 2 * Math.atan2(am, ap);
        sin = (am * ap) / 2;
      }
      const nn = ni * nj;
      const rest = Math.PI - theta;
      if (enc) enc[i * m + j] = nn * c * rest * inv2pi;
      if (dec) dec[i * m + j] = nn * (sin + rest * c) * inv2pi;
    }
  }
  // Exact symmetry for the square case: the lower triangle mirrors the upper one computed above.
  if (same) {
    for (const k of [enc, dec]) {
      if (!k) continue;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) k[j * n + i] = k[i * n + j]!;
    }
  }
  return { enc, dec };
}

/**
 * The infinite-width kernel H_enc^∞ or H_dec^∞ (SPEC §5.4) between the columns of X [d, n] and of
 * Y [d, nY] (Y defaults to X) → [n, nY] row-major, float64. Zero vectors give 0 entries.
 */
export function infiniteKernel(kind: KernelKind, X: Float64Array, d: number, n: number, Y?: Float64Array, nY?: number): Float64Array {
  if (kind !== 'enc' && kind !== 'dec') {
    throw new WorkbenchException('invalid-request', `kernel: expected enc or dec, got ${String(kind)}`);
  }
  const r = pairKernels('infiniteKernel', kind === 'enc', kind === 'dec', X, d, n, Y, nY);
  return (kind === 'enc' ? r.enc : r.dec)!;
}

/** Both infinite-width kernels at once (one pass): { enc: H_enc^∞, dec: H_dec^∞ }, each [n, nY]. */
export function infiniteKernels(X: Float64Array, d: number, n: number, Y?: Float64Array, nY?: number): { enc: Float64Array; dec: Float64Array } {
  const r = pairKernels('infiniteKernels', true, true, X, d, n, Y, nY);
  return { enc: r.enc!, dec: r.dec! };
}

/**
 * {@link infiniteKernels} of X with itself, both in shared memory: a thread they are posted to reads them where
 * they are instead of a copy (the run's theory thread, 2 × 8 MB at n = 1000). The same values. `screenedPairs`:
 * the pairs i < j of non-zero samples whose cosine is at least {@link PARALLEL_SCREEN_COS} in absolute value
 * (flat [i0, j0, i1, j1, …], ascending), the candidates of the data's parallel-sample check.
 */
export function sharedInfiniteKernels(X: Float64Array, d: number, n: number): { enc: Float64Array; dec: Float64Array; screenedPairs: Int32Array } {
  const screened: number[] = [];
  const r = pairKernels(
    'sharedInfiniteKernels',
    true,
    true,
    X,
    d,
    n,
    undefined,
    undefined,
    (length) => new Float64Array(new SharedArrayBuffer(8 * length)),
    screened,
  );
  return { enc: r.enc!, dec: r.dec!, screenedPairs: Int32Array.from(screened) };
}

function tiedError(): WorkbenchException {
  return new WorkbenchException(
    'invalid-request',
    'the weight-tied regime has no non-degenerate infinite-width kernel (SPEC §7.6); use the empirical NTK at step 0',
  );
}

/**
 * The regime's infinite-width kernel Θ_reg between the columns of X [d, n] and Y [d, nY] (default X),
 * [n, nY], NTK scaling (SPEC §5.4): weak ν²H_enc, decoder κ²H_dec, joint ν²H_enc + κ²H_dec.
 * 'tied' throws WorkbenchException('invalid-request') (SPEC §7.6: no such kernel).
 */
export function regimeKernel(
  regime: Regime,
  X: Float64Array,
  d: number,
  n: number,
  opts: { kappa: number; nu: number },
  Y?: Float64Array,
  nY?: number,
): Float64Array {
  if (regime === 'tied') throw tiedError();
  if (regime !== 'weak' && regime !== 'decoder' && regime !== 'joint') {
    throw new WorkbenchException('invalid-request', `regimeKernel: unknown regime ${String(regime)}`);
  }
  const r = pairKernels('regimeKernel', regime !== 'decoder', regime !== 'weak', X, d, n, Y, nY);
  const nu2 = opts.nu * opts.nu;
  const k2 = opts.kappa * opts.kappa;
  if (regime === 'weak') {
    const e = r.enc!;
    for (let i = 0; i < e.length; i++) e[i] = nu2 * e[i]!;
    return e;
  }
  if (regime === 'decoder') {
    const h = r.dec!;
    for (let i = 0; i < h.length; i++) h[i] = k2 * h[i]!;
    return h;
  }
  return jointKernel({ enc: r.enc!, dec: r.dec! }, opts, r.enc!);
}

/** The joint kernel ν²H_enc∞ + κ²H_dec∞ of both kernels (into `out`, which may be raw.enc itself; default a new array). */
export function jointKernel(
  raw: { enc: Float64Array; dec: Float64Array },
  opts: { kappa: number; nu: number },
  out: Float64Array = new Float64Array(raw.enc.length),
): Float64Array {
  const nu2 = opts.nu * opts.nu;
  const k2 = opts.kappa * opts.kappa;
  const { enc, dec } = raw;
  for (let i = 0; i < enc.length; i++) out[i] = nu2 * enc[i]! + k2 * dec[i]!;
  return out;
}
