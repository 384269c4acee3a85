import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  avroSerde,
  Pipeline,
  replyTopicPrefix,
  requestHeaders,
  seededRandom,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';
import type { Engagement } from '../../schemas/generated/engagement.js';
import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import { topicCatalog, topics, type TopicSpec } from '../../schemas/topics.js';
import { featurePipelines } from '../featurePipelines.js';
import type { SeenBounds } from '../seenSet.js';
import { userFeaturesStateSerde } from '../userFeatures.js';
import { userSeenNames, userSeenStateSerde } from '../userSeen.js';
import {
  servingPipeline,
  type UserFeaturesLookup,
  type UserSeenLookup,
} from './servingPipeline.js';

// Acceptance: no served list contains a video the user has seen. The feature pipelines are fed
// many users with histories of 60 to 160 playbacks (beyond the 50 of lastWatched) of a skewed
// catalogue, so the co-visitation, trending and popular lists the serving path draws its
// candidates from are full of what each user has seen; the serving pipeline then reads the
// users' features and seen sets from the feature job's stores, as the serving job does.

const now = Date.UTC(2026, 10, 24, 12);
const catalogueSize = 300;
const userCount = 40;

function serdes<TValue>(spec: TopicSpec<TValue>) {
  return { key: stringSerde, value: avroSerde(spec.value) };
}

function upload(i: number): VideoUpload {
  return {
    videoId: `v-${i}`,
    creatorId: `c-${i % 75}`,
    durationMs: 30_000,
    category: `cat-${i % 6}`,
    tags: [],
    region: 'eu',
    uploadTime: now - 48 * 3_600_000,
    eventTime: now - 48 * 3_600_000,
  };
}

interface History {
  readonly userId: string;
  readonly watched: readonly string[];
  readonly disliked: readonly string[];
}

/** Distinct videos, the popular (low) ids far more often, as real histories are. */
function histories(): History[] {
  const random = seededRandom(19); // every run builds the same histories
  return Array.from({ length: userCount }, (_, u) => {
    const length = 60 + Math.floor(random() * 101);
    const watched = new Set<string>();
    while (watched.size < length) {
      watched.add(`v-${Math.floor(catalogueSize * random() ** 2)}`);
    }
    // Three dislikes of popular videos the user did not watch.
    const disliked = new Set<string>();
    for (let i = 0; disliked.size < 3 && i < catalogueSize; i++) {
      const id = `v-${Math.floor(catalogueSize * random() ** 2)}`;
      if (!watched.has(id)) {
        disliked.add(id);
      }
    }
    return { userId: `u${u}`, watched: [...watched], disliked: [...disliked] };
  });
}

function watchEnd(userId: string, videoId: string, at: number): WatchEnd {
  return {
    userId,
    videoId,
    sessionId: `s-${userId}-${videoId}`,
    watchedMs: 24_000,
    videoDurationMs: 30_000,
    reason: 'COMPLETED',
    requestId: null,
    eventTime: at,
  };
}

