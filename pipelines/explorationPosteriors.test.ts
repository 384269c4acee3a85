import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import { topicCatalog } from '../schemas/topics.js';
import {
  explorationFreshnessMs,
  explorationPosteriors,
  explorationPosteriorSerdes,
} from './explorationPosteriors.js';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 11, 5, 12);

function impression(videoId: string, time: number): Impression {
  return {
    requestId: 'r',
    userId: 'u1',
    videoId,
    position: 0,
    surface: 'HOME_FEED',
    modelVersion: 'm',
    eventTime: time,
    predictedClick: null,
    explored: false,
  };
}

function click(videoId: string, time: number): Click {
  return {
    requestId: 'r',
    userId: 'u1',
    videoId,
    position: 0,
    surface: 'HOME_FEED',
    eventTime: time,
  };
}

function upload(videoId: string, uploadTime: number): VideoUpload {
  return {
    videoId,
    creatorId: 'c1',
    durationMs: 30_000,
    category: 'cooking',
    tags: [],
    region: 'eu',
    uploadTime,
    eventTime: uploadTime,
  };
}

async function posteriorsDriver() {
  const pipeline = new Pipeline();
  const c = topicCatalog;
  const serdes = {
    catalog: { key: stringSerde, value: avroSerde(c.videoCatalog.value) },
    impressions: { key: stringSerde, value: avroSerde(c.impressions.value) },
    clicks: { key: stringSerde, value: avroSerde(c.clicks.value) },
  };
  const catalog = pipeline.globalTable(c.videoCatalog.name, serdes.catalog, { name: 'catalog' });
  explorationPosteriors({
    inputs: {
      impressions: pipeline.source(c.impressions.name, serdes.impressions),
      clicks: pipeline.source(c.clicks.name, serdes.clicks),
      catalog,
    },
  });
  const driver = await TestDriver.start(pipeline, { wallClock: 0 });
  return {
    driver,
    catalog: driver.input(c.videoCatalog.name, serdes.catalog),
    impressions: driver.input(c.impressions.name, serdes.impressions),
    clicks: driver.input(c.clicks.name, serdes.clicks),
    output: driver.output(c.explorationPosteriors.name, explorationPosteriorSerdes),
  };
}

test('a fresh video: Beta(1 + clicks, 1 + impressions − clicks), one record per video and commit', async () => {
  const { driver, catalog, impressions, clicks, output } = await posteriorsDriver();
  try {
    await catalog.pipe('v1', upload('v1', t0));
    await catalog.pipe('v2', upload('v2', t0 - hour));
    const at = t0 + 60_000;
    await impressions.pipeMany(
      ['v1', 'v1', 'v1', 'v1', 'v2'].map((v) => ({
        key: v,
        value: impression(v, at),
        timestamp: at,
      })),
    );
    await clicks.pipe('v1', click('v1', at + 1), { timestamp: at + 1 });
    const published = new Map(
      (await output.readKeyValues()).map(([key, value]) => [key, value] as const),
    );
    assert.deepEqual(
      { ...published.get('v1') },
      {
        videoId: 'v1',
        alpha: 2,
        beta: 4,
        impressions: 4,
        clicks: 1,
        uploadTime: t0,
        updatedTime: at + 1,
      },
    );
    assert.equal(published.get('v2')?.alpha, 1);
    assert.equal(published.get('v2')?.beta, 2);
  } finally {
    await driver.close();
  }
});

test('an event past the freshness window deletes the video (a tombstone); unknown videos count nothing', async () => {
  const { driver, catalog, impressions, output } = await posteriorsDriver();
  try {
    await catalog.pipe('v1', upload('v1', t0));
    await impressions.pipe('v1', impression('v1', t0 + hour), { timestamp: t0 + hour });
    assert.equal((await output.readValues()).length, 1);
    const late = t0 + explorationFreshnessMs + 1;
    await impressions.pipe('v1', impression('v1', late), { timestamp: late });
    assert.deepEqual(await output.readKeyValues(), [['v1', null]]);
    // Once gone, later stale events publish nothing more.
    await impressions.pipe('v1', impression('v1', late + 1), { timestamp: late + 1 });
    // A video the catalogue does not know: its freshness is unknown, nothing is published.
    await impressions.pipe('v9', impression('v9', late), { timestamp: late });
    assert.deepEqual(await output.readKeyValues(), []);
    assert.equal(driver.counter('explorationStaleEvents'), 2);
  } finally {
    await driver.close();
  }
});
