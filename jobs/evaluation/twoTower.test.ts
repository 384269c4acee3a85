import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { trainerPython } from '../cli/trainCommand.js';
import type {
  MovieLensData,
  MovieLensMovie,
  MovieLensRating,
  MovieLensUser,
} from '../replay/movieLensTypes.js';
import { catalogueOf, interactionsOf } from './itemScores.js';
import { rankTwoTower, twoTowerRow } from './twoTower.js';

test('rankTwoTower: seen movies out first, then by dot product, ties by popularity then id, movies without a vector last', () => {
  const catalogue = catalogueOf([1, 2, 3, 4, 5, 6]);
  // Popularity order (tie rank 0 first): 5, 3, 1, 2, 4, 6.
  const tieRank = Int32Array.from([2, 3, 1, 4, 0, 5]);
  const userVector = Float32Array.from([1, 0]);
  // Movies 1..5 have vectors; 6 has none (not in the model's vocabulary).
  const itemMovieIds = [1, 2, 3, 4, 5];
  const itemVectors = Float32Array.from(
    [
      [0.5, 0.5], // 1: 0.5
      [0.9, 0.1], // 2: 0.9, seen
      [0.5, -0.5], // 3: 0.5, ties with 1 and is more popular
      [0.7, 0.0], // 4: 0.7
      [-1, 0], // 5: -1, the most popular
    ].flat(),
  );
  const rank = (seen: number[], count: number): number[] =>
    rankTwoTower({
      userVector,
      itemVectors,
      itemMovieIds,
      catalogue,
      tieRank,
      seen: new Set(seen),
      count,
    });
  assert.deepEqual(rank([2], 10), [4, 3, 1, 5, 6]);
  assert.deepEqual(rank([], 3), [2, 4, 3]);
  // Seen movies never take a slot, however well they score.
  assert.deepEqual(rank([2, 4], 2), [3, 1]);
  // Every score equal: the popularity order, then ids; the movie without a vector stays last.
  assert.deepEqual(
    rankTwoTower({
      userVector: Float32Array.from([0, 0]),
      itemVectors,
      itemMovieIds,
      catalogue,
      tieRank,
      seen: new Set(),
      count: 6,
    }),
    [5, 3, 1, 2, 4, 6],
  );
  assert.throws(() =>
    rankTwoTower({
      userVector,
      itemVectors: itemVectors.subarray(1),
      itemMovieIds,
      catalogue,
      tieRank,
      seen: new Set(),
      count: 1,
    }),
  );
});

const dayS = 86_400;
const start = Date.UTC(1997, 8, 20) / 1000;

/** 16 users (15 and 16 never rate before the cut-off) and 24 movies over 6 days. */
function tinyMovieLens(): { data: MovieLensData; cutoffMs: number } {
  const genres = ['Action', 'Comedy', 'Drama'];
  const movies = new Map<number, MovieLensMovie>();
  for (let m = 1; m <= 24; m++) {
    movies.set(m, {
      movieId: m,
      title: `Movie ${m}`,
      releaseTime: Date.UTC(1995, 0, 1),
      genres: [genres[m % 3] ?? 'Drama'],
    });
  }
  const users = new Map<number, MovieLensUser>();
  for (let u = 1; u <= 16; u++) {
    users.set(u, { userId: u, age: 30, gender: 'F', occupation: 'other', zipCode: '10001' });
  }
  const ratings: MovieLensRating[] = [];
  for (let i = 0; i < 400; i++) {
    const userId = 1 + (i % 14);
    ratings.push({
      userId,
      movieId: 1 + ((i * 7 + userId * 3) % 24),
      rating: 1 + ((i * 3 + userId) % 5),
      timestamp: start + Math.floor((i * 5 * dayS) / 400) + userId * 60,
    });
  }
  // The test window: ratings after the cut-off, including the two new users.
  const cutoffMs = (start + 5 * dayS) * 1000;
  for (let i = 0; i < 30; i++) {
    ratings.push({
      userId: 1 + (i % 16),
      movieId: 1 + ((i * 5) % 24),
      rating: 5,
      timestamp: start + 5 * dayS + 3_600 + i * 60,
    });
  }
  return { data: { ratings, movies, users, genres }, cutoffMs };
}

test('two-tower row: trained on the training part, scored from each user’s features at the cut-off in onnxruntime-node, the same lists twice', async (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const { data, cutoffMs } = tinyMovieLens();
  const train = data.ratings.filter((r) => r.timestamp * 1000 < cutoffMs);
  const interactions = interactionsOf(train, catalogueOf(data.movies.keys()));
  const dir = mkdtempSync(join(tmpdir(), 'two-tower-'));
  try {
    const lines: string[] = [];
    const options = {
      data,
      train,
      cutoffMs,
      catalogue: interactions.catalogue,
      tieRank: interactions.tieRank,
      cacheDir: dir,
      log: (line: string) => lines.push(line),
    };
    const row = await twoTowerRow(options);
    if (!row.ok) {
      assert.fail(`${row.reason}\n${lines.join('\n')}`);
    }
    assert.ok(
      lines.some((l) => /16 users' vectors at the cut-off \(2 unknown to the model\)/.test(l)),
      lines.join('\n'),
    );
    const seenOf = (userId: number): Set<number> =>
      new Set(train.filter((r) => r.userId === userId).map((r) => r.movieId));
    const lists = new Map<number, readonly number[]>();
    for (let userId = 1; userId <= 16; userId++) {
      const seen = seenOf(userId);
      const list: readonly number[] = await row.recommender({ userId, seen, count: 10 });
      assert.equal(list.length, Math.min(10, 24 - seen.size));
      assert.ok(
        list.every((m) => !seen.has(m)),
        `user ${userId} got a seen movie`,
      );
      assert.equal(new Set(list).size, list.length);
      lists.set(userId, list);
    }
    // Users 15 and 16 are unknown to the model: no id, no history, no features; the same list.
    assert.deepEqual(lists.get(15), lists.get(16));

    // From the cache: the same examples and model, the same lists.
    lines.length = 0;
    const again = await twoTowerRow(options);
    if (!again.ok) {
      assert.fail(again.reason);
    }
    assert.ok(lines.some((l) => l.includes('examples of the training part from the cache')));
    assert.ok(lines.some((l) => l.includes('model from the cache')));
    for (const [userId, list] of lists) {
      assert.deepEqual(await again.recommender({ userId, seen: seenOf(userId), count: 10 }), list);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
