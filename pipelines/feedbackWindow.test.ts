import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import {
  trainingExamples,
  trainingExamplesSerdes,
  trainingExamplesTopic,
  type TrainingExample,
} from './trainingExamples.js';

// Every impression becomes an example once its feedback window closed, and not before: a click
// or watch that has not arrived yet must not make it a negative.

const t = 1_700_000_000_000;
const second = 1_000;
const windowMs = 60 * second;

const serdesOf = <TValue>(spec: TopicSpec<TValue>) => ({
  key: stringSerde,
  value: avroSerde(spec.value),
});

function video(videoId: string): VideoUpload {
  return {
    videoId,
    category: 'k',
    creatorId: `c-${videoId}`,
    durationMs: 30 * second,
    tags: [],
    region: 'eu-west',
    uploadTime: t - 3_600_000,
    eventTime: t - 3_600_000,
  };
}

function impression(videoId: string, position: number, at = t): Impression {
  return {
    requestId: 'r1',
    userId: 'u1',
    videoId,
    position,
    surface: 'HOME_FEED',
    modelVersion: 'test',
    eventTime: at,
    predictedClick: null,
    explored: false,
  };
}

function click(videoId: string, at: number): Click {
  return {
    requestId: 'r1',
    userId: 'u1',
    videoId,
    position: 0,
    surface: 'HOME_FEED',
    eventTime: at,
  };
}

function watchEnd(videoId: string, at: number, watchedMs: number): WatchEnd {
  return {
    userId: 'u1',
    videoId,
    sessionId: `s-${videoId}`,
    watchedMs,
    videoDurationMs: 30 * second,
    reason: 'SWIPED_AWAY',
    requestId: 'r1',
    eventTime: at,
  };
}

test('every impression is an example once its feedback window closed, clicked or not', async () => {
  const pipeline = new Pipeline();
  trainingExamples(pipeline, {
    feedbackWindowMs: windowMs,
    versionToleranceMs: 0,
    // Stars of a watch: only watched impressions have them.
    ratingOf: (end) => (end.watchedMs / end.videoDurationMs >= 0.5 ? 5 : 2),
  });
  const driver = await TestDriver.start(pipeline);
  try {
    const c = topicCatalog;
    const input = <TValue>(spec: TopicSpec<TValue>) => driver.input(spec.name, serdesOf(spec));
    const output = driver.output(trainingExamplesTopic, trainingExamplesSerdes);
    await input(c.videoCatalog).pipeMany(
      ['v0', 'v1', 'v2', 'v3'].map((id) => ({
        key: id,
        value: video(id),
        timestamp: t - 3_600_000,
      })),
    );
    const impressions = input(c.impressions);
    const clicks = input(c.clicks);
    const watchEnds = input(c.watchEnds);
    for (const [i, id] of ['v0', 'v1', 'v2', 'v3'].entries()) {
      await impressions.pipe(id, impression(id, i), { timestamp: t });
    }
    // v0: clicked and watched; v1: clicked, watch still running; v2: nothing; v3: clicked late.
    await clicks.pipe('v0', click('v0', t + 2 * second), { timestamp: t + 2 * second });
    await watchEnds.pipe('u1', watchEnd('v0', t + 20 * second, 18 * second), {
      timestamp: t + 20 * second,
    });
    await clicks.pipe('v1', click('v1', t + 25 * second), { timestamp: t + 25 * second });
    assert.deepEqual(await output.readValues(), [], 'no window has closed: no example yet');
    await clicks.pipe('v3', click('v3', t + windowMs + 5 * second), {
      timestamp: t + windowMs + 5 * second,
    });
    const examples = (await output.readValues()).sort((a, b) => a.position - b.position);
    assert.deepEqual(
      examples.map((e: TrainingExample) => [
        e.videoId,
        e.position,
        e.clicked,
        e.watchedMs,
        e.videoDurationMs,
        e.labelTime,
        e.rating,
      ]),
      [
        ['v0', 0, true, 18 * second, 30 * second, t + windowMs, 5],
        ['v1', 1, true, 0, 30 * second, t + windowMs, null],
        ['v2', 2, false, 0, 30 * second, t + windowMs, null],
        ['v3', 3, false, 0, 30 * second, t + windowMs, null],
      ],
    );
    // A watch end of v1 after its window closed changes nothing: the label was final.
    await watchEnds.pipe('u1', watchEnd('v1', t + windowMs + 10 * second, 9 * second), {
      timestamp: t + windowMs + 10 * second,
    });
    await impressions.pipe('v9', impression('v9', 0, t + 10 * windowMs), {
      timestamp: t + 10 * windowMs,
    });
    assert.deepEqual(await output.readValues(), []);
  } finally {
    await driver.close();
  }
});

test('a click read before its impression still labels it', async () => {
  const pipeline = new Pipeline();
  trainingExamples(pipeline, { feedbackWindowMs: windowMs, versionToleranceMs: 0 });
  const driver = await TestDriver.start(pipeline);
  try {
    const c = topicCatalog;
    const output = driver.output(trainingExamplesTopic, trainingExamplesSerdes);
    await driver
      .input(c.clicks.name, serdesOf(c.clicks))
      .pipe('v0', click('v0', t + second), { timestamp: t + second });
    const impressions = driver.input(c.impressions.name, serdesOf(c.impressions));
    await impressions.pipe('v0', impression('v0', 0), { timestamp: t });
    await impressions.pipe('v5', impression('v5', 0, t + 2 * windowMs), {
      timestamp: t + 2 * windowMs,
    });
    const [example, ...rest] = await output.readValues();
    assert.deepEqual(rest, []);
    assert.equal(example?.videoId, 'v0');
    assert.equal(example?.clicked, true);
    assert.equal(example?.videoDurationMs, 0, 'not watched, not in the catalogue');
  } finally {
    await driver.close();
  }
});
