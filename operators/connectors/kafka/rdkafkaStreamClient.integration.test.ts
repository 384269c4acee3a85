import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { connectionConfigFromEnv } from '../../index.js';
import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import { rdkafkaAvailable } from './rdkafkaBinding.js';
import { RdkafkaStreamClient } from './rdkafkaStreamClient.js';
import type { ConsumerSession, IncomingBatch, StreamClient } from './streamClient.js';
import { partitionId } from './streamClient.js';

// The StreamClient contract, run against both clients: kafkajs always, librdkafka when
// @confluentinc/kafka-javascript is built here (deploy/local/setup/rdkafka.sh); otherwise its
// half skips, saying so. Runs against the stack the test command starts.
const connection = connectionConfigFromEnv();
const rdkafkaSkip = rdkafkaAvailable()
  ? false
  : '@confluentinc/kafka-javascript is not built here (bash deploy/local/setup/rdkafka.sh)';

const clients: readonly {
  name: string;
  skip: string | false;
  make: () => StreamClient;
}[] = [
  {
    name: 'kafkajs',
    skip: false,
    make: () => new KafkajsStreamClient(createKafkaJs(connection, { clientId: 'contract-test' })),
  },
  {
    name: 'rdkafka',
    skip: rdkafkaSkip,
    make: () => new RdkafkaStreamClient(connection, { clientId: 'contract-test' }),
  },
];

