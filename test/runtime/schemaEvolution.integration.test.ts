import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import { avroSerde, jsonSerde, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import { watchHeartbeatSchema as watchHeartbeatV2Schema } from '../fixtures/schemas/generated/watchHeartbeatV2.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { decodeAll, produceAll, readRaw } from '../support/records.js';

test('records written with schema v1 are read by a pipeline built on v2 (a field added with a default)', async () => {
  const input = uniqueName('evolution-in');
  const output = uniqueName('evolution-out');
  await createTopics([input, output]);
  const v1: WatchHeartbeat[] = [0, 1, 2].map((i) => ({
    userId: `u${i}`,
    videoId: `v${i}`,
    sessionId: `s${i}`,
    watchedMs: 1_000 * i,
    eventTime: i,
  }));
  await produceAll({
    topic: input,
    serdes: { key: stringSerde, value: avroSerde(watchHeartbeatSchema) },
    records: v1.map((value) => ({ key: value.userId, value })),
  });

  const pipeline = new Pipeline();
  pipeline
    .source(input, { key: stringSerde, value: avroSerde(watchHeartbeatV2Schema) })
    .mapValues((hb) => ({ sessionId: hb.sessionId, device: hb.device, watchedMs: hb.watchedMs }))
    .to(output, {
      key: stringSerde,
      value: jsonSerde<{ sessionId: string; device: string; watchedMs: number }>(),
    });
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('evolution-job'),
    connection,
    logger: pino({ level: 'error' }),
  });
  await job.start();
  try {
    const out = await decodeAll(await readRaw(output, 3), {
      key: stringSerde,
      value: jsonSerde<{ sessionId: string; device: string; watchedMs: number }>(),
    });
    assert.deepEqual(
      out.map((o) => o.value).sort((a, b) => a.watchedMs - b.watchedMs),
      [
        { sessionId: 's0', device: 'unknown', watchedMs: 0 },
        { sessionId: 's1', device: 'unknown', watchedMs: 1_000 },
        { sessionId: 's2', device: 'unknown', watchedMs: 2_000 },
      ],
    );
    assert.equal(job.stats().deadLettered, 0);
  } finally {
    await job.stop();
  }
});
