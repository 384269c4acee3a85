import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { coverageAtK } from './evaluationTable.js';
import type { Recommender } from './recommender.js';
import { evaluationUsers, splitByTime } from './timeSplit.js';
import { collectLists, listLength, scoreLists, type MetricSpec } from './userMetrics.js';

const metrics: readonly MetricSpec[] = [
  { name: 'recall@2', kind: 'recall', k: 2 },
  { name: 'ndcg@2', kind: 'ndcg', k: 2 },
];

function rating(movieId: number, stars: number, timestamp: number): MovieLensRating {
  return { userId: 1, movieId, rating: stars, timestamp };
}

test('the same lists judged with any rating and with 4 stars or more relevant', async () => {
  // Train: movie 1. Test: 2 at 2★ (a dislike in the replay), 3 at 5★.
  const split = splitByTime([rating(1, 4, 10), rating(2, 2, 30), rating(3, 5, 31)], {
    cutoffMs: 20_000,
  });
  const any = evaluationUsers(split);
  const liked = evaluationUsers(split, { minRating: 4 });
  // A recommender that ignores the protocol: returns the seen movie 1 first.
  const served: Recommender = () => [1, 2, 3];
  const lists = await collectLists(served, { users: any, count: listLength(metrics) });
  assert.deepEqual(lists, [{ userId: 1, items: [2, 3], seenReturned: 1 }]);
  const [anyUser] = scoreLists(lists, { users: any, metrics });
  const [likedUser] = scoreLists(lists, { users: liked, metrics });
  // Any rating: both test movies are hits. 4★+: only 3, at rank 2.
  assert.equal(anyUser?.values.get('recall@2'), 1);
  assert.equal(anyUser?.values.get('ndcg@2'), 1);
  assert.equal(likedUser?.values.get('recall@2'), 1);
  assert.equal(likedUser?.values.get('ndcg@2'), 1 / Math.log2(3));
  assert.equal(likedUser?.relevant, 1);
  assert.equal(likedUser?.seenReturned, 1);
  assert.deepEqual(likedUser?.items, [2, 3]);
  // A 2★ hit alone scores nothing at 4★+.
  const [onlyDisliked] = scoreLists([{ userId: 1, items: [2], seenReturned: 0 }], {
    users: liked,
    metrics,
  });
  assert.equal(onlyDisliked?.values.get('recall@2'), 0);
  assert.throws(() => scoreLists([], { users: liked, metrics }), /no list for user 1/);
});

test('coverage@10 counts distinct items in the users’ top 10 over the catalogue', () => {
  const user = (userId: number, items: number[]) => ({
    userId,
    relevant: 1,
    returned: items.length,
    values: new Map<string, number>(),
    items,
    seenReturned: 0,
  });
  const perUser = [user(1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), user(2, [1, 2, 12])];
  assert.equal(coverageAtK(perUser, { k: 10, catalogueSize: 100 }), 0.11);
});
