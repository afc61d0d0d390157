/**
 * The measurements of the paper's experiments that are not training runs (SPEC §9), one engine task each
 * ('experiment'), so that a sweep runs them as cells like runs: E1 closed forms against Monte Carlo, E2 the
 * empirical NTK's relative error at init, E3/E4/E9 the λ's and sufficient widths of a data set, E7 the
 * weight-tied output at init, E8 the trained network against the kernel predictor. Pure and seeded.
 */
import { z } from 'zod';
import { WorkbenchException } from '../../../shared/api/result';
import { parseConfig, issuesToText, type Config } from '../../../shared/config/schema';
import { createRng, STREAMS } from '../random';
import { sphereData } from '../datasets/synthetic';
import { buildDataset } from '../datasets';
import { initParams } from '../autoencoder/init';
import { forwardOutputs, outputScale } from '../autoencoder/model';
import { tracedEmpiricalNtks } from '../ntk/empiricalNtk';
import { infiniteKernel, regimeKernel } from '../ntk/infiniteKernels';
import { largestEigenvalue, symmetricSpectralNorm } from '../linalg';
import { theoryReport } from '../theory';
import { spanShare } from '../theory/linearized';
import { fitKernelRegression } from '../related/kernelRegression';

const seed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const dim = (max: number) => z.number().int().min(1).max(max);

export const experimentTaskSchema = z.discriminatedUnion('kind', [
  /** E1: Monte Carlo estimates of H_enc, H_dec (pairs) and E[wσ(wᵀx)] with N draws of w ~ N(0, I_d). */
  z.object({ kind: z.literal('monte-carlo'), d: dim(64), draws: z.number().int().min(10).max(10_000_000), seed }),
  /** E2: ‖H̄_m − H∞‖₂/‖H∞‖₂ of the traced NTK at init, per regime, on sphere data. */
  z.object({ kind: z.literal('concentration'), n: dim(500), d: dim(200), m: dim(1_000_000), init: z.enum(['gaussian', 'orthogonal']), seed }),
  /** E3, E4, E9: λ₀, λ_dec, λ_J, λ_max and the sufficient widths of sphere data (κ = ν = 1, δ = 0.1). */
  z.object({ kind: z.literal('lambdas'), n: dim(2000), d: dim(2000), seed, delta: z.number().positive().max(1).default(0.1) }),
  /** E7: weight-tied output at init, ‖u₀(x)‖ and ‖u₀(x) − x‖ on sphere data. */
  z.object({
    kind: z.literal('tied'),
    n: dim(500),
    d: dim(200),
    m: dim(1_000_000),
    scaling: z.enum(['ntk', 'mean-field']),
    kappaSq: z.enum(['1', '2/sqrt(m)']),
    seed,
  }),
  /** E8: the trained network (W [m, d], V [d, m]) on the run's test inputs against the kernel predictor. */
  z.object({ kind: z.literal('memorization'), config: z.unknown(), W: z.instanceof(Float64Array), V: z.instanceof(Float64Array) }),
]);
export type ExperimentTask = z.input<typeof experimentTaskSchema>;

/** One Monte Carlo estimate against its closed form. */
export interface McRow {
  quantity: string;
  draws: number;
  estimate: number;
  stdErr: number;
  exact: number;
}

/** Runs one experiment measurement (see the module doc). */
export function runExperimentTask(raw: unknown, signal?: { readonly aborted: boolean }): unknown {
  const a = experimentTaskSchema.parse(raw);
  switch (a.kind) {
    case 'monte-carlo':
      return { rows: monteCarlo(a.d, a.draws, a.seed, signal) };
    case 'concentration':
      return concentration(a.n, a.d, a.m, a.init, a.seed);
    case 'lambdas': {
      const { X, d, n } = sphereData(createRng(a.seed, STREAMS.data), a.d, a.n);
      const r = theoryReport(X, d, n, { kappa: 1, nu: 1, steps: [], delta: a.delta });
      return {
        lambdaEnc: r.lambdaEnc,
        lambdaDec: r.lambdaDec,
        lambdaJoint: r.lambdaJoint,
        lambdaMaxEnc: r.lambdaMaxEnc,
        lambdaMaxDec: r.lambdaMaxDec,
        lambdaMaxJoint: r.lambdaMaxJoint,
        sufficientWidth: r.sufficientWidth,
      };
    }
    case 'tied':
      return tied(a.n, a.d, a.m, a.scaling, a.kappaSq, a.seed);
    case 'memorization':
      return memorization(a.config, a.W, a.V);
  }
}

/**
 * E1 (SPEC §5.4, D1): the pairs x, y of d = `d` below, w ~ N(0, I_d) drawn `draws` times; estimates of
 * H_enc(x, y) = xᵀy·E[1[wᵀx ≥ 0]1[wᵀy ≥ 0]], H_dec(x, y) = E[σ(wᵀx)σ(wᵀy)] and the first coordinate of
 * E[wσ(wᵀx)] (= x₁/2), each with its standard error, next to the closed form.
 */
