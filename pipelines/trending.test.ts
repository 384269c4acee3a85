import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { TrendingList } from '../schemas/generated/trendingList.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog } from '../schemas/topics.js';
import { log2AddExp } from './popularInRegion.js';
import { trending, type TrendingOptions } from './trending.js';
import { videoPopularity } from './videoPopularity.js';
import { watchSessions } from './watchSessions.js';

const serdes = {
  sessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
  catalog: { key: stringSerde, value: avroSerde(topicCatalog.videoCatalog.value) },
  trending: { key: stringSerde, value: avroSerde(topicCatalog.trending.value) },
  heartbeats: { key: stringSerde, value: avroSerde(topicCatalog.watchHeartbeats.value) },
  ends: { key: stringSerde, value: avroSerde(topicCatalog.watchEnds.value) },
  popularity: { key: stringSerde, value: avroSerde(topicCatalog.videoPopularity.value) },
};

const minute = 60_000;
const t0 = Date.UTC(2025, 0, 1);
const at = (minutes: number): number => t0 + minutes * minute;
const topK = 3;

function video(videoId: string, place: { region: string; category: string }): VideoUpload {
  return {
    videoId,
    creatorId: 'c',
    durationMs: 20_000,
    category: place.category,
    tags: [],
    region: place.region,
    uploadTime: 0,
    eventTime: 0,
  };
}

const catalog: readonly VideoUpload[] = [
  video('v1', { region: 'eu', category: 'cat-a' }),
  video('v2', { region: 'eu', category: 'cat-b' }),
  video('v3', { region: 'eu', category: 'cat-a' }),
  video('v4', { region: 'us', category: 'cat-a' }),
  video('v5', { region: 'eu', category: 'cat-b' }),
];

let sessionCount = 0;

/** A closed playback of `videoId` starting at `start`; 20 s videos, so 19 s or more completes. */
function playback(
  videoId: string,
  start: number,
  watched: { ms: number; durationMs?: number | null },
): WatchSession {
  sessionCount += 1;
  return {
    userId: `u${sessionCount % 4}`,
    videoId,
    sessionId: `s${sessionCount}`,
    totalWatchMs: watched.ms,
    videoDurationMs: watched.durationMs ?? null,
    heartbeats: 1,
    startTime: start,
    endTime: start + watched.ms,
    closedReason: 'INACTIVITY',
    requestId: null,
  };
}

/**
 * The batch computation: for every region and category, its videos' playbacks started in the
 * 60 one-minute buckets ending with the minute of `end`, scored views + completed views (95% of
 * the duration, from the session or else the catalogue), best first, ties by views then id.
 */
function batchTrending(sessions: readonly WatchSession[], key: string, end: number): TrendingList {
  const [kind = '', scopeValue = ''] = key.split(':');
  const lastMinute = Math.floor(end / minute);
  const perVideo = new Map<string, { views: number; completed: number }>();
  for (const session of sessions) {
    const meta = catalog.find((v) => v.videoId === session.videoId);
    const startMinute = Math.floor(session.startTime / minute);
    if (
      meta === undefined ||
      session.totalWatchMs <= 0 ||
      startMinute <= lastMinute - 60 ||
      startMinute > lastMinute ||
      (kind === 'region' ? meta.region : meta.category) !== scopeValue
    ) {
      continue;
    }
    const counts = perVideo.get(session.videoId) ?? { views: 0, completed: 0 };
    counts.views += 1;
    const duration = session.videoDurationMs ?? meta.durationMs;
    counts.completed += session.totalWatchMs / duration >= 0.95 ? 1 : 0;
    perVideo.set(session.videoId, counts);
  }
  const items = [...perVideo]
    .map(([videoId, c]) => ({ videoId, score: c.views + c.completed, views: c.views }))
    .sort((a, b) => b.score - a.score || b.views - a.views || a.videoId.localeCompare(b.videoId))
    .slice(0, topK);
  return {
    scope: kind === 'region' ? 'REGION' : 'CATEGORY',
    scopeValue,
    windowMs: 3_600_000,
    items,
    updatedTime: end,
  };
}

/** Avro decodes into generated classes: compare plain fields. */
function plain(list: TrendingList): TrendingList {
  return { ...list, items: list.items.map((item) => ({ ...item })) };
}

