import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  avroSerde,
  Pipeline,
  replyTopicPrefix,
  requestHeaders,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';
import type { CoVisitation } from '../../schemas/generated/coVisitation.js';
import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { Impression } from '../../schemas/generated/impression.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { topicCatalog, topics } from '../../schemas/topics.js';
import { emptySeen, withSeen } from '../seenSet.js';
import { defaultLimits, type RecommenderLimits } from './recommend.js';
import { scoreWeights, type BlendWeights } from './scoring.js';
import {
  servingPipeline,
  type UserFeaturesLookup,
  type UserSeenLookup,
} from './servingPipeline.js';

const now = Date.UTC(2026, 10, 24, 12);
const blendOrder = { ...defaultLimits, mmrLambda: 1, explorationShare: 0 };
const hour = 3_600_000;

function video(id: string, fields: Partial<VideoUpload> = {}): VideoUpload {
  return {
    videoId: id,
    creatorId: `creator-${id}`,
    durationMs: 30_000,
    category: 'cooking',
    tags: [],
    region: 'eu',
    uploadTime: now - 48 * hour,
    eventTime: now - 48 * hour,
    ...fields,
  };
}

function user(fields: Partial<UserFeatures>): UserFeatures {
  return {
    userId: 'u1',
    lastWatched: [],
    categoryAffinity: {},
    creatorAffinity: {},
    affinityHalfLifeMs: 24 * hour,
    averageWatchRatio: 0.5,
    watchCount: 1,
    recentNegatives: [],
    updatedTime: now,
    ...fields,
  };
}

function trendingList(
  scope: TrendingList['scope'],
  scopeValue: string,
  items: [string, number][],
): TrendingList {
  return {
    scope,
    scopeValue,
    windowMs: hour,
    items: items.map(([videoId, score]) => ({ videoId, score, views: score })),
    updatedTime: now,
  };
}

/** The popular list of region eu, keyed as the feature job publishes it. */
function popularInEu(items: [string, number][]): [string, TrendingList] {
  return ['popular:eu', trendingList('POPULAR', 'eu', items)];
}

/** A driver over the serving pipeline with the given per-video features loaded. */
async function servingDriver(
  userFeatures: UserFeaturesLookup | 'table',
  features: {
    videos: VideoUpload[];
    coVisitation?: CoVisitation[];
    trending?: [string, TrendingList][];
  },
  options: { userSeen?: UserSeenLookup | 'table'; limits?: RecommenderLimits } = {},
): Promise<{
  driver: TestDriver;
  ask: (request: Partial<RecommendationRequest>) => Promise<RecommendationReply>;
}> {
  const pipeline = new Pipeline();
  // These tests check the candidate sources and the blend by hand: MMR at λ = 1 (the blend's
  // order and scores) and no exploration slot. servingReranking.test.ts tests those two.
  const { userSeen, limits = blendOrder } = options;
  servingPipeline(
    pipeline,
    userSeen === undefined ? { userFeatures, limits } : { userFeatures, userSeen, limits },
  );
  const driver = await TestDriver.start(pipeline);
  const catalog = driver.input(topics.videoCatalog, {
    key: stringSerde,
    value: avroSerde(topicCatalog.videoCatalog.value),
  });
  for (const v of features.videos) {
    await catalog.pipe(v.videoId, v);
  }
  const neighbours = driver.input(topics.coVisitation, {
    key: stringSerde,
    value: avroSerde(topicCatalog.coVisitation.value),
  });
  for (const list of features.coVisitation ?? []) {
    await neighbours.pipe(list.videoId, list);
  }
  const trending = driver.input(topics.trending, {
    key: stringSerde,
    value: avroSerde(topicCatalog.trending.value),
  });
  for (const [key, list] of features.trending ?? []) {
    await trending.pipe(key, list);
  }
  const requests = driver.input(topics.recommendationRequests, {
    key: stringSerde,
    value: avroSerde(topicCatalog.recommendationRequests.value),
  });
  // A request client's topic: the pipeline answers only on those (replyTopicPrefix).
  const replyTopic = `${replyTopicPrefix(topics.recommendationRequests)}test`;
  const replies = driver.output(replyTopic, {
    key: stringSerde,
    value: avroSerde(recommendationReplySchema),
  });
  let sequence = 0;
  return {
    driver,
    ask: async (fields) => {
      const request: RecommendationRequest = {
        requestId: `r${++sequence}`,
        userId: 'u1',
        region: 'eu',
        surface: 'HOME_FEED',
        count: 10,
        requestTime: now,
        context: null,
        ...fields,
      };
      await requests.pipe(request.userId, request, {
        timestamp: now,
        headers: {
          [requestHeaders.correlationId]: request.requestId,
          [requestHeaders.replyTo]: replyTopic,
        },
      });
      const answered = await replies.readValues();
      const last = answered[answered.length - 1];
      assert.ok(last !== undefined, 'the request got a reply');
      return last;
    },
  };
}

