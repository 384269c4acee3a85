import assert from 'node:assert/strict';
import { test } from 'node:test';

import { percentileOf, SampleColumn } from './sampleColumn.js';

test('sample column: grows past its first block and keeps every value in order', () => {
  const column = new SampleColumn();
  for (let i = 0; i < 5_000; i++) {
    column.push(5_000 - i);
  }
  assert.equal(column.length, 5_000);
  assert.equal(column.at(0), 5_000);
  assert.equal(column.at(4_999), 1);
  assert.ok(Number.isNaN(column.at(5_000)));
  const sorted = column.sorted();
  assert.equal(sorted.length, 5_000);
  assert.equal(sorted[0], 1);
  assert.equal(sorted[4_999], 5_000);
  assert.equal(percentileOf(sorted, 50), 2_500);
  assert.equal(percentileOf(sorted, 99), 4_950);
});

test('sample column: sorted(where) keeps only the picked indexes; percentile of none is NaN', () => {
  const column = new SampleColumn();
  for (const v of [9, 1, 8, 2, 7, 3]) {
    column.push(v);
  }
  assert.deepEqual([...column.sorted((i) => i % 2 === 0)], [7, 8, 9]);
  assert.ok(
    Number.isNaN(
      percentileOf(
        column.sorted(() => false),
        99,
      ),
    ),
  );
});
