import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventMerge } from './eventMerge.js';
import type { MovieLensData, MovieLensRating } from './movieLensTypes.js';
import { compareRatings, sortRatings } from './ratingOrder.js';
import { timeOffsetMs } from './replayClock.js';
import type { ReplayEvent } from './replayEvent.js';
import { planReplay, replayEvents } from './replayPlan.js';

const day = 86_400_000;

function rating(userId: number, movieId: number, timestamp: number): MovieLensRating {
  return { userId, movieId, rating: 4, timestamp };
}

const data: MovieLensData = {
  ratings: [rating(2, 1, 100), rating(1, 3, 100), rating(1, 2, 100), rating(1, 1, 40)],
  movies: new Map(
    [1, 2, 3].map((movieId) => [
      movieId,
      { movieId, title: `m${movieId}`, releaseTime: 0, genres: ['Drama'] },
    ]),
  ),
  users: new Map(),
  genres: ['unknown', 'Drama'],
};

test('ratings replay by timestamp, then user id, then movie id', () => {
  assert.deepEqual(
    sortRatings(data.ratings).map((r) => [r.timestamp, r.userId, r.movieId]),
    [
      [40, 1, 1],
      [100, 1, 2],
      [100, 1, 3],
      [100, 2, 1],
    ],
  );
  assert.equal(compareRatings(rating(1, 1, 5), rating(1, 1, 5)), 0);
});

test('shifted times: whole days, last rating at least an hour before now', () => {
  const last = 892_079_910_000;
  const now = Date.UTC(2026, 10, 24, 15, 30);
  const offset = timeOffsetMs({ mode: 'shifted', lastRatingMs: last, nowMs: now });
  assert.equal(offset % day, 0);
  assert.ok(last + offset <= now - 3_600_000);
  assert.ok(last + offset + day > now - 3_600_000);
  assert.equal(timeOffsetMs({ mode: 'original', lastRatingMs: last, nowMs: now }), 0);
  assert.equal(timeOffsetMs({ mode: 'shifted', lastRatingMs: now, nowMs: now }), 0);
});

test('the catalogue comes first, then rating events in event-time order', () => {
  const plan = planReplay(data, { mode: 'original', nowMs: 0 });
  const events = [...replayEvents(plan)];
  const uploads = events.filter((e) => e.kind === 'videoUpload');
  assert.deepEqual(
    events.slice(0, 3).map((e) => e.kind),
    ['videoUpload', 'videoUpload', 'videoUpload'],
  );
  assert.ok(uploads.every((e) => e.value.eventTime === 40_000));
  const times = events.slice(3).map((e) => e.value.eventTime);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(events.filter((e) => e.kind === 'impression').length, 4);
});

test("one user's ratings in the same second form one list with positions 0, 1, …", () => {
  const plan = planReplay(data, { mode: 'original', nowMs: 0 });
  const impressions = [...replayEvents(plan)].flatMap((e) =>
    e.kind === 'impression' ? [e.value] : [],
  );
  assert.deepEqual(
    impressions.map((i) => [i.requestId, i.videoId, i.position]),
    [
      ['ml-r1-40', 'ml-m1', 0],
      ['ml-r1-100', 'ml-m2', 0],
      ['ml-r1-100', 'ml-m3', 1],
      ['ml-r2-100', 'ml-m1', 0],
    ],
  );
});

test('--from/--until select ratings by original time; the offset stays the same', () => {
  const now = Date.UTC(2026, 0, 1);
  const all = planReplay(data, { mode: 'shifted', nowMs: now });
  const part = planReplay(data, { mode: 'shifted', nowMs: now, fromMs: 50_000, untilMs: 100_000 });
  assert.equal(part.offsetMs, all.offsetMs);
  assert.deepEqual(part.ratings, []);
  const test = planReplay(data, { mode: 'shifted', nowMs: now, fromMs: 100_000 });
  assert.equal(test.ratings.length, 3);
  assert.equal(test.catalogTimeMs, 100_000 + all.offsetMs);
});

test('the merge orders by time, ties in the order added', () => {
  const merge = new EventMerge();
  const at = (eventTime: number, watchedMs: number): ReplayEvent => ({
    kind: 'watchHeartbeat',
    value: { userId: 'u', videoId: 'v', sessionId: 's', watchedMs, eventTime },
  });
  merge.add([at(5, 1), at(3, 2), at(5, 3), at(1, 4)]);
  merge.add([at(3, 5), at(9, 6)]);
  const watched = (events: ReplayEvent[]): number[] =>
    events.map((e) => (e.kind === 'watchHeartbeat' ? e.value.watchedMs : -1));
  assert.deepEqual(watched(merge.drainUntil(3)), [4, 2, 5]);
  assert.equal(merge.size, 3);
  assert.deepEqual(watched(merge.drainAll()), [1, 3, 6]);
});

test('random ratings: the merged stream equals a stable sort of all events', () => {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const ratings = Array.from({ length: 300 }, () => ({
    userId: 1 + next(5),
    movieId: 1 + next(3),
    rating: 1 + next(5),
    timestamp: next(2_000),
  }));
  const unique = [...new Map(ratings.map((r) => [`${r.userId}-${r.movieId}`, r])).values()];
  const plan = planReplay({ ...data, ratings: unique }, { mode: 'original', nowMs: 0 });
  const merged = [...replayEvents(plan)].filter((e) => e.kind !== 'videoUpload');
  assert.deepEqual(
    merged.map((e) => e.value.eventTime),
    merged.map((e) => e.value.eventTime).sort((a, b) => a - b),
  );
  // Per user and session, the order within a rating is kept.
  const ends = new Set<string>();
  for (const event of merged) {
    if (event.kind === 'watchEnd') {
      ends.add(event.value.sessionId);
    } else if (event.kind === 'watchHeartbeat') {
      assert.ok(!ends.has(event.value.sessionId));
    }
  }
});
