/**
 * The ONNX graphs of the fused trainer (SPEC §1, §4, §5.2). Everything hidden is computed in the
 * sample-major layout Zᵀ = XᵀWᵀ [n, m], so that the traced-NTK blocks are contiguous row slices and a GD
 * step and the traced NTK can share Zᵀ, σ(Zᵀ) and the mask 1[Zᵀ ≥ 0] in one graph. Large batches are computed
 * in row blocks of samples ({@link rowBlocks}): each block's forward products, its share of the gradient and
 * its rows of the traced NTK's Gram factors, so that the [n, m] intermediates live one block at a time.
 *
 * Graph inputs (all of the trainer's dtype):
 *   X [d, n], Xt [n, d], W [m, d], V [d, m] (absent when tied: V = Wᵀ),
 *   scalars s, cW = lossWeight·s·η_W, cV = lossWeight·s·η_V, cL = lossWeight/2.
 * The step sizes are graph inputs, not Gemm alpha attributes: attributes are float32 and would round η in
 * float64 (STACK-NOTES).
 */
import type { Dtype, Regime } from '../../../../shared/config/schema';
import { ElemType, GraphBuilder } from './graphBuilder';

/** Sizes and regime a graph is built for. */
export interface GraphDims {
  d: number;
  n: number;
  m: number;
  regime: Regime;
  dtype: Dtype;
  /** weight of the decoder block in the traced NTK: η_V/η_W for joint (effective kernel, SPEC §10.6), else 1 */
  decoderWeight: number;
}

interface Forward {
  Zt: string;
  mask: string;
  St: string;
  /** empty when the graph needs no residual */
  Rt: string;
}

function declareInputs(g: GraphBuilder, dims: GraphDims): { X: string; Xt: string; W: string; V: string | null } {
  const { d, n, m, regime } = dims;
  const X = g.input('X', [d, n]);
  const Xt = g.input('Xt', [n, d]);
  const W = g.input('W', [m, d]);
  const V = regime === 'tied' ? null : g.input('V', [d, m]);
  return { X, Xt, W, V };
}

/** Zᵀ = XᵀWᵀ [n, m], mask = 1[Zᵀ ≥ 0], Sᵀ = σ(Zᵀ), Rᵀ = s·Sᵀ Vᵀ − Xᵀ [n, d] (V = Wᵀ when tied). */
function forward(g: GraphBuilder, X: string, Xt: string, W: string, V: string | null, s: string, residual = true): Forward {
  const Zt = g.op('Gemm', [X, W], { transA: 1, transB: 1 });
  const mask = g.op('GreaterOrEqual', [Zt, g.scalar(0)]);
  const St = g.op('Relu', [Zt]);
  if (!residual) return { Zt, mask, St, Rt: '' };
  const Yt = V === null ? g.op('MatMul', [St, W]) : g.op('Gemm', [St, V], { transB: 1 });
  const Rt = g.op('Sub', [g.op('Mul', [Yt, s]), Xt]);
  return { Zt, mask, St, Rt };
}

/**
 * Row blocks of samples the hidden products [n, m] are computed in: every graph of a trainer runs its forward
 * pass, its GD step and the traced NTK's Gram products block by block, so that only one block's [n/k, m]
 * intermediates (not the whole batch's) need to be live at a time. At least the symmetric Gram's blocks
 * ({@link gramBlocks}); more where [n, m] is large (about 4·10⁶ entries per block), each block at least 64 rows.
 * The products and their sums are the same; the rounding of the float sums over samples moves with the block
 * bounds, so every graph of one trainer uses these same blocks (the fused and the plain runs agree bit for bit).
 */
export function rowBlocks(n: number, m: number): number {
  const byMemory = Math.ceil((n * m) / BLOCK_ENTRIES);
  return Math.max(1, Math.min(Math.max(gramBlocks(n), byMemory), MAX_ROW_BLOCKS, Math.floor(n / 64)));
}

const BLOCK_ENTRIES = 4 * 1024 * 1024;
const MAX_ROW_BLOCKS = 16;

/** The forward products of each row block of samples, with that block's Xᵀ [nb, d]. */
interface Blocked {
  blocks: (Forward & { Xt: string })[];
  /** block a's rows of a [n, …] value (the value itself where there is one block), on the blocks' own bounds */
  rowsOf(value: string, a: number): string;
}

