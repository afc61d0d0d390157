/**
 * The 4×4 float64 matrix-product micro-kernel in WebAssembly SIMD (kernels/tiles.wat): the level-3 core of
 * gemmNT, of the rank-2k updates of the Householder reduction and of the blocked Cholesky trailing update
 * (SPEC §8). Eight f64x2 accumulators hold a 4×4 tile; per step of the inner dimension it does two loads of
 * B, four splat-loads of A and 16 multiply–adds, which the scalar TypeScript micro-kernels (kept for
 * products too small to be worth the copy) cannot reach.
 */
import { TILES_WASM } from './kernels/wasm.generated';
import { compiledOnce, float64Memory, InstancePool, ownership } from './wasmKernels';

/** The kernel of tiles.wat (see its header): tile products stored (sub = 0) or subtracted from a matrix. */
export type TilesFn = (p: number, q: number, kk: number, out: number, count: number, step: number, ld: number, sub: number) => void;

interface TilesInstance {
  tiles: TilesFn;
  memory: WebAssembly.Memory;
}

/** Memory limit of a tiles memory, as tiles.wat declares (the same as symv.wat's, whose memories it also runs on). */
const TILES_MAX_PAGES = 65536;

const tilesModule = compiledOnce(TILES_WASM);

function instantiate(memory: WebAssembly.Memory): TilesFn {
  return (new WebAssembly.Instance(tilesModule(), { env: { mem: memory } }).exports as { tiles: TilesFn }).tiles;
}

const pool = new InstancePool<TilesInstance>(() => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: TILES_MAX_PAGES, shared: true });
  return { tiles: instantiate(memory), memory };
});

/** The kernel on memories that other kernels own (one instance per memory, which goes with it). */
const onMemory = new WeakMap<WebAssembly.Memory, TilesFn>();

/**
 * The tile kernel on `memory` (shared, as a symmetric-product workspace's): for products whose operands and result
 * already lie in that memory, so that full tiles are subtracted from the matrix in place (sub ≠ 0 in {@link TilesFn}).
 */
export function tilesOnMemory(memory: WebAssembly.Memory): TilesFn {
  let tiles = onMemory.get(memory);
  if (tiles === undefined) {
    tiles = instantiate(memory);
    onMemory.set(memory, tiles);
  }
  return tiles;
}

/** Products of packed 4-row panels, computed in WebAssembly memory (see {@link TileKernel.load}). */
export interface PackedTiles {
  /**
   * 4×4 tiles T_t = P_ibᵀ Q_{jb0+t} for t < count, returned as a view [count, 4, 4] row-major into the
   * module's memory (valid until the next call): T_t[r, s] = Σ_p pk[(ib·kk + p)·4 + r]·qk[((jb0+t)·kk + p)·4 + s].
   */
  rowTiles(ib: number, jb0: number, count: number): Float64Array;
}

/** The tile kernel with a memory of its own, owned by its caller until {@link TileKernel.release}. */
export interface TileKernel {
  /**
   * Copies the packed panels pk [blocks, kk, 4] and qk [qBlocks, kk, 4] (qk may be pk; qBlocks defaults to
   * blocks) into the kernel's memory, growing it only when these panels need more than any earlier load,
   * and returns their tile products. A later load reuses the memory: only the latest PackedTiles is valid.
   */
  load(pk: Float64Array, qk: Float64Array, kk: number, blocks: number, qBlocks?: number): PackedTiles;
  /** Hands the kernel back; it throws if used afterwards. */
  release(): void;
}

/** A tile kernel for the caller (one that an earlier caller released, when there is one). */
export function createTileKernel(): TileKernel {
  const inst = pool.acquire();
  const own = ownership('simd tiles', () => pool.release(inst));
  return {
    load(pk, qk, kk, blocks, qBlocks = blocks) {
      own.check();
      if (pk.length < blocks * kk * 4 || qk.length < qBlocks * kk * 4) {
        const want =
          qBlocks === blocks
            ? `${blocks * kk * 4} for shape [${blocks}, ${kk}, 4]`
            : `${blocks * kk * 4}/${qBlocks * kk * 4} for shapes [${blocks}, ${kk}, 4]/[${qBlocks}, ${kk}, 4]`;
        throw new RangeError(`TileKernel.load: pk/qk have ${pk.length}/${qk.length} entries, expected ≥ ${want}`);
      }
      const pPanel = blocks * kk * 4;
      const qPanel = qBlocks * kk * 4;
      const same = pk === qk && qBlocks === blocks;
      const qOff = same ? 0 : pPanel;
      const outOff = same ? pPanel : qOff + qPanel;
      const mem = float64Memory(inst.memory, outOff + qBlocks * 16);
      mem.set(pk.subarray(0, pPanel), 0);
      if (!same) mem.set(qk.subarray(0, qPanel), qOff);
      const tiles = inst.tiles;
      const stride = kk * 32;
      const qBytes = qOff * 8;
      const outBytes = outOff * 8;
      return {
        rowTiles(ib, jb0, count) {
          own.check();
          if (ib < 0 || ib >= blocks || jb0 < 0 || count < 0 || jb0 + count > qBlocks) {
            throw new RangeError(`rowTiles: block row ${ib} of [0, ${blocks}), columns [${jb0}, ${jb0 + count}) outside [0, ${qBlocks})`);
          }
          tiles(ib * stride, qBytes + jb0 * stride, kk, outBytes, count, 128, 32, 0);
          return mem.subarray(outOff, outOff + count * 16);
        },
      };
    },
    release: own.release,
  };
}
