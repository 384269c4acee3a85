import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { createTopics, testKafka, uniqueName, waitFor } from '../support/integration.js';

/**
 * kafkajs against the pinned broker: the exactly-once runtime depends on this. A transaction that
 * commits must become visible to a read_committed consumer; one that aborts never must, while a
 * read_uncommitted consumer sees both (which proves the aborted records were really written).
 */
test('Kafka transactions: read_committed sees the committed transaction and not the aborted one', async () => {
  const topic = uniqueName('txn');
  await createTopics([topic]);
  const kafka = testKafka('txn');
  const producer = kafka.producer({
    transactionalId: uniqueName('txn-producer'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();

  const committed = await producer.transaction();
  await committed.send({ topic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
  await committed.commit();

  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
  await aborted.abort();

  const last = await producer.transaction();
  await last.send({ topic, messages: [{ value: 'committed-3' }] });
  await last.commit();
  await producer.disconnect();

  const readAll = async (readUncommitted: boolean, expected: number): Promise<string[]> => {
    const consumer = kafka.consumer({ groupId: uniqueName('txn-reader'), readUncommitted });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString() ?? '');
        return Promise.resolve();
      },
    });
    try {
      await waitFor(() => values.length >= expected, `${expected} records`);
      // Give any record that should not be there the chance to show up.
      await sleep(1_000);
    } finally {
      await consumer.disconnect();
    }
    return values;
  };

  assert.deepEqual(await readAll(false, 3), ['committed-1', 'committed-2', 'committed-3']);
  assert.deepEqual(await readAll(true, 5), [
    'committed-1',
    'committed-2',
    'aborted-1',
    'aborted-2',
    'committed-3',
  ]);
});

test('Kafka transactions: offsets sent inside a transaction commit with it, and not when it aborts', async () => {
  const input = uniqueName('txn-in');
  await createTopics([input]);
  const kafka = testKafka('txn-offsets');
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await plain.connect();
  await plain.send({ topic: input, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
  await plain.disconnect();

  const groupId = uniqueName('txn-group');
  const producer = kafka.producer({
    transactionalId: uniqueName('txn-offsets-producer'),
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  const abortedTxn = await producer.transaction();
  await abortedTxn.sendOffsets({
    consumerGroupId: groupId,
    topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }],
  });
  await abortedTxn.abort();

  const admin = kafka.admin();
  await admin.connect();
  try {
    const afterAbort = await admin.fetchOffsets({ groupId, topics: [input] });
    assert.equal(
      afterAbort[0]?.partitions[0]?.offset,
      '-1',
      'an aborted transaction commits no offset',
    );

    const committedTxn = await producer.transaction();
    await committedTxn.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }],
    });
    await committedTxn.commit();
    // EndTxn returns before the coordinator has written the commit markers into
    // __consumer_offsets; the offset becomes visible to OffsetFetch a moment later.
    let committedOffset: string | undefined;
    const deadline = Date.now() + 15_000;
    while (committedOffset !== '2' && Date.now() < deadline) {
      const afterCommit = await admin.fetchOffsets({ groupId, topics: [input] });
      committedOffset = afterCommit[0]?.partitions[0]?.offset;
      if (committedOffset !== '2') {
        await sleep(100);
      }
    }
    assert.equal(committedOffset, '2');
  } finally {
    await admin.disconnect();
    await producer.disconnect();
  }
});
