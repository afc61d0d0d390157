/** A seeded uniform generator on [−0.5, 0.5) (LCG), so linalg tests need nothing beyond the code under test. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}
