import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import { avroSerde, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { client, decodeAll, produceAll, readRaw } from '../support/records.js';

const records = Number(process.env['REELSTREAM_TEST_REPARTITION_RECORDS'] ?? 1_000_000);
const videos = 5_000;

function* heartbeats(count: number): Generator<{ key: string; value: WatchHeartbeat }> {
  for (let i = 0; i < count; i++) {
    const userId = `user-${i % 7_919}`;
    yield {
      key: userId,
      value: {
        userId,
        videoId: `video-${(i * 7_727) % videos}`,
        sessionId: `session-${i}`,
        watchedMs: i,
        eventTime: 1_700_000_000_000 + i,
      },
    };
  }
}

test(`selectKey then groupByKey repartitions ${records} Avro records over 6 partitions with no loss and no duplicates`, async () => {
  const input = uniqueName('repartition-in');
  const output = uniqueName('repartition-out');
  await createTopics([input], { partitions: 3 });
  await createTopics([output], { partitions: 6 });
  const serdes = { key: stringSerde, value: avroSerde(watchHeartbeatSchema) };
  assert.equal(await produceAll({ topic: input, serdes, records: heartbeats(records) }), records);

  const pipeline = new Pipeline();
  pipeline
    .source(input, serdes)
    .selectKey((r) => r.value.videoId)
    .groupByKey({ name: 'by-video', serdes, partitions: 6 })
    .stream()
    .to(output, serdes);
  const applicationId = uniqueName('repartition-job');
  const job = new StreamJob({
    pipeline,
    applicationId,
    connection,
    logger: pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'warn' }),
  });
  const started = performance.now();
  await job.start();
  try {
    const counts = await client.partitionCounts([`${applicationId}-by-video-repartition`]);
    assert.equal(counts.get(`${applicationId}-by-video-repartition`), 6);
    // A failed job ends the wait at once instead of letting the reader time out.
    const raw = await Promise.race([
      readRaw(output, records),
      job.whenStopped().then(() => {
        throw new Error('the job stopped before the output was complete');
      }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${records} records through the repartition in ${seconds.toFixed(1)} s (${Math.round(records / seconds)}/s end to end)`,
    );
    await waitFor(
      () => job.stats().processed >= records * 2,
      'the job to report its counts',
      30_000,
    );
    const decoded = await decodeAll(raw, serdes);
    const sessions = new Set<string>();
    for (const { key, value } of decoded) {
      assert.equal(key, value.videoId, 'the output key is the selected key');
      assert.ok(!sessions.has(value.sessionId), `duplicate ${value.sessionId}`);
      sessions.add(value.sessionId);
    }
    assert.equal(sessions.size, records, 'every input record arrived exactly once');
    const expected = [...heartbeats(records)].map((r) => r.value);
    decoded.sort((a, b) => a.value.watchedMs - b.value.watchedMs);
    assert.deepEqual(
      decoded.map((d) => ({ ...d.value })),
      expected,
      'outputs equal inputs field by field',
    );
  } finally {
    await job.stop();
  }
});
