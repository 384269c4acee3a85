import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeKeyValueStoreContract } from '../keyValueStoreContract.js';
import { InMemoryStore } from './inMemoryStore.js';

describeKeyValueStoreContract('InMemoryStore', () => Promise.resolve(new InMemoryStore()));

test('InMemoryStore: chunks split and empty as keys come and go, and size follows', async () => {
  const store = new InMemoryStore();
  const key = (n: number): Buffer => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(n);
    return bytes;
  };
  // Ascending, descending and interleaved inserts: several thousand entries, many splits.
  for (let i = 0; i < 3_000; i++) {
    await store.put(key(i * 3), key(i));
    await store.put(key(30_000 - i * 3 - 1), key(i));
  }
  await store.batch(
    Array.from(
      { length: 3_000 },
      (_, i) => ({ type: 'put', key: key(i * 3 + 2), value: key(i) }) as const,
    ),
  );
  assert.equal(store.size, 9_000);
  let previous: Buffer | undefined;
  let seen = 0;
  for await (const [k] of store.range()) {
    assert.ok(previous === undefined || Buffer.compare(previous, k) < 0);
    previous = Buffer.from(k);
    seen++;
  }
  assert.equal(seen, 9_000);
  // Delete everything but every 1,000th key: whole chunks disappear.
  const doomed: Buffer[] = [];
  for await (const [k] of store.range()) {
    if (Buffer.from(k).readUInt32BE() % 1_000 !== 0) {
      doomed.push(Buffer.from(k));
    }
  }
  await store.batch(doomed.map((k) => ({ type: 'delete', key: k }) as const));
  const left: number[] = [];
  for await (const [k] of store.range({ reverse: true })) {
    left.push(Buffer.from(k).readUInt32BE());
  }
  assert.equal(store.size, left.length);
  assert.deepEqual(
    left,
    [...left].sort((a, z) => z - a),
  );
  assert.ok(left.every((n) => n % 1_000 === 0));
  assert.equal(await store.get(key(999)), undefined);
  await store.close();
});
