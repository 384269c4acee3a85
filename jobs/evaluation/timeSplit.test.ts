import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { defaultCutoffMs, evaluationUsers, splitByTime, validationSplit } from './timeSplit.js';

const cutoff = Date.UTC(1998, 2, 8) / 1000; // seconds
const day = 86_400;

function rating(userId: number, movieId: number, timestamp: number): MovieLensRating {
  return { userId, movieId, rating: 3, timestamp };
}

test('the default cut-off is 1998-03-08 00:00 UTC', () => {
  assert.equal(new Date(defaultCutoffMs).toISOString(), '1998-03-08T00:00:00.000Z');
});

test('boundaries: before the cut-off is train, at it is test, the window end is exclusive', () => {
  const ratings = [
    rating(1, 1, cutoff - 1),
    rating(1, 2, cutoff),
    rating(1, 3, cutoff + 28 * day - 1),
    rating(1, 4, cutoff + 28 * day),
    rating(2, 1, cutoff + 40 * day),
  ];
  const split = splitByTime(ratings, { cutoffMs: cutoff * 1000, testDays: 28 });
  assert.deepEqual(
    split.train.map((r) => r.movieId),
    [1],
  );
  assert.deepEqual(
    split.test.map((r) => r.movieId),
    [2, 3],
  );
  assert.equal(split.endMs, (cutoff + 28 * day) * 1000);
  const open = splitByTime(ratings, { cutoffMs: cutoff * 1000 });
  assert.equal(open.test.length, 4);
  assert.equal(open.endMs, Infinity);
});

test('evaluation users: only those with test items; seen = train items; cold start kept', () => {
  const split = splitByTime(
    [
      rating(3, 10, cutoff - 5),
      rating(3, 11, cutoff + 5),
      rating(1, 10, cutoff - 5), // train only: not evaluated
      rating(2, 12, cutoff + 9), // test only: cold start
      rating(3, 10, cutoff + 6), // seen in train: not relevant
    ],
    { cutoffMs: cutoff * 1000 },
  );
  assert.deepEqual(
    evaluationUsers(split).map((u) => ({
      userId: u.userId,
      seen: [...u.seen],
      relevant: [...u.relevant],
    })),
    [
      { userId: 2, seen: [], relevant: [12] },
      { userId: 3, seen: [10], relevant: [11] },
    ],
  );
});

test('minSeen leaves out users with too little history', () => {
  const split = splitByTime(
    [rating(3, 10, cutoff - 5), rating(3, 11, cutoff + 5), rating(2, 12, cutoff + 9)],
    { cutoffMs: cutoff * 1000 },
  );
  assert.deepEqual(
    evaluationUsers(split, { minSeen: 1 }).map((u) => u.userId),
    [3],
  );
  assert.deepEqual(evaluationUsers(split, { minSeen: 2 }), []);
});

test('validation split: the last days of the training part, the rest before it', () => {
  const ratings = [
    rating(1, 1, cutoff - 14 * day - 1),
    rating(1, 2, cutoff - 14 * day),
    rating(2, 3, cutoff - 1),
  ];
  const validation = validationSplit(ratings, { cutoffMs: cutoff * 1000, validationDays: 14 });
  assert.deepEqual(
    validation.train.map((r) => r.movieId),
    [1],
  );
  assert.deepEqual(
    validation.test.map((r) => r.movieId),
    [2, 3],
  );
  assert.equal(validation.cutoffMs, (cutoff - 14 * day) * 1000);
  assert.equal(validation.endMs, cutoff * 1000);
  assert.equal(validationSplit(ratings, { cutoffMs: cutoff * 1000 }).test.length, 2); // 14 days
  assert.throws(
    () => validationSplit([...ratings, rating(3, 4, cutoff)], { cutoffMs: cutoff * 1000 }),
    /at or after the cut-off \(user 3, movie 4\)/,
  );
  assert.throws(() => validationSplit(ratings, { cutoffMs: 0, validationDays: 0 }), /at least/);
});

test('relevance at 4 stars: 1–3★ test ratings are not relevant; seen is every training rating', () => {
  const ratings: MovieLensRating[] = [
    { userId: 1, movieId: 10, rating: 1, timestamp: cutoff - 5 },
    { userId: 1, movieId: 11, rating: 5, timestamp: cutoff + 5 },
    { userId: 1, movieId: 12, rating: 2, timestamp: cutoff + 6 },
    { userId: 2, movieId: 11, rating: 3, timestamp: cutoff + 7 }, // no 4★ test rating: left out
  ];
  const split = splitByTime(ratings, { cutoffMs: cutoff * 1000 });
  assert.deepEqual(
    evaluationUsers(split).map((u) => [u.userId, [...u.relevant]]),
    [
      [1, [11, 12]],
      [2, [11]],
    ],
  );
  const liked = evaluationUsers(split, { minRating: 4 });
  assert.deepEqual(
    liked.map((u) => [u.userId, [...u.seen], [...u.relevant]]),
    [[1, [10], [11]]],
  );
});
