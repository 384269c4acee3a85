import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeBinarySearch, encodeBinarySearch } from './binarySearchBody.js';
import {
  localSearchBinary,
  localSearchOfBinary,
  searchResultBinary,
  searchResultOfBinary,
  type LocalSearchAnswer,
  type VectorSearchResult,
} from './vectorSearch.js';

const value = (text: string): Buffer => Buffer.from(text, 'utf8');

test('a merged search answer survives the binary format: ids, distances, values', () => {
  const result: VectorSearchResult = {
    metric: 'l2',
    partitions: 3,
    searched: [0, 2],
    unavailable: [{ partition: 1, reason: 'restoring' }],
    degraded: true,
    hits: [
      { id: 9_223_372_036_854_775_807n, distance: 0.125, partition: 0, value: value('v-max') },
      { id: -1n, distance: -0, partition: 2 }, // no value
      { id: 0n, distance: 1e300, partition: 2, value: Buffer.alloc(0) },
      { id: 42n, distance: Number.NaN, partition: 4_000_000_000, value: value('vidéo ✓') },
    ],
  };
  assert.deepEqual(searchResultOfBinary(searchResultBinary(result)), result);
  const empty: VectorSearchResult = { ...result, hits: [], metric: undefined };
  assert.deepEqual(searchResultOfBinary(searchResultBinary(empty)), empty);
});

test('a local answer keeps each shard with its own hits, in order', () => {
  const answer: LocalSearchAnswer = {
    metric: 'innerProduct',
    shards: [
      {
        partition: 3,
        size: 10,
        hits: [{ id: 5n, distance: 0.5, partition: 3, value: value('a') }],
      },
      { partition: 1, size: 0, hits: [] },
      { partition: 0, size: 2, hits: [{ id: 7n, distance: 0.25, partition: 0 }] },
    ],
    unavailable: [],
  };
  assert.deepEqual(localSearchOfBinary(localSearchBinary(answer)), answer);
  const none: LocalSearchAnswer = { metric: undefined, shards: [], unavailable: [] };
  assert.deepEqual(localSearchOfBinary(localSearchBinary(none)), none);
});

test('a malformed binary answer is an error that says why, never wrong hits', () => {
  const hits = [{ id: 1n, distance: 1, partition: 0, value: value('abc') }];
  const good = encodeBinarySearch({ a: 1 }, [hits]);
  const one = (): number => 1;
  assert.deepEqual(decodeBinarySearch(good, one).hitLists, [hits]);
  assert.throws(() => decodeBinarySearch(good.subarray(0, good.length - 1), one), /cut short/);
  assert.throws(() => decodeBinarySearch(good.subarray(0, 3), one), /cut short/);
  assert.throws(
    () => decodeBinarySearch(Buffer.concat([good, Buffer.of(0)]), one),
    /1 bytes after/,
  );
  const otherVersion = Buffer.from(good);
  otherVersion[0] = 2;
  assert.throws(() => decodeBinarySearch(otherVersion, one), /format version 2/);
  const notJson = Buffer.from(good);
  notJson[5] = 0x7b + 1; // the header's "{" made "|"
  assert.throws(() => decodeBinarySearch(notJson, one), /header is not JSON/);
  // More lists than the body holds, and a header of the wrong shape.
  assert.throws(() => decodeBinarySearch(good, () => 2), /cut short/);
  assert.throws(() => localSearchOfBinary(good), /not a local search answer/);
  assert.throws(() => searchResultOfBinary(encodeBinarySearch(null, [[]])), /not a search result/);
});
