/**
 * The engine's seeded pseudo-random generator (SPEC §8): xoshiro128** on 32-bit words (Math.imul), seeded
 * by splitmix64 from (seed, stream), with Marsaglia's polar method for normals. Deterministic on every
 * platform; independent streams per purpose (data, test data, init, batches, ...). No Math.random.
 * It lives in src/shared (pure, no environment imports) so that the engine (via engine/random.ts) and the
 * random sweep draws (shared/sweeps) use one generator family.
 */

/** A seeded generator. All draws are float64. */
export interface Rng {
  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Fills `out` with i.i.d. N(0, std²). */
  fillNormal(out: Float64Array, std: number): void;
  /** Fills `out` with i.i.d. ±scale (probability ½ each). */
  fillRademacher(out: Float64Array, scale: number): void;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** The full state (JSON-safe numbers); {@link setState} continues the same sequence. */
  getState(): number[];
  /** Restores a state from {@link getState}. */
  setState(state: number[]): void;
}

/** Well-known stream indices, so that callers do not collide by accident. */
export const STREAMS = {
  data: 0,
  testData: 1,
  init: 2,
  batches: 3,
  shuffle: 4,
  monteCarlo: 5,
  sketch: 6,
  /** the random axes of a sweep (src/shared/sweeps), seeded by the sweep's own `random.seed` */
  sweep: 7,
} as const;

const MASK64 = (1n << 64n) - 1n;

/** splitmix64 step on a BigInt state; returns [newState, output]. Used only when seeding. */
function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z = z ^ (z >> 31n);
  return [s, z];
}

function checkIntegerArg(name: string, v: number): void {
  if (!Number.isFinite(v) || !Number.isInteger(v)) {
    throw new RangeError(`createRng: ${name} must be a finite integer, got ${String(v)}`);
  }
}

class Xoshiro128 implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private hasSpare = false;
  private spare = 0;

  constructor(seed: number, stream: number) {
    checkIntegerArg('seed', seed);
    checkIntegerArg('stream', stream);
    // Seed and stream together form the splitmix state; each stream is a different splitmix start point.
    let st = (BigInt.asUintN(64, BigInt(seed)) ^ ((BigInt.asUintN(32, BigInt(stream)) * 0xd1b54a32d192ed03n) & MASK64)) & MASK64;
    let out: bigint;
    [st, out] = splitmix64(st);
    const a = out;
    [st, out] = splitmix64(st);
    const b = out;
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** xoshiro128** next output as an unsigned 32-bit integer. */
  private next32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  uniform(): number {
    const hi = this.next32() >>> 5; // 27 bits
    const lo = this.next32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number, v: number, q: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  fillNormal(out: Float64Array, std: number): void {
    // normal() with the generator's state in locals (the same draws in the same order, bit for bit): about
    // twice as fast for the millions of draws of an init at m = 10 000.
    const len = out.length;
    let i = 0;
    if (len > 0 && this.hasSpare) {
      this.hasSpare = false;
      out[i++] = std * this.spare;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    let u = 0;
    let v = 0;
    let q = 0;
    const words = new Uint32Array(4);
    while (i < len) {
      do {
        // two uniform() draws of 53 bits each, as in uniform(): four next32() steps
        for (let k = 0; k < 4; k++) {
          words[k] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
          const t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = rotl(s3, 11);
        }
        u = 2 * (((words[0]! >>> 5) * 67108864 + (words[1]! >>> 6)) / 9007199254740992) - 1;
        v = 2 * (((words[2]! >>> 5) * 67108864 + (words[3]! >>> 6)) / 9007199254740992) - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      out[i++] = std * (u * f);
      // normal() keeps v·f as its spare even once it is used (getState reports it): so does this.
      this.spare = v * f;
      if (i < len) out[i++] = std * this.spare;
      else this.hasSpare = true;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  fillRademacher(out: Float64Array, scale: number): void {
    let bits = 0;
    let left = 0;
    for (let i = 0; i < out.length; i++) {
      if (left === 0) {
        bits = this.next32();
        left = 32;
      }
      out[i] = bits & 1 ? scale : -scale;
      bits >>>= 1;
      left--;
    }
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 52) {
      throw new RangeError(`Rng.int: maxExclusive must be an integer in [1, 2^52], got ${String(maxExclusive)}`);
    }
    return Math.floor(this.uniform() * maxExclusive);
  }

  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.hasSpare ? 1 : 0, this.spare];
  }

  setState(state: number[]): void {
    if (!Array.isArray(state) || state.length !== 6 || !state.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new RangeError(`Rng.setState: expected 6 finite numbers from getState(), got ${Array.isArray(state) ? state.length + ' entries' : typeof state}`);
    }
    const [a, b, c, d, h, sp] = state as [number, number, number, number, number, number];
    if ((a | b | c | d) === 0) throw new RangeError('Rng.setState: the all-zero state is invalid for xoshiro128**');
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    this.hasSpare = h === 1;
    this.spare = sp;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Creates a seeded generator; different `stream` indices give independent sequences for the same seed
 * (see {@link STREAMS}). Same (seed, stream) → same sequence on every platform.
 */
export function createRng(seed: number, stream = 0): Rng {
  return new Xoshiro128(seed, stream);
}

/** Fisher–Yates shuffle of 0..n−1 with the given generator (a permutation as Int32Array). */
export function randomPermutation(rng: Rng, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
