import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InMemoryStore } from './memory/inMemoryStore.js';
import { PrefixedStore } from './prefixedStore.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

async function keysOf(store: PrefixedStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key] of store.range()) {
    keys.push(Buffer.from(key).toString('hex'));
  }
  return keys;
}

test("clear deletes a range of one store's keys and none of the other stores' in the database", async () => {
  const db = new InMemoryStore();
  const windows = new PrefixedStore(db, 'windows');
  const counts = new PrefixedStore(db, 'counts');
  await windows.batch([1, 2, 3].map((k) => ({ type: 'put' as const, key: b(k), value: b(k) })));
  await counts.batch([1, 2, 3].map((k) => ({ type: 'put' as const, key: b(k), value: b(k) })));
  await windows.clear({ gte: b(1), lt: b(3) });
  assert.deepEqual(await keysOf(windows), ['03']);
  assert.deepEqual(await keysOf(counts), ['01', '02', '03']);
  await counts.clear({ gte: b(), lt: b(0xff) });
  assert.deepEqual(await keysOf(counts), []);
  assert.deepEqual(await keysOf(windows), ['03']);
});
