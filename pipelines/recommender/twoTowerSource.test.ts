import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { UserSeen } from '../../schemas/generated/userSeen.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { recommend, type FeatureReader } from './recommend.js';
import type { CandidateRetriever, Retrieval, RetrievalRequest } from './retrieval.js';

/**
 * Two-tower retrieval as a candidate source of the recommender: its candidates come in as
 * TWO_TOWER beside co-visitation, the user's seen videos are handed to it to leave out (and
 * filtered again after), shards that did not answer make the reply degraded (saying which)
 * with the other sources' candidates, a retriever that fails leaves the other sources to
 * answer alone, and without a retriever nothing changes.
 */

const now = Date.UTC(2026, 11, 5, 12);

const user: UserFeatures = {
  userId: 'u-1',
  lastWatched: [
    { videoId: 'v-watched', watchedMs: 1_000, watchRatio: 0.5, eventTime: now - 1_000 },
  ],
  categoryAffinity: {},
  creatorAffinity: {},
  affinityHalfLifeMs: 86_400_000,
  averageWatchRatio: 0.5,
  watchCount: 1,
  recentNegatives: [
    { videoId: 'v-disliked', creatorId: 'c-9', type: 'DISLIKE', eventTime: now - 500 },
  ],
  updatedTime: now - 500,
};

const seen: UserSeen = { userId: 'u-1', recent: ['v-seen'], filters: [], updatedTime: now };

const request: RecommendationRequest = {
  requestId: 'r-1',
  userId: 'u-1',
  region: 'eu',
  surface: 'HOME_FEED',
  count: 10,
  requestTime: now,
  context: null,
};

function video(videoId: string): VideoUpload {
  return {
    videoId,
    creatorId: `creator-of-${videoId}`,
    durationMs: 30_000,
    category: 'cat',
    tags: [],
    region: 'eu',
    uploadTime: now - 86_400_000,
    eventTime: now - 86_400_000,
  };
}

function reader(retriever?: CandidateRetriever): FeatureReader {
  return {
    user: () => Promise.resolve(user),
    seen: () => Promise.resolve(seen),
    coVisitation: (videoId) =>
      Promise.resolve(
        videoId === 'v-watched'
          ? {
              videoId,
              neighbours: [{ videoId: 'v-covisited', score: 0.8, count: 3 }],
              updatedTime: now,
            }
          : undefined,
      ),
    trending: () => Promise.resolve(undefined),
    video: (videoId) => Promise.resolve(video(videoId)),
    popularity: () => Promise.resolve(undefined),
    ...(retriever === undefined ? {} : { retriever }),
  };
}

function retriever(answer: (request: RetrievalRequest) => Promise<Retrieval>): {
  retriever: CandidateRetriever;
  asked: RetrievalRequest[];
} {
  const asked: RetrievalRequest[] = [];
  return {
    asked,
    retriever: {
      name: 'two-tower',
      retrieve: (r) => {
        asked.push(r);
        return answer(r);
      },
    },
  };
}

const retrieved = (degraded: boolean, unavailableShards: number[] = []): Promise<Retrieval> =>
  Promise.resolve({
    // v-seen is in the seen set: the real retriever leaves it out; if one does not, it is still filtered.
    candidates: [
      { videoId: 'v-learned', score: 0.9 },
      { videoId: 'v-covisited', score: 0.3 },
      { videoId: 'v-seen', score: 0.95 },
      { videoId: 'v-opposite', score: -0.4 },
    ],
    degraded,
    unavailableShards,
    modelVersion: 'm1',
  });

const sourcesOf = (reply: { items: readonly { videoId: string; sources: readonly string[] }[] }) =>
  Object.fromEntries(reply.items.map((i) => [i.videoId, [...i.sources]]));

test('without a retriever: co-visitation alone, no TWO_TOWER, not degraded', async () => {
  const reply = await recommend(request, reader());
  assert.equal(reply.degraded, false);
  assert.deepEqual(sourcesOf(reply), { 'v-covisited': ['CO_VISITATION'] });
});

test('two-tower candidates beside co-visitation, the seen videos handed over and filtered', async () => {
  const { retriever: twoTower, asked } = retriever(() => retrieved(false));
  const reply = await recommend(request, reader(twoTower));
  assert.equal(reply.degraded, false);
  assert.equal(reply.degradedReason, null);
  assert.deepEqual(sourcesOf(reply), {
    'v-learned': ['TWO_TOWER'],
    'v-covisited': ['CO_VISITATION', 'TWO_TOWER'],
    'v-opposite': ['TWO_TOWER'],
  });
  // Both signals: the video both sources propose ranks first.
  assert.equal(reply.items[0]?.videoId, 'v-covisited');
  assert.deepEqual(asked, [
    {
      userId: 'u-1',
      features: user,
      atMs: now,
      count: 100,
      exclude: ['v-watched', 'v-disliked', 'v-seen'],
    },
  ]);
});

test('shards that did not answer: a degraded reply that says which, with every source that did', async () => {
  const { retriever: twoTower } = retriever(() => retrieved(true, [1, 3]));
  const reply = await recommend(request, reader(twoTower));
  assert.equal(reply.degraded, true);
  assert.equal(reply.degradedReason, 'two-tower: shards 1, 3 did not answer');
  assert.ok(reply.items.some((i) => i.sources.includes('TWO_TOWER')));
  assert.ok(reply.items.some((i) => i.sources.includes('CO_VISITATION')));
});

test('no shard has answered yet (their count unknown, -1): the reason says so, not "shards -1"', async () => {
  const { retriever: twoTower } = retriever(() => retrieved(true, [-1]));
  const reply = await recommend(request, reader(twoTower));
  assert.equal(reply.degraded, true);
  assert.equal(
    reply.degradedReason,
    'two-tower: shards (all; their count not yet known) did not answer',
  );
});

test('a retriever that fails: the other sources answer alone, the reply says why it is degraded', async () => {
  const { retriever: twoTower } = retriever(() => Promise.reject(new Error('tower worker died')));
  const reply = await recommend(request, reader(twoTower));
  assert.equal(reply.degraded, true);
  assert.equal(reply.degradedReason, 'two-tower failed: tower worker died');
  assert.deepEqual(sourcesOf(reply), { 'v-covisited': ['CO_VISITATION'] });
});
