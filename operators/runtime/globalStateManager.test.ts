import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type {
  ConsumerOptions,
  ConsumerSession,
  PartitionOffsets,
  StreamClient,
} from '../connectors/kafka/streamClient.js';
import type { AnySerde } from '../dsl/graph.js';
import type { GlobalTableSpec } from '../dsl/globalTable.js';
import { stringSerde } from '../serdes/basicSerdes.js';
import { GlobalStateManager } from './globalStateManager.js';

/** A consumer session that records whether it was started and stopped. */
class RecordedSession {
  started = false;
  stopped = false;

  asSession(): ConsumerSession {
    return {
      start: () => {
        this.started = true;
        return Promise.resolve();
      },
      stop: () => {
        this.stopped = true;
        return Promise.resolve();
      },
    } as unknown as ConsumerSession;
  }
}

// A run abandoned while one of its global tables was still loading (a broker restart: one
// table's load failed, the other's was slow) once went on to follow that table's topic after
// it had closed every table: a consumer fetching for no one kept the process alive.
test('a table that fails to load leaves no other table following its topic', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  const sessions: RecordedSession[] = [];
  let releaseSlow: () => void = () => undefined;
  const slowLoaded = new Promise<void>((resolve) => (releaseSlow = resolve));
  const client = {
    partitionOffsets: async (topic: string): Promise<PartitionOffsets[]> => {
      if (topic === 'broken') {
        throw Object.assign(new Error('broker unreachable'), { retriable: true });
      }
      await slowLoaded;
      return [{ partition: 0, low: '0', high: '0' }];
    },
    readToEnd: () => Promise.resolve(),
    consumer: (options: ConsumerOptions): ConsumerSession => {
      assert.deepEqual(options.topics, ['slow']);
      const session = new RecordedSession();
      sessions.push(session);
      return session.asSession();
    },
  } as unknown as StreamClient;
  const table = (name: string): GlobalTableSpec => ({
    name,
    topic: name,
    keySerde: stringSerde as AnySerde,
    valueSerde: stringSerde as AnySerde,
  });
  try {
    const starting = GlobalStateManager.start({
      applicationId: 'global-test',
      tables: [table('slow'), table('broken')],
      stateDir,
      client,
      environment: {} as never,
      onError: () => undefined,
    });
    setTimeout(releaseSlow, 50);
    await assert.rejects(starting, /broker unreachable/);
    releaseSlow();
    await new Promise((resolve) => setTimeout(resolve, 100)); // what a slow load does next
    const following = sessions.filter((session) => session.started && !session.stopped);
    assert.deepEqual(following, [], 'no table still follows its topic');
  } finally {
    releaseSlow();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

// Each fetch is a broker request and a socket write on the job's event loop: one consumer
// follows every table, as Kafka Streams' global thread does, and stops with the tables.
test('one consumer follows every global table, and stops with them', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  const sessions: { options: ConsumerOptions; session: RecordedSession }[] = [];
  const client = {
    partitionOffsets: () => Promise.resolve([{ partition: 0, low: '0', high: '0' }]),
    readToEnd: () => Promise.resolve(),
    consumer: (options: ConsumerOptions): ConsumerSession => {
      const session = new RecordedSession();
      sessions.push({ options, session });
      return session.asSession();
    },
  } as unknown as StreamClient;
  const table = (name: string, topic: string): GlobalTableSpec => ({
    name,
    topic,
    keySerde: stringSerde as AnySerde,
    valueSerde: stringSerde as AnySerde,
  });
  try {
    const manager = await GlobalStateManager.start({
      applicationId: 'global-test',
      tables: [table('videos', 'catalog'), table('trending', 'trends'), table('also', 'catalog')],
      stateDir,
      client,
      environment: {} as never,
      onError: () => undefined,
    });
    assert.equal(sessions.length, 1, 'one consumer');
    assert.deepEqual([...(sessions[0]?.options.topics ?? [])].sort(), ['catalog', 'trends']);
    assert.equal(sessions[0]?.session.started, true);
    await manager.stop();
    assert.equal(sessions[0]?.session.stopped, true);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

// The checkpoint is written at most once a second while a table follows its topic, and the
// write a batch skipped is made when the second is up: the checkpoint reaches the last batch
// (the evaluation waits on it to know the serving job's tables have caught up).
test('a following table checkpoints at most once a second, and reaches its last batch', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  const client = {
    partitionOffsets: () => Promise.resolve([{ partition: 0, low: '0', high: '0' }]),
    readToEnd: () => Promise.resolve(),
    consumer: (): ConsumerSession => new RecordedSession().asSession(),
  } as unknown as StreamClient;
  const checkpoint = (): Record<string, string> =>
    (
      JSON.parse(readFileSync(join(stateDir, 'global', 'videos', 'checkpoint.json'), 'utf8')) as {
        offsets: Record<string, string>;
      }
    ).offsets;
  const record = (offset: number) => ({
    topic: 'catalog',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(`v-${offset}`),
    value: Buffer.from('x'),
    timestamp: 0,
    headers: {},
  });
  const manager = await GlobalStateManager.start({
    applicationId: 'global-test',
    tables: [
      {
        name: 'videos',
        topic: 'catalog',
        keySerde: stringSerde as AnySerde,
        valueSerde: stringSerde as AnySerde,
      },
    ],
    stateDir,
    client,
    environment: {} as never,
    onError: () => undefined,
  });
  try {
    await manager.apply([record(0)]);
    await manager.apply([record(1)]);
    await manager.apply([record(2)]);
    assert.notEqual(checkpoint()['0'], '3', 'not rewritten for every batch');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.equal(checkpoint()['0'], '3', 'the skipped write was made');
  } finally {
    await manager.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
