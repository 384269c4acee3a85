import type { MovieLensRating } from '../replay/movieLensTypes.js';

const dayMs = 86_400_000;

/**
 * The default cut-off: 1998-03-08 00:00 UTC. The shared MovieLens copy ends on 1998-04-08
 * (ratings from 1998-04-09 on are held back), so this leaves 31 days, about four weeks, to
 * evaluate on, and 5½ months (1997-09-20 on) to train on.
 */
export const defaultCutoffMs = Date.UTC(1998, 2, 8);

/** A time-based split of the ratings. */
export interface TimeSplit {
  /** Ratings before the cut-off: what the recommender may learn from (replayed into it). */
  readonly train: readonly MovieLensRating[];
  /** Ratings in `[cutoffMs, endMs)`: what it is judged on. */
  readonly test: readonly MovieLensRating[];
  readonly cutoffMs: number;
  /** Exclusive end of the test window; Infinity when it runs to the end of the data. */
  readonly endMs: number;
}

/**
 * Splits ratings by time: a rating at `timestamp` seconds is in `train` when
 * `timestamp × 1000 < cutoffMs`, in `test` when `cutoffMs ≤ timestamp × 1000 < cutoffMs +
 * testDays days` (to the end of the data without `testDays`), and in neither after that. Order
 * within each part is the input's.
 *
 * @example
 * ```ts
 * const split = splitByTime(data.ratings, { cutoffMs: defaultCutoffMs, testDays: 28 });
 * ```
 */
export function splitByTime(
  ratings: readonly MovieLensRating[],
  options: { cutoffMs: number; testDays?: number },
): TimeSplit {
  const { cutoffMs } = options;
  const endMs = options.testDays === undefined ? Infinity : cutoffMs + options.testDays * dayMs;
  const train: MovieLensRating[] = [];
  const test: MovieLensRating[] = [];
  for (const rating of ratings) {
    const ms = rating.timestamp * 1000;
    if (ms < cutoffMs) {
      train.push(rating);
    } else if (ms < endMs) {
      test.push(rating);
    }
  }
  return { train, test, cutoffMs, endMs };
}

/** The validation window's default length: the last 14 days of the training part. */
export const defaultValidationDays = 14;

/**
 * The validation split inside a training part: ratings in the last `validationDays` days before
 * `cutoffMs` are the validation window (what hyperparameters and the best baseline are chosen
 * on), those before it are validation-training. The test window (at or after `cutoffMs`) is not
 * in `train` and so is never looked at: pass only the training part.
 *
 * @example
 * ```ts
 * const validation = validationSplit(split.train, { cutoffMs: split.cutoffMs, validationDays: 14 });
 * ```
 */
export function validationSplit(
  train: readonly MovieLensRating[],
  options: { cutoffMs: number; validationDays?: number },
): TimeSplit {
  const days = options.validationDays ?? defaultValidationDays;
  if (!(days > 0)) {
    throw new RangeError(`a validation window must be at least a day, not ${days}`);
  }
  const late = train.find((r) => r.timestamp * 1000 >= options.cutoffMs);
  if (late !== undefined) {
    throw new RangeError(
      `the training part has a rating at or after the cut-off (user ${late.userId}, movie ${late.movieId})`,
    );
  }
  return splitByTime(train, { cutoffMs: options.cutoffMs - days * dayMs, testDays: days });
}

/** One user to evaluate: what they saw before the cut-off, and what they watched after. */
export interface EvaluationUser {
  readonly userId: number;
  /** Movies rated in train: masked out of every ranking for this user. */
  readonly seen: ReadonlySet<number>;
  /**
   * Movies rated in test (with at least `minRating` stars, see evaluationUsers) and not in
   * `seen`: the relevant items (binary relevance).
   */
  readonly relevant: ReadonlySet<number>;
}

/**
 * The users to evaluate: every user with at least one relevant test item, by user id. Users
 * with no test ratings are left out (their recall is undefined). Users with test ratings but
 * fewer than `minSeen` training ratings are left out too; by default (0) cold-start users, with
 * an empty `seen`, are kept. On the shared data with the default cut-off most test users are
 * new (171 of 259), so report both: all users, and `minSeen: 1`.
 *
 * `minRating` (default 1: any rating) is the relevance threshold: with 4, a test rating of 1 to 3
 * stars is not a hit (the replay turns 1–2★ into dislikes), and users with no test rating of 4
 * or more are left out. `seen` is every training rating whatever its stars.
 */
export function evaluationUsers(
  split: TimeSplit,
  options: { minSeen?: number; minRating?: number } = {},
): EvaluationUser[] {
  const minSeen = options.minSeen ?? 0;
  const minRating = options.minRating ?? 1;
  const seen = new Map<number, Set<number>>();
  for (const r of split.train) {
    setIn(seen, r.userId).add(r.movieId);
  }
  const relevant = new Map<number, Set<number>>();
  for (const r of split.test) {
    if (r.rating >= minRating && seen.get(r.userId)?.has(r.movieId) !== true) {
      setIn(relevant, r.userId).add(r.movieId);
    }
  }
  return [...relevant.entries()]
    .sort(([a], [b]) => a - b)
    .map(([userId, items]) => ({ userId, seen: seen.get(userId) ?? new Set(), relevant: items }))
    .filter((user) => user.seen.size >= minSeen);
}

function setIn(map: Map<number, Set<number>>, key: number): Set<number> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
