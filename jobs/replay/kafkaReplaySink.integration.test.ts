import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test } from 'node:test';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { avroSerde, connectionConfigFromEnv } from '../../operators/index.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import type { TopicSpec } from '../../schemas/topics.js';
import { KafkaReplaySink } from './kafkaReplaySink.js';
import { writeMovieLensFixture } from './movieLensFixture.js';
import { loadMovieLens } from './movieLensLoader.js';
import { runReplay } from './movieLensReplay.js';
import { replayEventKinds, replayTopics } from './replayEvent.js';
import { planReplay, replayEvents } from './replayPlan.js';
import { silentProgress } from './replayProgress.js';

// Runs against the stack the test command starts (or REELSTREAM_BROKERS / _REGISTRY_URL).
const connection = connectionConfigFromEnv();

test('a replay lands in the event topics: Avro values, keys, timestamps, per-user order', async () => {
  const dir = writeMovieLensFixture();
  const prefix = `test.replay.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}.`;
  const client = new KafkajsStreamClient(createKafkaJs(connection, { clientId: 'replay-test' }));
  try {
    const plan = planReplay(await loadMovieLens(dir), { mode: 'shifted', nowMs: Date.now() });
    const expected = [...replayEvents(plan)];
    const sink = await KafkaReplaySink.open(connection, { topicPrefix: prefix });
    try {
      const summary = await runReplay({ plan, sink, speed: 'max', progress: silentProgress });
      assert.equal(summary.records, expected.length);
    } finally {
      await sink.close();
    }

    const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
    for (const kind of replayEventKinds) {
      const spec = replayTopics[kind] as TopicSpec<unknown>;
      const topic = `${prefix}${spec.name}`;
      const partitions = await client.partitionOffsets(topic);
      assert.equal(partitions.length, spec.partitions, topic);
      const records: RawRecord[] = [];
      await client.readToEnd(
        partitions.map((p) => ({ topic, partition: p.partition, fromOffset: p.low })),
        (batch) => {
          records.push(...batch);
          return Promise.resolve();
        },
      );
      const serde = avroSerde(spec.value);
      serde.configure?.({ schemas });
      const context = { topic, isKey: false };
      await serde.prepareDeserialize?.(
        records.map((r) => r.value),
        context,
      );
      const want = expected.filter((e) => e.kind === kind);
      assert.equal(records.length, want.length, topic);
      // Within a partition, records keep the replay's order; compare per key.
      const byKey = (items: { key: string; value: unknown; timestamp: number }[]): string[] =>
        items.map((i) => JSON.stringify([i.key, i.value, i.timestamp])).sort();
      const got = records
        .sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((r) => ({
          key: Buffer.from(r.key ?? []).toString(),
          value: serde.deserialize(r.value, context),
          timestamp: r.timestamp,
        }));
      const wanted = want.map((e) => ({
        // Keyed by video: the catalogue, impressions and clicks; by user: the rest.
        key:
          e.kind === 'videoUpload' || e.kind === 'impression' || e.kind === 'click'
            ? e.value.videoId
            : e.value.userId,
        value: e.value,
        timestamp: e.value.eventTime,
      }));
      assert.deepEqual(byKey(got), byKey(wanted), topic);
      for (const key of new Set(got.map((g) => g.key))) {
        // (JSON: avsc decodes records into its own classes, not plain objects.)
        assert.deepEqual(
          got.filter((g) => g.key === key).map((g) => JSON.stringify(g.value)),
          wanted.filter((w) => w.key === key).map((w) => JSON.stringify(w.value)),
          `${topic} order for ${key}`,
        );
      }
    }
  } finally {
    await client.deleteTopics(replayEventKinds.map((k) => `${prefix}${replayTopics[k].name}`));
    rmSync(dir, { recursive: true, force: true });
  }
});
