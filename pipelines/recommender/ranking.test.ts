import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { defaultObjective, scoreCandidates, type Ranker } from './ranking.js';
import type { Candidate } from './scoring.js';

/**
 * The ranking stage's final score with a model: the model's objective alone by default, and
 * with `blendWeight` the retrieval blend's score (scaled by the request's best) added to it.
 * The ranker here is a table of verdicts: the stage's arithmetic is under test, not a model.
 */

const now = Date.UTC(2026, 11, 6, 12);
const user: UserFeatures = {
  userId: 'u-1',
  lastWatched: [],
  categoryAffinity: {},
  creatorAffinity: {},
  affinityHalfLifeMs: 86_400_000,
  averageWatchRatio: 0,
  watchCount: 0,
  recentNegatives: [],
  updatedTime: now,
};
const request: RecommendationRequest = {
  requestId: 'r-1',
  userId: 'u-1',
  region: 'eu',
  surface: 'HOME_FEED',
  count: 10,
  requestTime: now,
  context: null,
};

/** Trending carries the blend: a 1.0, b 0.5, c 0 (the model's order is the reverse). */
const candidates: Candidate[] = [
  { videoId: 'a', sources: new Set(['TRENDING_REGION']), raw: { trending: 10 } },
  { videoId: 'b', sources: new Set(['TRENDING_REGION']), raw: { trending: 5 } },
  { videoId: 'c', sources: new Set(['TWO_TOWER']), raw: { twoTower: 0 } },
];
const modelScore: Record<string, number> = { a: 0.1, b: 0.2, c: 0.3 };
const ranker: Ranker = {
  name: 'table',
  version: 't',
  rank: (input) =>
    Promise.resolve(
      input.candidates.map((c) => ({
        score: modelScore[c.videoId] ?? 0,
        predictedClick: 0.5,
        predictedWatchSeconds: 10,
      })),
    ),
};

const order = (scores: ReadonlyMap<string, number>): string[] =>
  [...scores].sort(([, x], [, y]) => y - x).map(([id]) => id);

test('ranking: by default the model alone orders the list', async () => {
  const scored = await scoreCandidates(candidates, { user, request, ranker });
  assert.equal(scored.mode, 'MODEL');
  assert.deepEqual(order(scored.scores), ['c', 'b', 'a']);
  assert.equal(scored.scores.get('a'), 0.1);
});

test('ranking: with a blend weight the blend score is added, scaled by the best', async () => {
  const scored = await scoreCandidates(candidates, {
    user,
    request,
    ranker,
    objective: { ...defaultObjective, blendWeight: 0.5 },
  });
  // a: 0.1 + 0.5·1 = 0.6; b: 0.2 + 0.5·0.5 = 0.45; c: 0.3 + 0.
  assert.deepEqual(order(scored.scores), ['a', 'b', 'c']);
  assert.ok(Math.abs((scored.scores.get('a') ?? 0) - 0.6) < 1e-9);
  assert.ok(Math.abs((scored.scores.get('b') ?? 0) - 0.45) < 1e-9);
  assert.ok(Math.abs((scored.scores.get('c') ?? 0) - 0.3) < 1e-9);
  // The predictions stay the model's.
  assert.equal(scored.predictions.get('a')?.score, 0.1);
});

test('ranking: candidates past maxCandidates rank below every ranked one, blend weight or not', async () => {
  const scored = await scoreCandidates(candidates, {
    user,
    request,
    ranker,
    maxCandidates: 2,
    objective: { ...defaultObjective, blendWeight: 0.5 },
  });
  // c (lowest blend) is not ranked: below b's 0.45.
  assert.deepEqual(order(scored.scores), ['a', 'b', 'c']);
  assert.ok((scored.scores.get('c') ?? 0) < 0.45);
});
