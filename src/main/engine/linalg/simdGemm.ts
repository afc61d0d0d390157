/**
 * A float64 4×4 matrix-product micro-kernel in WebAssembly SIMD (f64x2), assembled here from its bytes as
 * in simdDot.ts: the level-3 core of the blocked Cholesky trailing update and of the rank-2k update of the
 * Householder reduction (SPEC §8). Eight f64x2 accumulators hold the 4×4 tile; per step of the inner
 * dimension it does two loads of B, four splat-loads of A and 16 multiply–adds, which the scalar
 * TypeScript kernel cannot reach. When the runtime has no WebAssembly SIMD, {@link loadPackedTiles}
 * returns null and callers keep the TypeScript micro-kernel.
 */

import { float64Memory, leb, name, section } from './wasmBytes';

type TilesFn = (p: number, q: number, kk: number, out: number, count: number) => void;

interface TileModule {
  tiles: TilesFn;
  memory: WebAssembly.Memory;
}

let cached: TileModule | null | undefined;
let enabled = true;

/**
 * (func $tiles (param $p $q $kk $out $count i32)): for t < count, out[t] (16 doubles, row-major 4×4) =
 * Σ_{s<kk} P[s, :]ᵀ Q_t[s, :], where P [kk, 4] starts at byte $p and Q_t [kk, 4] at byte $q + t·kk·32
 * (the packed panels of syr2k.ts). Locals: 5 pp, 6 qq, 7 pend (i32); 8–15 accumulators, 16–17 B row (v128).
 */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const get = (i: number): number[] => [0x20, i];
  const set = (i: number): number[] => [0x21, i];
  const v128Load = (base: number, off: number): number[] => [...get(base), 0xfd, 0x00, 4, ...leb(off)];
  const splat = (base: number, off: number): number[] => [...get(base), 0xfd, 0x0a, 3, ...leb(off)];
  const mul = [0xfd, ...leb(242)];
  const add = [0xfd, ...leb(240)];
  const zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const inner: number[] = [...v128Load(6, 0), ...set(16), ...v128Load(6, 16), ...set(17)];
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      inner.push(...get(8 + 2 * r + h), ...splat(5, 8 * r), ...get(16 + h), ...mul, ...add, ...set(8 + 2 * r + h));
    }
  }
  const stores: number[] = [];
  for (let a = 0; a < 8; a++) stores.push(...get(3), ...get(8 + a), 0xfd, 0x0b, 4, ...leb(16 * a));
  const zeros: number[] = [];
  for (let a = 0; a < 8; a++) zeros.push(...zero, ...set(8 + a));
  const body = [
    2, 3, 0x7f, 10, 0x7b,
    0x02, 0x40, 0x03, 0x40,
    ...get(4), 0x45, 0x0d, 1, // if count == 0: break
    ...zeros,
    ...get(0), ...set(5),
    ...get(1), ...set(6),
    ...get(0), ...get(2), 0x41, 5, 0x74, 0x6a, ...set(7), // pend = p + kk·32
    0x02, 0x40, 0x03, 0x40,
    ...get(5), ...get(7), 0x4f, 0x0d, 1, // if pp >= pend: break
    ...inner,
    ...get(5), 0x41, 32, 0x6a, ...set(5),
    ...get(6), 0x41, 32, 0x6a, ...set(6),
    0x0c, 0, 0x0b, 0x0b,
    ...stores,
    ...get(3), 0x41, ...leb(128), 0x6a, ...set(3),
    ...get(6), ...set(1), // the next Q panel starts where this one ended
    ...get(4), 0x41, 1, 0x6b, ...set(4),
    0x0c, 0, 0x0b, 0x0b,
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('tiles'), 0, 0, ...name('mem'), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

function load(): TileModule | null {
  if (cached !== undefined) return cached;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const exp = instance.exports as { tiles: TilesFn; mem: WebAssembly.Memory };
    cached = { tiles: exp.tiles, memory: exp.mem };
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Turns the WebAssembly kernels on or off for this process (on by default), so that tests can compare the
 * SIMD and the TypeScript paths of the same routine. Returns the previous setting.
 */
export function setSimdKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the WebAssembly kernels are switched on (see {@link setSimdKernels}). */
export function simdKernelsEnabled(): boolean {
  return enabled;
}

/** Products of packed 4-row panels, computed in WebAssembly memory (see {@link loadPackedTiles}). */
export interface PackedTiles {
  /**
   * 4×4 tiles T_t = P_ibᵀ Q_{jb0+t} for t < count, returned as a view [count, 4, 4] row-major into the
   * module's memory (valid until the next call): T_t[r, s] = Σ_p pk[(ib·kk + p)·4 + r]·qk[((jb0+t)·kk + p)·4 + s].
   */
  rowTiles(ib: number, jb0: number, count: number): Float64Array;
}

/**
 * Copies the packed panels pk [blocks, kk, 4] and qk [qBlocks, kk, 4] (qk may be pk; qBlocks defaults to
 * blocks) into the SIMD module's memory, growing it only when these panels need more than any earlier call,
 * and returns their tile products. Only one PackedTiles is live at a time: a later call reuses the memory.
 * Returns null without WebAssembly SIMD.
 */
export function loadPackedTiles(pk: Float64Array, qk: Float64Array, kk: number, blocks: number, qBlocks = blocks): PackedTiles | null {
  if (pk.length < blocks * kk * 4 || qk.length < qBlocks * kk * 4) {
    const want = qBlocks === blocks ? `${blocks * kk * 4} for shape [${blocks}, ${kk}, 4]` : `${blocks * kk * 4}/${qBlocks * kk * 4} for shapes [${blocks}, ${kk}, 4]/[${qBlocks}, ${kk}, 4]`;
    throw new RangeError(`loadPackedTiles: pk/qk have ${pk.length}/${qk.length} entries, expected ≥ ${want}`);
  }
  if (!enabled) return null;
  const mod = load();
  if (mod === null) return null;
  const pPanel = blocks * kk * 4;
  const qPanel = qBlocks * kk * 4;
  const same = pk === qk && qBlocks === blocks;
  const qOff = same ? 0 : pPanel;
  const outOff = same ? pPanel : qOff + qPanel;
  const mem = float64Memory(mod.memory, outOff + qBlocks * 16);
  mem.set(pk.subarray(0, pPanel), 0);
  if (!same) mem.set(qk.subarray(0, qPanel), qOff);
  const tiles = mod.tiles;
  const stride = kk * 32;
  const qBytes = qOff * 8;
  const outBytes = outOff * 8;
  return {
    rowTiles(ib, jb0, count) {
      if (ib < 0 || ib >= blocks || jb0 < 0 || count < 0 || jb0 + count > qBlocks) {
        throw new RangeError(`rowTiles: block row ${ib} of [0, ${blocks}), columns [${jb0}, ${jb0 + count}) outside [0, ${qBlocks})`);
      }
      tiles(ib * stride, qBytes + jb0 * stride, kk, outBytes, count);
      return mem.subarray(outOff, outOff + count * 16);
    },
  };
}