/**
 * {@link forward} on each of the {@link rowBlocks} row blocks (one block: the whole batch, no slices). `then`,
 * where given, adds what is done with a block's products right after them and, where `more` blocks follow, may
 * return a gate: a boolean
 * [1, 1] computed from that work, on which the next block's products are made to depend (its slice of X goes
 * through Where(gate, Xa, Xa), the same values whatever the gate, NaN included). onnxruntime orders the nodes
 * by their data alone: without the gate it computes every block's [nb, m] products before the first block's
 * gradient (all blocks' intermediates live at once, ~110 MiB at n = 1000, m = 10 000); with it, block by block.
 */
function blockedForward(
  g: GraphBuilder,
  dims: GraphDims,
  X: string,
  Xt: string,
  W: string,
  V: string | null,
  s: string,
  residual = true,
  then?: (block: Forward & { Xt: string }, more: boolean) => string | null,
): Blocked {
  const k = rowBlocks(dims.n, dims.m);
  if (k === 1) {
    const block = { ...forward(g, X, Xt, W, V, s, residual), Xt };
    then?.(block, false);
    return { blocks: [block], rowsOf: (value) => value };
  }
  // Block a is samples [at[a], at[a + 1]): the columns of X, the rows of Xᵀ.
  const at = Array.from({ length: k + 1 }, (_, i) => g.ints([Math.round((i * dims.n) / k)]));
  const columns = g.ints([1]);
  const rowsAxis = g.ints([0]);
  const rowsOf = (value: string, a: number): string => g.op('Slice', [value, at[a]!, at[a + 1]!, rowsAxis]);
  const blocks: Blocked['blocks'] = [];
  let gate: string | null = null;
  for (let a = 0; a < k; a++) {
    const slice = g.op('Slice', [X, at[a]!, at[a + 1]!, columns]);
    const Xa: string = gate === null ? slice : g.op('Where', [gate, slice, slice]);
    const Xta = rowsOf(Xt, a);
    const block: Forward & { Xt: string } = { ...forward(g, Xa, Xta, W, V, s, residual), Xt: Xta };
    blocks.push(block);
    gate = then?.(block, a + 1 < k) ?? null;
  }
  return { blocks, rowsOf };
}

/** A boolean [1, 1] that depends on each of `values` (matrices): whether the sum of their first entries is NaN. */
function gateOn(g: GraphBuilder, values: string[]): string {
  const origin = g.ints([0, 0]);
  const one = g.ints([1, 1]);
  const firsts = values.map((v) => g.op('Slice', [v, origin, one]));
  return g.op('IsNaN', [firsts.length === 1 ? firsts[0]! : g.op('Sum', firsts)]);
}

/** L = cL·‖Rᵀ‖² over all blocks. */
function lossOf(g: GraphBuilder, f: Blocked, cL: string): string {
  const parts = f.blocks.map((b) => g.op('ReduceSumSquare', [b.Rt], { keepdims: 0 }));
  return g.op('Mul', [parts.length === 1 ? parts[0]! : g.op('Sum', parts), cL]);
}

/** Row-wise concatenation of one value of each block (the block itself when there is one). */
function rows(g: GraphBuilder, values: string[]): string {
  return values.length === 1 ? values[0]! : g.op('Concat', values, { axis: 0 });
}

/**
 * The forward products of each row block and one GD step from them, block by block (see {@link gdStep}); returns
 * the products and the names of W', V' (null when V is not trained) and the loss L(θ) before the step.
 */
function forwardAndStep(
  g: GraphBuilder,
  dims: GraphDims,
  io: { X: string; Xt: string; W: string; V: string | null; s: string; cW: string; cV: string; cL: string },
): { f: Blocked; W: string; V: string | null; loss: string } {
  const step = gdStep(g, dims, io);
  const f = blockedForward(g, dims, io.X, io.Xt, io.W, io.V, io.s, true, step.add);
  const next = step.result();
  return { f, ...next, loss: lossOf(g, f, io.cL) };
}

/**
 * One GD step from the shared forward products, a block at a time: `add` subtracts a block's share of the
 * gradient from the running W' (and V') and returns the gate on them for the next block's products (where `more`
 * follow); `result`
 * gives the names of W', V' (null when V is not trained).
 *   ∂L/∂W = s·[(VᵀE) ∘ A] Xᵀ,  ∂L/∂V = s·E Sᵀ,  tied: ∂L/∂W + (∂L/∂V)ᵀ at V = Wᵀ (SPEC §4).
 * The step sizes enter through the small residual Eᵀ [n, d] (cW, cV), and the update W − Δ is the Gemm's
 * C input with alpha = −1 (exact in both dtypes).
 */