/** The feature job fed every history; its stores answer the serving path's queries. */
async function featureJob(users: readonly History[], userSeen?: SeenBounds): Promise<TestDriver> {
  const pipeline = new Pipeline();
  featurePipelines(pipeline, userSeen === undefined ? {} : { userSeen });
  const driver = await TestDriver.start(pipeline, { partitions: 2 });
  const catalog = driver.input(topicCatalog.videoCatalog.name, serdes(topicCatalog.videoCatalog));
  await catalog.pipeMany(
    Array.from({ length: catalogueSize }, (_, i) => ({
      key: `v-${i}`,
      value: upload(i),
      timestamp: now - 48 * 3_600_000,
    })),
  );
  const ends = driver.input(topicCatalog.watchEnds.name, serdes(topicCatalog.watchEnds));
  const engagements = driver.input(topicCatalog.engagements.name, serdes(topicCatalog.engagements));
  // One playback every 20 s per user up to now (within trending's hour and co-visitation's
  // window), all users' in time order as they would arrive: a watch end far behind the task's
  // stream time would be late for its session.
  const playbacks = users
    .flatMap((user) =>
      user.watched.map((videoId, i) => {
        const at = now - (user.watched.length - i) * 20_000;
        return { key: user.userId, value: watchEnd(user.userId, videoId, at), timestamp: at };
      }),
    )
    .sort((a, b) => a.timestamp - b.timestamp);
  for (let i = 0; i < playbacks.length; i += 500) {
    await ends.pipeMany(playbacks.slice(i, i + 500));
  }
  await engagements.pipeMany(
    users.flatMap((user) =>
      user.disliked.map((videoId) => ({
        key: user.userId,
        value: {
          userId: user.userId,
          videoId,
          creatorId: `c-${videoId}`,
          type: 'DISLIKE',
          requestId: null,
          eventTime: now,
        } satisfies Engagement,
        timestamp: now,
      })),
    ),
  );
  await driver.advanceWallClock(10_000); // trending and popular lists are published on a tick
  return driver;
}

type Published = readonly {
  readonly topic: TopicSpec<unknown>;
  readonly records: [string, unknown][];
}[];

/** What the feature job published (and the catalogue): the serving path's global tables. */
async function publishedBy(features: TestDriver): Promise<Published> {
  const c = topicCatalog;
  const specs = [c.videoCatalog, c.coVisitation, c.trending, c.videoPopularity] as const;
  return Promise.all(
    specs.map(async (topic: TopicSpec<unknown>) => ({
      topic,
      records: await features.output(topic.name, serdes(topic)).readKeyValues(),
    })),
  );
}

