/**
 * The engine's seeded generator (SPEC §8). It lives in src/shared/random.ts so that shared code (the
 * random sweep draws) uses the same generator family; the engine keeps importing it from here.
 */
export { createRng, randomPermutation, STREAMS } from '../../shared/random';
export type { Rng } from '../../shared/random';
