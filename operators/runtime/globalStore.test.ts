import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InMemoryStore } from '../state/memory/inMemoryStore.js';
import { GlobalStore } from './globalStore.js';

const kib = 1024;

/** A store whose cache holds about four 1 KiB values (with the per-entry overhead). */
async function smallStore(keys: readonly string[]): Promise<GlobalStore> {
  const store = new GlobalStore('videos', new InMemoryStore(), { cacheMaxBytes: 7 * kib });
  await store.apply(keys.map((key) => ({ key: Buffer.from(key), value: Buffer.alloc(kib, key) })));
  return store;
}

test('a read is cached: peek answers it, and a key read as absent is known absent', async () => {
  const store = await smallStore(['a']);
  assert.equal(store.peekId('a'), undefined);
  assert.equal((await store.get(Buffer.from('a')))?.length, kib);
  assert.equal(store.peekId('a')?.length, kib);
  assert.equal(await store.get(Buffer.from('missing')), undefined);
  assert.equal(store.peekId('missing'), null);
  assert.equal(store.peek(Buffer.from('missing')), null);
});

test('the topic changing a cached key changes what peek answers, a delete included', async () => {
  const store = await smallStore(['a', 'b']);
  await store.get(Buffer.from('a'));
  await store.get(Buffer.from('b'));
  await store.apply([
    { key: Buffer.from('a'), value: Buffer.from('new') },
    { key: Buffer.from('b'), value: null },
  ]);
  assert.equal(store.peekId('a')?.toString(), 'new');
  assert.equal(store.peekId('b'), null);
});

test('over its budget the cache drops the oldest keys not read since, and keeps read ones', async () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const store = await smallStore(keys);
  for (const key of keys.slice(0, 4)) {
    await store.get(Buffer.from(key));
  }
  // 'a' and 'b' are read again (hits) before more keys arrive: they get a second chance.
  store.peekId('a');
  store.peekId('b');
  for (const key of keys.slice(4, 6)) {
    await store.get(Buffer.from(key));
  }
  const cached = keys.filter((key) => store.peekId(key) !== undefined);
  assert.deepEqual(cached, ['a', 'b', 'e', 'f']);
});

test('a cache of keys all read again still makes room, and a value larger than the budget passes through', async () => {
  const store = await smallStore(['a', 'b', 'c', 'd', 'e']);
  for (const key of ['a', 'b', 'c', 'd']) {
    await store.get(Buffer.from(key));
    store.peekId(key);
  }
  await store.get(Buffer.from('e'));
  assert.equal(
    ['a', 'b', 'c', 'd', 'e'].filter((key) => store.peekId(key) !== undefined).length,
    4,
  );

  const huge = new GlobalStore('huge', new InMemoryStore(), { cacheMaxBytes: kib });
  await huge.apply([{ key: Buffer.from('x'), value: Buffer.alloc(4 * kib) }]);
  assert.equal((await huge.get(Buffer.from('x')))?.length, 4 * kib);
  assert.equal(huge.peekId('x'), undefined);
});
