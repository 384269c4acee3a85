import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline, TestDriver } from '../operators/index.js';
import type { Engagement, EngagementType } from '../schemas/generated/engagement.js';
import type { UserFeatures } from '../schemas/generated/userFeatures.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import {
  userFeatures,
  type UserFeaturesOptions,
  userFeaturesSerdes as serdes,
  userFeaturesTopics as topics,
} from './userFeatures.js';
import { userFeaturesBatch, userFeaturesDifferences } from './reference/userFeaturesBatch.js';

// Golden tests: after every event, the features the pipeline publishes for the event's user
// equal a batch computation over all of that user's events so far (reference/userFeaturesBatch.ts,
// written from the definitions, not from the pipeline's code; `reelstream check-replay` uses it too).

const t0 = 1_700_000_000_000;
const hour = 3_600_000;
const minute = 60_000;

const catalogue: readonly VideoUpload[] = [
  video('v1', { category: 'c1', creatorId: 'k1', durationMs: 20_000 }),
  video('v2', { category: 'c1', creatorId: 'k2', durationMs: 40_000 }),
  video('v3', { category: 'c2', creatorId: 'k2', durationMs: 10_000 }),
  video('v4', { category: 'c3', creatorId: 'k3', durationMs: 60_000 }),
  video('v5', { category: 'c2', creatorId: 'k1', durationMs: 30_000 }),
  video('v6', { category: 'c4', creatorId: 'k4', durationMs: 15_000 }),
  video('v7', { category: 'c5', creatorId: 'k5', durationMs: 15_000 }),
  video('v8', { category: 'c6', creatorId: 'k6', durationMs: 15_000 }),
  video('v10', { category: 'c7', creatorId: 'k7', durationMs: 15_000 }),
  video('v11', { category: 'c8', creatorId: 'k8', durationMs: 15_000 }),
  video('v12', { category: 'c9', creatorId: 'k9', durationMs: 40_000 }),
];

function video(
  videoId: string,
  facts: { category: string; creatorId: string; durationMs: number },
): VideoUpload {
  return { videoId, ...facts, tags: [], region: 'eu-west', uploadTime: t0, eventTime: t0 };
}

type Input =
  | { readonly kind: 'engagement'; readonly value: Engagement }
  | { readonly kind: 'session'; readonly value: WatchSession };

/** A playback closed by its watch end (`durationMs` as the player knew it; 0 when it did not). */
function end(
  user: string,
  videoId: string,
  at: { time: number; watchedMs: number; durationMs?: number },
): Input {
  return {
    kind: 'session',
    value: {
      userId: user,
      videoId,
      sessionId: `${user}-${videoId}-${at.time}`,
      totalWatchMs: at.watchedMs,
      videoDurationMs: at.durationMs ?? 0,
      heartbeats: Math.floor(at.watchedMs / 10_000),
      startTime: at.time - at.watchedMs,
      endTime: at.time,
      closedReason: 'WATCH_END',
      requestId: null,
    },
  };
}

function engage(user: string, videoId: string, at: { time: number; type: EngagementType }): Input {
  const creatorId = catalogue.find((v) => v.videoId === videoId)?.creatorId ?? 'k-unknown';
  return {
    kind: 'engagement',
    value: { userId: user, videoId, creatorId, type: at.type, requestId: null, eventTime: at.time },
  };
}

/** A playback closed by inactivity (its watch end lost); the duration left to the catalogue. */
function session(user: string, videoId: string, at: { time: number; watchedMs: number }): Input {
  return {
    kind: 'session',
    value: {
      userId: user,
      videoId,
      sessionId: `${user}-${videoId}-${at.time}`,
      totalWatchMs: at.watchedMs,
      videoDurationMs: null,
      heartbeats: 3,
      startTime: at.time - at.watchedMs,
      endTime: at.time,
      closedReason: 'INACTIVITY',
      requestId: null,
    },
  };
}

/** Whether the definition folds the event in: a playback that played, or any engagement. */
function isFolded(input: Input): boolean {
  switch (input.kind) {
    case 'session':
      return input.value.totalWatchMs > 0;
    case 'engagement':
      return true;
  }
}

function userOf(input: Input): string {
  return input.value.userId;
}

// ---- The batch computation -----------------------------------------------------------------

interface Params {
  readonly halfLifeMs: number;
  readonly lastWatched: number;
  readonly categories: number;
  readonly creators: number;
  readonly negatives: number;
}

/** One watch as the definition sees it: a closed session that played. */
interface Watch {
  readonly videoId: string;
  readonly watchedMs: number;
  readonly playerDurationMs: number | null;
  readonly time: number;
  readonly arrival: number;
}

function watchesOf(events: readonly Input[]): Watch[] {
  const watches: Watch[] = [];
  events.forEach((e, arrival) => {
    if (e.kind === 'session' && e.value.totalWatchMs > 0) {
      const { videoId, totalWatchMs, videoDurationMs, endTime } = e.value;
      watches.push({
        videoId,
        watchedMs: totalWatchMs,
        playerDurationMs: videoDurationMs,
        time: endTime,
        arrival,
      });
    }
  });
  return watches;
}