function unique(prefix: string): string {
  return `test.${prefix}.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
}

function record(topic: string, [key, value]: [string, string], partition?: number): OutgoingRecord {
  return {
    topic,
    key: Buffer.from(key),
    value: Buffer.from(value),
    timestamp: 1_700_000_000_000,
    headers: { source: 'contract' },
    ...(partition === undefined ? {} : { partition }),
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A session that collects what it is handed. */
function collecting(session: ConsumerSession): {
  batches: IncomingBatch[];
  skipped: { partition: number; nextOffset: string }[];
  assigned: Map<string, readonly number[]>[];
  fetches: () => number;
  start: () => Promise<void>;
} {
  const batches: IncomingBatch[] = [];
  const skipped: { partition: number; nextOffset: string }[] = [];
  const assigned: Map<string, readonly number[]>[] = [];
  let fetches = 0;
  return {
    batches,
    skipped,
    assigned,
    fetches: () => fetches,
    start: () =>
      session.start({
        onBatch: (batch) => {
          batches.push(batch);
          return Promise.resolve();
        },
        onRebalancing: () => undefined,
        onAssigned: (assignment) => {
          assigned.push(new Map(assignment));
          return Promise.resolve();
        },
        onCrash: (error) => {
          throw error;
        },
        onSkipped: (position) => skipped.push(position),
        onFetchDelivered: () => (fetches += 1),
      }),
  };
}

for (const { name, skip, make } of clients) {
  test(`${name}: send, consume, commit, committedOffset, groupMembers`, { skip }, async () => {
    const client = make();
    const topic = unique(`contract.${name}`);
    const group = unique(`contract.${name}.group`);
    await client.ensureTopics([{ name: topic, partitions: 2 }]);
    const producer = await client.producer({ idempotent: true });
    const receipt = await producer.send([
      record(topic, ['a', 'one'], 0),
      record(topic, ['b', 'two'], 0),
      record(topic, ['c', 'three'], 1),
    ]);
    assert.equal(receipt.get(partitionId(topic, 0)), '0');
    assert.equal(receipt.get(partitionId(topic, 1)), '0');
    await producer.close();

    const session = client.consumer({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      commitIntervalMs: 500,
      concurrency: 2,
      autoCommit: false,
      sessionTimeoutMs: 10_000,
      queryEndpoint: '127.0.0.1:7777',
    });
    const seen = collecting(session);
    await seen.start();
    try {
      await waitFor(
        () => seen.batches.reduce((n, b) => n + b.records.length, 0) >= 3,
        'three records',
      );
      const values = seen.batches
        .flatMap((b) => b.records)
        .map(
          (r: RawRecord) => `${r.partition}:${r.offset}:${Buffer.from(r.value ?? []).toString()}`,
        )
        .sort();
      assert.deepEqual(values, ['0:0:one', '0:1:two', '1:0:three']);
      const first = seen.batches.flatMap((b) => b.records)[0];
      assert.equal(Buffer.from(first?.headers['source'] ?? '').toString(), 'contract');
      assert.equal(first?.timestamp, 1_700_000_000_000);
      const zero = seen.batches.find((b) => b.partition === 0);
      assert.equal(zero?.nextOffset, '2');
      assert.equal(zero?.highWatermark, '2');
      assert.deepEqual(
        [...(seen.assigned.at(-1)?.get(topic) ?? [])].sort((a, b) => a - b),
        [0, 1],
      );
      const fetchesBefore = seen.fetches();
      const mark = session.roundMark();
      await waitFor(() => mark.passed(), 'a round mark to pass');
      assert.ok(seen.fetches() >= fetchesBefore + 1);

      await session.commitOffsets([{ topic, partition: 0, offset: '2' }]);
      assert.equal(await client.committedOffset(group, { topic, partition: 0 }), '2');
      assert.equal(await client.committedOffset(group, { topic, partition: 1 }), undefined);

      const members = await client.groupMembers(group);
      assert.equal(members.length, 1);
      assert.equal(members[0]?.queryEndpoint, '127.0.0.1:7777');
      assert.deepEqual(
        [...(members[0]?.assignment.get(topic) ?? [])].sort((a, b) => a - b),
        [0, 1],
      );

      // Seeking back hands the records out again.
      const before = seen.batches.length;
      session.seek({ topic, partition: 0, offset: '0' });
      await waitFor(
        () =>
          seen.batches.slice(before).some((b) => b.partition === 0 && b.records[0]?.offset === '0'),
        'the records again after a seek',
      );
    } finally {
      await session.stop();
      await client.deleteTopics([topic]);
    }
  });

  test(
    `${name}: transactions commit records and offsets; readers see them whole`,
    { skip },
    async () => {
      const client = make();
      const input = unique(`contract.${name}.in`);
      const output = unique(`contract.${name}.out`);
      const group = unique(`contract.${name}.txgroup`);
      await client.ensureTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      const producer = await client.transactionalProducer(`${group}-0_0`);
      try {
        const receipt = await producer.commit({
          records: [record(output, ['k', 'v1']), record(output, ['k', 'v2'])],
          groupId: group,
          offsets: [{ topic: input, partition: 0, offset: '5' }],
        });
        assert.equal(receipt.get(partitionId(output, 0)), '0');
        assert.equal(await client.committedOffset(group, { topic: input, partition: 0 }), '5');
        // Offsets only, then records again: each transaction ends with a marker.
        await producer.commit({
          records: [],
          groupId: group,
          offsets: [{ topic: input, partition: 0, offset: '6' }],
        });
        const second = await producer.commit({
          records: [record(output, ['k', 'v3'])],
          groupId: group,
          offsets: [],
        });
        // v1, v2, marker: v3 is at 3.
        assert.equal(second.get(partitionId(output, 0)), '3');
        assert.equal(await client.committedOffset(group, { topic: input, partition: 0 }), '6');
      } finally {
        await producer.close();
      }

      // The restore reader reads to the end (a marker) and stops.
      const read: string[] = [];
      await client.readToEnd([{ topic: output, partition: 0, fromOffset: '0' }], (records) => {
        read.push(...records.map((r) => Buffer.from(r.value ?? []).toString()));
        return Promise.resolve();
      });
      assert.deepEqual(read, ['v1', 'v2', 'v3']);
      const [offsets] = await client.partitionOffsets(output);
      assert.equal(offsets?.high, '5');

      // A read_committed member's position passes the final marker: nextOffset is the end.
      const session = client.consumer({
        groupId: unique(`contract.${name}.reader`),
        topics: [output],
        fromBeginning: true,
        commitIntervalMs: 500,
        concurrency: 1,
        autoCommit: false,
      });
      const seen = collecting(session);
      await seen.start();
      try {
        await waitFor(
          () =>
            seen.batches.some((b) => b.nextOffset === '5') ||
            seen.skipped.some((s) => s.nextOffset === '5'),
          'the position past the last marker',
        );
        assert.deepEqual(
          seen.batches.flatMap((b) => b.records).map((r) => Buffer.from(r.value ?? []).toString()),
          ['v1', 'v2', 'v3'],
        );
      } finally {
        await session.stop();
        await client.deleteTopics([input, output]);
      }
    },
  );
}
