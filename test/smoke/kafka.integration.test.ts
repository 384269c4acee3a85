import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createTopics, testKafka, uniqueName, waitFor } from '../support/integration.js';

test('Kafka: records produced with acks=all come back in order to a consumer group', async () => {
  const topic = uniqueName('roundtrip');
  await createTopics([topic], { partitions: 2 });
  const kafka = testKafka('roundtrip');
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const sent = Array.from({ length: 50 }, (_, i) => ({
    key: `user-${i % 5}`,
    value: `event-${i}`,
  }));
  await producer.send({ topic, acks: -1, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: uniqueName('roundtrip-group') });
  const received: { key: string; value: string; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message, partition }) => {
      received.push({
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        partition,
      });
      return Promise.resolve();
    },
  });
  try {
    await waitFor(() => received.length >= sent.length, `${sent.length} records`);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(received.length, sent.length);
  assert.deepEqual(received.map((r) => r.value).sort(), sent.map((s) => s.value).sort());
  // Per key, order is kept: a key always lands on one partition.
  for (const key of new Set(sent.map((s) => s.key))) {
    const partitions = new Set(received.filter((r) => r.key === key).map((r) => r.partition));
    assert.equal(partitions.size, 1, `${key} spread over partitions`);
    assert.deepEqual(
      received.filter((r) => r.key === key).map((r) => r.value),
      sent.filter((s) => s.key === key).map((s) => s.value),
    );
  }
});
