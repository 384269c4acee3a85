import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../replay/movieLensLoader.js';
import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { formatEvaluationTable } from './evaluationTable.js';
import { mostPopular } from './mostPopular.js';
import { defaultMetrics, evaluateRecommender, metricValues } from './userMetrics.js';
import { defaultCutoffMs, evaluationUsers, splitByTime } from './timeSplit.js';

const skipShared = (await movieLensAvailable())
  ? false
  : `MovieLens-100K not found in ${defaultMovieLensDir}`;

function rating(userId: number, movieId: number): MovieLensRating {
  return { userId, movieId, rating: 4, timestamp: 0 };
}

test('most popular: by training count, ties by movie id, never-rated last, seen left out', () => {
  const recommend = mostPopular({
    train: [rating(1, 3), rating(2, 3), rating(1, 5), rating(3, 2), rating(2, 5), rating(4, 3)],
    catalogue: [1, 2, 3, 4, 5],
  });
  assert.deepEqual(recommend({ userId: 9, count: 10, seen: new Set() }), [3, 5, 2, 1, 4]);
  assert.deepEqual(recommend({ userId: 1, count: 2, seen: new Set([3, 5]) }), [2, 1]);
});

test('evaluating a recommender: per-user values and the K larger than the catalogue', async () => {
  const split = splitByTime(
    [
      { userId: 1, movieId: 1, rating: 5, timestamp: 1 },
      { userId: 2, movieId: 1, rating: 5, timestamp: 2 },
      { userId: 2, movieId: 2, rating: 5, timestamp: 3 },
      { userId: 1, movieId: 2, rating: 5, timestamp: 20 },
      { userId: 3, movieId: 3, rating: 5, timestamp: 21 },
    ],
    { cutoffMs: 10_000 },
  );
  const users = evaluationUsers(split);
  const recommend = mostPopular({ train: split.train, catalogue: [1, 2, 3] });
  const perUser = await evaluateRecommender(recommend, { users });
  // User 1 saw movie 1: the ranking [1, 2, 3] becomes [2, 3]; relevant {2}: recall 1, NDCG 1.
  // User 3 saw nothing: [1, 2, 3]; relevant {3} at rank 3: recall 1, NDCG 1/log2(4) = 0.5.
  assert.deepEqual(
    perUser.map((u) => [u.userId, u.returned, Object.fromEntries(u.values)]),
    [
      [1, 2, { 'recall@10': 1, 'recall@50': 1, 'ndcg@10': 1 }],
      [3, 3, { 'recall@10': 1, 'recall@50': 1, 'ndcg@10': 0.5 }],
    ],
  );
  assert.deepEqual(metricValues(perUser, 'ndcg@10'), [1, 0.5]);
});

test('most popular on the shared MovieLens time split', { skip: skipShared }, async (t) => {
  const data = await loadMovieLens(defaultMovieLensDir);
  const split = splitByTime(data.ratings, { cutoffMs: defaultCutoffMs });
  const users = evaluationUsers(split);
  const recommend = mostPopular({ train: split.train, catalogue: data.movies.keys() });
  const perUser = await evaluateRecommender(recommend, { users });
  const table = formatEvaluationTable([{ name: 'most-popular', perUser }], {
    metrics: defaultMetrics,
  });
  const coldStart = users.filter((u) => u.seen.size === 0).length;
  t.diagnostic(
    `train ${split.train.length}, test ${split.test.length} ratings; ${users.length} users with test items (${coldStart} without training history)`,
  );
  for (const line of table.split('\n')) {
    t.diagnostic(line);
  }
  assert.equal(split.train.length + split.test.length, data.ratings.length);
  assert.ok(users.length > 100);
  const recall10 = metricValues(perUser, 'recall@10');
  const mean = recall10.reduce((a, b) => a + b, 0) / recall10.length;
  // Popularity is a real signal on MovieLens: far above a random ranking's 10 / 1,682.
  assert.ok(mean > 0.02, `recall@10 ${mean}`);
});
