import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { connectionConfigFromEnv } from '../../index.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';

// Runs against the stack the test command starts (or REELSTREAM_BROKERS / _REGISTRY_URL).
const connection = connectionConfigFromEnv();
const kafka = createKafkaJs(connection, { clientId: 'auto-commit-test' });
const client = new KafkajsStreamClient(kafka);

// kafkajs committed after every batch whatever its autoCommitInterval (patches/README.md): a
// request client's reply consumer sent the broker one OffsetCommit per reply.
test('auto-commit waits for commitIntervalMs: batches a second apart leave no commit behind them', async () => {
  const topic = `test.auto-commit.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
  const groupId = `${topic}.group`;
  await client.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = await client.producer();
  const consumer = client.consumer({
    groupId,
    topics: [topic],
    fromBeginning: true,
    commitIntervalMs: 60_000,
    concurrency: 1,
  });
  let read = 0;
  let assigned!: () => void;
  const ready = new Promise<void>((resolve) => (assigned = resolve));
  try {
    await consumer.start({
      onBatch: (batch) => {
        read += batch.records.length;
        return Promise.resolve();
      },
      onRebalancing: () => undefined,
      onAssigned: () => {
        assigned();
        return Promise.resolve();
      },
      onCrash: (error) => assert.fail(String(error)),
    });
    await ready;
    // One record at a time, each read (a batch of its own) before the next is sent.
    for (let i = 1; i <= 5; i++) {
      await producer.send([
        { topic, key: null, value: Buffer.from(`r${i}`), headers: {}, timestamp: Date.now() },
      ]);
      for (const until = Date.now() + 10_000; read < i && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(read, i, `record ${i} was not read within 10 s`);
    }
    // Five batches acknowledged well inside the minute: nothing is committed yet.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await client.committedOffset(groupId, { topic, partition: 0 }), undefined);
  } finally {
    await consumer.stop();
    await producer.close();
    await client.deleteTopics([topic]).catch(() => undefined);
  }
});
