import { test } from 'node:test';

import { slidingWindows, stringSerde } from '../../operators/index.js';
import { countsIn, expectWindowTable, type Grouped } from './windowTable.js';

// Sliding windows with a time difference of 10 ms: windows [start, start + 10], both ends
// inclusive, that exist where records are. A record at t has a left window [t - 10, t] and, once
// a record falls in it, a right window [t + 1, t + 11]. Grace 5: a window closes when stream
// time passes end + 5. Rows: in [key, value, timestamp]; out [key, start, end, aggregate];
// late [key, start, end, value].
const windows = slidingWindows({ timeDifferenceMs: 10, graceMs: 5 });

test('sliding: left windows, and right windows created when a later record falls in them', async () => {
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 20], out: [['a', 10, 20, 1]] },
    {
      in: ['a', 'v2', 25],
      out: [
        ['a', 15, 25, 2], // 25's left window: 20 and 25
        ['a', 21, 31, 1], // 20's right window, created by 25
      ],
    },
    {
      in: ['a', 'v3', 28],
      out: [
        ['a', 18, 28, 3], // 28's left window: 20, 25, 28
        ['a', 21, 31, 2], // 20's right window now holds 25 and 28
        ['a', 26, 36, 1], // 25's right window, created by 28
      ],
    },
    // 28's right window [29, 39] stays empty, so it is not created.
    { in: ['a', 'v4', 40], out: [['a', 30, 40, 1]] },
    { in: ['b', 'v5', 40], out: [['b', 30, 40, 1]] },
  ]);
});

test('sliding: out of order within grace; a record whose own window closed still joins the open windows', async () => {
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 10], out: [['a', 0, 10, 1]] },
    {
      in: ['a', 'v2', 20],
      out: [
        ['a', 10, 20, 2],
        ['a', 11, 21, 1],
      ],
    },
    {
      in: ['a', 'v3', 30], // stream time 30 closes the windows that end before 25
      out: [
        ['a', 20, 30, 2],
        ['a', 21, 31, 1],
      ],
    },
    {
      in: ['a', 'v4', 26], // its left window [16, 26] ends at 26 >= 30 - 5: open
      out: [
        ['a', 16, 26, 2],
        ['a', 20, 30, 3],
        ['a', 21, 31, 2],
        ['a', 27, 37, 1], // 26's right window, holding 30
      ],
    },
    {
      // Its left window [14, 24] closed (24 < 25) and goes to the late output, but the open
      // windows that contain 24 take it, as in Kafka Streams.
      in: ['a', 'v5', 24],
      out: [
        ['a', 16, 26, 3],
        ['a', 20, 30, 4],
        ['a', 21, 31, 3],
        ['a', 25, 35, 2],
      ],
      late: [['a', 14, 24, 'v5']],
    },
    // Every window that could hold 13 ends by 23 < 25: late, and in no window.
    { in: ['a', 'v6', 13], out: [], late: [['a', 3, 13, 'v6']] },
    { in: ['a', 'v7', 45], out: [['a', 35, 45, 1]] },
  ]);
});

test('sliding: emit close forwards each window once, when stream time passes end + grace', async () => {
  await expectWindowTable(countsIn(windows, 'close'), [
    { in: ['a', 'v1', 10], out: [] },
    { in: ['a', 'v2', 15], out: [] },
    { in: ['b', 'v3', 12], out: [] },
    { in: ['a', 'v4', 16], out: [['a', 0, 10, 1]], at: [16] }, // 10 + 5 < 16
    {
      in: ['a', 'v5', 30], // closes the windows that end before 25, oldest end first
      out: [
        ['b', 2, 12, 1],
        ['a', 5, 15, 2],
        ['a', 6, 16, 3],
        ['a', 11, 21, 2],
      ],
    },
    { in: ['a', 'v6', 14], out: [], late: [['a', 4, 14, 'v6']] },
    { in: ['a', 'v7', 32], out: [['a', 16, 26, 1]] }, // 15's right window, holding 16
  ]);
});

test('sliding: records before the time difference have windows that start before the epoch', async () => {
  // Kafka Streams puts such records in one window [0, 10] instead.
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 3], out: [['a', -7, 3, 1]] },
    {
      in: ['a', 'v2', 8],
      out: [
        ['a', -2, 8, 2],
        ['a', 4, 14, 1],
      ],
    },
  ]);
});

test('sliding: reduce folds each window in timestamp order, recomputed from the buffered values', async () => {
  const concat = {
    build: (grouped: Grouped) =>
      grouped
        .windowedBy(slidingWindows({ timeDifferenceMs: 10, graceMs: 10 }))
        .reduce((left, right) => left + right, { name: 'joined' }),
    valueSerde: stringSerde,
  };
  await expectWindowTable(concat, [
    { in: ['a', 'x', 20], out: [['a', 10, 20, 'x']] },
    {
      in: ['a', 'y', 15],
      out: [
        ['a', 5, 15, 'y'],
        ['a', 10, 20, 'yx'], // 15 before 20 (Kafka Streams folds in arrival order: 'xy')
        ['a', 16, 26, 'x'], // 15's right window
      ],
    },
    {
      in: ['a', 'z', 20], // same timestamp: after the earlier arrival
      out: [
        ['a', 10, 20, 'yxz'],
        ['a', 16, 26, 'xz'],
      ],
    },
  ]);
});

test('sliding: a window whose aggregate did not change is not forwarded again', async () => {
  const highest = {
    build: (grouped: Grouped) =>
      grouped
        .windowedBy(slidingWindows({ timeDifferenceMs: 10, graceMs: 10 }))
        .reduce((left, right) => (right > left ? right : left), { name: 'max' }),
    valueSerde: stringSerde,
  };
  await expectWindowTable(highest, [
    { in: ['a', 'm', 20], out: [['a', 10, 20, 'm']] },
    {
      // [10, 20] now holds 'c' too, but its max is still 'm': not forwarded (Kafka Streams
      // forwards [10, 20] = 'm' again).
      in: ['a', 'c', 18],
      out: [
        ['a', 8, 18, 'c'],
        ['a', 19, 29, 'm'],
      ],
    },
  ]);
});
