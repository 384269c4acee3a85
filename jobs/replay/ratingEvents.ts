import { movieLensIds } from './movieLensIds.js';
import type { MovieLensRating } from './movieLensTypes.js';
import type { ReplayEvent } from './replayEvent.js';

/** Model version written on replayed impressions, so they can be told from served ones. */
export const replayModelVersion = 'movielens-replay';

/** Heartbeat period of the player (schemas/watchHeartbeat.avsc). */
export const heartbeatIntervalMs = 10_000;

/** From the impression to the click, and from the watch end to a like or dislike. */
export const reactionDelayMs = 1_000;

/**
 * Share of the video watched for each star rating: 1★ 10 %, 2★ 25 %, 3★ 50 %, 4★ 80 %,
 * 5★ 100 % (played to the end). Monotonic, so watch time carries the rating's order.
 */
export const watchRatioByRating: Readonly<Record<number, number>> = {
  1: 0.1,
  2: 0.25,
  3: 0.5,
  4: 0.8,
  5: 1,
};

/** A rating with what the replay knows around it. */
export interface RatingContext {
  readonly rating: MovieLensRating;
  /**
   * Zero-based index of this rating among the same user's ratings with the same timestamp, in
   * replay order (by movie id): those form one recommendation list, `ml-r<user>-<timestamp>`.
   */
  readonly position: number;
  /** The movie's catalogue duration (catalogEvents.ts). */
  readonly durationMs: number;
  /** Added to every data-set time (replayClock.ts); 0 keeps the original times. */
  readonly offsetMs: number;
}

/**
 * The events one rating becomes, in event-time order. With `t` the rating's time (ms, shifted
 * by the offset), `D` the movie's duration and `W = round(D × watchRatioByRating[stars])`:
 *
 * 1. impression at `t`: request `ml-r<user>-<timestamp>`, the rating's `position` in that
 *    list, surface HOME_FEED, model version {@link replayModelVersion};
 * 2. click at `t + 1 s` (same request and position); playback `ml-s<user>-<movie>` starts;
 * 3. one heartbeat every 10 s of playback while `10 s × k ≤ W` (at `t + 1 s + 10 s × k`, with
 *    `watchedMs = 10 s × k`);
 * 4. watch end at `t + 1 s + W` with `watchedMs = W`, `videoDurationMs = D`, reason COMPLETED
 *    when `W ≥ D` (5★) and SWIPED_AWAY otherwise;
 * 5. 5★: a LIKE, and 1★ or 2★: a DISLIKE, 1 s after the watch end; 3★ and 4★: nothing more.
 *
 * Every event of a rating is at or after `t`, so a replay in rating order can merge them into
 * one event-time-ordered stream (eventMerge.ts).
 */
export function ratingEvents(context: RatingContext): ReplayEvent[] {
  const { rating, position, durationMs } = context;
  const t = rating.timestamp * 1000 + context.offsetMs;
  const userId = movieLensIds.user(rating.userId);
  const videoId = movieLensIds.video(rating.movieId);
  const requestId = movieLensIds.request(rating.userId, rating.timestamp);
  const sessionId = movieLensIds.session(rating.userId, rating.movieId);
  const watchedMs = Math.round(durationMs * (watchRatioByRating[rating.rating] ?? 0));
  const playStart = t + reactionDelayMs;
  const watchEndTime = playStart + watchedMs;
  const events: ReplayEvent[] = [
    {
      kind: 'impression',
      value: {
        requestId,
        userId,
        videoId,
        position,
        surface: 'HOME_FEED',
        modelVersion: replayModelVersion,
        eventTime: t,
        predictedClick: null,
        explored: false,
      },
    },
    {
      kind: 'click',
      value: { requestId, userId, videoId, position, surface: 'HOME_FEED', eventTime: playStart },
    },
  ];
  for (let played = heartbeatIntervalMs; played <= watchedMs; played += heartbeatIntervalMs) {
    events.push({
      kind: 'watchHeartbeat',
      value: { userId, videoId, sessionId, watchedMs: played, eventTime: playStart + played },
    });
  }
  events.push({
    kind: 'watchEnd',
    value: {
      userId,
      videoId,
      sessionId,
      watchedMs,
      videoDurationMs: durationMs,
      reason: watchedMs >= durationMs ? 'COMPLETED' : 'SWIPED_AWAY',
      requestId,
      eventTime: watchEndTime,
    },
  });
  const engagement = rating.rating === 5 ? 'LIKE' : rating.rating <= 2 ? 'DISLIKE' : undefined;
  if (engagement !== undefined) {
    events.push({
      kind: 'engagement',
      value: {
        userId,
        videoId,
        creatorId: movieLensIds.creator(rating.movieId),
        type: engagement,
        requestId,
        eventTime: watchEndTime + reactionDelayMs,
      },
    });
  }
  return events;
}
