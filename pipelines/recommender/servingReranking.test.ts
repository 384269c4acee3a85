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
import type { ExplorationPosterior } from '../../schemas/generated/explorationPosterior.js';
import type { ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { topicCatalog, topics } from '../../schemas/topics.js';
import { explorationPosteriorSerdes } from '../explorationPosteriors.js';
import { itemEmbeddingSerdes, itemEmbeddingsTopic } from '../itemEmbeddingShards.js';
import { defaultLimits, type RecommenderLimits } from './recommend.js';
import { servingPipeline } from './servingPipeline.js';

// The re-ranking stage through the serving pipeline: MMR over the embeddings table, the
// exploration slot over the posteriors table, up-next. servingPipeline.test.ts has the rest.

const now = Date.UTC(2026, 11, 5, 12);
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

const watcher: UserFeatures = {
  userId: 'u1',
  lastWatched: [{ videoId: 'w', watchedMs: 20_000, watchRatio: 0.7, eventTime: now - 60_000 }],
  categoryAffinity: {},
  creatorAffinity: {},
  affinityHalfLifeMs: 24 * hour,
  averageWatchRatio: 0.5,
  watchCount: 1,
  recentNegatives: [],
  updatedTime: now,
};

function embedding(videoId: string, vector: number[]): ItemEmbedding {
  return { videoId, modelVersion: 'm1', vector, sourceTime: now, embeddedTime: now };
}

function trending(scope: TrendingList['scope'], items: [string, number][]): TrendingList {
  return {
    scope,
    scopeValue: 'eu',
    windowMs: hour,
    items: items.map(([videoId, score]) => ({ videoId, score, views: 0 })),
    updatedTime: now,
  };
}

interface Features {
  readonly videos: VideoUpload[];
  readonly coVisitation?: CoVisitation[];
  readonly trending?: [string, TrendingList][];
  readonly embeddings?: ItemEmbedding[];
  readonly posteriors?: ExplorationPosterior[];
}

async function driverWith(
  features: Features,
  options: { limits: RecommenderLimits; user?: UserFeatures | undefined },
): Promise<{
  driver: TestDriver;
  ask: (request: Partial<RecommendationRequest>) => Promise<RecommendationReply>;
  diversities: number[];
}> {
  const pipeline = new Pipeline();
  const diversities: number[] = [];
  servingPipeline(pipeline, {
    userFeatures: () => Promise.resolve(options.user),
    limits: options.limits,
    itemEmbeddingsTopic,
    onReply: (_reply, quality) => diversities.push(quality.diversity),
  });
  const driver = await TestDriver.start(pipeline);
  const c = topicCatalog;
  const pipeAll = async <TValue>(
    topic: string,
    value: { serialize: unknown } & Parameters<typeof driver.input<string, TValue>>[1]['value'],
    records: [string, TValue][],
  ): Promise<void> => {
    const input = driver.input(topic, { key: stringSerde, value });
    for (const [key, record] of records) {
      await input.pipe(key, record);
    }
  };
  await pipeAll(
    c.videoCatalog.name,
    avroSerde(c.videoCatalog.value),
    features.videos.map((v) => [v.videoId, v]),
  );
  await pipeAll(
    c.coVisitation.name,
    avroSerde(c.coVisitation.value),
    (features.coVisitation ?? []).map((l) => [l.videoId, l]),
  );
  await pipeAll(c.trending.name, avroSerde(c.trending.value), features.trending ?? []);
  await pipeAll(
    itemEmbeddingsTopic,
    itemEmbeddingSerdes.value,
    (features.embeddings ?? []).map((e) => [e.videoId, e]),
  );
  await pipeAll(
    c.explorationPosteriors.name,
    explorationPosteriorSerdes.value,
    (features.posteriors ?? []).map((p) => [p.videoId, p]),
  );
  const requests = driver.input(topics.recommendationRequests, {
    key: stringSerde,
    value: avroSerde(c.recommendationRequests.value),
  });
  const replyTopic = `${replyTopicPrefix(topics.recommendationRequests)}test`;
  const replies = driver.output(replyTopic, {
    key: stringSerde,
    value: avroSerde(recommendationReplySchema),
  });
  let sequence = 0;
  return {
    driver,
    diversities,
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

const noExploration = { ...defaultLimits, explorationShare: 0 };

/** w's co-visitation neighbours a (0.9), b (0.8), c (0.5); a and b are near-duplicates. */
const neighbourhood: Features = {
  videos: ['w', 'a', 'b', 'c', 'd', 'e'].map((id) => video(id)),
  coVisitation: [
    {
      videoId: 'w',
      neighbours: [
        { videoId: 'a', score: 0.9, count: 9 },
        { videoId: 'b', score: 0.8, count: 8 },
        { videoId: 'c', score: 0.5, count: 5 },
      ],
      updatedTime: now,
    },
  ],
  embeddings: [
    embedding('w', [1, 0, 0]),
    embedding('a', [0, 1, 0]),
    embedding('b', [0, 0.99, 0.1]),
    embedding('c', [0, 0, 1]),
    embedding('d', [0.9, 0.1, 0]),
  ],
};

test('MMR moves a near-duplicate down; λ = 1 keeps the blend; diversity reported', async () => {
  const mmr = await driverWith(neighbourhood, { limits: noExploration, user: watcher });
  const blend = await driverWith(neighbourhood, {
    limits: { ...noExploration, mmrLambda: 1 },
    user: watcher,
  });
  try {
    const diverse = await mmr.ask({});
    const plain = await blend.ask({});
    // Blend: a 0.4 + 0.1 (freshness), b 0.4·0.8/0.9 + 0.1, c 0.4·0.5/0.9 + 0.1.
    assert.deepEqual(
      plain.items.map((i) => i.videoId),
      ['a', 'b', 'c'],
    );
    // MMR (λ 0.7, top 0.5): after a, b is 0.7·0.456 − 0.3·0.5·0.99 ≈ 0.17 and c
    // 0.7·0.322 − 0 ≈ 0.23: c comes before b.
    assert.deepEqual(
      diverse.items.map((i) => i.videoId),
      ['a', 'c', 'b'],
    );
    diverse.items.forEach((item, i) =>
      assert.ok(i === 0 || item.score <= (diverse.items[i - 1]?.score ?? 0), 'in score order'),
    );
    // Same three items, so the same intra-list diversity: (1 − 0.99) + 1 + (1 − 0.1) over 3.
    assert.equal(mmr.diversities.length, 1);
    assert.ok(Math.abs((mmr.diversities[0] ?? 0) - (0.01 + 1 + 0.9) / 3) < 0.01);
  } finally {
    await mmr.driver.close();
    await blend.driver.close();
  }
});

test('up next: the current video’s neighbours first, never the video itself', async () => {
  const features: Features = {
    ...neighbourhood,
    // d is near w by vector; w itself trends in the region and is its own list's top.
    trending: [
      [
        'region:eu',
        trending('REGION', [
          ['w', 10],
          ['e', 9],
          ['d', 1],
        ]),
      ],
    ],
  };
  const { driver, ask } = await driverWith(features, {
    limits: noExploration,
    user: { ...watcher, lastWatched: [] },
  });
  const fallback = await driverWith(features, { limits: noExploration, user: undefined });
  try {
    const reply = await ask({
      surface: 'UP_NEXT',
      context: { currentVideoId: 'w', device: null },
    });
    const ids = reply.items.map((i) => i.videoId);
    assert.ok(!ids.includes('w'), `the current video is not returned: ${ids.join(', ')}`);
    const sources = new Map(reply.items.map((i) => [i.videoId, i.sources]));
    assert.deepEqual(sources.get('a'), ['CO_VISITATION', 'CURRENT_VIDEO_NEIGHBOURS']);
    // d: an embedding neighbour (cosine 0.99) that only trending proposed.
    assert.deepEqual(sources.get('d'), ['CURRENT_VIDEO_NEIGHBOURS', 'TRENDING_REGION']);
    assert.equal(ids[0], 'd', 'the nearest neighbour of w leads');
    assert.ok(ids.indexOf('e') > ids.indexOf('c'), 'trending alone ranks below the neighbours');
    // The same request on the home feed: w trends, and may be shown there.
    const home = await ask({ context: { currentVideoId: 'w', device: null } });
    assert.ok(home.items.some((i) => i.videoId === 'w'));
    // Unknown user: the popular fallback leaves the current video out too.
    const degraded = await fallback.ask({
      surface: 'UP_NEXT',
      context: { currentVideoId: 'w', device: null },
    });
    assert.equal(degraded.degraded, true);
    assert.ok(!degraded.items.some((i) => i.videoId === 'w'));
  } finally {
    await driver.close();
    await fallback.driver.close();
  }
});

test('the exploration slot: fresh, unseen videos by Thompson sampling, marked in replies and impressions', async () => {
  const fresh = (id: string, ageHours: number) =>
    video(id, { uploadTime: now - ageHours * hour, eventTime: now - ageHours * hour });
  const features: Features = {
    ...neighbourhood,
    videos: [...neighbourhood.videos, fresh('f1', 1), fresh('f2', 2), fresh('old', 30)],
    trending: [
      [
        'fresh:eu',
        trending('FRESH', [
          ['f1', now - hour],
          ['f2', now - 2 * hour],
          ['w', now - 3 * hour], // watched: never explored
          ['old', now - 30 * hour], // past the freshness window
        ]),
      ],
    ],
    posteriors: [
      {
        videoId: 'f1',
        alpha: 1,
        beta: 200,
        impressions: 199,
        clicks: 0,
        uploadTime: now - hour,
        updatedTime: now,
      },
    ],
  };
  // Every position explored: the slot takes what fresh videos there are, then the ranking. Three
  // items: the ranking's are a, c, b, so f1 and f2 (also candidates, as fresh uploads, but
  // ranked below) are not in the list already.
  const { driver, ask } = await driverWith(features, {
    limits: { ...defaultLimits, explorationShare: 1 },
    user: watcher,
  });
  try {
    const reply = await ask({ requestId: 'explore-1', count: 3 });
    const explored = reply.items.filter((i) => i.explored);
    assert.deepEqual(explored.map((i) => i.videoId).sort(), ['f1', 'f2']);
    assert.ok(explored.every((i) => i.sources.length === 1 && i.sources[0] === 'EXPLORATION'));
    // f2 (no posterior: the uniform prior) beats f1 (1 click in 200) almost surely.
    assert.deepEqual(
      reply.items.slice(0, 2).map((i) => i.videoId),
      ['f2', 'f1'],
    );
    assert.deepEqual(
      reply.items.slice(2).map((i) => [i.videoId, i.explored]),
      [['a', false]],
    );
    const impressions = await driver
      .output(topics.impressions, {
        key: stringSerde,
        value: avroSerde(topicCatalog.impressions.value),
      })
      .readValues();
    assert.deepEqual(
      impressions.map((i) => [i.videoId, i.explored]),
      reply.items.map((i) => [i.videoId, i.explored]),
    );
    // Asked again with the same id: the same reply (seeded by the request id).
    const again = await ask({ requestId: 'explore-1', count: 3 });
    assert.deepEqual(again.items, reply.items);
  } finally {
    await driver.close();
  }
});

test('the popular fallback explores too, without the current video or a seen one', async () => {
  const features: Features = {
    videos: [video('p1'), video('p2'), video('f1', { uploadTime: now - hour })],
    trending: [
      [
        'popular:eu',
        trending('POPULAR', [
          ['p1', 5],
          ['p2', 4],
        ]),
      ],
      ['fresh:eu', trending('FRESH', [['f1', now - hour]])],
    ],
  };
  const { driver, ask } = await driverWith(features, {
    limits: { ...defaultLimits, explorationShare: 1 },
    user: undefined,
  });
  try {
    const reply = await ask({ count: 2 });
    assert.equal(reply.degraded, true);
    assert.deepEqual(
      reply.items.map((i) => [i.videoId, i.explored, i.sources]),
      [
        ['f1', true, ['EXPLORATION']],
        ['p1', false, ['POPULAR_FALLBACK']],
      ],
    );
    // The fresh video being watched is never explored on up next.
    const upNext = await ask({
      count: 2,
      surface: 'UP_NEXT',
      context: { currentVideoId: 'f1', device: null },
    });
    assert.deepEqual(
      upNext.items.map((i) => i.videoId),
      ['p1', 'p2'],
    );
  } finally {
    await driver.close();
  }
});
