import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError } from '../errors.js';
import {
  checkSearch,
  decodeVector,
  encodeVector,
  lookupOfBody,
  mergeHits,
  searchRequestBody,
} from './vectorSearch.js';

test('a query vector survives the wire bit for bit', () => {
  const vector = Float32Array.from([0.1, -2.5e-8, 3.4e38, -0, 1 / 3]);
  const back = decodeVector(encodeVector(vector));
  assert.deepEqual([...back], [...vector]);
  // A view into a larger buffer encodes only its own floats.
  const view = new Float32Array(Float32Array.from([9, 1, 2, 9]).buffer, 4, 2);
  assert.deepEqual([...decodeVector(encodeVector(view))], [1, 2]);
  assert.throws(() => decodeVector('AAA'), ConfigError);
});

test('merge: nearest first by the metric, ties by id, k of all shards', () => {
  const shards = [
    { partition: 0, size: 3, hits: [hit(5n, 0.1, 0), hit(7n, 0.4, 0), hit(9n, 0.9, 0)] },
    { partition: 1, size: 2, hits: [hit(6n, 0.2, 1), hit(2n, 0.4, 1)] },
  ];
  assert.deepEqual(
    mergeHits('l2', shards, 4).map((h) => h.id),
    [5n, 6n, 2n, 7n],
  );
  // Inner product: larger is nearer.
  assert.deepEqual(
    mergeHits('innerProduct', shards, 3).map((h) => h.id),
    [9n, 2n, 7n],
  );
  assert.deepEqual(mergeHits(undefined, [], 3), []);
});

test('a request body is read back as the lookup it was made from, and malformed ones are refused', () => {
  const lookup = {
    store: 'items',
    vector: Float32Array.from([1, 2, 3]),
    k: 7,
    version: 'm1',
    exclude: [0n, 9_223_372_036_854_775_807n],
    nprobe: 4,
  };
  const read = lookupOfBody('items', JSON.parse(JSON.stringify(searchRequestBody(lookup))));
  assert.deepEqual(
    { ...read, vector: [...read.vector] },
    {
      ...lookup,
      vector: [1, 2, 3],
      local: false,
    },
  );
  assert.equal(lookupOfBody('items', searchRequestBody(lookup, 'local', 50)).timeoutMs, 50);
  const body = searchRequestBody(lookup);
  assert.throws(() => lookupOfBody('items', { ...body, exclude: ['-1'] }), ConfigError);
  assert.throws(() => lookupOfBody('items', { ...body, exclude: [12] }), ConfigError);
  assert.throws(() => lookupOfBody('items', { ...body, nprobe: 0 }), ConfigError);
  assert.throws(() => lookupOfBody('items', null), ConfigError);
  assert.throws(() => checkSearch({ ...lookup, k: 0 }), ConfigError);
  assert.throws(() => checkSearch({ ...lookup, k: 10_001 }), ConfigError);
  assert.throws(() => checkSearch({ ...lookup, version: '' }), ConfigError);
  assert.throws(() => checkSearch({ ...lookup, timeoutMs: 0 }), ConfigError);
});

function hit(id: bigint, distance: number, partition: number) {
  return { id, distance, partition };
}
