import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CacheBudget } from './caching/cacheBudget.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TaskStore } from './taskStore.js';

const b = (text: string): Buffer => Buffer.from(text);

/** Commits `store`'s changes (the changelog records) and returns them as [key, value]. */
async function commit(store: TaskStore): Promise<[string, string | null][]> {
  const changes = store.changes();
  await store.applyCommitted(changes);
  return changes.map((c) => [c.key.toString(), c.value?.toString() ?? null]);
}

// Found by the item shards' kill -9 test (test/vectors): a compacted topic with two tombstones
// of one key between two commits left the key in the store and its changelog.
for (const [name, writes] of [
  ['delete, delete', (s: TaskStore) => (s.delete(b('k')), s.delete(b('k')))],
  [
    'delete, put, delete',
    (s: TaskStore) => (s.delete(b('k')), s.put(b('k'), b('2')), s.delete(b('k'))),
  ],
  [
    'put, delete, delete',
    (s: TaskStore) => (s.put(b('k'), b('2')), s.delete(b('k')), s.delete(b('k'))),
  ],
] as const) {
  test(`TaskStore: ${name} of a committed key before the next commit deletes it`, async () => {
    const inner = new InMemoryStore();
    const store = new TaskStore({ name: 's', inner, budget: new CacheBudget(1 << 20) });
    await store.trackKeys();
    store.put(b('k'), b('1'));
    await commit(store);
    writes(store);
    assert.equal(await store.get(b('k')), undefined, 'the store reads the key as deleted');
    assert.deepEqual(await commit(store), [['k', null]], 'one tombstone goes to the changelog');
    assert.equal(await inner.get(b('k')), undefined, 'the committed value is gone underneath');
  });
}

test('TaskStore: a key never committed, put then deleted twice, costs no tombstone', async () => {
  const inner = new InMemoryStore();
  const store = new TaskStore({ name: 's', inner, budget: new CacheBudget(1 << 20) });
  await store.trackKeys();
  store.put(b('n'), b('1'));
  store.delete(b('n'));
  store.delete(b('n'));
  assert.deepEqual(await commit(store), []);
});
