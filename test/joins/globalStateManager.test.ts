import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type {
  ConsumerHandlers,
  ConsumerSession,
  ReadCount,
  StreamClient,
  TopicPartition,
} from '../../operators/connectors/kafka/streamClient.js';
import { readCountOf } from '../../operators/connectors/kafka/streamClient.js';
import type { AnySerde } from '../../operators/dsl/graph.js';
import { GlobalStateManager } from '../../operators/runtime/globalStateManager.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { InMemorySchemaCatalog } from '../../operators/serdes/avro/inMemorySchemaCatalog.js';
import { stringSerde } from '../../operators/serdes/basicSerdes.js';

// The global state manager on real RocksDB with a fake topic: loading, following, resuming
// from the checkpoint, and reloading when the checkpoint does not fit the topic.

const topic = 'videos';
const string = stringSerde as AnySerde;

/** A topic in memory and the few client calls the manager makes. */
class FakeTopic {
  partitions: RawRecord[][] = [[], []];
  /** What each readToEnd was asked for, as `partition@offset`. */
  readonly reads: string[][] = [];
  readonly seeks: string[] = [];
  private handlers: ConsumerHandlers | undefined;

  write(partition: number, key: string, value: string | null): RawRecord {
    const log = this.partitions[partition] ?? [];
    const record: RawRecord = {
      topic,
      partition,
      offset: String(log.length),
      key: Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      timestamp: 0,
      headers: {},
    };
    log.push(record);
    return record;
  }

  /** Delivers records to the following consumer, as a fetch would. */
  async deliver(records: readonly RawRecord[]): Promise<void> {
    const first = records[0];
    if (this.handlers === undefined || first === undefined) {
      throw new Error('nothing follows the topic');
    }
    await this.handlers.onBatch({
      topic,
      partition: first.partition,
      records,
      nextOffset: String(Number(records[records.length - 1]?.offset) + 1),
      highWatermark: String(this.partitions[first.partition]?.length ?? 0),
      heartbeat: () => Promise.resolve(),
    });
  }

  client(): StreamClient {
    const session: ConsumerSession = {
      start: async (handlers) => {
        this.handlers = handlers;
        await handlers.onAssigned(new Map([[topic, this.partitions.map((_, p) => p)]]));
      },
      stop: () => {
        this.handlers = undefined;
        return Promise.resolve();
      },
      seek: ({ partition, offset }) => this.seeks.push(`${partition}@${offset}`),
      pause: () => undefined,
      resume: () => undefined,
      commitOffsets: () => Promise.resolve(),
      roundMark: () => ({ passed: () => true }),
    };
    const client: Partial<StreamClient> = {
      partitionOffsets: (name) =>
        Promise.resolve(
          name !== topic
            ? []
            : this.partitions.map((log, partition) => ({
                partition,
                low: '0',
                high: String(log.length),
              })),
        ),
      readToEnd: async (
        wanted: readonly (TopicPartition & { readonly fromOffset: string })[],
        onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
      ) => {
        this.reads.push(wanted.map((p) => `${p.partition}@${p.fromOffset}`));
        for (const p of wanted) {
          const records = (this.partitions[p.partition] ?? []).slice(Number(p.fromOffset));
          if (records.length > 0) {
            await onRecords(records, readCountOf(records));
          }
        }
      },
      consumer: () => session,
    };
    return client as StreamClient;
  }
}

async function startManager(fake: FakeTopic, stateDir: string): Promise<GlobalStateManager> {
  return GlobalStateManager.start({
    applicationId: 'app',
    tables: [{ name: 'titles', topic, keySerde: string, valueSerde: string }],
    stateDir,
    client: fake.client(),
    environment: { schemas: new InMemorySchemaCatalog() },
    onError: (error) => {
      throw error;
    },
  });
}

async function lookup(manager: GlobalStateManager, key: string): Promise<string | undefined> {
  return (await manager.store('titles').get(Buffer.from(key)))?.toString();
}

test('loads every partition, follows the topic, and resumes from its checkpoint', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  try {
    const fake = new FakeTopic();
    fake.write(0, 'v1', 'Cats');
    fake.write(1, 'v2', 'Dogs');
    fake.write(1, 'v3', 'Birds');
    fake.write(1, 'v3', null);
    let manager = await startManager(fake, stateDir);
    assert.deepEqual(fake.reads, [['0@0', '1@0']]);
    assert.deepEqual(fake.seeks, ['0@1', '1@3'], 'the follower starts where loading ended');
    assert.equal(await lookup(manager, 'v1'), 'Cats');
    assert.equal(await lookup(manager, 'v2'), 'Dogs');
    assert.equal(await lookup(manager, 'v3'), undefined);

    await fake.deliver([fake.write(0, 'v1', 'Cats 2'), fake.write(0, 'v4', 'Fish')]);
    assert.equal(await lookup(manager, 'v1'), 'Cats 2');
    // A batch from before the seek took hold is skipped, not applied again.
    const stale = fake.partitions[0]?.[0];
    assert.ok(stale !== undefined);
    await fake.deliver([stale]);
    assert.equal(await lookup(manager, 'v1'), 'Cats 2');
    await manager.stop();

    fake.write(1, 'v2', 'Dogs 2'); // written while the job was down
    fake.seeks.length = 0;
    manager = await startManager(fake, stateDir);
    assert.deepEqual(fake.reads[1], ['0@3', '1@3'], 'a restart reads only what it missed');
    assert.equal(await lookup(manager, 'v1'), 'Cats 2');
    assert.equal(await lookup(manager, 'v2'), 'Dogs 2');
    assert.equal(await lookup(manager, 'v4'), 'Fish');
    await manager.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a checkpoint that does not fit the topic (recreated) reloads the table from scratch', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  try {
    const fake = new FakeTopic();
    fake.write(0, 'v1', 'Cats');
    fake.write(0, 'v2', 'Dogs');
    let manager = await startManager(fake, stateDir);
    await manager.stop();
    fake.partitions = [[], []]; // deleted and created again, with fewer records
    fake.write(0, 'v9', 'New');
    manager = await startManager(fake, stateDir);
    assert.deepEqual(fake.reads[1], ['0@0', '1@0']);
    assert.equal(await lookup(manager, 'v1'), undefined, 'old state is gone');
    assert.equal(await lookup(manager, 'v9'), 'New');
    await manager.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a global table on a topic that does not exist stops the start', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  try {
    const fake = new FakeTopic();
    await assert.rejects(
      GlobalStateManager.start({
        applicationId: 'app',
        tables: [{ name: 't', topic: 'missing', keySerde: string, valueSerde: string }],
        stateDir,
        client: fake.client(),
        environment: { schemas: new InMemorySchemaCatalog() },
        onError: () => undefined,
      }),
      /global table t: topic missing does not exist/,
    );
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
