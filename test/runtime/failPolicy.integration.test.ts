import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  logAndFailPolicy,
  Pipeline,
  RecordFailedError,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import { connection, createTopics, testKafka, uniqueName } from '../support/integration.js';
import { client } from '../support/records.js';

const text = { key: stringSerde, value: stringSerde };

test('with logAndFail, a poison pill stops the job, and its batch is not committed', async () => {
  const input = uniqueName('fail-in');
  const output = uniqueName('fail-out');
  await createTopics([input, output]);
  const producer = await client.producer({ idempotent: true });
  await producer.send(
    ['ok-1', 'poison', 'ok-2'].map((value) => ({
      topic: input,
      key: Buffer.from(value),
      value: Buffer.from(value),
      timestamp: Date.now(),
      headers: {},
    })),
  );
  await producer.close();
  const pipeline = new Pipeline();
  pipeline
    .source(input, text)
    .mapValues((value) => {
      if (value === 'poison') {
        throw new Error('poison pill');
      }
      return value;
    })
    .to(output, text);
  const applicationId = uniqueName('fail-job');
  const job = new StreamJob({
    pipeline,
    applicationId,
    connection,
    policy: logAndFailPolicy,
    commitIntervalMs: 100,
    logger: pino({ level: 'silent' }),
  });
  await job.start();
  await assert.rejects(
    job.whenStopped(),
    (error: unknown) => error instanceof RecordFailedError && error.origin.offset === '1',
  );
  assert.equal(job.state, 'stopped');
  const admin = testKafka('fail-admin').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: applicationId, topics: [input] });
    assert.equal(offsets[0]?.partitions[0]?.offset, '-1', 'the failed batch was not committed');
  } finally {
    await admin.disconnect();
  }
});