const catalogue = [
  video('v1'),
  video('v2'),
  video('v3'),
  video('v4', { category: 'music' }),
  video('v5', { category: 'music' }),
  video('v6'),
  video('v7', { creatorId: 'c9', category: 'music' }),
  video('v8', { creatorId: 'c9', category: 'music' }),
  video('v9', { creatorId: 'c9', category: 'music' }),
];

const features = {
  videos: catalogue,
  coVisitation: [
    {
      videoId: 'v1',
      neighbours: [
        { videoId: 'v2', score: 0.8, count: 8 },
        { videoId: 'v3', score: 0.9, count: 9 },
        { videoId: 'v4', score: 0.4, count: 4 },
      ],
      updatedTime: now,
    },
  ],
  trending: [
    [
      'region:eu',
      trendingList('REGION', 'eu', [
        ['v5', 10],
        ['v1', 8],
        ['v4', 5],
      ]),
    ],
    ['category:cooking', trendingList('CATEGORY', 'cooking', [['v6', 4]])],
  ] as [string, TrendingList][],
};

const watcher = user({
  lastWatched: [{ videoId: 'v1', watchedMs: 20_000, watchRatio: 0.7, eventTime: now - 60_000 }],
  recentNegatives: [{ videoId: 'v3', creatorId: 'creator-v3', type: 'DISLIKE', eventTime: now }],
  categoryAffinity: { cooking: { score: 2, updatedTime: now } },
});

test('a known user gets the weighted blend, without what they watched or disliked', async () => {
  const { driver, ask } = await servingDriver(() => Promise.resolve(watcher), features);
  try {
    const reply = await ask({});
    assert.equal(reply.degraded, false);
    // By hand, with the weights of scoring.ts (every video is 48 h old: equal freshness, 0.1):
    // v2: co-visitation 0.8/0.8 → 0.4, cooking affinity → 0.2, freshness 0.1 = 0.7
    // v6: trending in cooking 4/4 → 0.15, cooking affinity → 0.2, freshness 0.1 = 0.45
    // v4: co-visitation 0.4/0.8 → 0.2, trending in eu 5/10 → 0.075, freshness 0.1 = 0.375
    // v5: trending in eu 10/10 → 0.15, freshness 0.1 = 0.25
    // v1 (watched) and v3 (disliked) are filtered out.
    assert.deepEqual(
      reply.items.map((i) => [i.videoId, Number(i.score.toFixed(6)), i.sources]),
      [
        ['v2', 0.7, ['CO_VISITATION']],
        ['v6', 0.45, ['CATEGORY_AFFINITY']],
        ['v4', 0.375, ['CO_VISITATION', 'TRENDING_REGION']],
        ['v5', 0.25, ['TRENDING_REGION']],
      ],
    );
  } finally {
    await driver.close();
  }
});

test('with tables, the user’s features and seen set are the rows of the request’s user in the job’s own tables', async () => {
  const { driver, ask } = await servingDriver('table', features, { userSeen: 'table' });
  try {
    // Nothing published yet for u1: no features, so the fallback, marked as such.
    const before = await ask({});
    assert.equal(before.degraded, true);
    assert.match(before.degradedReason ?? '', /unknown user/);
    const userTopic = driver.input(topics.userFeatures, {
      key: stringSerde,
      value: avroSerde(topicCatalog.userFeatures.value),
    });
    const seenTopic = driver.input(topics.userSeen, {
      key: stringSerde,
      value: avroSerde(topicCatalog.userSeen.value),
    });
    await userTopic.pipe('u1', watcher, { timestamp: now - 1 });
    // Another user's rows are theirs alone: u2 watched v1 too, and has no seen set.
    await userTopic.pipe('u2', { ...watcher, userId: 'u2' }, { timestamp: now - 1 });
    await seenTopic.pipe(
      'u1',
      withSeen(emptySeen('u1'), { videoId: 'v2', time: now - 30 * 24 * hour }),
      { timestamp: now - 1 },
    );
    const reply = await ask({ count: 2 });
    assert.equal(reply.degraded, false);
    // As with the lookups in the test below: v1 watched, v3 disliked, v2 in the seen set.
    assert.deepEqual(
      reply.items.map((i) => i.videoId),
      ['v4', 'v6'],
    );
    const other = await ask({ userId: 'u2', count: 2 });
    assert.equal(other.degraded, false, 'u2 has features of their own');
    assert.deepEqual(
      other.items.map((i) => i.videoId),
      ['v2', 'v6'],
      'u1’s seen set does not filter u2’s reply',
    );
  } finally {
    await driver.close();
  }
});

