import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GlobalTable } from '../dsl/globalTable.js';
import type { PipelineGraph } from '../dsl/graph.js';
import { stringSerde } from '../serdes/basicSerdes.js';
import type { Serde } from '../serdes/serde.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';
import { lookupGlobal, lookupGlobalAll } from './globalLookup.js';

/** A store whose cache holds what `cached` says, and whose reads `stored` answers (then cached). */
function storeOf(entries: {
  cached: Map<string, Buffer | null>;
  stored: Map<string, Buffer>;
}): ReadOnlyStore & { reads: number } {
  return {
    name: 'videos',
    reads: 0,
    peek: (key) => entries.cached.get(Buffer.from(key).toString()),
    // Ids are the keys' bytes as latin1: the same as the UTF-8 text for the ASCII keys here.
    peekId: (id) => entries.cached.get(id),
    get(key) {
      // As a global store does, the value read is cached (the same Buffer from then on).
      this.reads += 1;
      const id = Buffer.from(key).toString();
      const value = entries.stored.get(id);
      entries.cached.set(id, value ?? null);
      return Promise.resolve(value);
    },
  };
}

/** A JSON value serde that counts its decodes. */
function countingSerde(): Serde<{ title: string }> & { decodes: number } {
  return {
    name: 'counting-json',
    decodes: 0,
    serialize: (value) => Buffer.from(JSON.stringify(value)),
    deserialize(bytes) {
      this.decodes += 1;
      return JSON.parse(Buffer.from(bytes ?? []).toString()) as { title: string };
    },
  };
}

function tableOf(value: Serde<{ title: string }>): GlobalTable<string, { title: string }> {
  return new GlobalTable({} as PipelineGraph, {
    name: 'videos',
    topic: 'catalog',
    serdes: { key: stringSerde, value },
  });
}

test('a cached value is decoded once while its bytes are unchanged, and again when they change', async () => {
  const serde = countingSerde();
  const table = tableOf(serde);
  const cached = new Map<string, Buffer | null>([['v-1', Buffer.from('{"title":"one"}')]]);
  const store = storeOf({ cached, stored: new Map() });
  const first = await lookupGlobal(store, table, 'v-1');
  const second = await lookupGlobal(store, table, 'v-1');
  assert.deepEqual(first, { title: 'one' });
  assert.equal(second, first, 'the same decoded value');
  assert.equal(serde.decodes, 1);
  cached.set('v-1', Buffer.from('{"title":"two"}')); // the topic changed it: new bytes
  assert.deepEqual(await lookupGlobal(store, table, 'v-1'), { title: 'two' });
  assert.equal(serde.decodes, 2);
});

test('lookupGlobalAll answers in the keys order: cached, known absent, read from the store', async () => {
  const serde = countingSerde();
  const table = tableOf(serde);
  const store = storeOf({
    cached: new Map<string, Buffer | null>([
      ['v-1', Buffer.from('{"title":"one"}')],
      ['v-2', null],
    ]),
    stored: new Map([['v-3', Buffer.from('{"title":"three"}')]]),
  });
  const keys = ['v-3', 'v-2', 'v-1', 'v-4'];
  const expected = [{ title: 'three' }, undefined, { title: 'one' }, undefined];
  assert.deepEqual(await lookupGlobalAll(store, table, keys), expected);
  assert.equal(store.reads, 2, 'only the keys the cache does not know are read');
  assert.equal(serde.decodes, 2);
  assert.deepEqual(await lookupGlobalAll(store, table, keys), expected);
  assert.equal(serde.decodes, 2, 'the cached value is not decoded again');
});

test('lookupGlobalAll finds keys that are not ASCII by their bytes', async () => {
  const table = tableOf(countingSerde());
  const store = storeOf({
    cached: new Map<string, Buffer | null>([['v-é', Buffer.from('{"title":"accent"}')]]),
    stored: new Map(),
  });
  assert.deepEqual(await lookupGlobalAll(store, table, ['v-é', 'v-e']), [
    { title: 'accent' },
    undefined,
  ]);
});
