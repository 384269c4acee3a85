import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { OperatorContext } from '../../operators/api/operator.js';
import { StreamRecord } from '../../operators/api/record.js';
import { GlobalTable } from '../../operators/dsl/globalTable.js';
import { PipelineGraph } from '../../operators/dsl/graph.js';
import { GlobalTableJoinOperator } from '../../operators/joins/globalTableJoinOperator.js';
import { StreamTableJoinOperator } from '../../operators/joins/streamTableJoinOperator.js';
import { GlobalStore } from '../../operators/runtime/globalStore.js';
import { stringSerde } from '../../operators/serdes/basicSerdes.js';
import { CacheBudget } from '../../operators/state/caching/cacheBudget.js';
import { KeyValueState } from '../../operators/state/keyValueState.js';
import type { BytesKeyValueStore } from '../../operators/state/keyValueStore.js';
import { InMemoryStore } from '../../operators/state/memory/inMemoryStore.js';
import type { ReadOnlyStore } from '../../operators/state/readOnlyStore.js';
import { keyValueStore } from '../../operators/state/storeDefinition.js';
import { TaskStore } from '../../operators/state/taskStore.js';

// The join operators on their own, for what the test driver never reaches: lookups that miss
// the cache (local state the task did not write itself, after a restart) and the global store's
// cache.

const bytes = (text: string): Buffer => Buffer.from(text);

/**
 * The parts of a context the join operators use; the rest throws. Built by hand so a lookup
 * can miss the cache, which the driver's stores never do.
 */
function contextFor(stores: { task?: TaskStore; global?: ReadOnlyStore }): {
  ctx: OperatorContext<string, string>;
  forwarded: [string, string][];
} {
  const forwarded: [string, string][] = [];
  const partial: Partial<OperatorContext<string, string>> = {
    taskId: '0_0',
    forward: (record) => forwarded.push([record.key, record.value]),
    keyValueStore: (definition) => {
      if (stores.task === undefined) throw new Error('no task store');
      return new KeyValueState(stores.task, definition);
    },
    globalStore: () => {
      if (stores.global === undefined) throw new Error('no global store');
      return stores.global;
    },
    count: () => undefined,
  };
  return { ctx: partial as OperatorContext<string, string>, forwarded };
}

async function processAll(
  operator: {
    process(
      r: StreamRecord<string, string>,
      c: OperatorContext<string, string>,
    ): void | Promise<void>;
  },
  records: readonly [string, string][],
  ctx: OperatorContext<string, string>,
): Promise<{ synchronous: number }> {
  let synchronous = 0;
  for (const [key, value] of records) {
    const result = operator.process(StreamRecord.of({ key, value, timestamp: 0 }), ctx);
    if (result === undefined) {
      synchronous += 1;
    } else {
      await result;
    }
  }
  return { synchronous };
}

test('stream–table join: a key only in the store underneath is read from it, then cached', async () => {
  const inner = new InMemoryStore();
  await inner.put(bytes('u1'), bytes('p1')); // restored state: not in the write cache
  const store = new TaskStore({ name: 'profiles', inner, budget: new CacheBudget(1 << 20) });
  const table = keyValueStore({ name: 'profiles', key: stringSerde, value: stringSerde });
  const join = new StreamTableJoinOperator<string, string, string, string>({
    table,
    joiner: (click, profile) => `${click}/${profile ?? 'none'}`,
    kind: 'left',
  });
  const { ctx, forwarded } = contextFor({ task: store });
  await join.init(ctx);
  const { synchronous } = await processAll(
    join,
    [
      ['u1', 'c1'], // miss: read from the store underneath
      ['u1', 'c2'], // hit
      ['u2', 'c3'], // miss: absent
      ['u2', 'c4'], // hit: known absent
    ],
    ctx,
  );
  assert.deepEqual(forwarded, [
    ['u1', 'c1/p1'],
    ['u1', 'c2/p1'],
    ['u2', 'c3/none'],
    ['u2', 'c4/none'],
  ]);
  assert.equal(synchronous, 2, 'cache hits cost no promise');
  await store.close();
});

test('global store: reads are cached, updates from the topic keep cached keys current', async () => {
  const inner = new InMemoryStore();
  await inner.put(bytes('v1'), bytes('Cats'));
  const store = new GlobalStore('titles', inner);
  assert.equal(store.peek(bytes('v1')), undefined);
  assert.deepEqual(await store.get(bytes('v1')), bytes('Cats'));
  assert.deepEqual(store.peek(bytes('v1')), bytes('Cats'));
  assert.equal(await store.get(bytes('v2')), undefined);
  assert.equal(store.peek(bytes('v2')), null, 'a miss is cached as absent');
  await store.apply([
    { key: bytes('v1'), value: null },
    { key: bytes('v2'), value: bytes('Dogs') },
    { key: bytes('v3'), value: bytes('Birds') },
  ]);
  assert.equal(store.peek(bytes('v1')), null);
  assert.deepEqual(store.peek(bytes('v2')), bytes('Dogs'));
  assert.equal(store.peek(bytes('v3')), undefined, 'uncached keys stay uncached');
  assert.deepEqual(await store.get(bytes('v3')), bytes('Birds'));
  await store.close();
});

test('global store: a read that overlapped an update does not cache what it read', async () => {
  const inner = new InMemoryStore();
  await inner.put(bytes('v1'), bytes('old'));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // A store whose reads see the old value but answer only after the update was applied.
  const slow: BytesKeyValueStore = {
    get: async (key) => {
      const value = await inner.get(key);
      await gate;
      return value;
    },
    put: (key, value) => inner.put(key, value),
    delete: (key) => inner.delete(key),
    batch: (operations) => inner.batch(operations),
    range: (bounds) => inner.range(bounds),
    clear: (bounds) => inner.clear(bounds),
    close: () => inner.close(),
  };
  const store = new GlobalStore('titles', slow);
  const reading = store.get(bytes('v1'));
  await store.apply([{ key: bytes('v1'), value: bytes('new') }]);
  release();
  assert.deepEqual(await reading, bytes('old'));
  assert.equal(store.peek(bytes('v1')), undefined, 'the stale value was not cached');
  assert.deepEqual(await store.get(bytes('v1')), bytes('new'));
  await store.close();
});

test('global join: lookups that miss the cache wait for the store, hits do not', async () => {
  const inner = new InMemoryStore();
  await inner.put(bytes('v1'), bytes('Cats'));
  const store = new GlobalStore('titles', inner);
  const table = new GlobalTable(new PipelineGraph(), {
    name: 'titles',
    topic: 'videos',
    serdes: { key: stringSerde, value: stringSerde },
  });
  const join = new GlobalTableJoinOperator<string, string, string, string, string>({
    table,
    keySelector: (r) => r.value,
    joiner: (video, title) => `${video}:${title ?? '?'}`,
    kind: 'inner',
  });
  const { ctx, forwarded } = contextFor({ global: store });
  await join.init(ctx);
  const { synchronous } = await processAll(
    join,
    [
      ['u1', 'v1'],
      ['u2', 'v1'],
      ['u3', 'v2'],
      ['u4', 'v2'],
    ],
    ctx,
  );
  assert.deepEqual(forwarded, [
    ['u1', 'v1:Cats'],
    ['u2', 'v1:Cats'],
  ]);
  assert.equal(synchronous, 2);
  await store.close();
});
