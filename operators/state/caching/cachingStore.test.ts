import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { describeKeyValueStoreContract } from '../keyValueStoreContract.js';
import { InMemoryStore } from '../memory/inMemoryStore.js';
import { RocksDbStore } from '../rocksdb/rocksDbStore.js';
import { CacheBudget } from './cacheBudget.js';
import { CachingStore } from './cachingStore.js';

const dir = mkdtempSync(join(tmpdir(), 'reelstream-caching-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let opened = 0;

describeKeyValueStoreContract('CachingStore over InMemoryStore', () =>
  Promise.resolve(new CachingStore(new InMemoryStore(), new CacheBudget(1024 * 1024))),
);
describeKeyValueStoreContract(
  'CachingStore over RocksDbStore (tiny budget: constant eviction)',
  async () =>
    new CachingStore(
      await RocksDbStore.open(join(dir, `contract-${opened++}`)),
      new CacheBudget(4 * 1024),
    ),
);

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

test('writes stay in the cache until flush, then reach the store underneath in one batch', async () => {
  const inner = new InMemoryStore();
  let batches = 0;
  const counting = Object.assign(Object.create(inner) as InMemoryStore, {
    batch: (ops: Parameters<InMemoryStore['batch']>[0]) => {
      batches += 1;
      return inner.batch(ops);
    },
  });
  const store = new CachingStore(counting, new CacheBudget(1024 * 1024));
  for (let i = 0; i < 1_000; i++) {
    await store.put(b(1), b(i % 256)); // one counter updated 1,000 times
  }
  await store.put(b(2), b(2));
  await store.delete(b(3));
  assert.equal(await inner.get(b(1)), undefined, 'nothing written before the flush');
  assert.deepEqual(await store.get(b(1)), b(999 % 256), 'the cache serves the latest value');
  assert.equal(store.dirtyCount(), 3);
  await store.flush();
  assert.equal(batches, 1);
  assert.deepEqual(await inner.get(b(1)), b(999 % 256));
  assert.deepEqual(await inner.get(b(2)), b(2));
  assert.equal(store.dirtyCount(), 0);
  await store.close();
});

test('a shared budget makes the store that exceeds it flush and evict', async () => {
  const budget = new CacheBudget(10_000);
  const inner = new InMemoryStore();
  const store = new CachingStore(inner, budget);
  const other = new CachingStore(new InMemoryStore(), budget);
  await other.put(b(9), Buffer.alloc(6_000));
  for (let i = 0; i < 50; i++) {
    await store.put(b(i + 1), Buffer.alloc(100, i));
  }
  assert.ok(budget.usedBytes <= 10_000 + 200, `used ${budget.usedBytes}`);
  assert.ok((await inner.get(b(1))) !== undefined, 'evicted entries were flushed first');
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(
      await store.get(b(i + 1)),
      Buffer.alloc(100, i),
      'nothing is lost by eviction',
    );
  }
  await store.close();
  await other.close();
  assert.equal(budget.usedBytes, 0, 'closing gives the memory back');
});