function gdStep(
  g: GraphBuilder,
  dims: GraphDims,
  io: { W: string; V: string | null; cW: string; cV: string },
): { add(b: Forward & { Xt: string }, more: boolean): string | null; result(): { W: string; V: string | null } } {
  const { regime } = dims;
  const { W, V, cW, cV } = io;
  let Wn = W;
  // V' where V is trained (joint, decoder-only; tied has no V), else null.
  let Vn: string | null = regime === 'joint' || regime === 'decoder' ? V : null;
  // Block by block, each block's gradient is subtracted from the running W' (and V') before the next block's
  // products (gated on both), so that a block's [nb, m] values are dead when the next one starts.
  const add = (b: Forward & { Xt: string }, more: boolean): string | null => {
    if (regime !== 'decoder') {
      const Rg = g.op('Mul', [b.Rt, cW]);
      const Pt = V === null ? g.op('Gemm', [Rg, W], { transB: 1 }) : g.op('MatMul', [Rg, V]);
      // The mask as a factor rather than Where(mask, Pt, 0): onnxruntime's Where with a broadcast scalar took
      // ~11 ms of a 60 ms float32 step at n = 1000, m = 10 000 (Cast + Mul ~2 ms; n = 200: 18–25 → 12 ms a step).
      // The same products: Pt·1 = Pt, and Pt·0 is a zero (its sign lost in the sums that follow).
      const Gt = g.op('Mul', [Pt, g.op('Cast', [b.mask], { to: g.elem })]);
      Wn = g.op('Gemm', [Gt, b.Xt, Wn], { transA: 1, alpha: { float: -1 }, beta: { float: 1 } });
      if (regime === 'tied') Wn = g.op('Gemm', [b.St, Rg, Wn], { transA: 1, alpha: { float: -1 }, beta: { float: 1 } });
    }
    if (Vn !== null) {
      const Rv = g.op('Mul', [b.Rt, cV]);
      Vn = g.op('Gemm', [Rv, b.St, Vn], { transA: 1, alpha: { float: -1 }, beta: { float: 1 } });
    }
    return more ? gateOn(g, [...(regime !== 'decoder' ? [Wn] : []), ...(Vn !== null ? [Vn] : [])]) : null;
  };
  return { add, result: () => ({ W: Wn, V: Vn }) };
}

/** Row blocks for the symmetric Gram product: at most 4, each at least ~128 rows. */
export function gramBlocks(n: number): number {
  return Math.max(1, Math.min(4, Math.floor(n / 128)));
}

/**
 * G = B_t B_tᵀ [n, n] for B_t [n, m] given as its row blocks, computing only the k(k+1)/2 upper block products
 * and transposing the rest: (k+1)/(2k) of a full product's multiply-adds.
 */
function symmetricGram(g: GraphBuilder, rowsOfB: string[]): string {
  const k = rowsOfB.length;
  if (k === 1) return g.op('Gemm', [rowsOfB[0]!, rowsOfB[0]!], { transB: 1 });
  const block: string[][] = Array.from({ length: k }, () => new Array<string>(k).fill(''));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      block[a]![b] = g.op('Gemm', [rowsOfB[a]!, rowsOfB[b]!], { transB: 1 });
      if (b > a) block[b]![a] = g.op('Transpose', [block[a]![b]!], { perm: [1, 0] });
    }
  }
  const stripes = block.map((r) => g.op('Concat', r, { axis: 1 }));
  return g.op('Concat', stripes, { axis: 0 });
}

/**
 * Traced empirical NTK H̄ [n, n] (SPEC §5.2) from the shared forward products:
 *   H̄^W_ij = s²/d · (x_iᵀx_j) Σ_r ‖v_r‖² A_ri A_rj,   H̄^V = G = s² Σ_r σ_ri σ_rj,
 *   weak H̄^W, decoder H̄^V, joint H̄^W + (η_V/η_W)·H̄^V (the effective kernel of SPEC §10.6), tied H̄^W|_{v_r = w_r} + (1 + 2/d)·G
 * (tied: tr J_r(x_i)J_r(x_j)ᵀ/d with J_r(x) = s[σ(w_rᵀx) I + 1[w_rᵀx ≥ 0] w_r xᵀ]).
 * Both sums are Gram matrices of [n, m] factors (A∘√‖v_r‖² and σ), built from their row blocks with
 * {@link symmetricGram}.
 */
