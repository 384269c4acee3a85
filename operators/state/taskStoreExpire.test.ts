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

test('TaskStore.expireRange: committed keys in range leave the cache now and the store underneath at the commit, with no changelog record', async () => {
  const { inner, store } = await opened();
  for (const key of ['a', 'w1', 'w2', 'w3', 'x']) {
    store.put(b(key), b(key));
  }
  await commit(store);
  store.put(b('w2'), b('dirty'));
  store.expireRange(b('w'), b('w3'));
  assert.equal(store.peek(b('w1')), null, 'expired: absent at once, not read underneath');
  assert.deepEqual(await inner.get(b('w1')), b('w1'), 'still underneath before the commit');
  assert.deepEqual(await commit(store), [], 'nothing for the changelog, the dirty w2 included');
  const left: string[] = [];
  for await (const [key] of inner.range()) {
    left.push(key.toString());
  }
  assert.deepEqual(left, ['a', 'w3', 'x']);
  assert.equal(store.metrics.expired, 2);
  assert.deepEqual(await store.get(b('w3')), b('w3'));
});

test('TaskStore.expireRange: keys underneath but not cached go too, and a key written again after keeps the new value', async () => {
  const inner = new InMemoryStore();
  await inner.batch(['w1', 'w2', 'w5'].map((key) => ({ type: 'put', key: b(key), value: b(key) })));
  const store = new TaskStore({ name: 's', inner, budget: new CacheBudget(1 << 20) });
  await store.trackKeys();
  store.expireRange(b('w1'), b('w3'));
  store.put(b('w2'), b('again'));
  assert.deepEqual(await commit(store), [['w2', 'again']]);
  assert.equal(await inner.get(b('w1')), undefined);
  assert.deepEqual(await inner.get(b('w2')), b('again'));
  assert.deepEqual(await inner.get(b('w5')), b('w5'));
});

test('TaskStore.expireRange: ranges of several closes clear at one commit, and an empty range is nothing', async () => {
  const { inner, store } = await opened();
  for (const key of ['t1', 't2', 't3', 't4']) {
    store.put(b(key), b(key));
  }
  await commit(store);
  store.expireRange(b('t1'), b('t2'));
  store.expireRange(b('t2'), b('t3'));
  store.expireRange(b('t4'), b('t4'));
  await commit(store);
  const left: string[] = [];
  for await (const [key] of inner.range()) {
    left.push(key.toString());
  }
  assert.deepEqual(left, ['t3', 't4']);
});

test('TaskStore.expireRange: a failed commit keeps the committed values, and reads find them again', async () => {
  const { inner, store } = await opened();
  store.put(b('w1'), b('1'));
  store.put(b('w2'), b('2'));
  await commit(store);
  store.expireRange(b('w'), b('x'));
  store.discardUncommitted();
  assert.deepEqual(await commit(store), []);
  assert.deepEqual(await inner.get(b('w1')), b('1'), 'not deleted underneath');
  assert.deepEqual(
    await store.get(b('w2')),
    b('2'),
    'read through, not answered "absent" by the key filter',
  );
});
