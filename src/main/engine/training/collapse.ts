/**
 * Collapse detection (issue 17): a network whose output has collapsed to zero sits at the loss of the zero
 * output, L_zero = ½·w·Σ_i‖x_i‖² (w = 1, or 1/n for the normalized loss), while most hidden units are dead
 * (inactive on every training sample) and the tangent kernel is singular (λ_min ≤ 0): its gradients vanish
 * and it never leaves. The infinite-width theory keeps predicting a falling loss, so the run must say so.
 *
 * Pure: the run loop feeds one observation per tracked step (every K steps) and puts the diagnosis it gets
 * back into the record (`tracked.collapse`), which the UI shows in the run status and the CLI prints.
 *
 * A step is flagged when (a) the loss is within {@link ZERO_BAND} of L_zero, (b) it was there at the
 * previous tracked step too and moved by less than {@link PLATEAU} · L_zero since (a plateau, not a pass on
 * the way down), and (c) at least half of the hidden units are dead or λ_min(H) ≤ {@link SINGULAR} · λ_max(H).
 */

/** Relative distance of the loss from L_zero that counts as "at the zero-output level". */
export const ZERO_BAND = 0.05;
/** Largest change between two tracked steps, relative to L_zero, that counts as a plateau. */
export const PLATEAU = 0.01;
/** Dead-unit share from which units count as the cause of a singular kernel. */
export const DEAD_SHARE = 0.5;
/** λ_min ≤ SINGULAR · λ_max counts as a singular kernel. */
export const SINGULAR = 1e-9;
/** L₀ above this multiple of L_zero: the random network's output dwarfs the data. */
export const BIG_INIT_OUTPUT = 10;

/** What the run knows once, at the start. */
export interface CollapseContext {
  n: number;
  d: number;
  m: number;
  /** the step of the encoder (η_W; η_V for decoder-only training) */
  learningRate: number;
  /** 1, or 1/n for the 1/n-normalized loss */
  lossWeight: number;
  /** L(θ₀) */
  initialLoss: number;
  /** ½·w·Σ‖x_i‖²: the loss of the zero output */
  zeroOutputLoss: number;
  /** the decoder's init scale ν (named in the advice) */
  nu: number;
}

/** One tracked step. */
export interface CollapseObservation {
  step: number;
  loss: number;
  /** smallest / largest tracked eigenvalue of the traced empirical NTK (null when not tracked) */
  lambdaMin: number | null;
  lambdaMax: number | null;
  /** share of hidden units inactive on every training sample (null when unknown) */
  deadFraction: number | null;
}

/** A collapse, as stored in `tracked.collapse` and shown in the run status. */
export interface CollapseDiagnosis {
  /** the tracked step this diagnosis is for */
  step: number;
  /** the first tracked step of the plateau at the zero-output level */
  since: number;
  loss: number;
  zeroOutputLoss: number;
  lambdaMin: number | null;
  deadFraction: number | null;
  /** the likely causes, most likely first */
  causes: string[];
  message: string;
}

function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/**
 * The share of hidden units that are inactive on every training sample: column r of the activation
 * pattern A [n, m] (sample-major, A[i·m + r] = 1[w_rᵀx_i ≥ 0]) is all zero.
 */
export function deadUnitFraction(A: Uint8Array, n: number, m: number): number {
  if (A.length !== n * m) throw new Error(`A: expected [${n}, ${m}] = ${n * m} entries, got ${A.length}`);
  if (m === 0) return 0;
  const alive = new Uint8Array(m);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    for (let r = 0; r < m; r++) if (A[o + r]) alive[r] = 1;
  }
  let dead = 0;
  for (let r = 0; r < m; r++) if (!alive[r]) dead++;
  return dead / m;
}

/**
 * Activation flips against the pattern at init and the dead-unit fraction of {@link deadUnitFraction}, in one
 * pass over the [n, m] pattern (a tracked step at n = 1000, m = 10000 reads it once instead of twice).
 */
