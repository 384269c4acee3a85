import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../replay/movieLensLoader.js';
import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { tuneBaselines } from './baselines.js';
import { ease, easeWeights } from './ease.js';
import { itemKnn } from './itemKnn.js';
import { catalogueOf, interactionsOf, rankUnseen, recommenderOf } from './itemScores.js';
import { recencyPopularity } from './recencyPopularity.js';
import { defaultCutoffMs, splitByTime, validationSplit } from './timeSplit.js';

const day = 86_400;

const skipShared = (await movieLensAvailable())
  ? false
  : `MovieLens-100K not found in ${defaultMovieLensDir}: the shared-data test is skipped`;

function rating(userId: number, movieId: number, timestamp = 0): MovieLensRating {
  return { userId, movieId, rating: 4, timestamp };
}

/** Users 1 {10, 20}, 2 {20, 30}, 3 {10, 20, 30}: movie 10 is index 0, 20 index 1, 30 index 2. */
const tiny = [
  rating(1, 10),
  rating(1, 20),
  rating(2, 20),
  rating(2, 30),
  rating(3, 10),
  rating(3, 20),
  rating(3, 30),
];

function near(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-12): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((value, index) => {
    const got = actual[index] ?? NaN;
    assert.ok(Math.abs(got - value) <= tolerance, `entry ${index}: ${got} is not ${value}`);
  });
}

test('interactions: counts, the Gram matrix, and ties by popularity then id', () => {
  const catalogue = catalogueOf([30, 10, 20, 40]);
  assert.deepEqual(catalogue.ids, [10, 20, 30, 40]);
  const interactions = interactionsOf([...tiny, rating(1, 10), rating(9, 99)], catalogue);
  assert.deepEqual([...interactions.counts], [2, 3, 2, 0]); // user 1's repeat counts once
  assert.deepEqual([...interactions.gram.slice(0, 4)], [2, 2, 1, 0]);
  // 20 (3 ratings) first, then 10 and 30 (2 each) by id, then 40 (none).
  assert.deepEqual([...interactions.tieRank], [1, 0, 2, 3]);
});

test('EASE: the closed form on a 3-item example (λ = 1)', () => {
  // XᵀX + I = [[3, 2, 1], [2, 4, 2], [1, 2, 3]], its inverse P = [[.5, −.25, 0], [−.25, .5, −.25],
  // [0, −.25, .5]], so B = −P / diag(P) off the diagonal: [[0, .5, 0], [.5, 0, .5], [0, .5, 0]].
  const interactions = interactionsOf(tiny, catalogueOf([10, 20, 30]));
  near(easeWeights(interactions, { lambda: 1 }), [0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0]);
  const scorer = ease(interactions, { lambda: 1 });
  near(scorer([0]), [0, 0.5, 0]);
  near(scorer([0, 2]), [0, 1, 0]);
  const recommend = recommenderOf(scorer, interactions);
  // Seen 10 is left out before ranking: 20 (0.5) before 30 (0).
  assert.deepEqual(recommend({ userId: 7, count: 5, seen: new Set([10]) }), [20, 30]);
  assert.throws(() => ease(interactions, { lambda: 0 }), /λ > 0/);
});

test('EASE: a larger λ shrinks the weights towards 0', () => {
  const interactions = interactionsOf(tiny, catalogueOf([10, 20, 30]));
  const small = easeWeights(interactions, { lambda: 1 })[1] ?? 0;
  const large = easeWeights(interactions, { lambda: 100 })[1] ?? 0;
  assert.ok(large > 0 && large < small, `${large} should be in (0, ${small})`);
});

test('ItemKNN: cosine similarities, pruned to the k nearest per item', () => {
  const interactions = interactionsOf(tiny, catalogueOf([10, 20, 30]));
  // sim(10, 20) = 2/√6, sim(10, 30) = 1/√4, sim(20, 30) = 2/√6.
  const all = itemKnn(interactions, { neighbours: 2 });
  near(all([0]), [0, 2 / Math.sqrt(6), 0.5]);
  near(all([0, 2]), [0.5, 4 / Math.sqrt(6), 0.5]);
  // With one neighbour 10 keeps only 20; 20's two neighbours tie (2/√6): 10 is kept (10 and 30
  // have as many ratings, and 10 has the smaller id).
  const one = itemKnn(interactions, { neighbours: 1 });
  near(one([0]), [0, 2 / Math.sqrt(6), 0]);
  near(one([1]), [2 / Math.sqrt(6), 0, 0]);
  const recommend = recommenderOf(one, interactions);
  assert.deepEqual(recommend({ userId: 1, count: 2, seen: new Set([20]) }), [10, 30]);
  assert.throws(() => itemKnn(interactions, { neighbours: 0 })([0]), /at least 1/);
});

