import { test } from 'node:test';

import { hoppingWindows } from '../../operators/index.js';
import { countsIn, expectWindowTable } from './windowTable.js';

// Hopping windows of 10 ms every 5 ms: [0, 10), [5, 15), [10, 20), ...; a record at t is in the
// windows whose start is a multiple of 5 in (t - 10, t]. Grace 2: [s, s + 10) closes when
// stream time reaches s + 12. Rows: in [key, value, timestamp]; out [key, start, end, count];
// late [key, start, end, value].
const windows = hoppingWindows({ sizeMs: 10, advanceMs: 5, graceMs: 2 });

test('hopping: each record updates every window it is in, oldest first', async () => {
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 1], out: [['a', 0, 10, 1]] }, // [-5, 5) would start before the epoch: none
    {
      in: ['a', 'v2', 6],
      out: [
        ['a', 0, 10, 2],
        ['a', 5, 15, 1],
      ],
    },
    {
      in: ['a', 'v3', 10],
      out: [
        ['a', 5, 15, 2],
        ['a', 10, 20, 1],
      ],
    },
    {
      in: ['b', 'v4', 11],
      out: [
        ['b', 5, 15, 1],
        ['b', 10, 20, 1],
      ],
    },
  ]);
});

test('hopping: a record can be late for one window and on time for the next', async () => {
  await expectWindowTable(countsIn(windows), [
    {
      in: ['a', 'v1', 6],
      out: [
        ['a', 0, 10, 1],
        ['a', 5, 15, 1],
      ],
    },
    {
      in: ['a', 'v2', 11],
      out: [
        ['a', 5, 15, 2],
        ['a', 10, 20, 1],
      ],
    },
    // Stream time 11 < 12: [0, 10) is still open.
    {
      in: ['a', 'v3', 9],
      out: [
        ['a', 0, 10, 2],
        ['a', 5, 15, 3],
      ],
    },
    // Stream time 12 closes [0, 10).
    {
      in: ['a', 'v4', 12],
      out: [
        ['a', 5, 15, 4],
        ['a', 10, 20, 2],
      ],
    },
    { in: ['a', 'v5', 8], out: [['a', 5, 15, 5]], late: [['a', 0, 10, 'v5']] },
    // Stream time 17 closes [5, 15).
    {
      in: ['a', 'v6', 17],
      out: [
        ['a', 10, 20, 3],
        ['a', 15, 25, 1],
      ],
    },
    { in: ['a', 'v7', 14], out: [['a', 10, 20, 4]], late: [['a', 5, 15, 'v7']] },
    // Late for both of its windows: one late output per window, each counted.
    {
      in: ['b', 'v8', 9],
      out: [],
      late: [
        ['b', 0, 10, 'v8'],
        ['b', 5, 15, 'v8'],
      ],
    },
    // Near the epoch a record is in one window only, so it is late once.
    { in: ['a', 'v9', 3], out: [], late: [['a', 0, 10, 'v9']] },
  ]);
});

test('hopping: emit close forwards each window once, oldest window first, then by key', async () => {
  await expectWindowTable(countsIn(windows, 'close'), [
    { in: ['a', 'v1', 1], out: [] },
    { in: ['a', 'v2', 6], out: [] },
    { in: ['b', 'v3', 7], out: [] },
    { in: ['a', 'v4', 11], out: [] },
    {
      in: ['a', 'v5', 12],
      out: [
        ['a', 0, 10, 2],
        ['b', 0, 10, 1],
      ],
    },
    { in: ['b', 'v6', 16], out: [] },
    {
      in: ['a', 'v7', 17],
      out: [
        ['a', 5, 15, 3],
        ['b', 5, 15, 1],
      ],
    },
    {
      in: ['a', 'v8', 9],
      out: [],
      late: [
        ['a', 0, 10, 'v8'],
        ['a', 5, 15, 'v8'],
      ],
    },
    {
      in: ['a', 'v9', 30], // closes every window that starts at 18 or before
      out: [
        ['a', 10, 20, 3],
        ['b', 10, 20, 1],
        ['a', 15, 25, 1],
        ['b', 15, 25, 1],
      ],
    },
  ]);
});
