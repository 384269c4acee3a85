import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { RocksDbStore } from '../../operators/state/rocksdb/rocksDbStore.js';

const dir = mkdtempSync(join(tmpdir(), 'reelstream-rocksdb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value).toString('utf8');

async function entries(store: RocksDbStore, gte?: string, lt?: string): Promise<string[]> {
  const seen: string[] = [];
  const bounds = {
    ...(gte === undefined ? {} : { gte: bytes(gte) }),
    ...(lt === undefined ? {} : { lt: bytes(lt) }),
  };
  for await (const [key, value] of store.range(bounds)) {
    seen.push(`${text(key) ?? ''}=${text(value) ?? ''}`);
  }
  return seen;
}

test('RocksDB: put, get, batch and ordered iteration on disk survive a close and reopen', async () => {
  const path = join(dir, 'task-0');
  const store = await RocksDbStore.open(path);
  await store.put(bytes('video:2'), bytes('20'));
  await store.put(bytes('video:1'), bytes('10'));
  await store.batch([
    { type: 'put', key: bytes('video:3'), value: bytes('30') },
    { type: 'put', key: bytes('user:9'), value: bytes('u') },
    { type: 'delete', key: bytes('video:2') },
  ]);
  assert.equal(text(await store.get(bytes('video:1'))), '10');
  assert.equal(await store.get(bytes('video:2')), undefined, 'a deleted key reads as missing');
  assert.deepEqual(await entries(store, 'video:', 'video;'), ['video:1=10', 'video:3=30']);
  await store.close();

  const reopened = await RocksDbStore.open(path);
  assert.deepEqual(await entries(reopened), ['user:9=u', 'video:1=10', 'video:3=30']);
  const reversed: string[] = [];
  for await (const [key] of reopened.range({ reverse: true, limit: 2 })) {
    reversed.push(text(key) ?? '');
  }
  assert.deepEqual(reversed, ['video:3', 'video:1']);
  await reopened.close();
});
