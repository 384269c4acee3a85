import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import type { Serde } from '../../operators/index.js';
import { connection, uniqueName } from './integration.js';

export const client = new KafkajsStreamClient(
  createKafkaJs(connection, { clientId: 'test-records' }),
);
export const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));

/** Serializes and produces `values` to `topic` in batches of 5,000 (keys with `keySerde`). */
export async function produceAll<TKey, TValue>(options: {
  topic: string;
  serdes: { key: Serde<TKey>; value: Serde<TValue> };
  records: Iterable<{ key: TKey; value: TValue; timestamp?: number }>;
}): Promise<number> {
  const { topic, serdes } = options;
  for (const serde of [serdes.key, serdes.value]) {
    serde.configure?.({ schemas });
  }
  await serdes.key.prepareSerialize?.({ topic, isKey: true });
  await serdes.value.prepareSerialize?.({ topic, isKey: false });
  const producer = await client.producer({ idempotent: true });
  let batch = [];
  let count = 0;
  try {
    for (const record of options.records) {
      batch.push({
        topic,
        key: serdes.key.serialize(record.key, { topic, isKey: true }),
        value: serdes.value.serialize(record.value, { topic, isKey: false }),
        timestamp: record.timestamp ?? Date.now(),
        headers: {},
      });
      if (batch.length === 5_000) {
        await producer.send(batch);
        count += batch.length;
        batch = [];
      }
    }
    await producer.send(batch);
    count += batch.length;
  } finally {
    await producer.close();
  }
  return count;
}

/**
 * Reads `topic` from the beginning until `count` records arrived (or `timeoutMs` passed). With
 * `identity`, until `count` distinct records arrived, so duplicates cannot end the wait early.
 *
 * Each offset is returned once: the reader's own group may rebalance before its first commit
 * (kafkajs rejoins when it learns a topic's metadata late) and be handed the same records
 * again, which are the reader's duplicates, not the job's. A job's duplicate is a record at
 * another offset, and is kept.
 */
export async function readRaw(
  topic: string,
  count: number,
  options: { timeoutMs?: number; identity?: (record: RawRecord) => string } = {},
): Promise<RawRecord[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const records: RawRecord[] = [];
  const distinct = new Set<string>();
  const positions = new Set<string>();
  const session = client.consumer({
    groupId: uniqueName('reader'),
    topics: [topic],
    fromBeginning: true,
    commitIntervalMs: 5_000,
    concurrency: 4,
  });
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await session.start({
    onBatch: (batch) => {
      for (const record of batch.records) {
        const position = `${record.partition}:${record.offset}`;
        if (positions.has(position)) {
          continue;
        }
        positions.add(position);
        records.push(record);
        if (options.identity !== undefined) {
          distinct.add(options.identity(record));
        }
      }
      if ((options.identity === undefined ? records.length : distinct.size) >= count) {
        done();
      }
      return Promise.resolve();
    },
    onRebalancing: () => undefined,
    onAssigned: () => Promise.resolve(),
    onCrash: () => done(),
  });
  const timer = setTimeout(done, timeoutMs);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await session.stop();
  }
  return records;
}

/** Deserializes raw records with `serdes`. */
export async function decodeAll<TKey, TValue>(
  records: readonly RawRecord[],
  serdes: { key: Serde<TKey>; value: Serde<TValue> },
): Promise<{ key: TKey; value: TValue; record: RawRecord }[]> {
  for (const serde of [serdes.key, serdes.value]) {
    serde.configure?.({ schemas });
  }
  const topic = records[0]?.topic ?? '';
  await serdes.value.prepareDeserialize?.(
    records.map((r) => r.value),
    { topic, isKey: false },
  );
  return records.map((record) => ({
    key: serdes.key.deserialize(record.key, { topic, isKey: true }),
    value: serdes.value.deserialize(record.value, { topic, isKey: false }),
    record,
  }));
}
