import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, stringSerde, TestDriver } from '../operators/index.js';
import { watchHeartbeatSchema, type WatchHeartbeat } from '../schemas/generated/watchHeartbeat.js';
import { heartbeatsByVideo, heartbeatsByVideoTopics } from './heartbeatsByVideo.js';

const serdes = { key: stringSerde, value: avroSerde(watchHeartbeatSchema) };

test('describe() shows the DAG (snapshot)', () => {
  const pipeline = new Pipeline();
  heartbeatsByVideo(pipeline);
  assert.equal(
    pipeline.describe('demo'),
    [
      'Sub-topology 0',
      '  Source: heartbeats (topics: [events.watch-heartbeats]; key: string, value: avro(reelstream.events.WatchHeartbeat))',
      '    --> played',
      '  Processor: played (filter)',
      '    --> video-key',
      '    <-- heartbeats',
      '  Processor: video-key (selectKey)',
      '    --> by-video-repartition-sink',
      '    <-- played',
      '  Sink: by-video-repartition-sink (topic: demo-by-video-repartition; key: string, value: avro(reelstream.events.WatchHeartbeat))',
      '    <-- video-key',
      'Sub-topology 1',
      '  Source: by-video-repartition-source (topics: [demo-by-video-repartition]; key: string, value: avro(reelstream.events.WatchHeartbeat))',
      '    --> by-video-out',
      '  Sink: by-video-out (topic: events.watch-heartbeats-by-video; key: string, value: avro(reelstream.events.WatchHeartbeat))',
      '    <-- by-video-repartition-source',
      'Internal topics',
      '  demo-by-video-repartition (partitions: as upstream)',
    ].join('\n'),
  );
});

test('heartbeats are re-keyed by video; empty ones are dropped', async () => {
  const pipeline = new Pipeline();
  heartbeatsByVideo(pipeline);
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  const hb = (user: string, video: string, watchedMs: number): WatchHeartbeat => ({
    userId: user,
    videoId: video,
    sessionId: `${user}-${video}`,
    watchedMs,
    eventTime: 0,
  });
  await driver.input(heartbeatsByVideoTopics.input, serdes).pipeMany([
    { key: 'u1', value: hb('u1', 'v1', 10_000) },
    { key: 'u2', value: hb('u2', 'v1', 0) },
    { key: 'u3', value: hb('u3', 'v2', 20_000) },
  ]);
  const out = await driver.output(heartbeatsByVideoTopics.output, serdes).readKeyValues();
  assert.deepEqual(out.map(([key, value]) => [key, value.userId]).sort(), [
    ['v1', 'u1'],
    ['v2', 'u3'],
  ]);
});
