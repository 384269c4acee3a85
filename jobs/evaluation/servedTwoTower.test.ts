import assert from 'node:assert/strict';
import { test } from 'node:test';

import { recommend, type FeatureReader } from '../../pipelines/recommender/recommend.js';
import type { CandidateRetriever } from '../../pipelines/recommender/retrieval.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { isTransient } from './servingAsker.js';
import { SwitchableRetriever } from './servedTwoTower.js';

/**
 * The evaluation's one serving job answers both served rows: with its two-tower source switched
 * out, a reply must be exactly the one without any retriever (the served row is unchanged by the
 * two-tower row beside it); switched in, the model's candidates come in as TWO_TOWER. A reply
 * degraded because shards missed their budget is asked again like a missed feature read.
 */

const now = Date.UTC(2026, 11, 5, 12);
const user: UserFeatures = {
  userId: 'u-1',
  lastWatched: [{ videoId: 'v-1', watchedMs: 1_000, watchRatio: 0.5, eventTime: now - 1_000 }],
  categoryAffinity: {},
  creatorAffinity: {},
  affinityHalfLifeMs: 86_400_000,
  averageWatchRatio: 0.5,
  watchCount: 1,
  recentNegatives: [],
  updatedTime: now - 500,
};

function reader(retriever?: CandidateRetriever): FeatureReader {
  return {
    user: () => Promise.resolve(user),
    seen: () => Promise.resolve(undefined),
    coVisitation: (videoId) =>
      Promise.resolve(
        videoId === 'v-1'
          ? {
              videoId,
              neighbours: [
                { videoId: 'v-2', score: 0.8, count: 3 },
                { videoId: 'v-3', score: 0.4, count: 2 },
              ],
              updatedTime: now,
            }
          : undefined,
      ),
    trending: () => Promise.resolve(undefined),
    video: (videoId) =>
      Promise.resolve({
        videoId,
        creatorId: `c-${videoId}`,
        durationMs: 30_000,
        category: 'cat',
        tags: [],
        region: 'eu',
        uploadTime: now - 86_400_000,
        eventTime: now - 86_400_000,
      }),
    popularity: () => Promise.resolve(undefined),
    ...(retriever === undefined ? {} : { retriever }),
  };
}

const request = {
  requestId: 'r-1',
  userId: 'u-1',
  region: 'eu',
  surface: 'HOME_FEED' as const,
  count: 10,
  requestTime: now,
  context: null,
};

/** The reply without what the clock decides: when it was served, how long each stage took. */
const withoutTime = (reply: RecommendationReply): RecommendationReply => ({
  ...reply,
  servedTime: 0,
  stageMillis: null,
});

test('switched out, the served reply is exactly the one without a retriever; switched in, TWO_TOWER', async () => {
  const switchable = new SwitchableRetriever();
  const model: CandidateRetriever = {
    name: 'two-tower',
    retrieve: () =>
      Promise.resolve({
        candidates: [
          { videoId: 'v-9', score: 0.9 },
          { videoId: 'v-3', score: 0.5 },
        ],
        degraded: false,
        unavailableShards: [],
        modelVersion: 'm1',
      }),
  };
  const without = await recommend(request, reader());
  const switchedOut = await recommend(request, reader(switchable));
  assert.deepEqual(withoutTime(switchedOut), withoutTime(without));
  assert.ok(without.items.every((item) => !item.sources.includes('TWO_TOWER')));

  switchable.use(model);
  const switchedIn = await recommend(request, reader(switchable));
  assert.equal(switchedIn.degraded, false);
  const sources = Object.fromEntries(switchedIn.items.map((i) => [i.videoId, i.sources]));
  assert.deepEqual(sources['v-9'], ['TWO_TOWER']);
  assert.deepEqual(sources['v-3'], ['CO_VISITATION', 'TWO_TOWER']);

  switchable.use(undefined);
  const outAgain = await recommend(request, reader(switchable));
  assert.deepEqual(withoutTime(outAgain), withoutTime(without));
});

test('isTransient: missed shards and missed feature reads are asked again, what the recommender knows is not', () => {
  const degraded = (reason: string): { degraded: boolean; degradedReason: string } => ({
    degraded: true,
    degradedReason: reason,
  });
  assert.equal(isTransient(degraded('two-tower: shards 0, 1 did not answer')), true);
  assert.equal(
    isTransient(degraded('two-tower: shards (all; their count not yet known) did not answer')),
    true,
  );
  assert.equal(isTransient(degraded('two-tower failed: worker exited')), true);
  assert.equal(
    isTransient(degraded('user seen set unavailable: x; two-tower: shards 2 did not answer')),
    true,
  );
  assert.equal(isTransient(degraded('user features unavailable: timeout')), true);
  assert.equal(isTransient(degraded('unknown user: no features yet')), false);
  assert.equal(isTransient(degraded('no personalised candidates')), false);
  assert.equal(
    isTransient({ degraded: false, degradedReason: 'two-tower: shards 0 did not answer' }),
    false,
  );
});
