import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { Engagement } from '../schemas/generated/engagement.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import { featurePipelines } from './featurePipelines.js';
import type { SeenBounds } from './seenSet.js';
import { seenTest } from './seenSet.js';
import { userSeenNames, userSeenStateSerde } from './userSeen.js';

// The seen set as the feature job keeps it: fed by the job's real inputs (watch ends become
// sessions, engagements) and read back from its store as the serving job's queries read it.

const start = Date.UTC(2026, 10, 24, 12);

function serdes<TValue>(spec: TopicSpec<TValue>) {
  return { key: stringSerde, value: avroSerde(spec.value) };
}

function watchEnd(userId: string, videoId: string, at: number): WatchEnd {
  return {
    userId,
    videoId,
    sessionId: `s-${userId}-${videoId}-${at}`,
    watchedMs: 12_000,
    videoDurationMs: 30_000,
    reason: 'SWIPED_AWAY',
    requestId: null,
    eventTime: at,
  };
}

function engagement(userId: string, videoId: string, type: Engagement['type']): Engagement {
  return { userId, videoId, creatorId: `c-${videoId}`, type, requestId: null, eventTime: start };
}

async function featureJob(bounds?: SeenBounds) {
  const pipeline = new Pipeline();
  featurePipelines(pipeline, bounds === undefined ? {} : { userSeen: bounds });
  const driver = await TestDriver.start(pipeline, { partitions: 2 });
  const ends = driver.input(topicCatalog.watchEnds.name, serdes(topicCatalog.watchEnds));
  return {
    driver,
    watch: (userId: string, videos: readonly string[]) =>
      ends.pipeMany(
        videos.map((videoId, i) => {
          const at = start - (videos.length - i) * 60_000;
          return { key: userId, value: watchEnd(userId, videoId, at), timestamp: at };
        }),
      ),
    engage: (userId: string, videoId: string, type: Engagement['type']) =>
      driver
        .input(topicCatalog.engagements.name, serdes(topicCatalog.engagements))
        .pipe(userId, engagement(userId, videoId, type), { timestamp: start }),
    seen: driver.query({
      name: userSeenNames.store,
      key: stringSerde,
      value: userSeenStateSerde,
    }),
  };
}

const videos = (n: number, prefix = 'v-'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('the seen set holds every video watched, beyond the 50 of lastWatched, and the feedback', async () => {
  const job = await featureJob();
  try {
    const history = videos(180);
    await job.watch('u1', history);
    await job.watch('u2', ['v-7', 'x-1']);
    await job.engage('u1', 'disliked', 'DISLIKE');
    await job.engage('u1', 'dismissed', 'DISMISS');
    await job.engage('u1', 'liked', 'LIKE');

    const users = await job.driver
      .output(topicCatalog.userFeatures.name, serdes(topicCatalog.userFeatures))
      .readKeyValues();
    const features = users.filter(([key]) => key === 'u1').pop()?.[1];
    assert.equal(features?.lastWatched.length, 50, 'the user features keep the last 50 only');

    const seen = await job.seen.get('u1');
    assert.ok(seen !== undefined);
    assert.equal(seen.userId, 'u1');
    const isSeen = seenTest(seen);
    const missing = [...history, 'disliked', 'dismissed', 'liked'].filter((id) => !isSeen(id));
    assert.deepEqual(missing, [], 'every watched and acted-on video is in the set');
    assert.equal(seen.recent.length, 183, 'all exact below the limit');
    assert.deepEqual(seen.filters, []);
    assert.equal(isSeen('x-1'), false, "another user's watch is not in it");
    assert.deepEqual((await job.seen.get('u2'))?.recent, ['x-1', 'v-7']);
    assert.equal(await job.seen.get('nobody'), undefined);
  } finally {
    await job.driver.close();
  }
});

test('a heavy user: the set keeps its bound, exact list and two filters at most', async () => {
  const job = await featureJob({ exactLimit: 50, filterCapacity: 100 });
  try {
    const history = videos(400);
    await job.watch('u1', history);
    const seen = await job.seen.get('u1');
    assert.ok(seen !== undefined);
    assert.equal(seen.recent.length, 50);
    // 350 left the exact list: three full filters of 100 and one of 50, the two newest kept.
    assert.deepEqual(
      seen.filters.map((f) => f.items),
      [50, 100],
    );
    assert.equal(seen.recent[0], 'v-399');
    const isSeen = seenTest(seen);
    const remembered = history.slice(400 - 200);
    assert.deepEqual(
      remembered.filter((id) => !isSeen(id)),
      [],
      'the last 200 are all seen',
    );
    const stored = userSeenStateSerde.serialize(seen, { topic: 't', isKey: false });
    // 50 ids of at most 6 bytes, and two filters of 959 bits (120 bytes) for 100 at 1 %.
    assert.ok((stored?.length ?? 0) <= 50 * 6 + 2 * 124 + 16, `${stored?.length} bytes`);
  } finally {
    await job.driver.close();
  }
});
