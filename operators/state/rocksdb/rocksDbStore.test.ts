import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { describeKeyValueStoreContract } from '../keyValueStoreContract.js';
import {
  nativeBatchBytes,
  RocksDbStore,
  rocksDbMemoryDefaults,
  rocksDbNativeMemory,
} from './rocksDbStore.js';

const dir = mkdtempSync(join(tmpdir(), 'reelstream-rocksdbstore-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let opened = 0;

describeKeyValueStoreContract('RocksDbStore (rocksdb 5.2.1)', () =>
  RocksDbStore.open(join(dir, `contract-${opened++}`)),
);

test('RocksDbStore: a reused batch writes only its own operations; large and concurrent batches are written whole', async () => {
  const store = await RocksDbStore.open(join(dir, 'batches'));
  try {
    const text = async (key: string): Promise<string | undefined> => {
      const value = await store.get(Buffer.from(key));
      return value === undefined ? undefined : Buffer.from(value).toString();
    };
    await store.batch([{ type: 'put', key: Buffer.from('k'), value: Buffer.from('first') }]);
    // Larger than a reused batch takes: a batch of its own.
    const large = Array.from({ length: 3 }, (_, i) => ({
      type: 'put' as const,
      key: Buffer.from(i === 0 ? 'k' : `large-${i}`),
      value: Buffer.alloc(nativeBatchBytes / 2, i),
    }));
    await store.batch(large);
    assert.equal((await store.get(Buffer.from('k')))?.length, nativeBatchBytes / 2);
    // Through the batch the first write used, cleared: its put of "first" is not written again.
    await store.batch([{ type: 'put', key: Buffer.from('z'), value: Buffer.from('z') }]);
    assert.equal((await store.get(Buffer.from('k')))?.length, nativeBatchBytes / 2);
    assert.equal(await text('z'), 'z');
    await store.batch([{ type: 'delete', key: Buffer.from('z') }]);
    assert.equal(await text('z'), undefined);
    // Several at once, each through a batch of its own.
    await Promise.all(
      Array.from({ length: 5 }, (_, w) =>
        store.batch(
          Array.from({ length: 100 }, (_, i) => ({
            type: 'put' as const,
            key: Buffer.from(`w${w}-${i}`),
            value: Buffer.from(`${w}:${i}`),
          })),
        ),
      ),
    );
    for (let w = 0; w < 5; w++) {
      assert.equal(await text(`w${w}-99`), `${w}:99`);
    }
    await assert.rejects(
      store.batch([{ type: 'put', key: Buffer.alloc(0), value: Buffer.from('x') }]),
      /key cannot be an empty Buffer/,
    );
  } finally {
    await store.close();
  }
});

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

test('RocksDbStore: the memtable size asked for is the one RocksDB runs with, the default otherwise', async () => {
  const optionsOf = (path: string): string => {
    const file = readdirSync(path).find((name) => name.startsWith('OPTIONS-'));
    assert.ok(file !== undefined, `RocksDB wrote no OPTIONS file in ${path}`);
    return readFileSync(join(path, file), 'utf8');
  };
  const tuned = await RocksDbStore.open(join(dir, 'tuned'), { writeBufferBytes: 3 * 1024 * 1024 });
  await tuned.close();
  assert.match(optionsOf(join(dir, 'tuned')), /^\s*write_buffer_size=3145728$/m);
  const plain = await RocksDbStore.open(join(dir, 'plain'));
  await plain.close();
  assert.match(
    optionsOf(join(dir, 'plain')),
    new RegExp(`^\\s*write_buffer_size=${rocksDbMemoryDefaults.writeBufferBytes}$`, 'm'),
  );
});

test('RocksDbStore: native memory is RocksDB’s own estimate, summed over the open databases', async () => {
  const path = join(dir, 'native-memory');
  const before = rocksDbNativeMemory();
  const store = await RocksDbStore.open(path);
  const value = Buffer.alloc(100, 7);
  const key = (i: number): Buffer => Buffer.from(`key-${String(i).padStart(6, '0')}`);
  await store.batch(
    Array.from({ length: 5_000 }, (_, i) => ({ type: 'put' as const, key: key(i), value })),
  );
  const written = store.nativeMemory();
  assert.equal(written.databases, 1);
  assert.ok(written.memtablesBytes > 5_000 * 100, `memtables ${written.memtablesBytes} B`);
  assert.equal(rocksDbNativeMemory().databases, before.databases + 1);
  await store.close();
  assert.deepEqual(store.nativeMemory(), {
    databases: 0,
    tableReadersBytes: 0,
    memtablesBytes: 0,
    blockCacheBytes: 0,
  });
  assert.equal(rocksDbNativeMemory().databases, before.databases);
  // Reopened, the log is flushed to a file; reading from it opens its index and filter blocks.
  const reopened = await RocksDbStore.open(path);
  assert.deepEqual(await reopened.get(key(42)), value);
  const read = reopened.nativeMemory();
  assert.ok(read.tableReadersBytes > 0, `table readers ${read.tableReadersBytes} B`);
  assert.ok(read.blockCacheBytes > 0, `block cache ${read.blockCacheBytes} B`);
  await reopened.close();
});