/**
 * The trending pipeline on a test driver with the catalogue loaded. `play` pipes closed
 * playbacks, moves the wall clock on by the emit interval, and keeps the latest list published
 * under each key that starts with `prefix`.
 */
async function trendingDriver(options: {
  trending: TrendingOptions;
  partitions?: number;
  prefix: string;
}): Promise<{
  driver: TestDriver;
  arrived: WatchSession[];
  published: Map<string, TrendingList>;
  play: (sessions: readonly WatchSession[]) => Promise<void>;
}> {
  const pipeline = new Pipeline();
  trending(pipeline, options.trending);
  const driver = await TestDriver.start(pipeline, { partitions: options.partitions ?? 1 });
  await driver
    .input(topicCatalog.videoCatalog.name, serdes.catalog)
    .pipeMany(catalog.map((value) => ({ key: value.videoId, value, timestamp: 0 })));
  const input = driver.input(topicCatalog.watchSessions.name, serdes.sessions);
  const output = driver.output(topicCatalog.trending.name, serdes.trending);
  const arrived: WatchSession[] = [];
  const published = new Map<string, TrendingList>();
  return {
    driver,
    arrived,
    published,
    play: async (sessions) => {
      for (const session of sessions) {
        await input.pipe(session.userId, session, { timestamp: session.endTime });
        arrived.push(session);
      }
      await driver.advanceWallClock(5000);
      for (const [key, value] of await output.readKeyValues()) {
        if (key.startsWith(options.prefix)) {
          published.set(key, plain(value));
        }
      }
    },
  };
}

test('trending lists equal the batch computation at chosen times, out of order and late included', async () => {
  // One task: one stream time for every scope.
  const { driver, arrived, published, play } = await trendingDriver({
    trending: { topK, emitIntervalMs: 5000, popular: false },
    prefix: '',
  });
  const step = async (sessions: readonly WatchSession[], label: string): Promise<void> => {
    await play(sessions);
    for (const [key, list] of published) {
      assert.deepEqual(
        list,
        batchTrending(arrived, key, list.updatedTime),
        `${label}: ${key} at minute ${(list.updatedTime - t0) / minute}`,
      );
    }
  };

  await step(
    [
      playback('v1', at(0), { ms: 5_000 }),
      playback('v1', at(1), { ms: 19_000 }), // completed (catalogue duration)
      playback('v2', at(1), { ms: 20_000 }),
      playback('v3', at(2), { ms: 1_000 }),
      playback('v3', at(2), { ms: 2_000 }),
      playback('v4', at(3), { ms: 20_000, durationMs: 40_000 }), // the session's duration wins
      playback('v5', at(3), { ms: 0 }), // no watch time: not a view
      playback('v9', at(3), { ms: 10_000 }), // not in the catalogue: not ranked
    ],
    'first minutes',
  );
  assert.deepEqual([...published.keys()].sort(), [
    'category:cat-a',
    'category:cat-b',
    'region:eu',
    'region:us',
  ]);
  assert.deepEqual(
    published.get('region:eu')?.items.map((i) => [i.videoId, i.score, i.views]),
    [
      ['v1', 3, 2],
      ['v3', 2, 2],
      ['v2', 2, 1],
    ],
    'ties broken by views',
  );
  await step(
    [
      playback('v5', at(10), { ms: 20_000 }),
      playback('v5', at(11), { ms: 20_000 }),
      playback('v2', at(4), { ms: 3_000 }), // out of order
    ],
    'top 3 of 4',
  );
  await step(
    [
      playback('v3', at(61), { ms: 3_000 }), // the hour now starts at minute 2: v1, v2 lose playbacks
      playback('v1', at(0) + 30_000, { ms: 1_000 }), // out of the hour: dropped as late
      playback('v4', at(30), { ms: 20_000 }), // late but within the hour
    ],
    'an hour later',
  );
  assert.equal(driver.counter('lateTrendingEvents'), 2, 'v1 in its region and its category');
  await step([playback('v3', at(200), { ms: 3_000 })], 'hours later: lists empty out');
  assert.deepEqual(published.get('region:us')?.items, [], 'an idle scope empties out');
  assert.equal(published.get('region:us')?.updatedTime, at(200) + 3_000);
  await driver.close();
});

/**
 * The batch computation of popular in region: for every video of the region, its playbacks
 * with watch time, each weighted 2 when completed and 1 otherwise, decayed from its start to
 * `end` with half-life `halfLifeMs`, summed; best first, ties by views then id.
 */