/** The serving pipeline over the feature job's published features and its stores. */
async function servingOver(
  published: Published,
  lookups: { userFeatures: UserFeaturesLookup; userSeen?: UserSeenLookup },
): Promise<{
  driver: TestDriver;
  ask: (request: Partial<RecommendationRequest>) => Promise<RecommendationReply>;
}> {
  const pipeline = new Pipeline();
  servingPipeline(pipeline, lookups);
  const driver = await TestDriver.start(pipeline);
  for (const { topic, records } of published) {
    await driver
      .input(topic.name, serdes(topic))
      .pipeMany(records.map(([key, value]) => ({ key, value, timestamp: now })));
  }
  const c = topicCatalog;
  const requests = driver.input(topics.recommendationRequests, serdes(c.recommendationRequests));
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
        userId: 'u0',
        region: 'eu',
        surface: 'HOME_FEED',
        count: 50,
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

/** Each user's replies that show something the user watched or disliked: [user, video][]. */
async function seenServed(
  users: readonly History[],
  ask: (request: Partial<RecommendationRequest>) => Promise<RecommendationReply>,
  check: (reply: RecommendationReply, user: History, count: number) => void = () => undefined,
): Promise<[string, string][]> {
  const shown: [string, string][] = [];
  for (const user of users) {
    const seen = new Set([...user.watched, ...user.disliked]);
    for (const count of [10, 50]) {
      const reply = await ask({ userId: user.userId, count });
      check(reply, user, count);
      for (const item of reply.items) {
        if (seen.has(item.videoId)) {
          shown.push([user.userId, item.videoId]);
        }
      }
    }
  }
  return shown;
}

/** The feature job's stores as the serving job reads them. */
function storesOf(features: TestDriver): { features: UserFeaturesLookup; seen: UserSeenLookup } {
  const userFeatures = features.query({
    name: 'user-features',
    key: stringSerde,
    value: userFeaturesStateSerde,
  });
  const userSeen = features.query({
    name: userSeenNames.store,
    key: stringSerde,
    value: userSeenStateSerde,
  });
  return { features: (id) => userFeatures.get(id), seen: (id) => userSeen.get(id) };
}

const unavailable: UserFeaturesLookup = () =>
  Promise.reject(new Error('no query endpoint answered within 50 ms'));

test('no served list contains a seen video: personalised and fallback, many users', async () => {
  const users = histories();
  const features = await featureJob(users);
  const stores = storesOf(features);
  const readFeatures = stores.features;
  const readSeen = stores.seen;
  const published = await publishedBy(features);
  const served = await servingOver(published, { userFeatures: readFeatures, userSeen: readSeen });
  // The features cannot be read (deadline missed), the seen set can: popular-in-region.
  const fallback = await servingOver(published, {
    userFeatures: unavailable,
    userSeen: readSeen,
  });
  // Without the seen set, as before: only lastWatched (50) and the recent dislikes filtered.
  const lastFifty = await servingOver(published, { userFeatures: readFeatures });
  try {
    let personalised = 0;
    assert.deepEqual(
      await seenServed(users, served.ask, (reply) => {
        personalised += reply.degraded ? 0 : 1;
        assert.ok(reply.items.length > 0);
      }),
      [],
    );
    assert.equal(personalised, 2 * userCount, 'every reply personalised');

    // The fallback's candidates: the region's popular list, then its trending list.
    const lists = new Map(
      published
        .filter(({ topic }) => topic.name === topicCatalog.trending.name)
        .flatMap(({ records }) => records as [string, TrendingList][]),
    );
    const fallbackCandidates = new Set(
      ['popular:eu', 'region:eu']
        .flatMap((key) => lists.get(key)?.items ?? [])
        .map((i) => i.videoId),
    );
    assert.ok(fallbackCandidates.size >= 50);
    let short = 0;
    assert.deepEqual(
      await seenServed(users, fallback.ask, (reply, user, count) => {
        assert.equal(reply.degraded, true);
        assert.match(reply.degradedReason ?? '', /user features unavailable/);
        // Filtered before the cut: full whenever enough unseen candidates exist.
        const seen = new Set([...user.watched, ...user.disliked]);
        const unseen = [...fallbackCandidates].filter((id) => !seen.has(id)).length;
        assert.equal(reply.items.length, Math.min(count, unseen), user.userId);
        short += unseen < count ? 1 : 0;
      }),
      [],
    );
    assert.ok(short > 0, 'some users have seen so much that the fallback cannot fill a list');

    // The candidates really hold seen videos: the old filter lets many through.
    const leaked = await seenServed(users, lastFifty.ask);
    const leakedUsers = new Set(leaked.map(([user]) => user)).size;
    assert.ok(leakedUsers > userCount / 2, `only ${leakedUsers} users got a seen video back`);
    console.log(
      `without the seen set: ${leaked.length} seen videos served to ${leakedUsers} of ${userCount} users`,
    );
  } finally {
    await served.driver.close();
    await fallback.driver.close();
    await lastFifty.driver.close();
    await features.close();
  }
});

test('seen sets past their exact limit (Bloom filters): still no seen video served', async () => {
  const users = histories();
  // 30 exact and filters of 150: every history (at most 163) is remembered, most in filters.
  const features = await featureJob(users, { exactLimit: 30, filterCapacity: 150 });
  const stores = storesOf(features);
  const published = await publishedBy(features);
  const served = await servingOver(published, {
    userFeatures: stores.features,
    userSeen: stores.seen,
  });
  const fallback = await servingOver(published, {
    userFeatures: unavailable,
    userSeen: stores.seen,
  });
  try {
    const filtered = await Promise.all(users.map((user) => stores.seen(user.userId)));
    assert.ok(filtered.every((seen) => seen?.recent.length === 30 && seen.filters.length > 0));
    assert.deepEqual(await seenServed(users, served.ask), []);
    assert.deepEqual(await seenServed(users, fallback.ask), []);
  } finally {
    await served.driver.close();
    await fallback.driver.close();
    await features.close();
  }
});
