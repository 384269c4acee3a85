import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { Engagement } from '../schemas/generated/engagement.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { UserFeatures } from '../schemas/generated/userFeatures.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import {
  userFeaturesBatch,
  userFeaturesDifferences,
  type ReferenceEngagement,
  type ReferenceWatch,
} from './reference/userFeaturesBatch.js';
import {
  addFeatureVersion,
  featuresBefore,
  trainingExamples,
  trainingExamplesSerdes,
  trainingExamplesTopic,
  type TrainingExample,
} from './trainingExamples.js';

// The examples' features are those the feature pipeline had just before the example's time:
// equal to the batch computation over the user's events strictly before it, never touched by
// an event at or after it, even one read before the impression.

const t = 1_700_000_000_000;
const second = 1_000;

const catalogue: readonly VideoUpload[] = [
  video('v-before', 'c-before', 'k-before'),
  video('v-at', 'c-at', 'k-at'),
  video('v-after', 'c-after', 'k-after'),
  video('v-shown', 'c-shown', 'k-shown'),
];

function video(videoId: string, category: string, creatorId: string): VideoUpload {
  return {
    videoId,
    category,
    creatorId,
    durationMs: 20 * second,
    tags: [],
    region: 'eu-west',
    uploadTime: t - 3_600_000,
    eventTime: t - 3_600_000,
  };
}

const serdesOf = <TValue>(spec: TopicSpec<TValue>) => ({
  key: stringSerde,
  value: avroSerde(spec.value),
});

function watchEnd(
  videoId: string,
  at: number,
  options: { requestId?: string; watchedMs?: number; user?: string } = {},
): WatchEnd {
  return {
    userId: options.user ?? 'u1',
    videoId,
    sessionId: `s-${videoId}-${at}`,
    watchedMs: options.watchedMs ?? 16 * second,
    videoDurationMs: 20 * second,
    reason: 'SWIPED_AWAY',
    requestId: options.requestId ?? null,
    eventTime: at,
  };
}

function impression(
  videoId: string,
  at: number,
  shown: { requestId: string; user?: string },
): Impression {
  return {
    requestId: shown.requestId,
    userId: shown.user ?? 'u1',
    videoId,
    position: 0,
    surface: 'HOME_FEED',
    modelVersion: 'test',
    eventTime: at,
    predictedClick: null,
    explored: false,
  };
}

function dislike(videoId: string, at: number): Engagement {
  return {
    userId: 'u1',
    videoId,
    creatorId: catalogue.find((v) => v.videoId === videoId)?.creatorId ?? '',
    type: 'DISLIKE',
    requestId: null,
    eventTime: at,
  };
}

/** The chain on the TestDriver, with the catalogue loaded; stars from the watch ratio. */
async function start(): Promise<{
  driver: TestDriver;
  watchEnds: (end: WatchEnd) => Promise<void>;
  impressions: (shown: Impression) => Promise<void>;
  engagements: (engagement: Engagement) => Promise<void>;
  examples: () => Promise<TrainingExample[]>;
}> {
  const pipeline = new Pipeline();
  trainingExamples(pipeline, {
    ratingOf: (end) => (end.watchedMs / end.videoDurationMs >= 0.8 ? 4 : 2),
  });
  const driver = await TestDriver.start(pipeline);
  const c = topicCatalog;
  const uploads = driver.input(c.videoCatalog.name, serdesOf(c.videoCatalog));
  await uploads.pipeMany(
    catalogue.map((v) => ({ key: v.videoId, value: v, timestamp: v.eventTime })),
  );
  const ends = driver.input(c.watchEnds.name, serdesOf(c.watchEnds));
  const shown = driver.input(c.impressions.name, serdesOf(c.impressions));
  const feedback = driver.input(c.engagements.name, serdesOf(c.engagements));
  const output = driver.output(trainingExamplesTopic, trainingExamplesSerdes);
  return {
    driver,
    watchEnds: (end) => ends.pipe(end.userId, end, { timestamp: end.eventTime }),
    // The topic is keyed by video, as the serving job writes it.
    impressions: (i) => shown.pipe(i.videoId, i, { timestamp: i.eventTime }),
    engagements: (e) => feedback.pipe(e.userId, e, { timestamp: e.eventTime }),
    examples: () => output.readValues(),
  };
}

const referenceCatalogue = (videoId: string) => {
  const v = catalogue.find((entry) => entry.videoId === videoId);
  return v === undefined
    ? undefined
    : { category: v.category, creatorId: v.creatorId, durationMs: v.durationMs };
};

function reference(
  watches: readonly WatchEnd[],
  engagements: readonly Engagement[],
): UserFeatures | undefined {
  return userFeaturesBatch('u1', {
    watches: watches.map((w, arrival): ReferenceWatch => ({
      videoId: w.videoId,
      watchedMs: w.watchedMs,
      playerDurationMs: w.videoDurationMs,
      time: w.eventTime,
      arrival,
    })),
    engagements: engagements.map((e, arrival): ReferenceEngagement => ({
      videoId: e.videoId,
      creatorId: e.creatorId,
      type: e.type,
      time: e.eventTime,
      arrival,
    })),
    catalogue: referenceCatalogue,
  });
}

