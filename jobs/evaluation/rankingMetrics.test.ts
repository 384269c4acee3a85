import assert from 'node:assert/strict';
import { test } from 'node:test';

import { hitsAtK, maskSeen, ndcgAtK, rankByScore, recallAtK } from './rankingMetrics.js';

const close = (actual: number, expected: number): void => {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
};

// ranked [5, 3, 9, 1], relevant {3, 1, 7}.
const ranked = [5, 3, 9, 1];
const relevant = new Set([3, 1, 7]);

test('Recall@K: hits in the top K over all relevant items', () => {
  assert.equal(hitsAtK(ranked, relevant, 2), 1);
  close(recallAtK(ranked, relevant, 1), 0);
  close(recallAtK(ranked, relevant, 2), 1 / 3);
  close(recallAtK(ranked, relevant, 4), 2 / 3);
  // More relevant items than K: 1 is out of reach (denominator |relevant|, not min(K, |rel|)).
  close(recallAtK([3], relevant, 1), 1 / 3);
});

test('NDCG@K, computed by hand', () => {
  // K=2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3).
  close(ndcgAtK(ranked, relevant, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
  // K=4: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4) (3 relevant items).
  close(
    ndcgAtK(ranked, relevant, 4),
    (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 0.5),
  );
  // Every relevant item on top: 1. None in the list: 0.
  close(ndcgAtK([3, 1, 7, 5], relevant, 10), 1);
  close(ndcgAtK([5, 9], relevant, 10), 0);
  close(ndcgAtK([1], new Set([1]), 10), 1);
  close(ndcgAtK([2, 1], new Set([1]), 10), 1 / Math.log2(3));
});

test('K larger than the candidates: the whole list counts, IDCG is capped by |relevant|', () => {
  // Three candidates, K = 10 and 50.
  const list = [4, 2, 6];
  const rel = new Set([6, 8]);
  close(recallAtK(list, rel, 10), 1 / 2);
  close(recallAtK(list, rel, 50), 1 / 2);
  close(ndcgAtK(list, rel, 10), 1 / Math.log2(4) / (1 + 1 / Math.log2(3)));
  close(recallAtK([], rel, 10), 0);
  close(ndcgAtK([], rel, 10), 0);
});

test('ties rank by ascending item id; excluded (seen) items are masked before the cut', () => {
  const scores = new Map([
    [4, 1],
    [3, 5],
    [2, 5],
    [1, 2],
    [9, 5],
  ]);
  assert.deepEqual(rankByScore(scores, { k: 10 }), [2, 3, 9, 1, 4]);
  assert.deepEqual(rankByScore(scores, { k: 2, exclude: new Set([2]) }), [3, 9]);
  assert.deepEqual(rankByScore(scores, { k: 0 }), []);
  // With 2 seen and K = 2, the relevant 9 moves up into the top 2.
  const rel = new Set([9]);
  close(recallAtK(rankByScore(scores, { k: 2 }), rel, 2), 0);
  close(recallAtK(rankByScore(scores, { k: 2, exclude: new Set([2]) }), rel, 2), 1);
  close(ndcgAtK(rankByScore(scores, { k: 2, exclude: new Set([2]) }), rel, 2), 1 / Math.log2(3));
});

test('maskSeen drops seen items and repeats, keeping order', () => {
  assert.deepEqual(maskSeen([5, 3, 5, 9, 1, 3], new Set([9])), [5, 3, 1]);
});

test('users with no relevant items cannot be scored', () => {
  assert.throws(() => recallAtK([1], new Set(), 10), RangeError);
  assert.throws(() => ndcgAtK([1], new Set(), 10), RangeError);
});