function batchPopular(
  sessions: readonly WatchSession[],
  region: string,
  at: { end: number; halfLifeMs: number },
): { videoId: string; score: number; views: number }[] {
  const perVideo = new Map<string, { score: number; views: number }>();
  for (const session of sessions) {
    const meta = catalog.find((v) => v.videoId === session.videoId);
    if (meta === undefined || session.totalWatchMs <= 0 || meta.region !== region) {
      continue;
    }
    const duration = session.videoDurationMs ?? meta.durationMs;
    const weight = session.totalWatchMs / duration >= 0.95 ? 2 : 1;
    const totals = perVideo.get(session.videoId) ?? { score: 0, views: 0 };
    totals.score += weight * Math.pow(2, -(at.end - session.startTime) / at.halfLifeMs);
    totals.views += 1;
    perVideo.set(session.videoId, totals);
  }
  return [...perVideo]
    .map(([videoId, t]) => ({ videoId, ...t }))
    .sort((a, b) => b.score - a.score || b.views - a.views || a.videoId.localeCompare(b.videoId))
    .slice(0, topK);
}

test('popular in region equals the batch computation: decayed, out of order, top-K entered from below', async () => {
  const halfLifeMs = 10 * minute;
  const { driver, arrived, published, play } = await trendingDriver({
    trending: { topK, emitIntervalMs: 5000, popular: { halfLifeMs, topK } },
    partitions: 2,
    prefix: 'popular:',
  });
  const step = async (sessions: readonly WatchSession[], label: string): Promise<void> => {
    await play(sessions);
    for (const [key, list] of published) {
      const region = key.slice('popular:'.length);
      const expected = batchPopular(arrived, region, { end: list.updatedTime, halfLifeMs });
      const context = `${label}: ${key} at minute ${(list.updatedTime - t0) / minute}`;
      assert.equal(list.scope, 'POPULAR');
      assert.equal(list.scopeValue, region);
      assert.equal(list.windowMs, halfLifeMs);
      assert.deepEqual(
        list.items.map((i) => [i.videoId, i.views]),
        expected.map((i) => [i.videoId, i.views]),
        context,
      );
      list.items.forEach((item, i) => {
        const score = expected[i]?.score ?? Number.NaN;
        assert.ok(Math.abs(item.score - score) <= 1e-9 * score, `${context}: ${item.videoId}`);
      });
    }
  };

  await step(
    [
      playback('v1', at(0), { ms: 5_000 }),
      playback('v1', at(1), { ms: 19_000 }), // completed: weighs 2
      playback('v2', at(1), { ms: 20_000 }),
      playback('v3', at(2), { ms: 1_000 }),
      playback('v4', at(3), { ms: 20_000 }), // region us
      playback('v5', at(3), { ms: 0 }), // no watch time: not a view
      playback('v9', at(3), { ms: 10_000 }), // not in the catalogue
    ],
    'first minutes',
  );
  assert.deepEqual([...published.keys()].sort(), ['popular:eu', 'popular:us']);
  await step(
    [
      // v5 is not listed (eu has v1, v2, v3) until its playbacks beat v3's decayed one.
      playback('v5', at(30), { ms: 1_000 }),
      playback('v5', at(31), { ms: 1_000 }),
      playback('v2', at(5), { ms: 3_000 }), // out of order
    ],
    'a video enters from below',
  );
  assert.ok(published.get('popular:eu')?.items.some((i) => i.videoId === 'v5'));
  await step(
    [
      playback('v3', at(2), { ms: 20_000 }), // far out of order: no window, it counts
      playback('v1', at(200), { ms: 20_000 }),
    ],
    'hours later',
  );
  await driver.close();
});

test('log2AddExp adds in log space without overflow', () => {
  assert.equal(log2AddExp(3, 3), 4);
  assert.ok(Math.abs(log2AddExp(Math.log2(3), Math.log2(5)) - 3) < 1e-12);
  assert.equal(log2AddExp(5_000, 4_000), 5_000, '2^5000 + 2^4000 is 2^5000 to double precision');
  assert.ok(Number.isFinite(log2AddExp(3_000, 3_000.5)));
});