function tracedNtk(g: GraphBuilder, dims: GraphDims, io: { X: string; W: string; V: string | null; s: string }, f: Blocked): string {
  const { d, m, regime } = dims;
  const s2 = g.op('Mul', [io.s, io.s]);
  let H: string | null = null;
  if (regime !== 'decoder') {
    const vv =
      io.V === null
        ? g.op('Reshape', [g.op('ReduceSumSquare', [io.W], { axes: [1], keepdims: 1 }), g.ints([1, m])])
        : g.op('ReduceSumSquare', [io.V], { axes: [0], keepdims: 1 });
    const root = g.op('Sqrt', [g.op('Mul', [vv, g.op('Div', [s2, g.scalar(d)])])]);
    const Bt = f.blocks.map((b) => g.op('Mul', [g.op('Cast', [b.mask], { to: g.elem }), root]));
    const XtX = g.op('Gemm', [io.X, io.X], { transA: 1 });
    H = g.op('Mul', [XtX, symmetricGram(g, Bt)]);
  }
  if (regime !== 'weak') {
    const weight = regime === 'tied' ? 1 + 2 / d : regime === 'joint' ? dims.decoderWeight : 1;
    const factor = weight === 1 ? s2 : g.op('Mul', [s2, g.scalar(weight)]);
    const Gs = g.op('Mul', [
      symmetricGram(
        g,
        f.blocks.map((b) => b.St),
      ),
      factor,
    ]);
    H = H === null ? Gs : g.op('Add', [H, Gs]);
  }
  return H!;
}

/** Input names a step graph takes besides the parameters. */
export const SCALAR_INPUTS = ['s', 'cW', 'cV', 'cL'] as const;

/**
 * The fused GD step graph: outputs W_next, V_next (when V is trained), loss (before the step) and, when
 * `withNtk`, the traced NTK H [n, n] at the parameters before the step — sharing Zᵀ, σ and the mask — with
 * the forward graph's Ut and A there too, so that a tracked step needs no forward run of its own. With
 * `patternCounts` (and `withNtk`) the pattern is not output but counted against the input A0 [n, m] (uint8, the
 * pattern at init): see {@link patternCountOutputs}.
 */
export function buildStepGraph(dims: GraphDims, withNtk: boolean, patternCounts = false): Uint8Array {
  const g = new GraphBuilder(dims.dtype);
  const { X, Xt, W, V } = declareInputs(g, dims);
  const [s, cW, cV, cL] = SCALAR_INPUTS.map((k) => g.input(k, []));
  const { f, ...next } = forwardAndStep(g, dims, { X, Xt, W, V, s: s!, cW: cW!, cV: cV!, cL: cL! });
  g.output(next.W, 'W_next');
  if (next.V !== null) g.output(next.V, 'V_next');
  g.output(next.loss, 'loss');
  if (withNtk) {
    g.output(tracedNtk(g, dims, { X, W, V, s: s! }, f), 'H');
    if (patternCounts) {
      reconstructionOutput(g, f, Xt);
      patternCountOutputs(g, f, g.input('A0', [dims.n, dims.m], ElemType.uint8));
    } else {
      forwardOutputs(g, f, Xt);
    }
  }
  return g.build(withNtk ? (patternCounts ? 'gd_step_ntk_counts' : 'gd_step_ntk') : 'gd_step');
}

/**
 * Instead of the activation pattern A [n, m]: 'flips' (int32 [], the entries where A differs from A0) and
 * 'active' (int32 [m], the samples each unit is active on), counted block by block, so that a tracked step
 * neither forms A whole nor hands its 10 MB (n = 1000, m = 10 000) to the caller, who counted the same from it
 * (collapse.ts patternStats; issue 13). Exact integer counts.
 */
function patternCountOutputs(g: GraphBuilder, f: Blocked, A0: string): void {
  const rowsAxis = g.ints([0]);
  const flips: string[] = [];
  const active: string[] = [];
  f.blocks.forEach((b, a) => {
    const A0a = f.rowsOf(A0, a);
    const changed = g.op('Xor', [b.mask, g.op('Cast', [A0a], { to: ElemType.bool })]);
    flips.push(g.op('ReduceSum', [g.op('Cast', [changed], { to: ElemType.int32 })], { keepdims: 0 }));
    active.push(g.op('ReduceSum', [g.op('Cast', [b.mask], { to: ElemType.int32 }), rowsAxis], { keepdims: 0 }));
  });
  // (ONNX's Sum takes floats only: the blocks' integer counts are added pairwise)
  const total = (parts: string[]): string => parts.reduce((acc, p) => g.op('Add', [acc, p]));
  g.output(total(flips), 'flips', ElemType.int32);
  g.output(total(active), 'active', ElemType.int32);
}

