/**
 * mulberry32: a small, fast, seeded pseudo-random generator, so traffic generators, benchmarks
 * and randomized tests reproduce exactly from their seed. Not for anything security-related.
 *
 * @example
 * ```ts
 * const next = seededUint32(42);
 * next(); // the same sequence for seed 42, every run
 * ```
 * @category Support
 */
export function seededUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [0, 1), from the same mulberry32 sequence as `seededUint32`. @category Support */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}
