import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import { featurePipelines } from './featurePipelines.js';

// The composition of every feature pipeline in one job: each input read once, the outputs
// all published. What each feature computes is checked by its own golden test.

const start = Date.UTC(2026, 10, 24, 12);

function serdes<TValue>(spec: TopicSpec<TValue>) {
  return { key: stringSerde, value: avroSerde(spec.value) };
}

function upload(videoId: string, minutesAgo: number): VideoUpload {
  const time = start - minutesAgo * 60_000;
  return {
    videoId,
    creatorId: `creator-${videoId}`,
    durationMs: 30_000,
    category: 'cooking',
    tags: [],
    region: 'eu',
    uploadTime: time,
    eventTime: time,
  };
}

function watchEnd(videoId: string, at: number): WatchEnd {
  return {
    userId: 'u1',
    videoId,
    sessionId: `s-${videoId}`,
    watchedMs: 24_000,
    videoDurationMs: 30_000,
    reason: 'COMPLETED',
    requestId: null,
    eventTime: at,
  };
}

test('one job computes every feature from one read of each input', async () => {
  const pipeline = new Pipeline();
  featurePipelines(pipeline);
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  try {
    const catalog = driver.input(topicCatalog.videoCatalog.name, serdes(topicCatalog.videoCatalog));
    await catalog.pipe('v1', upload('v1', 30), { timestamp: start - 30 * 60_000 });
    await catalog.pipe('v2', upload('v2', 10), { timestamp: start - 10 * 60_000 });
    const ends = driver.input(topicCatalog.watchEnds.name, serdes(topicCatalog.watchEnds));
    await ends.pipe('u1', watchEnd('v1', start), { timestamp: start });
    await ends.pipe('u1', watchEnd('v2', start + 60_000), { timestamp: start + 60_000 });
    await driver.input(topicCatalog.engagements.name, serdes(topicCatalog.engagements)).pipe(
      'u1',
      {
        userId: 'u1',
        videoId: 'v3',
        creatorId: 'creator-v3',
        type: 'DISLIKE',
        requestId: null,
        eventTime: start + 61_000,
      },
      { timestamp: start + 61_000 },
    );
    await driver.advanceWallClock(10_000);

    const sessions = await driver
      .output(topicCatalog.watchSessions.name, serdes(topicCatalog.watchSessions))
      .readValues();
    assert.deepEqual(
      sessions.map((s) => [s.videoId, s.closedReason, s.totalWatchMs]),
      [
        ['v1', 'WATCH_END', 24_000],
        ['v2', 'WATCH_END', 24_000],
      ],
    );
    const users = await driver
      .output(topicCatalog.userFeatures.name, serdes(topicCatalog.userFeatures))
      .readValues();
    const latest = users[users.length - 1];
    assert.deepEqual(
      latest?.lastWatched.map((w) => w.videoId),
      ['v2', 'v1'],
    );
    assert.deepEqual(
      latest?.recentNegatives.map((n) => n.videoId),
      ['v3'],
    );
    const neighbours = await driver
      .output(topicCatalog.coVisitation.name, serdes(topicCatalog.coVisitation))
      .readKeyValues();
    const ofV1 = neighbours.filter(([key]) => key === 'v1').pop()?.[1];
    assert.deepEqual(
      ofV1?.neighbours.map((n) => n.videoId),
      ['v2'],
    );
    const lists = new Map(
      await driver
        .output(topicCatalog.trending.name, serdes(topicCatalog.trending))
        .readKeyValues(),
    );
    assert.deepEqual(
      lists.get('fresh:eu')?.items.map((i) => i.videoId),
      ['v2', 'v1'],
      'fresh uploads, newest first',
    );
    assert.deepEqual(
      lists
        .get('region:eu')
        ?.items.map((i) => i.videoId)
        .sort(),
      ['v1', 'v2'],
      'trending in the region',
    );
    const popularity = await driver
      .output(topicCatalog.videoPopularity.name, serdes(topicCatalog.videoPopularity))
      .readKeyValues();
    assert.deepEqual([...new Set(popularity.map(([key]) => key))].sort(), ['v1', 'v2']);
  } finally {
    await driver.close();
  }
});

test('a watch end read after its session closed by inactivity counts the playback once', async () => {
  // A replay faster than real time can make this happen: the heartbeats and the records after
  // them are read before the watch end written just before those records.
  const pipeline = new Pipeline();
  featurePipelines(pipeline);
  const driver = await TestDriver.start(pipeline, { partitions: 1 });
  try {
    const catalog = driver.input(topicCatalog.videoCatalog.name, serdes(topicCatalog.videoCatalog));
    await catalog.pipe('v1', upload('v1', 30), { timestamp: start - 30 * 60_000 });
    await catalog.pipe('v2', upload('v2', 30), { timestamp: start - 30 * 60_000 });
    const heartbeats = driver.input(
      topicCatalog.watchHeartbeats.name,
      serdes(topicCatalog.watchHeartbeats),
    );
    for (const [videoId, at] of [
      ['v1', start],
      ['v1', start + 10_000],
      // Ten minutes later, another playback: stream time passes v1's gap and grace.
      ['v2', start + 10 * 60_000],
    ] as const) {
      await heartbeats.pipe(
        'u1',
        { userId: 'u1', videoId, sessionId: `s-${videoId}`, watchedMs: 10_000, eventTime: at },
        { timestamp: at },
      );
    }
    const ends = driver.input(topicCatalog.watchEnds.name, serdes(topicCatalog.watchEnds));
    await ends.pipe('u1', watchEnd('v1', start + 15_000), { timestamp: start + 15_000 });
    await driver.advanceWallClock(10_000);

    const sessions = await driver
      .output(topicCatalog.watchSessions.name, serdes(topicCatalog.watchSessions))
      .readValues();
    assert.deepEqual(
      sessions.map((s) => [s.videoId, s.closedReason]),
      [['v1', 'INACTIVITY']],
    );
    const users = await driver
      .output(topicCatalog.userFeatures.name, serdes(topicCatalog.userFeatures))
      .readValues();
    const latest = users[users.length - 1];
    assert.equal(latest?.watchCount, 1);
    assert.deepEqual(
      latest?.lastWatched.map((w) => [w.videoId, w.watchedMs]),
      [['v1', 10_000]],
    );
  } finally {
    await driver.close();
  }
});