test('recency-decayed popularity: halves every half-life, counted at the reference time', () => {
  const catalogue = catalogueOf([1, 2]);
  const now = 100 * day;
  const ratings = [rating(1, 1, now - 14 * day), rating(2, 1, now - 14 * day), rating(3, 2, now)];
  const week = recencyPopularity(ratings, { catalogue, referenceMs: now * 1000, halfLifeDays: 7 });
  near(week([]), [0.5, 1]);
  const slow = recencyPopularity(ratings, {
    catalogue,
    referenceMs: now * 1000,
    halfLifeDays: 1e6,
  });
  assert.ok((slow([])[0] ?? 0) > (slow([])[1] ?? 0), 'with a long half-life counts win');
  const interactions = interactionsOf(ratings, catalogue);
  assert.deepEqual(
    recommenderOf(week, interactions)({ userId: 5, count: 2, seen: new Set() }),
    [2, 1],
  );
  assert.throws(
    () => recencyPopularity(ratings, { catalogue, referenceMs: 0, halfLifeDays: 0 }),
    /positive/,
  );
});

test('ranking ties: by training popularity, then id, whatever order the seen set was built in', () => {
  const catalogue = catalogueOf([1, 2, 3, 4, 5]);
  const tieRank = Int32Array.from([4, 3, 2, 1, 0]); // item 5 most popular
  const scores = Float64Array.from([1, 0, 0, 1, NaN]);
  assert.deepEqual(
    rankUnseen(scores, { catalogue, tieRank, seen: new Set(), count: 5 }),
    [4, 1, 3, 2, 5],
  );
  assert.deepEqual(
    rankUnseen(scores, { catalogue, tieRank, seen: new Set([4]), count: 2 }),
    [1, 3],
  );
  // Sums over the history are taken in index order: a Set built in another order gives the
  // same bits.
  const interactions = interactionsOf(tiny, catalogueOf([10, 20, 30]));
  const recommend = recommenderOf(ease(interactions, { lambda: 0.3 }), interactions);
  const forward = recommend({ userId: 1, count: 3, seen: new Set([10, 30]) });
  const backward = recommend({ userId: 1, count: 3, seen: new Set([30, 10]) });
  assert.deepEqual(forward, backward);
});

test('tuning: chosen on the validation window only, the same choice twice, a late rating refused', async () => {
  const cutoffMs = 60 * day * 1000;
  const before = (days: number): number => 60 * day - days * day;
  // Validation-training (before day 46): users 1..6 rate 10, 20, 30 in turn; movie 10 is the
  // all-time favourite. In the last 14 days (validation) users 1..3 rate 40, which only a
  // recent-popularity list ranks first.
  const train: MovieLensRating[] = [];
  for (let user = 1; user <= 6; user++) {
    train.push(rating(user, 10, before(50)), rating(user, 20 + (user % 2) * 10, before(40 - user)));
  }
  train.push(rating(7, 40, before(16)), rating(8, 40, before(15)));
  for (let user = 1; user <= 3; user++) {
    train.push(rating(user, 40, before(5)));
  }
  const grids = { halfLifeDays: [1, 100], easeLambda: [1, 10], knnNeighbours: [1, 3] };
  const options = { train, catalogue: [10, 20, 30, 40], cutoffMs, grids };
  const tuning = await tuneBaselines(options);
  assert.deepEqual(
    tuning.baselines.map((b) => b.name),
    ['most-popular', 'popularity, half-life 1 d', 'EASE (λ=1)', 'ItemKNN (k=1)'],
  );
  assert.match(
    tuning.report[0] ?? '',
    /^validation window: 1970-02-16 to 1970-03-01 \(3 ratings\)/,
  );
  assert.equal(tuning.best, 'popularity, half-life 1 d');
  const again = await tuneBaselines(options);
  assert.deepEqual(again.report, tuning.report);
  for (const [index, baseline] of tuning.baselines.entries()) {
    const request = { userId: 4, count: 4, seen: new Set([10, 20]) };
    assert.deepEqual(
      await again.baselines[index]?.recommender(request),
      await baseline.recommender(request),
    );
  }
  await assert.rejects(
    tuneBaselines({ ...options, train: [...train, rating(1, 30, cutoffMs / 1000)] }),
    /at or after the cut-off/,
  );
});

test(
  'on the shared data: the validation window, and one value per baseline fitted at full size',
  { skip: skipShared },
  async (t) => {
    const data = await loadMovieLens(defaultMovieLensDir);
    const split = splitByTime(data.ratings, { cutoffMs: defaultCutoffMs });
    const validation = validationSplit(split.train, { cutoffMs: defaultCutoffMs });
    assert.equal(validation.cutoffMs, Date.UTC(1998, 1, 22));
    assert.ok(validation.test.length > 1000, `${validation.test.length} validation ratings`);
    assert.equal(validation.train.length + validation.test.length, split.train.length);
    const started = performance.now();
    const tuning = await tuneBaselines({
      train: split.train,
      catalogue: data.movies.keys(),
      cutoffMs: defaultCutoffMs,
      grids: { halfLifeDays: [7], easeLambda: [400], knnNeighbours: [100] },
    });
    t.diagnostic(`${((performance.now() - started) / 1000).toFixed(1)} s`);
    tuning.report.forEach((line) => t.diagnostic(line));
    assert.equal(tuning.baselines.length, 4);
    for (const baseline of tuning.baselines) {
      assert.ok(baseline.validationScore > 0.01, `${baseline.name} ${baseline.validationScore}`);
      const list = await baseline.recommender({ userId: 1, count: 50, seen: new Set([50, 181]) });
      assert.equal(new Set(list).size, 50, baseline.name);
      assert.ok(!list.includes(50) && !list.includes(181), baseline.name);
    }
  },
);
