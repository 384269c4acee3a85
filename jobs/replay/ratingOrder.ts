import type { MovieLensRating } from './movieLensTypes.js';

/**
 * The replay order of ratings: by `timestamp`, then by user id, then by movie id (all
 * ascending). `u.data` is not sorted by time and about half of its timestamps are shared by
 * several ratings (users rated pages of movies at once), so a tie-break is needed; this one
 * depends only on the values, not on file order, so any copy of the data (even re-sorted)
 * replays identically. No (user, movie) pair occurs twice in MovieLens, so the order is total.
 */
export function compareRatings(a: MovieLensRating, b: MovieLensRating): number {
  return a.timestamp - b.timestamp || a.userId - b.userId || a.movieId - b.movieId;
}

/** A sorted copy in {@link compareRatings} order. */
export function sortRatings(ratings: readonly MovieLensRating[]): MovieLensRating[] {
  return [...ratings].sort(compareRatings);
}

/**
 * Ratings whose timestamp (Unix seconds) is in `[fromMs, untilMs)`, both bounds in Unix
 * milliseconds and optional. How the replay's `--from`/`--until` and the evaluation's split
 * select a time range.
 */
export function ratingsInRange(
  ratings: readonly MovieLensRating[],
  range: { fromMs?: number; untilMs?: number },
): MovieLensRating[] {
  const from = range.fromMs ?? -Infinity;
  const until = range.untilMs ?? Infinity;
  return ratings.filter((r) => r.timestamp * 1000 >= from && r.timestamp * 1000 < until);
}