/**
 * Forward-only graph: Ut = (s·V σ(WᵀX))ᵀ [n, d], the loss and the activation pattern A [n, m] uint8,
 * A[i, r] = 1[w_rᵀx_i ≥ 0] — one run serves a tracked step's loss,
 * outputs and pattern (inputs as the step graph, without cW, cV).
 */
export function buildForwardGraph(dims: GraphDims): Uint8Array {
  const g = new GraphBuilder(dims.dtype);
  const { X, Xt, W, V } = declareInputs(g, dims);
  const s = g.input('s', []);
  const cL = g.input('cL', []);
  const f = blockedForward(g, dims, X, Xt, W, V, s);
  g.output(lossOf(g, f, cL), 'loss');
  forwardOutputs(g, f, Xt);
  return g.build('forward');
}

/** The outputs Ut [n, d] and the activation pattern A [n, m] (uint8) of the forward products. */
function forwardOutputs(g: GraphBuilder, f: Blocked, Xt: string): void {
  reconstructionOutput(g, f, Xt);
  g.output(
    rows(
      g,
      f.blocks.map((b) => g.op('Cast', [b.mask], { to: ElemType.uint8 })),
    ),
    'A',
    ElemType.uint8,
  );
}

/** The output Ut = Rᵀ + Xᵀ [n, d] of the forward products. */
function reconstructionOutput(g: GraphBuilder, f: Blocked, Xt: string): void {
  g.output(
    g.op('Add', [
      rows(
        g,
        f.blocks.map((b) => b.Rt),
      ),
      Xt,
    ]),
    'Ut',
  );
}

/** Traced-NTK-only graph (inputs X, Xt, W, V, s). */
export function buildNtkGraph(dims: GraphDims): Uint8Array {
  const g = new GraphBuilder(dims.dtype);
  const { X, Xt, W, V } = declareInputs(g, dims);
  const s = g.input('s', []);
  const f = blockedForward(g, dims, X, Xt, W, V, s, false);
  g.output(tracedNtk(g, dims, { X, W, V, s }, f), 'H');
  return g.build('traced_ntk');
}

/**
 * The weight-tied full-NTK product (ntk/tiedOperator.ts): inputs X [d, n], Xt [n, d], W [m, d], Yt [n, d]
 * (the vector x as [n, d]), s2 = s²; output Ot [n, d] = (J Jᵀ x) as [n, d]:
 *   Gᵀ-side  G = Sᵀ… in the sample-major layout: G = StᵀYt + (A ∘ Yt Wᵀ)ᵀ Xt  [m, d],
 *   Ot = s²[St G + (A ∘ Xt Gᵀ) W]  [n, d].
 */
export function buildTiedOperatorGraph(dims: Pick<GraphDims, 'd' | 'n' | 'm' | 'dtype'>): Uint8Array {
  const { d, n, m } = dims;
  const g = new GraphBuilder(dims.dtype);
  const X = g.input('X', [d, n]);
  const Xt = g.input('Xt', [n, d]);
  const W = g.input('W', [m, d]);
  const Yt = g.input('Yt', [n, d]);
  const s2 = g.input('s2', []);
  const zero = g.scalar(0);
  const Zt = g.op('Gemm', [X, W], { transA: 1, transB: 1 }); // [n, m]
  const mask = g.op('GreaterOrEqual', [Zt, zero]);
  const St = g.op('Relu', [Zt]);
  // The mask as a factor (Cast + Mul, faster than Where with a broadcast scalar: see gdStep).
  const A = g.op('Cast', [mask], { to: g.elem });
  const Pt = g.op('Mul', [g.op('Gemm', [Yt, W], { transB: 1 }), A]); // A ∘ (WY)ᵀ [n, m]
  const G1 = g.op('Gemm', [St, Yt], { transA: 1 }); // [m, d]
  const G = g.op('Gemm', [Pt, Xt, G1], { transA: 1 }); // [m, d]
  const Qt = g.op('Mul', [g.op('Gemm', [Xt, G], { transB: 1 }), A]); // A ∘ (GX)ᵀ [n, m]
  const O1 = g.op('MatMul', [St, G]); // [n, d]
  const O = g.op('Gemm', [Qt, W, O1]); // [n, d]
  g.output(g.op('Mul', [O, s2]), 'Ot');
  return g.build('tied_ntk_product');
}