test('the seen set is filtered before the cut; a failed read leaves the last watches filtered', async () => {
  // v2, the best candidate, was watched long ago: no longer in lastWatched, still in the set.
  const seen = withSeen(emptySeen('u1'), { videoId: 'v2', time: now - 30 * 24 * hour });
  const filtered = await servingDriver(() => Promise.resolve(watcher), features, {
    userSeen: () => Promise.resolve(seen),
  });
  const unreadable = await servingDriver(() => Promise.resolve(watcher), features, {
    userSeen: () => Promise.reject(new Error('no query endpoint answered within 50 ms')),
  });
  try {
    const reply = await filtered.ask({ count: 2 });
    assert.equal(reply.degraded, false);
    assert.deepEqual(
      reply.items.map((i) => i.videoId),
      // Normalised among what is left, v4's co-visitation is now the top one: 0.675 > 0.45.
      ['v4', 'v6'],
      'still two items: the seen one is dropped before the list is cut to its count',
    );
    const without = await unreadable.ask({ count: 2 });
    assert.equal(without.degraded, false, 'personalised all the same');
    assert.deepEqual(
      without.items.map((i) => i.videoId),
      ['v2', 'v6'],
      'only lastWatched (v1) and the dislike (v3) filtered',
    );
  } finally {
    await filtered.driver.close();
    await unreadable.driver.close();
  }
});

test('at most two videos of one creator, best first', async () => {
  const lists = [
    [
      'region:eu',
      trendingList('REGION', 'eu', [
        ['v7', 9],
        ['v8', 8],
        ['v9', 7],
        ['v5', 1],
      ]),
    ],
  ] as [string, TrendingList][];
  const { driver, ask } = await servingDriver(() => Promise.resolve(user({})), {
    videos: catalogue,
    trending: lists,
  });
  try {
    const reply = await ask({});
    assert.deepEqual(
      reply.items.map((i) => i.videoId),
      ['v7', 'v8', 'v5'],
    );
  } finally {
    await driver.close();
  }
});

test('unknown users and unreadable features get popular-in-region, marked degraded', async () => {
  const unknown = await servingDriver(() => Promise.resolve(undefined), features);
  const broken = await servingDriver(
    () => Promise.reject(new Error('no query endpoint answered within 50 ms')),
    features,
  );
  try {
    const first = await unknown.ask({ count: 2 });
    assert.equal(first.degraded, true);
    assert.match(first.degradedReason ?? '', /unknown user/);
    assert.deepEqual(
      first.items.map((i) => [i.videoId, i.score, i.sources]),
      [
        ['v5', 10, ['POPULAR_FALLBACK']],
        ['v1', 8, ['POPULAR_FALLBACK']],
      ],
    );
    const second = await broken.ask({});
    assert.equal(second.degraded, true);
    assert.match(second.degradedReason ?? '', /user features unavailable: no query endpoint/);
    assert.equal(second.items.length, 3);
    const elsewhere = await unknown.ask({ region: 'nowhere' });
    assert.deepEqual(elsewhere.items, [], 'no list for the region: an empty degraded reply');
  } finally {
    await unknown.driver.close();
    await broken.driver.close();
  }
});

test("popular in region is a signal of its own: weighted alone, the blend gives the popular list's order", async () => {
  // The hour's trending list disagrees (v5 on top); the popular list says v1, then v4, then v5.
  const popular = popularInEu([
    ['v1', 9],
    ['v4', 6],
    ['v5', 3],
  ]);
  const onlyPopular = Object.fromEntries(
    Object.keys(scoreWeights).map((signal) => [signal, signal === 'popularInRegion' ? 1 : 0]),
  ) as BlendWeights;
  const { driver, ask } = await servingDriver(
    () => Promise.resolve(user({})),
    { ...features, trending: [...features.trending, popular] },
    { limits: { ...blendOrder, weights: onlyPopular } },
  );
  try {
    const reply = await ask({ count: 3 });
    assert.deepEqual(
      reply.items.map((i) => [i.videoId, Number(i.score.toFixed(6))]),
      [
        ['v1', 1],
        ['v4', 0.666667],
        ['v5', 0.333333],
      ],
    );
  } finally {
    await driver.close();
  }
});