function expectedFeatures(
  user: string,
  events: readonly Input[],
  params: Params,
): UserFeatures | undefined {
  const mine = events.filter((e) => userOf(e) === user);
  return userFeaturesBatch(user, {
    watches: watchesOf(mine),
    engagements: mine.flatMap((e, arrival) =>
      e.kind === 'engagement' ? [{ ...e.value, time: e.value.eventTime, arrival }] : [],
    ),
    catalogue: (videoId) => catalogue.find((v) => v.videoId === videoId),
    params,
  });
}

// ---- Comparing -----------------------------------------------------------------------------

function assertFeatures(published: UserFeatures, expected: UserFeatures, at: string): void {
  assert.deepEqual(userFeaturesDifferences(published, expected), [], at);
}

// ---- Running -------------------------------------------------------------------------------

/**
 * Pipes the catalogue, then each event alone (so each output can be matched to the events
 * before it), and after every event checks what was published against the batch computation.
 */
async function expectGolden(
  events: readonly Input[],
  options: { pipeline: UserFeaturesOptions; params: Params },
): Promise<number> {
  const pipeline = new Pipeline();
  userFeatures(pipeline, options.pipeline);
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  let checked = 0;
  try {
    await driver
      .input(topics.catalog, serdes.catalog)
      .pipeMany(catalogue.map((v) => ({ key: v.videoId, value: v })));
    const output = driver.output(topics.output, serdes.output);
    for (const [i, event] of events.entries()) {
      await pipeEvent(driver, event);
      const published = await output.readRecords();
      const user = userOf(event);
      const after = expectedFeatures(user, events.slice(0, i + 1), options.params);
      const at = `after event ${i} (${event.kind} ${event.value.videoId})`;
      if (after === undefined || !isFolded(event)) {
        // Not folded in (a playback without watch time): no output.
        assert.deepEqual(published, [], at);
        continue;
      }
      assert.equal(published.length, 1, at);
      const [record] = published;
      assert.ok(record !== undefined);
      assert.equal(record.key, user, at);
      assertFeatures(record.value, after, at);
      checked++;
    }
  } finally {
    await driver.close();
  }
  return checked;
}

async function pipeEvent(driver: TestDriver, event: Input): Promise<void> {
  const options = { timestamp: t0 };
  switch (event.kind) {
    case 'engagement':
      return driver
        .input(topics.engagements, serdes.engagements)
        .pipe(event.value.userId, event.value, options);
    case 'session':
      return driver
        .input(topics.watchSessions, serdes.watchSessions)
        .pipe(event.value.userId, event.value, options);
  }
}

test('describe() shows the DAG (snapshot): user-keyed inputs, no repartition', () => {
  const pipeline = new Pipeline();
  userFeatures(pipeline);
  assert.equal(
    pipeline.describe('features'),
    [
      'Sub-topology 0',
      '  Source: user-features-watch-sessions (topics: [features.watch-sessions]; key: string, value: avro(reelstream.features.WatchSession))',
      '    --> user-features-played',
      '  Source: user-features-engagements (topics: [events.engagements]; key: string, value: avro(reelstream.events.Engagement))',
      '    --> user-features-feedback',
      '  Processor: user-features-played (filter)',
      '    --> user-features-watches',
      '    <-- user-features-watch-sessions',
      '  Processor: user-features-watches (mapValues)',
      '    --> user-features-events',
      '    <-- user-features-played',
      '  Processor: user-features-feedback (mapValues)',
      '    --> user-features-events',
      '    <-- user-features-engagements',
      '  Processor: user-features-events (merge)',
      '    --> user-features-video',
      '    <-- user-features-watches, user-features-feedback',
      '  Processor: user-features-video (leftJoin global table user-features-catalog)',
      '    --> user-features',
      '    <-- user-features-events',
      '  Processor: user-features (aggregate; stores: [user-features])',
      '    --> user-features-out',
      '    <-- user-features-video',
      '  Sink: user-features-out (topic: features.user; key: string, value: avro(reelstream.features.UserFeatures))',
      '    <-- user-features',
      'Global tables',
      '  user-features-catalog (topic: catalog.videos; key: string, value: avro(reelstream.events.VideoUpload))',
    ].join('\n'),
  );
});