test('leakage: events at and after the example time, read before its label (some before the impression), are not in its features', async () => {
  const job = await start();
  const before = [watchEnd('v-before', t - 10 * second)];
  const beforeFeedback = [dislike('v-before', t - 5 * second)];
  // At the example's time, read before the impression: the pipeline has folded them in by then.
  const at = [watchEnd('v-at', t)];
  const atFeedback = [dislike('v-at', t)];
  // After it, read before the label.
  const after = [watchEnd('v-after', t + 5 * second)];
  const label = watchEnd('v-shown', t + 21 * second, { requestId: 'r1' });
  try {
    for (const end of before) await job.watchEnds(end);
    for (const e of beforeFeedback) await job.engagements(e);
    for (const end of at) await job.watchEnds(end);
    for (const e of atFeedback) await job.engagements(e);
    await job.impressions(impression('v-shown', t, { requestId: 'r1' }));
    for (const end of after) await job.watchEnds(end);
    await job.watchEnds(label);
    const examples = await job.examples();
    assert.equal(examples.length, 1, 'one example for the one labelled impression');
    const example = examples[0] as TrainingExample;
    assert.equal(example.exampleTime, t);
    assert.equal(example.labelTime, label.eventTime);
    assert.equal(example.rating, 4);
    assert.equal(example.positive, true);
    assert.equal(example.disliked, false);
    const features = example.features;
    assert.ok(features !== null, 'the user had events before the example');
    const expected = reference(before, beforeFeedback);
    assert.ok(expected !== undefined);
    assert.deepEqual(userFeaturesDifferences(features, expected), []);
    // The events at and after t would have changed the features had they leaked:
    const leaked = reference([...before, ...at, ...after], [...beforeFeedback, ...atFeedback]);
    assert.ok(leaked !== undefined);
    assert.notDeepEqual(userFeaturesDifferences(features, leaked), []);
    assert.ok(features.updatedTime < t);
    const times = [
      ...features.lastWatched.map((w) => w.eventTime),
      ...features.recentNegatives.map((n) => n.eventTime),
      ...Object.values(features.categoryAffinity).map((a) => a.updatedTime),
      ...Object.values(features.creatorAffinity).map((a) => a.updatedTime),
    ];
    assert.ok(times.length > 0);
    assert.ok(
      times.every((time) => time < t),
      `no feature from an event at or after the example's time: ${JSON.stringify(times)}`,
    );
    for (const id of ['v-at', 'v-after', 'c-at', 'c-after', 'k-at', 'k-after']) {
      assert.ok(!JSON.stringify(features).includes(`"${id}"`), `${id} leaked into the features`);
    }
  } finally {
    await job.driver.close();
  }
});

test('a user with no event before the impression gets an example with no features (cold start)', async () => {
  const job = await start();
  try {
    await job.watchEnds(watchEnd('v-at', t)); // at t: not before it
    await job.impressions(impression('v-shown', t, { requestId: 'r1' }));
    await job.watchEnds(watchEnd('v-shown', t + 3 * second, { requestId: 'r1', watchedMs: 2_000 }));
    const [example, ...rest] = await job.examples();
    assert.deepEqual(rest, []);
    assert.equal(example?.features, null);
    assert.equal(example?.rating, 2);
    assert.equal(example?.disliked, true);
  } finally {
    await job.driver.close();
  }
});

test('a watch end labels only its own impression (request and video), within the label window', async () => {
  const job = await start();
  try {
    await job.impressions(impression('v-shown', t, { requestId: 'r1' }));
    await job.impressions(impression('v-after', t, { requestId: 'r1' }));
    await job.impressions(impression('v-shown', t, { requestId: 'r1', user: 'u2' }));
    await job.watchEnds(watchEnd('v-shown', t + 2 * second, { requestId: 'r2' })); // other request
    await job.watchEnds(watchEnd('v-before', t + 2 * second, { requestId: 'r1' })); // not shown
    await job.watchEnds(watchEnd('v-shown', t + 4 * second, { requestId: 'r1' }));
    // Past the default 10-minute window: no label.
    await job.watchEnds(watchEnd('v-after', t + 11 * 60 * second, { requestId: 'r1' }));
    const examples = await job.examples();
    assert.deepEqual(
      examples.map((e) => [e.userId, e.videoId, e.requestId, e.labelTime]),
      [['u1', 'v-shown', 'r1', t + 4 * second]],
    );
  } finally {
    await job.driver.close();
  }
});

function features(updatedTime: number): UserFeatures {
  return {
    userId: 'u1',
    lastWatched: [],
    categoryAffinity: {},
    creatorAffinity: {},
    affinityHalfLifeMs: 1,
    averageWatchRatio: 0,
    watchCount: 0,
    recentNegatives: [],
    updatedTime,
  };
}

test('feature versions: the newest strictly before the time; null with no history; undefined when the kept ones are all later', () => {
  let kept = { firstTime: null, versions: [] } as Parameters<typeof addFeatureVersion>[0];
  for (const time of [100, 200, 300, 300, 5_000]) {
    kept = addFeatureVersion(kept, features(time), 1_000);
  }
  // Within 1 s of the newest (5 000) nothing but itself; the newest before that (300) is kept.
  assert.deepEqual(
    kept.versions.map((v) => v.updatedTime),
    [300, 5_000],
  );
  assert.equal(kept.firstTime, 100);
  assert.equal(featuresBefore(kept, 5_000)?.updatedTime, 300);
  assert.equal(featuresBefore(kept, 5_001)?.updatedTime, 5_000);
  assert.equal(featuresBefore(kept, 100), null, 'no event before the first one');
  assert.equal(featuresBefore(undefined, 100), null);
  assert.equal(featuresBefore(kept, 250), undefined, 'the version of 200 is gone');
});
