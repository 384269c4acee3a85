import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { describeKeyValueStoreContract } from '../keyValueStoreContract.js';
import { RocksDbStore } from './rocksDbStore.js';

const dir = mkdtempSync(join(tmpdir(), 'reelstream-rocksdbstore-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let opened = 0;

describeKeyValueStoreContract('RocksDbStore (rocksdb 5.2.1)', () =>
  RocksDbStore.open(join(dir, `contract-${opened++}`)),
);

test('RocksDbStore: a reopened database keeps puts, batches and deletes', async () => {
  const path = join(dir, 'reopen');
  const store = await RocksDbStore.open(path);
  const key = (n: number): Buffer => Buffer.from([0x00, n, 0xff]);
  await store.batch(
    Array.from(
      { length: 200 },
      (_, n) => ({ type: 'put', key: key(n), value: Buffer.alloc(n, n) }) as const,
    ),
  );
  await store.put(key(1), Buffer.from('overwritten'));
  await store.delete(key(2));
  await store.batch([
    { type: 'delete', key: key(3) },
    { type: 'put', key: Buffer.from([0xff]), value: Buffer.from('last') },
  ]);
  await store.close();

  const reopened = await RocksDbStore.open(path);
  try {
    assert.equal((await reopened.get(key(1)))?.toString(), 'overwritten');
    assert.equal(await reopened.get(key(2)), undefined);
    assert.equal(await reopened.get(key(3)), undefined);
    assert.deepEqual(await reopened.get(key(199)), Buffer.alloc(199, 199));
    const keys: string[] = [];
    for await (const [k] of reopened.range({ gte: key(198) })) {
      keys.push(Buffer.from(k).toString('hex'));
    }
    assert.deepEqual(keys, ['00c6ff', '00c7ff', 'ff']);
    let count = 0;
    for await (const entry of reopened.range()) {
      assert.ok(entry);
      count++;
    }
    assert.equal(count, 200 - 2 + 1);
  } finally {
    await reopened.close();
  }
});
