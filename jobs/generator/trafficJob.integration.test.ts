import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { avroSerde, type Serde } from '../../operators/index.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { defaultPartitions, topicCatalog } from '../../schemas/topics.js';
import { connection, uniqueName } from '../../test/support/integration.js';
import { eventKinds, keyOf, type EventKind, type GeneratedEvent } from './generatedEvent.js';
import { TrafficGenerator, take } from './trafficGenerator.js';
import { produceTraffic } from './trafficJob.js';

const client = new KafkajsStreamClient(createKafkaJs(connection, { clientId: 'generator-test' }));
const topics = Object.fromEntries(
  eventKinds.map((kind) => [kind, uniqueName(`generator.${kind}`)]),
) as Record<EventKind, string>;
after(() => client.deleteTopics(Object.values(topics)).catch(() => undefined));

const options = { seed: 5, rate: 2_000, scale: 0.002, startTime: Date.now() - 60_000 };
const maxEvents = 5_000;

test('produces generated traffic to Kafka as Avro and reads it back decoded', async () => {
  const summary = await produceTraffic({
    connection,
    traffic: new TrafficGenerator(options),
    limits: { maxEvents },
    speed: Infinity,
    catalog: false,
    progressIntervalMs: 60_000,
    log: () => undefined,
    topics,
  });
  assert.equal(summary.produced, maxEvents);

  const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
  const serdes = new Map<string, { kind: EventKind; serde: Serde<unknown> }>(
    eventKinds.map((kind) => {
      const serde = avroSerde<unknown>(topicCatalog[kind].value);
      serde.configure?.({ schemas });
      return [topics[kind], { kind, serde }];
    }),
  );
  const records: RawRecord[] = [];
  await client.readToEnd(
    Object.values(topics).flatMap((topic) =>
      Array.from({ length: defaultPartitions }, (_, partition) => ({
        topic,
        partition,
        fromOffset: '0',
      })),
    ),
    (batch) => {
      records.push(...batch);
      return Promise.resolve();
    },
  );
  assert.equal(records.length, maxEvents);

  // The same seed regenerates the same events: every one must have arrived, decoded, on its
  // kind's topic, keyed by its user (or video) and stamped with its event time.
  const expected = new Map<string, number>();
  for (const event of take(new TrafficGenerator(options).events(), maxEvents)) {
    const id = fingerprint(event.kind, event.value, event.value.eventTime);
    expected.set(id, (expected.get(id) ?? 0) + 1);
  }
  const partitionsUsed = new Set<string>();
  for (const record of records) {
    const entry = serdes.get(record.topic);
    assert.ok(entry !== undefined, `record on unexpected topic ${record.topic}`);
    await entry.serde.prepareDeserialize?.([record.value], { topic: record.topic, isKey: false });
    const value = entry.serde.deserialize(record.value, { topic: record.topic, isKey: false });
    const event = { kind: entry.kind, value } as GeneratedEvent;
    assert.equal(Buffer.from(record.key ?? []).toString(), keyOf(event));
    const id = fingerprint(entry.kind, value, record.timestamp);
    const left = expected.get(id) ?? 0;
    assert.ok(left > 0, `unexpected record ${id}`);
    expected.set(id, left - 1);
    partitionsUsed.add(`${record.topic}/${record.partition}`);
  }
  assert.ok(partitionsUsed.size > defaultPartitions, 'records are spread over partitions');
});

function fingerprint(kind: EventKind, value: unknown, timestamp: number): string {
  return `${kind}@${timestamp}:${JSON.stringify(value)}`;
}
