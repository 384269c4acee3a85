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
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (n === 0) {
    throw new RangeError('no values to bootstrap');
  }
  if (!Number.isInteger(resamples) || resamples < 1 || !(level > 0 && level < 1)) {
    throw new RangeError(`bad bootstrap settings: ${resamples} resamples, level ${level}`);
  }
  const { statistic } = options;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += statistic(i);
  }
  const random = seededRandom(options.seed ?? 42);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += statistic(Math.floor(random() * n));
    }
    means[b] = sum / n;
  }
  means.sort();
  const alpha = 1 - level;
  const lowerIndex = Math.floor(resamples * (alpha / 2));
  const upperIndex = Math.min(resamples - 1, Math.ceil(resamples * (1 - alpha / 2)) - 1);
  return {
    mean: total / n,
    lower: means[lowerIndex] ?? NaN,
    upper: means[upperIndex] ?? NaN,
    n,
  };
}
