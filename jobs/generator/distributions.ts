/** A uniform source in [0, 1), e.g. `seededRandom(seed)`. */
export type Random = () => number;

/** Standard normal (Box–Muller; one of the pair is dropped to stay stateless). */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is never taken
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Log-normal with the given median and log-space standard deviation. */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(random));
}

/** Exponential waiting time with the given mean. */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** `true` with probability `p`. */
export function bernoulli(random: Random, p: number): boolean {
  return random() < p;
}

/** A uniformly chosen element of a non-empty list. */
export function pick<TItem>(random: Random, items: readonly TItem[]): TItem {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) {
    throw new Error('pick from an empty list');
  }
  return item;
}

/** `count` distinct indexes out of `0..n-1` (all of them when `count >= n`), in draw order. */
export function distinctIndexes(random: Random, options: { n: number; count: number }): number[] {
  const chosen = new Set<number>();
  const wanted = Math.min(options.count, options.n);
  while (chosen.size < wanted) {
    chosen.add(Math.floor(random() * options.n));
  }
  return [...chosen];
}

/** Zipf weight of a zero-based popularity rank: 1 / (rank + 1)^exponent. */
export function zipfWeight(rank: number, exponent: number): number {
  return 1 / Math.pow(rank + 1, exponent);
}

/** Clamps `value` into [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** A random permutation of `0..n-1` (Fisher–Yates). */
export function permutation(random: Random, n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  return order;
}
