import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { AvroDeserializer, AvroSerializer, SerdeType } from '@confluentinc/schemaregistry';

import { repoRoot, type StackSettings } from '../../deploy/local/stack/stackSettings.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { RocksDbStore } from '../../operators/state/rocksdb/rocksDbStore.js';
import { heartbeatTraffic, type HeartbeatEvent } from './heartbeatTraffic.js';

const topic = 'demo.watch-heartbeats';
const partitions = 3;

/**
 * The end-to-end demo as far as the framework goes today: heartbeats are Avro-encoded against
 * the real registry, produced to Kafka, consumed by a consumer group, and counted per video in
 * one RocksDB database per partition. It prints the most watched videos and checks that every
 * produced event was counted exactly once.
 */
export async function runWatchCountDemo(options: {
  connection: ConnectionConfig;
  settings: StackSettings;
  events: number;
  seed: number;
  log: (line: string) => void;
}): Promise<void> {
  const { connection, log } = options;
  const kafka = createKafkaJs(connection, { clientId: 'reelstream-demo' });
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
  }
  const endOffsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();

  const registry = createRegistryClient(connection.registry);
  const schema = readFileSync(join(repoRoot, 'schemas', 'watchHeartbeat.avsc'), 'utf8');
  const schemaId = await registry.register(`${topic}-value`, { schemaType: 'AVRO', schema });
  log(`schema ${topic}-value registered with id ${schemaId}`);

  const serializer = new AvroSerializer(registry, SerdeType.VALUE, { useSchemaId: schemaId });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const produceStart = performance.now();
  let batch: { key: string; value: Buffer }[] = [];
  let produced = 0;
  for (const event of heartbeatTraffic({
    events: options.events,
    users: 500,
    videos: 2_000,
    seed: options.seed,
  })) {
    batch.push({ key: event.userId, value: await serializer.serialize(topic, event) });
    if (batch.length === 1_000) {
      await producer.send({ topic, acks: -1, messages: batch });
      produced += batch.length;
      batch = [];
      if (produced % 5_000 === 0) {
        log(`produced ${produced}/${options.events}`);
      }
    }
  }
  if (batch.length > 0) {
    await producer.send({ topic, acks: -1, messages: batch });
    produced += batch.length;
  }
  await producer.disconnect();
  const produceSeconds = (performance.now() - produceStart) / 1000;
  log(
    `produced ${produced} heartbeats in ${produceSeconds.toFixed(2)} s (${Math.round(produced / produceSeconds)}/s)`,
  );

  // Consume only this run's events: start each partition at the end offset seen before producing.
  const stateDir = join(options.settings.stateDir, 'demo-state');
  rmSync(stateDir, { recursive: true, force: true });
  const stores = new Map<number, RocksDbStore>();
  for (let p = 0; p < partitions; p++) {
    stores.set(p, await RocksDbStore.open(join(stateDir, `partition-${p}`)));
  }
  const deserializer = new AvroDeserializer(registry, SerdeType.VALUE, {});
  const consumer = kafka.consumer({ groupId: `reelstream-demo-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic });
  let consumed = 0;
  const consumeStart = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch: records }) => {
          const store = stores.get(records.partition);
          if (store === undefined) {
            throw new Error(`no store for partition ${records.partition}`);
          }
          for (const message of records.messages) {
            if (message.value === null) {
              continue;
            }
            const event = (await deserializer.deserialize(topic, message.value)) as HeartbeatEvent;
            const key = Buffer.from(event.videoId);
            const previous = await store.get(key);
            const count = previous === undefined ? 0 : Buffer.from(previous).readUInt32BE(0);
            const next = Buffer.alloc(4);
            next.writeUInt32BE(count + 1);
            await store.put(key, next);
            consumed++;
          }
          if (consumed >= produced) {
            resolve();
          }
        },
      })
      .catch(reject);
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const { partition, offset } of endOffsets) {
      consumer.seek({ topic, partition, offset });
    }
  });
  await done;
  await consumer.disconnect();
  const consumeSeconds = (performance.now() - consumeStart) / 1000;

  // Heartbeats are keyed by user (so a user's events share a partition), so one video is counted
  // in several partitions' stores; the summary adds them up.
  const views = new Map<string, number>();
  for (const store of stores.values()) {
    for await (const [key, value] of store.range()) {
      const video = Buffer.from(key).toString();
      views.set(video, (views.get(video) ?? 0) + Buffer.from(value).readUInt32BE(0));
    }
    await store.close();
  }
  const counts = [...views].map(([video, count]) => ({ video, views: count }));
  const total = counts.reduce((sum, c) => sum + c.views, 0);
  counts.sort((a, b) => b.views - a.views);
  log(
    `consumed and counted ${consumed} heartbeats in ${consumeSeconds.toFixed(2)} s into RocksDB (${partitions} partitions)`,
  );
  log('most watched videos (heartbeats):');
  for (const { video, views } of counts.slice(0, 10)) {
    log(`  ${video.padEnd(12)} ${views}`);
  }
  if (total !== produced) {
    throw new Error(`counted ${total} heartbeats but produced ${produced}`);
  }
  log(`every produced heartbeat counted once (${total}/${produced})`);
}
