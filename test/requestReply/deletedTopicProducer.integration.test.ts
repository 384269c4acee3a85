import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { createTopics, testKafka, uniqueName } from '../support/integration.js';
import { client, readRaw } from '../support/records.js';

function recordTo(topic: string, value: string): OutgoingRecord {
  return { topic, key: null, value: Buffer.from(value), timestamp: Date.now(), headers: {} };
}

// The root of client churn failing the serving job: kafkajs kept every topic a producer had
// written to, and once one was deleted every metadata refresh failed, so the next client's
// reply topic could not be written (patches/kafkajs+2.2.4.patch, cluster/index.js).
test('a producer whose earlier topic was deleted still writes to a new topic at once', async () => {
  const [gone, next] = [uniqueName('deleted-reply-topic'), uniqueName('next-reply-topic')];
  await createTopics([gone]);
  const producer = await client.producer();
  try {
    await producer.send([recordTo(gone, 'to the first client')]);
    await client.deleteTopics([gone]);
    await createTopics([next]);

    const started = performance.now();
    await producer.send([recordTo(next, 'to the next client')]);
    const elapsedMs = performance.now() - started;

    const [record] = await readRaw(next, 1, { timeoutMs: 30_000 });
    assert.equal(Buffer.from(record?.value ?? []).toString(), 'to the next client');
    // Unpatched, the send failed after kafkajs's retries (about 8.5 s); patched it is one
    // refresh and a listing of the topics.
    assert.ok(elapsedMs < 3_000, `the send took ${elapsedMs.toFixed(0)} ms`);
  } finally {
    await producer.close();
    await client.deleteTopics([next]).catch(() => undefined);
  }
});

// The first metadata request of a new consumer can name a topic the broker does not list yet
// (a request client's reply topic, created a moment before, on a slow machine). The patch then
// lists the cluster's topics, and before any metadata had loaded its broker pool was empty:
// subscribe failed with "No brokers in the broker pool" (a CI fault run) instead of kafkajs's
// own missing-topic error.
test("a new consumer's first subscribe to a missing topic fails with the missing-topic error", async () => {
  const kafka = testKafka('first-subscribe');
  const consumer = kafka.consumer({
    groupId: uniqueName('first-subscribe'),
    allowAutoTopicCreation: false,
  });
  try {
    await consumer.connect();
    await assert.rejects(
      consumer.subscribe({ topics: [uniqueName('not-created')] }),
      (error: Error & { type?: string }) => {
        assert.equal(error.type, 'UNKNOWN_TOPIC_OR_PARTITION', `${error.name}: ${error.message}`);
        return true;
      },
    );
  } finally {
    await consumer.disconnect();
  }
});
