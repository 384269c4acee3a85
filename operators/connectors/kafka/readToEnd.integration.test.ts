import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import type { Producer } from 'kafkajs';

import { connectionConfigFromEnv } from '../../index.js';
import type { RawRecord } from '../../runtime/rawRecord.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import { asyncContextRuns } from './trackedSockets.js';

// Runs against the stack the test command starts (or REELSTREAM_BROKERS / _REGISTRY_URL).
// readToEnd fetches without a consumer group and decodes the record batches itself
// (fetchDecoder.ts): these are the cases a restore meets in an exactly-once changelog.
const connection = connectionConfigFromEnv();
const kafka = createKafkaJs(connection, { clientId: 'read-to-end-test' });
const client = new KafkajsStreamClient(kafka);

interface Read {
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

function topicName(): string {
  return `test.read-to-end.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
}

async function transactional(id: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId: `${id}-${randomBytes(3).toString('hex')}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

async function readAll(
  topic: string,
  partitions: readonly { partition: number; fromOffset: string }[],
): Promise<Map<number, Read[]>> {
  const read = new Map<number, Read[]>();
  await client.readToEnd(
    partitions.map((p) => ({ topic, ...p })),
    (records: readonly RawRecord[]) => {
      for (const r of records) {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(r.headers)) {
          headers[name] = Buffer.from(value).toString();
        }
        const list = read.get(r.partition) ?? [];
        list.push({
          offset: r.offset,
          key: r.key === null ? null : Buffer.from(r.key).toString(),
          value: r.value === null ? null : Buffer.from(r.value).toString(),
          headers,
          timestamp: r.timestamp,
        });
        read.set(r.partition, list);
      }
      return Promise.resolve();
    },
  );
  return read;
}

test('readToEnd returns the committed records only: aborted and open-then-aborted transactions, markers, tombstones, headers', async () => {
  const topic = topicName();
  await client.ensureTopics([{ name: topic, partitions: 2 }]);
  const a = await transactional('a');
  const b = await transactional('b');
  const plain = kafka.producer({ idempotent: true });
  await plain.connect();
  try {
    const send = async (
      producer: Producer,
      commit: boolean,
      { keys, partition = 0 }: { keys: string[]; partition?: number },
    ) => {
      const txn = await producer.transaction();
      await txn.send({
        topic,
        messages: keys.map((key) => ({
          key,
          value: `v-${key}`,
          partition,
          headers: { origin: key },
        })),
      });
      await (commit ? txn.commit() : txn.abort());
    };
    await send(a, true, { keys: ['a1', 'a2', 'a3'] });
    // b's transaction stays open across a's next commit, then aborts: the broker lists it
    // among the aborted transactions of the fetch, interleaved with committed records.
    const open = await b.transaction();
    await open.send({ topic, messages: [{ key: 'b1', value: 'v-b1', partition: 0 }] });
    await send(a, true, { keys: ['a4'] });
    await open.send({ topic, messages: [{ key: 'b2', value: 'v-b2', partition: 0 }] });
    await open.abort();
    await plain.send({
      topic,
      messages: [
        { key: 'n1', value: 'v-n1', partition: 0, timestamp: '1700000000123' },
        { key: 'n2', value: null, partition: 0 },
      ],
    });
    await send(a, false, { keys: ['a5'] });
    await send(a, true, { keys: ['a6'] });
    await send(b, true, { keys: ['p1-1', 'p1-2'], partition: 1 });
  } finally {
    await a.disconnect();
    await b.disconnect();
    await plain.disconnect();
  }

  const all = await readAll(topic, [
    { partition: 0, fromOffset: '0' },
    { partition: 1, fromOffset: '0' },
  ]);
  const first = all.get(0) ?? [];
  assert.deepEqual(
    first.map((r) => [r.key, r.value]),
    [
      ['a1', 'v-a1'],
      ['a2', 'v-a2'],
      ['a3', 'v-a3'],
      ['a4', 'v-a4'],
      ['n1', 'v-n1'],
      ['n2', null],
      ['a6', 'v-a6'],
    ],
  );
  assert.deepEqual(first[0]?.headers, { origin: 'a1' });
  assert.deepEqual(first[4]?.headers, {});
  assert.equal(first[4]?.timestamp, 1_700_000_000_123);
  const offsets = first.map((r) => BigInt(r.offset));
  assert.deepEqual(
    offsets,
    [...offsets].sort((x, y) => (x < y ? -1 : 1)),
    'offsets ascend',
  );
  assert.deepEqual(
    (all.get(1) ?? []).map((r) => r.key),
    ['p1-1', 'p1-2'],
  );

  // From the offset of a4 (a restore resuming from its checkpoint): what follows it only.
  const a4 = first[3]?.offset ?? '0';
  const resumed = await readAll(topic, [{ partition: 0, fromOffset: a4 }]);
  assert.deepEqual(
    (resumed.get(0) ?? []).map((r) => r.key),
    ['a4', 'n1', 'n2', 'a6'],
  );

  // Nothing after the end: no call back, and it returns.
  const end = String(BigInt(first[first.length - 1]?.offset ?? '0') + 2n); // after a6's marker
  assert.equal((await readAll(topic, [{ partition: 0, fromOffset: end }])).size, 0);

  // Reads at the same time (the tasks of a job restoring at once) share connections.
  const together = await Promise.all(
    Array.from({ length: 6 }, () => readAll(topic, [{ partition: 0, fromOffset: '0' }])),
  );
  for (const read of together) {
    assert.deepEqual(read.get(0), first);
  }
});

test('readToEnd reads a partition larger than one fetch, in order, without the aborted transactions', async () => {
  const topic = topicName();
  await client.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = await transactional('bulk');
  const value = 'x'.repeat(100);
  let expected = 0;
  try {
    // 100,000 records of about 110 bytes: more than one fetch of 8 MiB. Every fifth
    // transaction aborts.
    for (let txnIndex = 0; txnIndex < 50; txnIndex++) {
      const commit = txnIndex % 5 !== 4;
      const txn = await producer.transaction();
      await txn.send({
        topic,
        messages: Array.from({ length: 2_000 }, (_, i) => ({
          key: `k${(txnIndex * 2_000 + i) % 7_000}`,
          value: commit ? `${expected + i}:${value}` : `aborted:${value}`,
        })),
      });
      if (commit) {
        await txn.commit();
        expected += 2_000;
      } else {
        await txn.abort();
      }
    }
  } finally {
    await producer.disconnect();
  }
  let count = 0;
  let batches = 0;
  await client.readToEnd([{ topic, partition: 0, fromOffset: '0' }], (records) => {
    batches++;
    for (const r of records) {
      const text = r.value === null ? '' : Buffer.from(r.value).toString();
      assert.equal(text.slice(0, text.indexOf(':')), String(count), `record ${count} in order`);
      count++;
    }
    return Promise.resolve();
  });
  assert.equal(count, expected);
  assert.ok(batches > 1, `${batches} batches`);
});

test('readToEnd with latestPerKey hands over the latest committed value of each key per fetch, and counts every record read', async () => {
  const topic = topicName();
  await client.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = await transactional('latest');
  const latest = new Map<string, string>();
  let committed = 0;
  try {
    // 60,000 records over 1,500 keys, more than one fetch; every fourth transaction aborts,
    // so an aborted value must never win over a committed one.
    for (let txnIndex = 0; txnIndex < 40; txnIndex++) {
      const commit = txnIndex % 4 !== 3;
      const messages = Array.from({ length: 1_500 }, (_, i) => ({
        key: `k${(txnIndex * 7 + i * 13) % 1_500}`,
        value: `${commit ? 'v' : 'aborted'}${txnIndex}-${i}:${'x'.repeat(150)}`,
      }));
      const txn = await producer.transaction();
      await txn.send({ topic, messages });
      if (commit) {
        await txn.commit();
        committed += messages.length;
        messages.forEach((m) => latest.set(m.key, m.value));
      } else {
        await txn.abort();
      }
    }
  } finally {
    await producer.disconnect();
  }
  const restored = new Map<string, string>();
  let handedOver = 0;
  let counted = 0;
  let lastOffset = -1;
  await client.readToEnd(
    [{ topic, partition: 0, fromOffset: '0' }],
    (records, read) => {
      handedOver += records.length;
      counted += read.records;
      for (const r of records) {
        assert.ok(Number(r.offset) > lastOffset, 'in offset order');
        lastOffset = Number(r.offset);
        restored.set(Buffer.from(r.key ?? []).toString(), Buffer.from(r.value ?? []).toString());
      }
      return Promise.resolve();
    },
    { latestPerKey: true },
  );
  assert.deepEqual(restored, latest);
  assert.equal(counted, committed, 'read counts every committed record');
  assert.ok(handedOver < committed / 5, `${handedOver} of ${committed} records handed over`);
});

test('readToEnd with `after` connects first and takes the ends once it resolves; its rejection ends the read', async () => {
  const topic = topicName();
  await client.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: 'a', value: 'before' }] });
    let release: () => void = () => undefined;
    const after = new Promise<void>((resolve) => {
      release = resolve;
    });
    const values: string[] = [];
    const reading = client.readToEnd(
      [{ topic, partition: 0, fromOffset: '0' }],
      (records) => {
        values.push(...records.map((r) => Buffer.from(r.value ?? []).toString()));
        return Promise.resolve();
      },
      { after },
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the reader connects meanwhile
    // Written while the caller was not ready yet (a fenced owner's last commit): part of the end.
    await producer.send({ topic, messages: [{ key: 'b', value: 'while waiting' }] });
    release();
    await reading;
    assert.deepEqual(values, ['before', 'while waiting']);
    const refused = new Error('the producer could not fence');
    await assert.rejects(
      client.readToEnd([{ topic, partition: 0, fromOffset: '0' }], () => Promise.resolve(), {
        after: Promise.reject(refused),
      }),
      (error) => error === refused,
    );
  } finally {
    await producer.disconnect();
  }
});

test('readToEnd, producers and the admin of a createKafkaJs client run without async context tracking', async () => {
  // Async context once on hooks every promise of the process for good; a reader whose work was
  // started inside it turned it on in every job that restored a store (found in a profile).
  const topic = topicName();
  await client.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = await client.producer();
  try {
    await producer.send([
      {
        topic,
        partition: 0,
        key: null,
        value: Buffer.from('v'),
        timestamp: Date.now(),
        headers: {},
      },
    ]);
  } finally {
    await producer.close();
  }
  assert.equal((await readAll(topic, [{ partition: 0, fromOffset: '0' }])).get(0)?.length, 1);
  assert.equal(asyncContextRuns(), 0);
});