test('in one job: heartbeats → watch sessions → trending and popularity, one catalogue table', async () => {
  const pipeline = new Pipeline();
  const catalogTable = pipeline.globalTable(topicCatalog.videoCatalog.name, serdes.catalog, {
    name: 'catalog',
  });
  const sessions = watchSessions(pipeline, { inputs: { catalog: catalogTable } });
  trending(pipeline, { inputs: { watchSessions: sessions, catalog: catalogTable } });
  videoPopularity(pipeline, { inputs: { watchSessions: sessions } });
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  await driver
    .input(topicCatalog.videoCatalog.name, serdes.catalog)
    .pipeMany(catalog.map((value) => ({ key: value.videoId, value, timestamp: 0 })));
  const heartbeats = driver.input(topicCatalog.watchHeartbeats.name, serdes.heartbeats);
  const ends = driver.input(topicCatalog.watchEnds.name, serdes.ends);
  for (const [user, videoId, session] of [
    ['u1', 'v1', 's1'],
    ['u2', 'v1', 's2'],
    ['u3', 'v4', 's3'],
  ] as const) {
    await heartbeats.pipe(
      user,
      { userId: user, videoId, sessionId: session, watchedMs: 0, eventTime: at(0) },
      { timestamp: at(0) },
    );
    await ends.pipe(
      user,
      {
        userId: user,
        videoId,
        sessionId: session,
        watchedMs: 20_000,
        videoDurationMs: 20_000,
        reason: 'COMPLETED',
        requestId: null,
        eventTime: at(0) + 20_000,
      },
      { timestamp: at(0) + 20_000 },
    );
  }
  await driver.advanceWallClock(5000);
  const lists = new Map(
    await driver.output(topicCatalog.trending.name, serdes.trending).readKeyValues(),
  );
  assert.deepEqual(
    lists.get('region:eu')?.items.map((i) => [i.videoId, i.score, i.views]),
    [['v1', 4, 2]],
  );
  const popularity = new Map(
    await driver.output(topicCatalog.videoPopularity.name, serdes.popularity).readKeyValues(),
  );
  assert.deepEqual(
    [popularity.get('v1')?.last5m.views, popularity.get('v1')?.last5m.completedViews],
    [2, 2],
  );
  assert.equal(
    (await driver.output(topicCatalog.watchSessions.name, serdes.sessions).readValues()).length,
    3,
  );
  await driver.close();
});

test('describe() shows the DAG (snapshot): stateful steps, internal topics, global tables', () => {
  const pipeline = new Pipeline();
  trending(pipeline);
  assert.equal(
    pipeline.describe('features'),
    [
      'Sub-topology 0',
      '  Source: trending-sessions (topics: [features.watch-sessions]; key: string, value: avro(reelstream.features.WatchSession))',
      '    --> trending-views',
      '  Processor: trending-views (filter)',
      '    --> trending-catalog-join',
      '    <-- trending-sessions',
      '  Processor: trending-catalog-join (join global table trending-catalog)',
      '    --> trending-scopes',
      '    <-- trending-views',
      '  Processor: trending-scopes (flatMap)',
      '    --> trending-by-scope-repartition-sink',
      '    <-- trending-catalog-join',
      '  Sink: trending-by-scope-repartition-sink (topic: features-trending-by-scope-repartition; key: string, value: json)',
      '    <-- trending-scopes',
      'Sub-topology 1',
      '  Source: trending-by-scope-repartition-source (topics: [features-trending-by-scope-repartition]; key: string, value: json)',
      '    --> trending, popular-in-region-playbacks',
      '  Processor: trending (process; stores: [trending, trending-timers])',
      '    --> trending-lists',
      '    <-- trending-by-scope-repartition-source',
      '  Processor: popular-in-region-playbacks (filter)',
      '    --> popular-in-region',
      '    <-- trending-by-scope-repartition-source',
      '  Processor: popular-in-region (process; stores: [popular-in-region-videos, popular-in-region, popular-in-region-timers])',
      '    --> trending-lists',
      '    <-- popular-in-region-playbacks',
      '  Processor: trending-lists (merge)',
      '    --> trending-out',
      '    <-- trending, popular-in-region',
      '  Sink: trending-out (topic: features.trending; key: string, value: avro(reelstream.features.TrendingList))',
      '    <-- trending-lists',
      'Internal topics',
      '  features-trending-by-scope-repartition (partitions: as upstream)',
      'Global tables',
      '  trending-catalog (topic: catalog.videos; key: string, value: avro(reelstream.events.VideoUpload))',
    ].join('\n'),
  );
});
