import assert from 'node:assert/strict';
import { test } from 'node:test';

import { userSeenSchema } from '../schemas/generated/userSeen.js';
import { avroBinarySerde } from '../operators/index.js';
import { bloomShape, emptySeen, seenTest, withSeen, type SeenBounds } from './seenSet.js';

const serde = avroBinarySerde(userSeenSchema);

function seenAll(ids: readonly string[], bounds: SeenBounds = {}) {
  let seen = emptySeen('u1');
  ids.forEach((videoId, i) => {
    seen = withSeen(seen, { videoId, time: i }, bounds);
  });
  return seen;
}

const ids = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('the default filter: 47,928 bits (5,991 bytes) and 7 hashes for 5,000 videos at 1 %', () => {
  assert.deepEqual(bloomShape(5_000, 0.01), { bits: 47_928, hashes: 7 });
});

test('below the exact limit the set is exact: every video seen, no other', () => {
  const watched = ids('v-', 500);
  const seen = seenAll(watched);
  assert.equal(seen.recent.length, 500);
  assert.deepEqual(seen.filters, []);
  const isSeen = seenTest(seen);
  assert.ok(watched.every(isSeen));
  assert.equal(ids('w-', 10_000).filter(isSeen).length, 0, 'no false positive without filters');
  assert.equal(seen.updatedTime, 499);
});

test('a re-seen video moves to the front and is not counted twice', () => {
  const seen = withSeen(seenAll(['a', 'b', 'c']), { videoId: 'a', time: 1 });
  assert.deepEqual(seen.recent, ['a', 'c', 'b']);
  assert.equal(seen.updatedTime, 2, 'the latest event time, not the last one folded');
});

test('beyond the exact limit: the oldest go to a Bloom filter, nothing is forgotten', () => {
  const watched = ids('v-', 5_500);
  const seen = seenAll(watched);
  assert.equal(seen.recent.length, 500);
  assert.deepEqual(seen.recent.slice(0, 2), ['v-5499', 'v-5498']);
  assert.equal(seen.filters.length, 1);
  assert.equal(seen.filters[0]?.items, 5_000);
  assert.equal(seen.filters[0]?.bits.length, 5_991);
  const isSeen = seenTest(seen);
  assert.equal(watched.filter((id) => !isSeen(id)).length, 0, 'no false negative');
  // A full filter answers "seen" for about 1 % of unseen videos.
  const probes = ids('never-', 100_000);
  const rate = probes.filter(isSeen).length / probes.length;
  assert.ok(rate > 0.005 && rate < 0.015, `false-positive rate ${rate}`);
});

test('a heavy user: at most two filters, the oldest videos forgotten, the size bounded', () => {
  const bounds = { exactLimit: 50, filterCapacity: 200 };
  const watched = ids('v-', 1_000);
  const given = seenAll(watched.slice(0, 999), bounds);
  const before = serde.serialize(given, { topic: 't', isKey: false });
  const seen = withSeen(given, { videoId: 'v-999', time: 999 }, bounds);
  assert.deepEqual(
    serde.serialize(given, { topic: 't', isKey: false }),
    before,
    'the given value is left as it was',
  );
  assert.equal(seen.recent.length, 50);
  // 950 left the exact list: four full filters of 200 and one of 150; the two newest are kept.
  assert.deepEqual(
    seen.filters.map((f) => f.items),
    [150, 200],
  );
  const isSeen = seenTest(seen);
  const remembered = watched.slice(1_000 - 400);
  assert.equal(remembered.filter((id) => !isSeen(id)).length, 0, 'the last 400: all seen');
  const forgotten = watched.slice(0, 600).filter(isSeen).length;
  assert.ok(forgotten < 600 * 0.05, `${forgotten} of the 600 oldest still match`);
  const bytes = serde.serialize(seen, { topic: 't', isKey: false })?.length ?? 0;
  const filterBytes = bloomShape(200, 0.01).bits / 8;
  assert.ok(bytes < 50 * 8 + 2 * (filterBytes + 8) + 16, `${bytes} bytes`);
});