export function patternStats(A: Uint8Array, A0: Uint8Array, n: number, m: number): { flips: number; deadFraction: number } {
  if (A.length !== n * m || A0.length !== n * m) throw new Error(`A, A0: expected [${n}, ${m}] = ${n * m} entries, got ${A.length} and ${A0.length}`);
  if (m === 0) return { flips: 0, deadFraction: 0 };
  const alive = new Uint8Array(m);
  let flips = 0;
  if (m % 4 === 0 && A.byteOffset % 4 === 0 && A0.byteOffset % 4 === 0) {
    // Four units per 32-bit word: the same counts (a flip is a byte that differs), about 4× fewer steps over
    // the n·m entries (10⁷ at n = 1000, m = 10 000).
    const w = m >>> 2;
    const a32 = new Uint32Array(A.buffer, A.byteOffset, n * w);
    const b32 = new Uint32Array(A0.buffer, A0.byteOffset, n * w);
    const alive32 = new Uint32Array(alive.buffer, 0, w);
    for (let i = 0; i < n; i++) {
      const o = i * w;
      for (let r = 0; r < w; r++) {
        const x = a32[o + r]!;
        const f = x ^ b32[o + r]!;
        if (f !== 0) {
          // the high bit of each non-zero byte of f, then their count
          const t = (((f & 0x7f7f7f7f) + 0x7f7f7f7f) | f) & 0x80808080;
          flips += Math.imul(t >>> 7, 0x01010101) >>> 24;
        }
        alive32[r]! |= x;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * m;
      for (let r = 0; r < m; r++) {
        const a = A[o + r]!;
        if (a !== A0[o + r]) flips++;
        alive[r]! |= a;
      }
    }
  }
  let dead = 0;
  for (let r = 0; r < m; r++) if (!alive[r]) dead++;
  return { flips, deadFraction: dead / m };
}

/** ½·w·Σ_i‖x_i‖² for X [d, n]. */
export function zeroOutputLoss(X: Float64Array, lossWeight: number): number {
  let s = 0;
  for (let k = 0; k < X.length; k++) s += X[k]! * X[k]!;
  return 0.5 * lossWeight * s;
}

/** Watches the tracked steps of one run for a collapse to the zero output. */
export class CollapseDetector {
  private prev: { step: number; loss: number; inBand: boolean } | null = null;
  private since: number | null = null;
  private lambdaMaxInit: number | null = null;

  constructor(private readonly ctx: CollapseContext) {}

  /** Feeds one tracked step; returns the diagnosis while the network sits collapsed, else null. */
  observe(o: CollapseObservation): CollapseDiagnosis | null {
    const z = this.ctx.zeroOutputLoss;
    if (o.step === 0 && o.lambdaMax !== null && Number.isFinite(o.lambdaMax)) this.lambdaMaxInit = o.lambdaMax;
    const inBand = z > 0 && Number.isFinite(o.loss) && Math.abs(o.loss - z) <= ZERO_BAND * z;
    const prev = this.prev;
    this.prev = { step: o.step, loss: o.loss, inBand };
    if (!inBand) {
      this.since = null;
      return null;
    }
    this.since ??= o.step;
    const plateau = prev !== null && prev.inBand && Math.abs(o.loss - prev.loss) <= PLATEAU * z;
    const dead = o.deadFraction !== null && o.deadFraction >= DEAD_SHARE;
    const singular = o.lambdaMin !== null && o.lambdaMax !== null && o.lambdaMin <= SINGULAR * Math.max(Math.abs(o.lambdaMax), Number.MIN_VALUE);
    if (!plateau || !(dead || singular)) return null;
    const causes = this.causes();
    const evidence = [...(singular ? ['λ_min(H) ≤ 0'] : []), ...(o.deadFraction !== null ? [`${Math.round(o.deadFraction * 100)}% of hidden units dead`] : [])];
    const message =
      `collapsed to the zero output since step ${this.since}: loss ${short(o.loss)} ≈ ½Σ‖x‖² = ${short(z)}, ${evidence.join(', ')}; ` +
      `the infinite-width theory does not apply. Likely cause: ${causes.join('; ')}`;
    return { step: o.step, since: this.since, loss: o.loss, zeroOutputLoss: z, lambdaMin: o.lambdaMin, deadFraction: o.deadFraction, causes, message };
  }

  private causes(): string[] {
    const { n, d, m, learningRate, lossWeight, initialLoss, zeroOutputLoss: z, nu } = this.ctx;
    const out: string[] = [];
    const lmax = this.lambdaMaxInit;
    if (lmax !== null && lmax > 0 && learningRate * lossWeight * lmax >= 2) {
      out.push(`step too large (η·λ_max(H(0)) = ${short(learningRate * lossWeight * lmax)} ≥ 2; try η ≤ ${short(1 / (lossWeight * lmax))})`);
    }
    const bigOutput = z > 0 && initialLoss >= BIG_INIT_OUTPUT * z;
    if (m < n * d || bigOutput) {
      const ratio = z > 0 ? Math.sqrt(Math.max(0, initialLoss / z - 1)) : NaN;
      out.push(
        `width too small for n·d = ${n * d} (m = ${m})` +
          (bigOutput
            ? `: the random network's output is ${short(ratio)}× the data, so the first steps switch the ReLUs off; try a smaller decoder scale ν (now ${short(nu)}) or a wider network`
            : '; try a wider network'),
      );
    }
    if (out.length === 0) out.push('no single cause found; try a smaller step or a wider network');
    return out;
  }
}
