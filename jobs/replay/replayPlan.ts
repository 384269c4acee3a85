import { movieToVideoUpload, syntheticDurationMs } from './catalogEvents.js';
import { EventMerge } from './eventMerge.js';
import type { MovieLensData, MovieLensMovie, MovieLensRating } from './movieLensTypes.js';
import { ratingEvents } from './ratingEvents.js';
import { ratingsInRange, sortRatings } from './ratingOrder.js';
import { timeOffsetMs, type TimestampMode } from './replayClock.js';
import type { ReplayEvent } from './replayEvent.js';

/** What a replay will write: the ratings in replay order, and how times are shifted. */
export interface ReplayPlan {
  /** Ratings in `[fromMs, untilMs)`, sorted (ratingOrder.ts). */
  readonly ratings: readonly MovieLensRating[];
  readonly movies: ReadonlyMap<number, MovieLensMovie>;
  /** Added to every data-set time (replayClock.ts). */
  readonly offsetMs: number;
  /** Event time of the catalogue records: the first replayed rating's (shifted) time. */
  readonly catalogTimeMs: number;
}

/**
 * Chooses what to replay. `fromMs`/`untilMs` bound the ratings by their original time (Unix
 * ms); the time offset depends on the whole data set's last rating, not on the range, so
 * replaying a data set in two ranges (train, then test) gives both the same timeline.
 */
export function planReplay(
  data: MovieLensData,
  options: { mode: TimestampMode; nowMs: number; fromMs?: number; untilMs?: number },
): ReplayPlan {
  const sorted = sortRatings(data.ratings);
  const last = sorted[sorted.length - 1];
  const offsetMs = timeOffsetMs({
    mode: options.mode,
    lastRatingMs: (last?.timestamp ?? 0) * 1000,
    nowMs: options.nowMs,
  });
  const range: { fromMs?: number; untilMs?: number } = {};
  if (options.fromMs !== undefined) {
    range.fromMs = options.fromMs;
  }
  if (options.untilMs !== undefined) {
    range.untilMs = options.untilMs;
  }
  const ratings = ratingsInRange(sorted, range);
  const first = ratings[0] ?? sorted[0];
  return {
    ratings,
    movies: data.movies,
    offsetMs,
    catalogTimeMs: (first?.timestamp ?? 0) * 1000 + offsetMs,
  };
}

/**
 * Every record of a replay in write order: first the whole catalogue (one `videoUpload` per
 * movie, by movie id, at the catalogue time), then the events of the ratings (ratingEvents.ts)
 * merged into event-time order. Lazy, so a paced replay holds only the events not yet due.
 */
export function* replayEvents(plan: ReplayPlan): Generator<ReplayEvent> {
  const movieIds = [...plan.movies.keys()].sort((a, b) => a - b);
  for (const movieId of movieIds) {
    const movie = plan.movies.get(movieId);
    if (movie !== undefined) {
      yield {
        kind: 'videoUpload',
        value: movieToVideoUpload(movie, {
          catalogTimeMs: plan.catalogTimeMs,
          offsetMs: plan.offsetMs,
        }),
      };
    }
  }
  const merge = new EventMerge();
  let previous: MovieLensRating | undefined;
  let position = 0;
  for (const rating of plan.ratings) {
    const sameList =
      previous !== undefined &&
      previous.userId === rating.userId &&
      previous.timestamp === rating.timestamp;
    position = sameList ? position + 1 : 0;
    previous = rating;
    // Nothing added from now on is earlier than this rating's time.
    yield* merge.drainUntil(rating.timestamp * 1000 + plan.offsetMs);
    merge.add(
      ratingEvents({
        rating,
        position,
        durationMs: syntheticDurationMs(rating.movieId),
        offsetMs: plan.offsetMs,
      }),
    );
  }
  yield* merge.drainAll();
}