test('golden: every feature equals the batch computation, with late and out-of-order events', async () => {
  const halfLifeMs = hour;
  const events: Input[] = [
    end('u1', 'v1', { time: t0 + 10 * minute, watchedMs: 15_000, durationMs: 20_000 }),
    end('u2', 'v3', { time: t0 + 11 * minute, watchedMs: 12_000, durationMs: 10_000 }), // replay
    engage('u1', 'v1', { time: t0 + 12 * minute, type: 'LIKE' }),
    // No duration from the player: the catalogue's (40 s) gives the ratio.
    end('u1', 'v2', { time: t0 + 30 * minute, watchedMs: 4_000 }),
    // Not in the catalogue: in lastWatched and the average (player's duration), no affinity.
    end('u1', 'v9', { time: t0 + 35 * minute, watchedMs: 9_000, durationMs: 30_000 }),
    // Late by almost two hours: decayed into the sums at its own time, sorted into the lists.
    end('u1', 'v4', { time: t0 - 80 * minute, watchedMs: 60_000, durationMs: 60_000 }),
    engage('u2', 'v4', { time: t0 + 40 * minute, type: 'FOLLOW' }),
    engage('u1', 'v5', { time: t0 + 50 * minute, type: 'DISLIKE' }),
    // A playback without watch time folds in nothing.
    end('u1', 'v6', { time: t0 + 55 * minute, watchedMs: 0, durationMs: 15_000 }),
    // Lost watch end, closed by inactivity: counted like a watch end (catalogue duration).
    session('u1', 'v6', { time: t0 + 58 * minute, watchedMs: 3_000 }),
    // Neither the player nor the catalogue knows its duration: not in the average, ratio 0.
    session('u1', 'v99', { time: t0 + 59 * minute, watchedMs: 5_000 }),
    // Out of order: an older dismiss after a newer dislike.
    engage('u1', 'v3', { time: t0 + 20 * minute, type: 'DISMISS' }),
    engage('u2', 'v2', { time: t0 + 2 * hour, type: 'SHARE' }),
    // The same video again: one lastWatched entry, its latest playback; two in the average.
    end('u1', 'v1', { time: t0 + 3 * hour, watchedMs: 20_000, durationMs: 20_000 }),
    // An older playback of v1, late: the average counts it, lastWatched keeps the newer one.
    end('u1', 'v1', { time: t0 + 5 * minute, watchedMs: 2_000, durationMs: 20_000 }),
    // Dislike then late like of the same creator: the decayed sum is order-independent.
    engage('u2', 'v3', { time: t0 + 3 * hour, type: 'DISLIKE' }),
    engage('u2', 'v5', { time: t0 + 1 * hour, type: 'LIKE' }),
    engage('u1', 'v5', { time: t0 + 4 * hour, type: 'DISMISS' }), // v5 again: its newest kind
    end('u2', 'v7', { time: t0 + 5 * hour, watchedMs: 1_000, durationMs: 15_000 }), // swipe: < 0
  ];
  const params = { halfLifeMs, lastWatched: 50, categories: 20, creators: 50, negatives: 50 };
  const checked = await expectGolden(events, { pipeline: { halfLifeMs }, params });
  assert.equal(checked, events.length - 1); // all but the playback without watch time
});

test('golden: bounded lists and maps keep the most recent and the strongest entries', async () => {
  const halfLifeMs = 2 * hour;
  // Every category and creator gets contributions of one sign only (watches of more than a
  // quarter, likes and shares; the negatives are on videos of their own categories and
  // creators), so no kept entry weakens and no evicted one returns: the case in which keeping
  // the strongest as they come equals the batch top-k.
  const events: Input[] = [
    end('u1', 'v1', { time: t0 + 1 * hour, watchedMs: 20_000, durationMs: 20_000 }),
    end('u1', 'v3', { time: t0 + 2 * hour, watchedMs: 8_000, durationMs: 10_000 }),
    end('u1', 'v4', { time: t0 + 3 * hour, watchedMs: 40_000, durationMs: 60_000 }),
    // Late: older than the three kept, so not in lastWatched; its creator k4 weighs little.
    end('u1', 'v6', { time: t0 - 1 * hour, watchedMs: 15_000, durationMs: 15_000 }),
    engage('u1', 'v4', { time: t0 + 4 * hour, type: 'SHARE' }),
    engage('u1', 'v3', { time: t0 + 4 * hour + minute, type: 'LIKE' }),
    end('u1', 'v7', { time: t0 + 5 * hour, watchedMs: 15_000, durationMs: 15_000 }),
    engage('u1', 'v8', { time: t0 + 6 * hour, type: 'DISLIKE' }),
    engage('u1', 'v10', { time: t0 + 2 * hour, type: 'DISMISS' }), // late: falls off (limit 2)
    engage('u1', 'v11', { time: t0 + 7 * hour, type: 'DISMISS' }),
    end('u1', 'v12', { time: t0 + 6 * hour + minute, watchedMs: 30_000, durationMs: 40_000 }),
  ];
  const limits = { lastWatchedSize: 3, categoryLimit: 2, creatorLimit: 2, negativesSize: 2 };
  const params = { halfLifeMs, lastWatched: 3, categories: 2, creators: 2, negatives: 2 };
  const checked = await expectGolden(events, { pipeline: { ...limits, halfLifeMs }, params });
  assert.equal(checked, events.length);
});
