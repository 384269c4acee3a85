import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import type { AnySerde } from '../../operators/dsl/graph.js';
import { GlobalStateManager } from '../../operators/runtime/globalStateManager.js';
import { stringSerde } from '../../operators/serdes/basicSerdes.js';
import { createTopics, uniqueName } from '../support/integration.js';
import { client, schemas } from '../support/records.js';

// One consumer follows every global table of a job. Written exactly-once, as the feature job
// writes them, each topic's end is a commit marker: each table's checkpoint must still reach
// its topic's last record, whichever topic the last transaction wrote to.
test('one consumer brings every global table to the end of its transactional topic', async () => {
  const topics = [uniqueName('global-a'), uniqueName('global-b'), uniqueName('global-c')];
  await createTopics(topics, { partitions: 3 });
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-follow-'));
  const producer = await client.transactionalProducer(uniqueName('global-writer'));
  let sequence = 0;
  const write = async (topic: string, count: number): Promise<void> => {
    await producer.commit({
      records: Array.from({ length: count }, () => {
        sequence += 1;
        return {
          topic,
          partition: (sequence % 7) % 3, // one partition per key
          key: Buffer.from(`k-${sequence % 7}`),
          value: Buffer.from(`v-${sequence}`),
          timestamp: Date.now(),
          headers: {},
        };
      }),
      groupId: uniqueName('global-writer-group'),
      offsets: [],
    });
  };
  const checkpointOf = (table: string): Map<number, bigint> => {
    try {
      const { offsets } = JSON.parse(
        readFileSync(join(stateDir, 'global', table, 'checkpoint.json'), 'utf8'),
      ) as { offsets: Record<string, string> };
      return new Map(Object.entries(offsets).map(([p, o]) => [Number(p), BigInt(o)]));
    } catch {
      return new Map();
    }
  };
  /** Whether each partition's checkpoint is at its last record (the marker after it aside). */
  const atEnd = async (table: string, topic: string): Promise<boolean> => {
    const checkpoint = checkpointOf(table);
    const ends = await client.partitionOffsets(topic);
    return ends.every(
      ({ partition, high }) =>
        BigInt(high) === 0n || checkpoint.get(partition) === BigInt(high) - 1n,
    );
  };
  try {
    await write(topics[0] ?? '', 30);
    const manager = await GlobalStateManager.start({
      applicationId: uniqueName('global-follow'),
      tables: topics.map((topic, i) => ({
        name: `table-${i}`,
        topic,
        keySerde: stringSerde as AnySerde,
        valueSerde: stringSerde as AnySerde,
      })),
      stateDir,
      client,
      environment: { schemas },
      logger: pino({ level: 'error' }),
      onError: (error) => assert.fail(`following failed: ${String(error)}`),
    });
    try {
      // Followed, not loaded: transactions to each topic in turn, the last to the middle one.
      for (const [i, topic] of [...topics, topics[1] ?? ''].entries()) {
        await write(topic, 5 + i);
      }
      const deadline = Date.now() + 15_000;
      for (;;) {
        const reached = await Promise.all(topics.map((topic, i) => atEnd(`table-${i}`, topic)));
        if (reached.every(Boolean)) {
          break;
        }
        assert.ok(Date.now() < deadline, `not every table reached its end: ${reached.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // The last record written is in its table.
      const last = await manager.store('table-1').get(Buffer.from(`k-${sequence % 7}`));
      assert.equal(last?.toString(), `v-${sequence}`);
    } finally {
      await manager.stop();
    }
  } finally {
    await producer.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