export function monteCarlo(d: number, draws: number, seedValue: number, signal?: { readonly aborted: boolean }): McRow[] {
  if (d < 2) throw new WorkbenchException('invalid-request', `d: the Monte Carlo check needs d ≥ 2, got ${d}`);
  const unit = (v: number[]): number[] => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  const e = (k: number): number[] => Array.from({ length: d }, (_, a) => (a === k ? 1 : 0));
  const x0 = unit(Array.from({ length: d }, (_, a) => Math.sin(1.3 * (a + 1)) + 0.2));
  const x1 = unit(Array.from({ length: d }, (_, a) => Math.cos(0.7 * (a + 1) + 0.4)));
  const near = unit(x0.map((v, a) => v + 1e-3 * e(1)[a]!));
  const pairs: { name: string; x: number[]; y: number[] }[] = [
    { name: 'unit pair', x: x0, y: x1 },
    { name: 'non-unit pair', x: x0.map((v) => 2.5 * v), y: x1.map((v) => 0.4 * v) },
    { name: 'near-parallel', x: x0, y: near },
    { name: 'anti-parallel', x: x0, y: x0.map((v) => -v) },
    { name: 'diagonal', x: x1.map((v) => 1.7 * v), y: x1.map((v) => 1.7 * v) },
  ];
  const rng = createRng(seedValue, STREAMS.monteCarlo);
  const w = new Float64Array(d);
  const P = pairs.length;
  const sumE = new Float64Array(P);
  const sqE = new Float64Array(P);
  const sumD = new Float64Array(P);
  const sqD = new Float64Array(P);
  let sumStein = 0;
  let sqStein = 0;
  const dot = (u: Float64Array, v: number[]): number => {
    let s = 0;
    for (let a = 0; a < d; a++) s += u[a]! * v[a]!;
    return s;
  };
  const xdots = pairs.map((p) => p.x.reduce((s, v, a) => s + v * p.y[a]!, 0));
  for (let t = 0; t < draws; t++) {
    if ((t & 0xffff) === 0 && signal?.aborted) throw new WorkbenchException('cancelled', 'the Monte Carlo check was cancelled');
    rng.fillNormal(w, 1);
    for (let k = 0; k < P; k++) {
      const zx = dot(w, pairs[k]!.x);
      const zy = dot(w, pairs[k]!.y);
      const enc = zx >= 0 && zy >= 0 ? xdots[k]! : 0;
      const dec = Math.max(zx, 0) * Math.max(zy, 0);
      sumE[k]! += enc;
      sqE[k]! += enc * enc;
      sumD[k]! += dec;
      sqD[k]! += dec * dec;
    }
    const st = w[0]! * Math.max(dot(w, x0), 0);
    sumStein += st;
    sqStein += st * st;
  }
  const est = (s: number, q: number) => {
    const mean = s / draws;
    return { estimate: mean, stdErr: Math.sqrt(Math.max(q / draws - mean * mean, 0) / Math.max(draws - 1, 1)) };
  };
  const rows: McRow[] = [];
  pairs.forEach((p, k) => {
    // [d, 2]: columns x and y, for the closed forms.
    const XY = new Float64Array(d * 2);
    for (let a = 0; a < d; a++) {
      XY[a * 2] = p.x[a]!;
      XY[a * 2 + 1] = p.y[a]!;
    }
    const enc = infiniteKernel('enc', XY, d, 2)[1]!;
    const dec = infiniteKernel('dec', XY, d, 2)[1]!;
    rows.push({ quantity: `H_enc ${p.name}`, draws, ...est(sumE[k]!, sqE[k]!), exact: enc });
    rows.push({ quantity: `H_dec ${p.name}`, draws, ...est(sumD[k]!, sqD[k]!), exact: dec });
  });
  rows.push({ quantity: 'E[w σ(wᵀx)]₁ vs x₁/2', draws, ...est(sumStein, sqStein), exact: x0[0]! / 2 });
  return rows;
}

/**
 * E2 (SPEC §5.3): sphere data n × d from `seed`, a network of width m (κ = ν = 1, NTK scaling) from the
 * same seed; for each regime the traced empirical NTK H̄ at init against its limit H∞ (weak ν²H_enc,
 * decoder κ²H_dec, joint their sum): relErr = ‖H̄ − H∞‖₂/‖H∞‖₂.
 */