test('personalisation switched off: a known user gets the fallback, their seen videos left out', async () => {
  const seen = withSeen(emptySeen('u1'), { videoId: 'v5', time: now - hour });
  const { driver, ask } = await servingDriver(() => Promise.resolve(watcher), features, {
    userSeen: () => Promise.resolve(seen),
    limits: { ...blendOrder, personalise: false },
  });
  try {
    const reply = await ask({});
    assert.equal(reply.degraded, true);
    assert.equal(reply.degradedReason, 'personalisation switched off');
    // Trending in eu (no popular list here): v5 seen, v1 the user's last watch, v4 left.
    assert.deepEqual(
      reply.items.map((i) => [i.videoId, i.sources]),
      [['v4', ['POPULAR_FALLBACK']]],
    );
  } finally {
    await driver.close();
  }
});

test("popular in region: a candidate source, and the fallback's list, topped up by trending", async () => {
  const popular = popularInEu([
    ['v2', 6],
    ['v6', 3],
  ]);
  const withPopular = { ...features, trending: [...features.trending, popular] };
  const known = await servingDriver(() => Promise.resolve(user({})), withPopular);
  const unknown = await servingDriver(() => Promise.resolve(undefined), withPopular);
  try {
    const reply = await known.ask({});
    // A user with no history: lists only, each normalised by its top. v2: popular 6/6 → 0.15,
    // freshness 0.1 = 0.25; v5: trending in eu 10/10 → 0.15 + 0.1 = 0.25 (ties by id); v1:
    // 8/10 → 0.12 + 0.1; v4: 5/10 → 0.075 + 0.1; v6: popular 3/6 → 0.075 + 0.1.
    assert.deepEqual(
      reply.items.map((i) => [i.videoId, Number(i.score.toFixed(6)), i.sources]),
      [
        ['v2', 0.25, ['POPULAR_REGION']],
        ['v5', 0.25, ['TRENDING_REGION']],
        ['v1', 0.22, ['TRENDING_REGION']],
        ['v4', 0.175, ['TRENDING_REGION']],
        ['v6', 0.175, ['POPULAR_REGION']],
      ],
    );
    const fallback = await unknown.ask({});
    assert.equal(fallback.degraded, true);
    // The popular list as published, then trending in the region for the rest of the count,
    // scaled so its top (v5, 10) scores as the last popular video (v6, 3).
    assert.deepEqual(
      fallback.items.map((i) => [i.videoId, Number(i.score.toFixed(6)), i.sources]),
      [
        ['v2', 6, ['POPULAR_FALLBACK']],
        ['v6', 3, ['POPULAR_FALLBACK']],
        ['v5', 3, ['POPULAR_FALLBACK']],
        ['v1', 2.4, ['POPULAR_FALLBACK']],
        ['v4', 1.5, ['POPULAR_FALLBACK']],
      ],
    );
    const short = await unknown.ask({ count: 2 });
    assert.deepEqual(
      short.items.map((i) => i.videoId),
      ['v2', 'v6'],
      'the popular list alone when it fills the count',
    );
  } finally {
    await known.driver.close();
    await unknown.driver.close();
  }
});

test('each reply is logged as impressions with positions and the request surface', async () => {
  const { driver, ask } = await servingDriver(() => Promise.resolve(watcher), features);
  try {
    const reply = await ask({ surface: 'UP_NEXT', requestId: 'req-42' });
    const records = await driver
      .output(topics.impressions, {
        key: stringSerde,
        value: avroSerde(topicCatalog.impressions.value),
      })
      .readRecords();
    const impressions = records.map((r): [string, Impression] => [r.key, r.value]);
    assert.deepEqual(
      impressions.map(([key, i]) => [key, i.requestId, i.videoId, i.position, i.surface]),
      // Keyed by the video shown (schemas/README.md), not by the user who asked.
      reply.items.map((item, position) => [
        item.videoId,
        'req-42',
        item.videoId,
        position,
        'UP_NEXT',
      ]),
    );
    assert.ok(impressions.every(([, i]) => i.userId === 'u1'));
    assert.ok(impressions.every(([, i]) => i.modelVersion === reply.modelVersion));
    // At the request's time (event time), not the wall clock's when it was served: a replay's
    // requests (the evaluation's) must not move the feature job's stream time to today.
    assert.ok(records.every((r) => r.value.eventTime === now && r.timestamp === now));
  } finally {
    await driver.close();
  }
});
