import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type BucketRow, VarintReader, VarintWriter } from './timeBuckets.js';

test('varint rows round-trip, past the first buffer of the writer and up to 2^53', () => {
  // 190 rows of three counters with large values: a few kilobytes, well past 256 bytes.
  const rows: BucketRow[] = Array.from({ length: 190 }, (_, i) => [
    1_000_000 + i * 7,
    i,
    i * 1_000_003,
    Number.MAX_SAFE_INTEGER - i,
  ]);
  const writer = new VarintWriter();
  writer.write(0);
  writer.write(Number.MAX_SAFE_INTEGER);
  writer.writeRows(rows, 3);
  writer.writeRows([], 3);
  const bytes = writer.finish();
  assert.ok(bytes.length > 256, `${bytes.length} bytes`);
  const reader = new VarintReader(bytes, 'test');
  assert.equal(reader.read(), 0);
  assert.equal(reader.read(), Number.MAX_SAFE_INTEGER);
  assert.deepEqual(reader.readRows(3), rows);
  assert.deepEqual(reader.readRows(3), []);
  // finish() returns bytes of their own: later writes do not change them.
  writer.write(127);
  assert.deepEqual(new VarintReader(bytes, 'test').read(), 0);
});
