import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { PopularityCounts, VideoPopularity } from '../schemas/generated/videoPopularity.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog } from '../schemas/topics.js';
import { lastHourViewsAt, videoPopularity } from './videoPopularity.js';

const serdes = {
  impressions: { key: stringSerde, value: avroSerde(topicCatalog.impressions.value) },
  clicks: { key: stringSerde, value: avroSerde(topicCatalog.clicks.value) },
  sessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
  popularity: { key: stringSerde, value: avroSerde(topicCatalog.videoPopularity.value) },
};

const minute = 60_000;
const t0 = Date.UTC(2025, 0, 1); // a multiple of every bucket size
const at = (minutes: number): number => t0 + minutes * minute;

/** An input event in arrival order; `time` is its event time and record timestamp. */
type Event =
  | { readonly kind: 'impression'; readonly time: number; readonly value: Impression }
  | { readonly kind: 'click'; readonly time: number; readonly value: Click }
  | { readonly kind: 'session'; readonly time: number; readonly value: WatchSession };

function impression(videoId: string, time: number): Event {
  return {
    kind: 'impression',
    time,
    value: {
      requestId: 'r',
      userId: 'u1',
      videoId,
      position: 0,
      surface: 'HOME_FEED',
      modelVersion: 'm',
      eventTime: time,
      predictedClick: null,
      explored: false,
    },
  };
}

function click(videoId: string, time: number): Event {
  return {
    kind: 'click',
    time,
    value: {
      requestId: 'r',
      userId: 'u2',
      videoId,
      position: 0,
      surface: 'HOME_FEED',
      eventTime: time,
    },
  };
}

/** A closed playback that started at `start` and ended `watchedMs` later. */
function session(
  videoId: string,
  start: number,
  watched: { ms: number; durationMs: number | null },
): Event {
  const endTime = start + watched.ms;
  return {
    kind: 'session',
    time: endTime,
    value: {
      userId: 'u3',
      videoId,
      sessionId: `s-${videoId}-${start}`,
      totalWatchMs: watched.ms,
      videoDurationMs: watched.durationMs,
      heartbeats: 1,
      startTime: start,
      endTime,
      closedReason: 'WATCH_END',
      requestId: null,
    },
  };
}

/**
 * The batch computation of one window, from the definition: the events whose time falls in the
 * `buckets` buckets of `bucketMs` ending with the bucket of `end` (a playback at its start time,
 * a view when it has watch time, completed at 95% of a known duration).
 */
function batchCounts(
  events: readonly Event[],
  query: { videoId: string; end: number; bucketMs: number; buckets: number },
): PopularityCounts {
  const last = Math.floor(query.end / query.bucketMs);
  const inWindow = (time: number): boolean => {
    const bucket = Math.floor(time / query.bucketMs);
    return bucket > last - query.buckets && bucket <= last;
  };
  const counts = { views: 0, completedViews: 0, watchMs: 0, impressions: 0, clicks: 0 };
  for (const event of events) {
    if (event.value.videoId !== query.videoId) {
      continue;
    }
    if (event.kind === 'impression' && inWindow(event.time)) {
      counts.impressions += 1;
    } else if (event.kind === 'click' && inWindow(event.time)) {
      counts.clicks += 1;
    } else if (event.kind === 'session' && inWindow(event.value.startTime)) {
      const playback = event.value;
      if (playback.totalWatchMs > 0) {
        counts.views += 1;
        counts.watchMs += playback.totalWatchMs;
        const duration = playback.videoDurationMs;
        if (duration !== null && playback.totalWatchMs / duration >= 0.95) {
          counts.completedViews += 1;
        }
      }
    }
  }
  return {
    views: counts.views,
    completedViews: counts.completedViews,
    watchSeconds: counts.watchMs / 1000,
    impressions: counts.impressions,
    clicks: counts.clicks,
    ctr: counts.impressions > 0 ? counts.clicks / counts.impressions : 0,
  };
}

/** The batch value of a video with its windows ending at `end`. */
function batchPopularity(events: readonly Event[], videoId: string, end: number): VideoPopularity {
  return {
    videoId,
    last5m: batchCounts(events, { videoId, end, bucketMs: 10_000, buckets: 30 }),
    last1h: batchCounts(events, { videoId, end, bucketMs: minute, buckets: 60 }),
    last24h: batchCounts(events, { videoId, end, bucketMs: 15 * minute, buckets: 96 }),
    updatedTime: end,
  };
}

/** Avro decodes records into generated classes: compare their fields as plain objects. */
function plain(value: VideoPopularity): VideoPopularity {
  return {
    videoId: value.videoId,
    last5m: { ...value.last5m },
    last1h: { ...value.last1h },
    last24h: { ...value.last24h },
    updatedTime: value.updatedTime,
  };
}

