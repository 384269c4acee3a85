import { rmSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';

import type { StackSettings } from '../../deploy/local/stack/stackSettings.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { avroSerde, Pipeline, StreamJob, type ConnectionConfig } from '../../operators/index.js';
import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { RocksDbStore } from '../../operators/state/rocksdb/rocksDbStore.js';
import { heartbeatsByVideo, heartbeatsByVideoTopics } from '../../pipelines/heartbeatsByVideo.js';
import { watchHeartbeatSchema } from '../../schemas/generated/watchHeartbeat.js';
import { heartbeatTraffic } from './heartbeatTraffic.js';

const partitions = 3;
const applicationId = 'reelstream-demo';

/**
 * The end-to-end demo as far as the framework goes today: generated heartbeats are written in
 * Avro (registered in the real registry) to Kafka; the `heartbeatsByVideo` pipeline runs as a
 * job and re-keys them by video through a repartition topic; a counter reads its output and
 * counts views per video in one RocksDB database per partition. It prints the most watched
 * videos and checks that every heartbeat was counted exactly once.
 */
export async function runWatchCountDemo(options: {
  connection: ConnectionConfig;
  settings: StackSettings;
  events: number;
  seed: number;
  log: (line: string) => void;
}): Promise<void> {
  const { connection, log } = options;
  const client = new KafkajsStreamClient(
    createKafkaJs(connection, { clientId: 'reelstream-demo' }),
  );
  const { input, output } = heartbeatsByVideoTopics;
  await client.ensureTopics([
    { name: input, partitions },
    { name: output, partitions },
  ]);
  const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
  const values = avroSerde(watchHeartbeatSchema);
  values.configure?.({ schemas });
  await values.prepareSerialize?.({ topic: input, isKey: false });

  const pipeline = new Pipeline();
  heartbeatsByVideo(pipeline);
  log(`pipeline:\n${pipeline.describe(applicationId)}`);
  const job = new StreamJob({
    pipeline,
    applicationId,
    connection,
    logger: pino({ level: 'warn' }),
  });
  await job.start();

  // Count only this run's records: start the counter where the output ends now.
  const counter = await startCounter({
    client,
    stateDir: join(options.settings.stateDir, 'demo-state'),
    output,
  });

  const producer = await client.producer();
  const started = performance.now();
  let batch: OutgoingRecord[] = [];
  let produced = 0;
  // Event times end now: brokers refuse timestamps too far in the future (Kafka 4: 1 hour).
  const traffic = heartbeatTraffic({
    events: options.events,
    users: 500,
    videos: 2_000,
    seed: options.seed,
    startTime: Date.now() - options.events * 50,
  });
  for (const event of traffic) {
    batch.push({
      topic: input,
      key: Buffer.from(event.userId),
      value: values.serialize(event, { topic: input, isKey: false }),
      timestamp: event.eventTime,
      headers: {},
    });
    if (batch.length === 5_000) {
      await producer.send(batch);
      produced += batch.length;
      batch = [];
      log(`produced ${produced}/${options.events}`);
    }
  }
  await producer.send(batch);
  produced += batch.length;
  await producer.close();
  log(`produced ${produced} heartbeats in ${((performance.now() - started) / 1000).toFixed(2)} s`);

  const counted = await counter.waitFor(produced, 120_000);
  const seconds = (performance.now() - started) / 1000;
  log(
    `job ${applicationId} re-keyed ${job.stats().processed} records (input + repartition); counted ${counted} heartbeats in RocksDB`,
  );
  log(
    `end to end: ${produced} heartbeats in ${seconds.toFixed(2)} s (${Math.round(produced / seconds)}/s)`,
  );
  await job.stop();
  const top = await counter.close();
  log('most watched videos (heartbeats):');
  for (const { video, views } of top.slice(0, 10)) {
    log(`  ${video.padEnd(12)} ${views}`);
  }
  if (counted !== produced) {
    throw new Error(`counted ${counted} heartbeats but produced ${produced}`);
  }
  log(`every produced heartbeat counted once (${counted}/${produced})`);
}

/** Counts output records per video key in one RocksDB database per partition. */
async function startCounter(options: {
  client: KafkajsStreamClient;
  stateDir: string;
  output: string;
}): Promise<{
  waitFor: (count: number, timeoutMs: number) => Promise<number>;
  close: () => Promise<{ video: string; views: number }[]>;
}> {
  rmSync(options.stateDir, { recursive: true, force: true });
  const stores = new Map<number, RocksDbStore>();
  for (let p = 0; p < partitions; p++) {
    stores.set(p, await RocksDbStore.open(join(options.stateDir, `partition-${p}`)));
  }
  let counted = 0;
  const session = options.client.consumer({
    groupId: `reelstream-demo-counter-${Date.now()}`,
    topics: [options.output],
    fromBeginning: false,
    commitIntervalMs: 5_000,
    concurrency: partitions,
  });
  let assigned: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (assigned = resolve));
  await session.start({
    onBatch: async (batch) => {
      const store = stores.get(batch.partition);
      if (store === undefined) {
        throw new Error(`no store for partition ${batch.partition}`);
      }
      const counts = new Map<string, number>();
      for (const record of batch.records) {
        const video = Buffer.from(record.key ?? []).toString();
        counts.set(video, (counts.get(video) ?? 0) + 1);
      }
      // One read and one batched write per video and fetch, not per record.
      const writes = [];
      for (const [video, add] of counts) {
        const key = Buffer.from(video);
        const previous = await store.get(key);
        const next = Buffer.alloc(4);
        next.writeUInt32BE(
          (previous === undefined ? 0 : Buffer.from(previous).readUInt32BE(0)) + add,
        );
        writes.push({ type: 'put' as const, key, value: next });
      }
      await store.batch(writes);
      counted += batch.records.length;
    },
    onRebalancing: () => undefined,
    onAssigned: () => {
      assigned();
      return Promise.resolve();
    },
    onCrash: (error) => {
      console.error('demo counter crashed:', error);
    },
  });
  await ready;
  return {
    waitFor: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (counted < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return counted;
    },
    close: async () => {
      await session.stop();
      const views: { video: string; views: number }[] = [];
      for (const store of stores.values()) {
        for await (const [key, value] of store.range()) {
          views.push({
            video: Buffer.from(key).toString(),
            views: Buffer.from(value).readUInt32BE(0),
          });
        }
        await store.close();
      }
      return views.sort((a, b) => b.views - a.views);
    },
  };
}
