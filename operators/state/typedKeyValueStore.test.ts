import assert from 'node:assert/strict';
import { test } from 'node:test';

import { jsonSerde, stringSerde } from '../serdes/basicSerdes.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TypedKeyValueStore } from './typedKeyValueStore.js';

interface VideoViews {
  readonly views: number;
  readonly watchSeconds: number;
}

test('the typed store reads and writes pipeline types through serdes', async () => {
  const store = new TypedKeyValueStore({
    store: new InMemoryStore(),
    name: 'video-views',
    key: stringSerde,
    value: jsonSerde<VideoViews>(),
  });
  assert.equal(await store.get('video-1'), undefined);
  for (let i = 0; i < 3; i++) {
    const current = (await store.get('video-1')) ?? { views: 0, watchSeconds: 0 };
    await store.put('video-1', {
      views: current.views + 1,
      watchSeconds: current.watchSeconds + 10,
    });
  }
  await store.put('video-2', { views: 1, watchSeconds: 5 });
  await store.put('video-3', { views: 7, watchSeconds: 1 });
  assert.deepEqual(await store.get('video-1'), { views: 3, watchSeconds: 30 });
  const scanned: [string, number][] = [];
  for await (const [key, value] of store.range({ from: 'video-2', to: 'video-4' })) {
    scanned.push([key, value.views]);
  }
  assert.deepEqual(scanned, [
    ['video-2', 1],
    ['video-3', 7],
  ]);
  await store.delete('video-2');
  assert.equal(await store.get('video-2'), undefined);
  await assert.rejects(store.put('', { views: 0, watchSeconds: 0 }), /at least one byte/);
});