async function start(): Promise<{
  pipe: (event: Event) => Promise<void>;
  driver: TestDriver;
  latest: () => Promise<Map<string, VideoPopularity>>;
}> {
  const pipeline = new Pipeline();
  videoPopularity(pipeline);
  const driver = await TestDriver.start(pipeline, { wallClock: 0 });
  const impressions = driver.input(topicCatalog.impressions.name, serdes.impressions);
  const clicks = driver.input(topicCatalog.clicks.name, serdes.clicks);
  const sessions = driver.input(topicCatalog.watchSessions.name, serdes.sessions);
  const output = driver.output(topicCatalog.videoPopularity.name, serdes.popularity);
  const published = new Map<string, VideoPopularity>();
  return {
    driver,
    pipe: async (event) => {
      const options = { timestamp: event.time };
      switch (event.kind) {
        case 'impression':
          return impressions.pipe(event.value.videoId, event.value, options);
        case 'click':
          return clicks.pipe(event.value.videoId, event.value, options);
        case 'session':
          return sessions.pipe(event.value.userId, event.value, options);
      }
    },
    // What the compacted topic holds: the latest record per video.
    latest: async () => {
      for (const [key, value] of await output.readKeyValues()) {
        assert.equal(key, value.videoId);
        published.set(key, plain(value));
      }
      return published;
    },
  };
}

test('popularity equals the batch computation at chosen times, out of order and late included', async () => {
  const { pipe, driver, latest } = await start();
  const arrived: Event[] = [];
  let streamTime = 0;
  /** Pipes events (the driver commits after each: changed videos are published), and checks every video against the batch. */
  const step = async (events: readonly Event[], label: string): Promise<void> => {
    for (const event of events) {
      await pipe(event);
      arrived.push(event);
      streamTime = Math.max(streamTime, event.time);
    }
    const values = await latest();
    const videos = new Set(arrived.map((e) => e.value.videoId));
    for (const videoId of videos) {
      const value = values.get(videoId);
      if (value === undefined) {
        assert.fail(`${label}: ${videoId} was never published`);
      }
      assert.deepEqual(
        value,
        batchPopularity(arrived, videoId, value.updatedTime),
        `${label}: ${videoId} at ${value.updatedTime - t0} ms`,
      );
    }
    assert.equal(values.get(events.at(-1)?.value.videoId ?? '')?.updatedTime, streamTime);
  };

  await step(
    [
      impression('v1', at(0)),
      impression('v1', at(0) + 5_000),
      click('v1', at(0) + 8_000),
      impression('v2', at(1)),
      session('v1', at(0) + 9_000, { ms: 30_000, durationMs: 30_000 }), // completed
      session('v1', at(1), { ms: 5_000, durationMs: 30_000 }),
      session('v2', at(1), { ms: 0, durationMs: 10_000 }), // no watch time: not a view
      session('v2', at(1) + 20_000, { ms: 9_600, durationMs: null }), // duration unknown
    ],
    'first minutes',
  );
  await step(
    [
      impression('v1', at(7)),
      click('v1', at(7)),
      impression('v1', at(3)), // out of order: in the hour, no longer in the last 5 minutes
      click('v2', at(6) + 55_000), // in the 10 s bucket at the 5-minute window's start
      session('v2', at(2), { ms: 9_500, durationMs: 10_000 }), // closed late, counts at its start
    ],
    'out of order',
  );
  await step([impression('v3', at(90)), impression('v1', at(89))], 'an hour and a half later');
  await step(
    [
      impression('v3', at(26 * 60)),
      impression('v1', at(10)), // 26 hours late: outside every window, dropped
      click('v3', at(25 * 60)), // late, but within the 24 hours
    ],
    'a day later',
  );
  assert.equal(driver.counter('latePopularityEvents'), 1);
  await driver.close();
});

test('values are published once per commit, and decay to zeros without events', async () => {
  const { pipe, driver, latest } = await start();
  const output = driver.output(topicCatalog.videoPopularity.name, serdes.popularity);
  // One batch of twenty events, as one poll delivers them: the driver commits after it.
  await driver.input(topicCatalog.impressions.name, serdes.impressions).pipeMany(
    Array.from({ length: 20 }, (_, i) => {
      const event = impression('v1', at(0) + i * 1000);
      assert.ok(event.kind === 'impression');
      return { key: 'v1', value: event.value, timestamp: event.time };
    }),
  );
  const burst = await output.readValues();
  assert.equal(burst.length, 1, 'twenty events, one record');
  assert.equal(burst[0]?.last5m.impressions, 20);
  // Another video's events move stream time on: v1's buckets leave its windows one by one,
  // and each exit publishes v1 again, without an event of v1.
  await pipe(impression('v2', at(6)));
  const afterFive = (await latest()).get('v1');
  assert.deepEqual(
    [afterFive?.last5m.impressions, afterFive?.last1h.impressions, afterFive?.updatedTime],
    [0, 20, at(6)],
  );
  await pipe(impression('v2', at(25 * 60)));
  const gone = (await latest()).get('v1');
  assert.deepEqual(
    [gone?.last5m.impressions, gone?.last1h.impressions, gone?.last24h.impressions],
    [0, 0, 0],
    'decayed to zeros once the day is over',
  );
  // Its state was deleted with that last record: nothing more is published for v1.
  await pipe(impression('v2', at(50 * 60)));
  const more = await output.readKeyValues();
  assert.deepEqual(
    more.map(([key]) => key),
    ['v2'],
  );
  await driver.close();
});

