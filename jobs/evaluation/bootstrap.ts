import { seededRandom } from '../../operators/support/seededRandom.js';

/** A mean with its bootstrap confidence interval. */
export interface ConfidenceInterval {
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  /** Values the mean is over (users). */
  readonly n: number;
}

/** Bootstrap settings: 1,000 resamples, seed 42, 95 % by default. */
export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
  /** Confidence level in (0, 1). */
  readonly level?: number;
}

/**
 * The mean of `values` (one per user) with a percentile-bootstrap confidence interval over
 * users: `resamples` times, draw n values with replacement (indices `floor(u × n)` from the
 * seeded generator, operators/support/seededRandom.ts) and take their mean; sort those B means
 * m[0] ≤ … ≤ m[B−1]; with α = 1 − level the interval is
 * `[m[floor(B × α/2)], m[ceil(B × (1 − α/2)) − 1]]` (for B = 1,000 and 95 %: m[25] and m[974]).
 * The same values, options and seed give the same interval on every run.
 *
 * @example
 * ```ts
 * bootstrapMean(perUserRecall, { resamples: 1000, seed: 42 }); // { mean, lower, upper, n }
 * ```
 */
export function bootstrapMean(
  values: readonly number[],
  options: BootstrapOptions = {},
): ConfidenceInterval {
  return bootstrapStatistic(values.length, {
    ...options,
    statistic: (index) => values[index] ?? 0,
  });
}

/**
 * The mean paired difference `a[i] − b[i]` over users, with the same percentile bootstrap
 * (each resample draws users, and takes both recommenders' values of the drawn users): how to
 * tell whether one recommender beats another on the same users. An interval that excludes 0
 * says the difference is not resampling noise at that level.
 */
export function bootstrapPairedDifference(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): ConfidenceInterval {
  if (a.length !== b.length) {
    throw new RangeError(`paired values differ in length: ${a.length} and ${b.length}`);
  }
  return bootstrapStatistic(a.length, {
    ...options,
    statistic: (index) => (a[index] ?? 0) - (b[index] ?? 0),
  });
}

function bootstrapStatistic(
  n: number,
  options: BootstrapOptions & { statistic: (index: number) => number },
): ConfidenceInterval {
  // Each value its own cluster of one: the draws, the means and the interval of the plain
  // percentile bootstrap.
  return bootstrapRatio(
    Array.from({ length: n }, (_, index) => ({ sum: options.statistic(index), count: 1 })),
    options,
  );
}

/** One unit of a clustered sample: its value and the cluster it belongs to. */
export interface ClusteredValue {
  readonly cluster: number;
  readonly value: number;
}

/**
 * The mean over units with a percentile-bootstrap interval that resamples **clusters**, not
 * units: each resample draws as many clusters as there are, with replacement, takes every unit
 * of each drawn cluster, and divides the sum of their values by their count. What pooling
 * several cut-offs needs: a user evaluated at two cut-offs gives two units whose values are not
 * independent, and resampling the units alone would make the interval too narrow. With one unit
 * per cluster it is {@link bootstrapMean} (the same draws for the same seed).
 */
export function bootstrapClusteredMean(
  units: readonly ClusteredValue[],
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const byCluster = new Map<number, { sum: number; count: number }>();
  for (const unit of units) {
    const cluster = byCluster.get(unit.cluster) ?? { sum: 0, count: 0 };
    cluster.sum += unit.value;
    cluster.count += 1;
    byCluster.set(unit.cluster, cluster);
  }
  const clusters = [...byCluster.values()];
  const interval = bootstrapRatio(clusters, options);
  return { ...interval, n: units.length };
}

function bootstrapRatio(
  clusters: readonly { readonly sum: number; readonly count: number }[],
  options: BootstrapOptions,
): ConfidenceInterval {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const n = clusters.length;
  if (n === 0) {
    throw new RangeError('no values to bootstrap');
  }
  if (!Number.isInteger(resamples) || resamples < 1 || !(level > 0 && level < 1)) {
    throw new RangeError(`bad bootstrap settings: ${resamples} resamples, level ${level}`);
  }
  let total = 0;
  let count = 0;
  for (const cluster of clusters) {
    total += cluster.sum;
    count += cluster.count;
  }
  const random = seededRandom(options.seed ?? 42);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    let units = 0;
    for (let i = 0; i < n; i++) {
      const drawn = clusters[Math.floor(random() * n)];
      sum += drawn?.sum ?? 0;
      units += drawn?.count ?? 0;
    }
    means[b] = sum / units;
  }
  means.sort();
  const alpha = 1 - level;
  return {
    mean: total / count,
    lower: means[Math.floor(resamples * (alpha / 2))] ?? NaN,
    upper: means[Math.min(resamples - 1, Math.ceil(resamples * (1 - alpha / 2)) - 1)] ?? NaN,
    n: count,
  };
}
