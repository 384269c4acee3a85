import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CacheBudget } from './caching/cacheBudget.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TaskStore } from './taskStore.js';

const b = (text: string): Buffer => Buffer.from(text);

async function opened(): Promise<{ inner: InMemoryStore; store: TaskStore }> {
  const inner = new InMemoryStore();
  const store = new TaskStore({ name: 's', inner, budget: new CacheBudget(1 << 20) });
  await store.trackKeys();
  return { inner, store };
}

/** Commits `store`'s changes and returns the changelog records as [key, value]. */
async function commit(store: TaskStore): Promise<[string, string | null][]> {
  const changes = store.changes();
  await store.applyCommitted(changes);
  return changes.map((c) => [c.key.toString(), c.value?.toString() ?? null]);
}

test('TaskStore.expire: a committed key leaves the store underneath at the next commit, with no changelog record', async () => {
  const { inner, store } = await opened();
  store.put(b('w1'), b('1'));
  store.put(b('w2'), b('2'));
  await commit(store);
  store.expire(b('w1'));
  assert.deepEqual(await inner.get(b('w1')), b('1'), 'still underneath before the commit');
  assert.deepEqual(await commit(store), [], 'nothing for the changelog');
  assert.equal(await inner.get(b('w1')), undefined, 'deleted underneath by the commit');
  assert.deepEqual(await inner.get(b('w2')), b('2'));
  assert.equal(store.metrics.expired, 1);
});

test('TaskStore.expire: an uncommitted write expired before its commit never reaches the changelog', async () => {
  const { inner, store } = await opened();
  store.put(b('w'), b('1'));
  await commit(store);
  store.put(b('w'), b('2'));
  store.expire(b('w'));
  assert.deepEqual(await commit(store), []);
  assert.equal(await inner.get(b('w')), undefined);
});

test('TaskStore.expire: a key written again after it expired keeps the new value', async () => {
  const { inner, store } = await opened();
  store.put(b('w'), b('1'));
  await commit(store);
  store.expire(b('w'));
  store.put(b('w'), b('3'));
  assert.deepEqual(await commit(store), [['w', '3']]);
  assert.deepEqual(await inner.get(b('w')), b('3'));
  assert.deepEqual(await store.get(b('w')), b('3'));
});

test('TaskStore.expire: a failed commit keeps the committed value (the replay expires it again)', async () => {
  const { inner, store } = await opened();
  store.put(b('w'), b('1'));
  await commit(store);
  store.expire(b('w'));
  store.discardUncommitted();
  assert.deepEqual(await commit(store), []);
  assert.deepEqual(await inner.get(b('w')), b('1'), 'not deleted underneath');
  assert.deepEqual(
    await store.get(b('w')),
    b('1'),
    'read through, not answered "absent" by the key filter',
  );
});

test('TaskStore.expire: a key never committed costs nothing underneath', async () => {
  const { inner, store } = await opened();
  store.put(b('n'), b('1'));
  store.expire(b('n'));
  assert.deepEqual(await commit(store), []);
  assert.equal(await inner.get(b('n')), undefined);
  assert.equal(await store.get(b('n')), undefined);
});