export function concentration(
  n: number,
  d: number,
  m: number,
  init: 'gaussian' | 'orthogonal',
  seedValue: number,
): { relError: Record<'weak' | 'decoder' | 'joint', number> } {
  const { X } = sphereData(createRng(seedValue, STREAMS.data), d, n);
  const { W, V } = initParams({ m, d, init, kappa: 1, nu: 1, tied: false }, createRng(seedValue, STREAMS.init));
  const scale = outputScale('ntk', m);
  const relError = {} as Record<'weak' | 'decoder' | 'joint', number>;
  const regimes = ['weak', 'decoder', 'joint'] as const;
  // The three traced kernels from one pass over the hidden units (E2's cells are dominated by it at large m).
  const traced = tracedEmpiricalNtks({ X, d, n, m, W, V, scale }, regimes);
  for (const regime of regimes) {
    const H = traced.get(regime)!;
    const Hinf = regimeKernel(regime, X, d, n, { kappa: 1, nu: 1 });
    const diff = H.map((h, k) => h - Hinf[k]!);
    // H − H∞ is indefinite; H∞ is positive semi-definite, its norm its largest eigenvalue.
    relError[regime] = symmetricSpectralNorm(diff, n) / largestEigenvalue(Hinf, n);
  }
  return { relError };
}

/**
 * E7 (SPEC §7.6, D1–D2): weight-tied network u₀(x) = s Σ_r w_r σ(w_rᵀx), w_r ~ N(0, κ²I) with κ² = 1 or
 * 2/√m, on sphere data; the means over samples of ‖u₀(x_i)‖/‖x_i‖, of the component along x_i,
 * x_iᵀu₀(x_i)/‖x_i‖² (whose expectation is exactly smκ²/2, D1), the prediction smκ²/2, and the relative
 * identity error ‖u₀(x_i) − x_i‖/‖x_i‖.
 */
export function tied(n: number, d: number, m: number, scaling: 'ntk' | 'mean-field', kappaSq: '1' | '2/sqrt(m)', seedValue: number) {
  const { X } = sphereData(createRng(seedValue, STREAMS.data), d, n);
  const k2 = kappaSq === '1' ? 1 : 2 / Math.sqrt(m);
  const { W, V } = initParams({ m, d, init: 'gaussian', kappa: Math.sqrt(k2), nu: 1, tied: true }, createRng(seedValue, STREAMS.init));
  const s = outputScale(scaling, m);
  const U = forwardOutputs(W, V, X, { d, n, m }, s);
  let norm = 0;
  let along = 0;
  let err = 0;
  for (let i = 0; i < n; i++) {
    let u2 = 0;
    let e2 = 0;
    let x2 = 0;
    let ux = 0;
    for (let a = 0; a < d; a++) {
      u2 += U[a * n + i]! ** 2;
      e2 += (U[a * n + i]! - X[a * n + i]!) ** 2;
      x2 += X[a * n + i]! ** 2;
      ux += U[a * n + i]! * X[a * n + i]!;
    }
    norm += Math.sqrt(u2 / x2);
    along += ux / x2;
    err += Math.sqrt(e2 / x2);
  }
  return { outputNorm: norm / n, outputAlongX: along / n, predictedNorm: (s * m * k2) / 2, identityError: err / n, kappaSq: k2 };
}

/**
 * E8 (SPEC §6): the network W, V on the config's test inputs against the kernel predictor X H⁻¹ q(x) of
 * the regime's H∞ (ridge 0, pseudo-inverse), the share of the network's output energy in span(X), the
 * kernel predictor's share and the baseline rank(X)/d.
 */
export function memorization(rawConfig: unknown, W: Float64Array, V: Float64Array) {
  const r = parseConfig(rawConfig);
  if (!r.ok) throw new WorkbenchException('invalid-config', issuesToText(r.issues), { issues: r.issues });
  const c: Config = r.config;
  const data = buildDataset(c, { skipWarnings: true });
  const { X, d, n, Xtest, nTest } = data;
  const m = c.hiddenWidth;
  if (W.length !== m * d || V.length !== d * m)
    throw new WorkbenchException('invalid-data', `memorization: W has ${W.length} and V ${V.length} entries, expected ${m * d} each`);
  if (nTest < 1) throw new WorkbenchException('invalid-config', 'testSamples: the memorization measure needs test inputs');
  const regime = c.regime === 'tied' ? 'joint' : c.regime;
  const kopts = { kappa: c.kappa, nu: c.nu };
  const K = regimeKernel(regime, X, d, n, kopts);
  const Q = regimeKernel(regime, X, d, n, kopts, Xtest, nTest);
  const kernel = fitKernelRegression(K, n, X, d, 0).predict(Q, nTest);
  const s = outputScale(c.scaling, m);
  const net = forwardOutputs(W, V, Xtest, { d, n: nTest, m }, s);
  let num = 0;
  let den = 0;
  for (let i = 0; i < net.length; i++) {
    num += (net[i]! - kernel[i]!) ** 2;
    den += kernel[i]! ** 2;
  }
  const shareNet = spanShare(X, d, n, net, nTest);
  return {
    spanShareNetwork: shareNet.share,
    spanShareKernel: spanShare(X, d, n, kernel, nTest).share,
    baseline: shareNet.baseline,
    relativeDifference: den > 0 ? Math.sqrt(num / den) : null,
    n,
    d,
    nTest,
  };
}