test('a request reads the same last-hour views however far the task has got (two interleavings)', async () => {
  // The evaluation's situation: the replay's last views, then requests at the cut-off T whose
  // impressions reach the task while later users are still being asked, and move its stream
  // time (and every video's windows) to T. What a request at T reads must not depend on
  // whether those impressions, or other videos' events, were read before it.
  const cutoff = at(24 * 60);
  const events = {
    early: session('v1', cutoff - 107 * minute, { ms: 30_000, durationMs: 30_000 }), // > 1 h before T
    other: impression('v3', cutoff - 70 * minute), // moves stream time, not v1's hour
    recent: session('v4', cutoff - 10 * minute, { ms: 30_000, durationMs: 30_000 }), // in T's hour
    served: impression('v2', cutoff), // the serving's impression at the request's time
  };
  const interleavings: (keyof typeof events)[][] = [
    ['early', 'other', 'recent', 'served'],
    ['served', 'early', 'recent', 'other'],
    ['early', 'recent', 'served', 'other'],
  ];
  const readsOf = async (order: (keyof typeof events)[]): Promise<string[]> => {
    const { pipe, driver, latest } = await start();
    const reads: string[] = [];
    for (const name of order) {
      await pipe(events[name]);
      const values = await latest();
      // Once a video is published, what a request at T reads of it.
      for (const videoId of ['v1', 'v4']) {
        const value = values.get(videoId);
        if (value !== undefined) {
          reads.push(`${videoId}=${lastHourViewsAt(value, cutoff)}`);
        }
      }
    }
    await driver.close();
    return [...new Set(reads)].sort();
  };
  const expected = ['v1=0', 'v4=1'];
  for (const order of interleavings) {
    assert.deepEqual(await readsOf(order), expected, order.join(', '));
  }
});

test('describe() shows the DAG (snapshot): stateful steps, internal topics, global tables', () => {
  const pipeline = new Pipeline();
  videoPopularity(pipeline);
  assert.equal(
    pipeline.describe('features'),
    [
      'Sub-topology 0',
      '  Source: video-popularity-impressions (topics: [events.impressions]; key: string, value: avro(reelstream.events.Impression))',
      '    --> video-popularity-impression-events',
      '  Source: video-popularity-clicks (topics: [events.clicks]; key: string, value: avro(reelstream.events.Click))',
      '    --> video-popularity-click-events',
      '  Source: video-popularity-events-repartition-source (topics: [features-video-popularity-events-repartition]; key: string, value: json)',
      '    --> video-popularity-merge-playbacks',
      '  Processor: video-popularity-impression-events (mapValues)',
      '    --> video-popularity-merge-clicks',
      '    <-- video-popularity-impressions',
      '  Processor: video-popularity-click-events (mapValues)',
      '    --> video-popularity-merge-clicks',
      '    <-- video-popularity-clicks',
      '  Processor: video-popularity-merge-clicks (merge)',
      '    --> video-popularity-merge-playbacks',
      '    <-- video-popularity-impression-events, video-popularity-click-events',
      '  Processor: video-popularity-merge-playbacks (merge)',
      '    --> video-popularity',
      '    <-- video-popularity-merge-clicks, video-popularity-events-repartition-source',
      '  Processor: video-popularity (process; stores: [video-popularity, video-popularity-timers])',
      '    --> video-popularity-out',
      '    <-- video-popularity-merge-playbacks',
      '  Sink: video-popularity-out (topic: features.video-popularity; key: string, value: avro(reelstream.features.VideoPopularity))',
      '    <-- video-popularity',
      'Sub-topology 1',
      '  Source: video-popularity-sessions (topics: [features.watch-sessions]; key: string, value: avro(reelstream.features.WatchSession))',
      '    --> video-popularity-views',
      '  Processor: video-popularity-views (filter)',
      '    --> video-popularity-playback-events',
      '    <-- video-popularity-sessions',
      '  Processor: video-popularity-playback-events (map)',
      '    --> video-popularity-events-repartition-sink',
      '    <-- video-popularity-views',
      '  Sink: video-popularity-events-repartition-sink (topic: features-video-popularity-events-repartition; key: string, value: json)',
      '    <-- video-popularity-playback-events',
      'Internal topics',
      '  features-video-popularity-events-repartition (partitions: as upstream)',
    ].join('\n'),
  );
});
