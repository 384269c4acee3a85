import { test } from 'node:test';

import { tumblingWindows } from '../../operators/index.js';
import { countsIn, expectWindowTable } from './windowTable.js';

// Tumbling windows of 10 ms, [start, start + 10), aligned to the epoch. Each step: the input
// [key, value, timestamp], then what the aggregation emitted because of it, as
// [key, windowStart, windowEnd, count], and the late output, as [key, start, end, value].

test('tumbling: in order, several keys, every update emitted', async () => {
  await expectWindowTable(countsIn(tumblingWindows({ sizeMs: 10, graceMs: 5 })), [
    { in: ['a', 'v1', 1], out: [['a', 0, 10, 1]] },
    { in: ['b', 'v2', 3], out: [['b', 0, 10, 1]] },
    { in: ['a', 'v3', 9], out: [['a', 0, 10, 2]] },
    { in: ['a', 'v4', 10], out: [['a', 10, 20, 1]] }, // the end is exclusive
    { in: ['b', 'v5', 19], out: [['b', 10, 20, 1]] },
    { in: ['a', 'v6', 25], out: [['a', 20, 30, 1]] }, // closing [10, 20) emits nothing extra
  ]);
});

test('tumbling: out of order within grace is counted; after end + grace it goes to the late output', async () => {
  // A window closes when stream time (the highest timestamp seen, over all keys) reaches
  // end + grace: [0, 10) at 15, [10, 20) at 25.
  await expectWindowTable(countsIn(tumblingWindows({ sizeMs: 10, graceMs: 5 })), [
    { in: ['a', 'v1', 12], out: [['a', 10, 20, 1]], at: [12] },
    { in: ['a', 'v2', 4], out: [['a', 0, 10, 1]], at: [4] }, // stream time 12 < 15
    { in: ['a', 'v3', 14], out: [['a', 10, 20, 2]] },
    { in: ['a', 'v4', 8], out: [['a', 0, 10, 2]] }, // stream time 14: the last moment for [0, 10)
    { in: ['a', 'v5', 15], out: [['a', 10, 20, 3]] }, // stream time 15 closes [0, 10)
    { in: ['a', 'v6', 9], out: [], late: [['a', 0, 10, 'v6']] },
    { in: ['b', 'v7', 2], out: [], late: [['b', 0, 10, 'v7']] }, // stream time is per task, not per key
    // Out of order but its window is open. The output carries the record's own timestamp
    // (Kafka Streams: 15, the highest timestamp in the window).
    { in: ['a', 'v8', 10], out: [['a', 10, 20, 4]], at: [10] },
  ]);
});

test('tumbling: emit close forwards each window once, when stream time reaches end + grace', async () => {
  await expectWindowTable(countsIn(tumblingWindows({ sizeMs: 10, graceMs: 5 }), 'close'), [
    { in: ['a', 'v1', 1], out: [] },
    { in: ['b', 'v2', 5], out: [] },
    { in: ['a', 'v3', 12], out: [] },
    { in: ['a', 'v4', 7], out: [] }, // out of order, within grace: in the final count of [0, 10)
    { in: ['b', 'v5', 14], out: [] },
    {
      in: ['a', 'v6', 15], // stream time 15 = 10 + 5: [0, 10) closes for every key
      out: [
        ['a', 0, 10, 2],
        ['b', 0, 10, 1],
      ],
      at: [15, 15], // the time it closed (Kafka Streams: each window's highest timestamp, 7 and 5)
    },
    { in: ['a', 'v7', 3], out: [], late: [['a', 0, 10, 'v7']] },
    { in: ['c', 'v8', 24], out: [] },
    {
      in: ['c', 'v9', 25],
      out: [
        ['a', 10, 20, 2],
        ['b', 10, 20, 1],
      ],
      at: [25, 25],
    },
  ]);
});

test('tumbling: with no grace a window closes as soon as stream time reaches its end', async () => {
  await expectWindowTable(countsIn(tumblingWindows({ sizeMs: 10 }), 'close'), [
    { in: ['a', 'v1', 9], out: [] },
    { in: ['a', 'v2', 10], out: [['a', 0, 10, 1]] },
    { in: ['a', 'v3', 9], out: [], late: [['a', 0, 10, 'v3']] },
    { in: ['a', 'v4', 19], out: [] },
    { in: ['a', 'v5', 20], out: [['a', 10, 20, 2]] },
  ]);
});

test('tumbling: stream time is kept per task, so a busy partition does not close a quiet one', async () => {
  // Two partitions: key 'a' is in partition 0, key 'd' in partition 1.
  await expectWindowTable(
    countsIn(tumblingWindows({ sizeMs: 10 }), 'close'),
    [
      { in: ['a', 'v1', 5], out: [] },
      { in: ['d', 'v2', 25], out: [] }, // partition 1 is at 25, partition 0 still at 5
      { in: ['a', 'v3', 9], out: [] }, // not late: [0, 10) of partition 0 is open
      { in: ['a', 'v4', 10], out: [['a', 0, 10, 2]] },
      { in: ['d', 'v5', 3], out: [], late: [['d', 0, 10, 'v5']] },
    ],
    { partitions: 2 },
  );
});
