import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline, sessionWindows, stringSerde } from '../../operators/index.js';
import { countsIn, expectWindowTable, type Grouped } from './windowTable.js';

// Session windows with an inactivity gap of 5 ms: [first, last] (both inclusive) per key; a
// record within 5 ms of a session extends it, and one that bridges two sessions merges them.
// A replaced session is retracted with a null value before the merged one is emitted. A session
// closes when stream time passes end + gap + grace. Rows: in [key, value, timestamp]; out
// [key, start, end, aggregate]; late [key, start, end, value].
const windows = sessionWindows({ inactivityGapMs: 5, graceMs: 2 });

test('session: records within the gap extend a session; a bridging record merges two', async () => {
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 10], out: [['a', 10, 10, 1]] },
    {
      in: ['a', 'v2', 13],
      out: [
        ['a', 10, 10, null],
        ['a', 10, 13, 2],
      ],
    },
    { in: ['b', 'v3', 14], out: [['b', 14, 14, 1]] },
    {
      in: ['a', 'v4', 18], // exactly the gap after 13: still the same session
      out: [
        ['a', 10, 13, null],
        ['a', 10, 18, 3],
      ],
    },
    { in: ['a', 'v5', 24], out: [['a', 24, 24, 1]] }, // 6 after 18: a new session
    {
      in: ['a', 'v6', 21], // within the gap of both: they merge
      out: [
        ['a', 10, 18, null],
        ['a', 24, 24, null],
        ['a', 10, 24, 5],
      ],
    },
    // Inside a session: its bounds do not change, so nothing is retracted (Kafka Streams
    // retracts [10, 24] and emits it again).
    { in: ['a', 'v7', 15], out: [['a', 10, 24, 6]] },
  ]);
});

test("session: another key's records do not close a session that can still grow", async () => {
  await expectWindowTable(countsIn(sessionWindows({ inactivityGapMs: 5 }), 'close'), [
    { in: ['a', 'v1', 10], out: [] },
    { in: ['b', 'v2', 14], out: [] }, // [10, 10] of a may still grow until 15
    { in: ['a', 'v3', 14], out: [] }, // in order for a: [10, 14]
    { in: ['b', 'v4', 19], out: [] },
    { in: ['b', 'v5', 20], out: [['a', 10, 14, 2]] }, // 14 + 5 < 20
  ]);
});

test('session: lateness is decided on the session a record ends up in', async () => {
  // Stream time 30 closes sessions that end before 30 - 5 - 2 = 23.
  await expectWindowTable(countsIn(windows), [
    { in: ['a', 'v1', 10], out: [['a', 10, 10, 1]] },
    { in: ['b', 'v2', 30], out: [['b', 30, 30, 1]] },
    { in: ['a', 'v3', 24], out: [['a', 24, 24, 1]] }, // 6 out of order, but [24, 24] is open
    {
      in: ['a', 'v4', 22], // alone it would be late; it joins the open [24, 24]
      out: [
        ['a', 24, 24, null],
        ['a', 22, 24, 2],
      ],
    },
    {
      in: ['a', 'v5', 20],
      out: [
        ['a', 22, 24, null],
        ['a', 20, 24, 3],
      ],
    },
    { in: ['a', 'v6', 12], out: [], late: [['a', 12, 12, 'v6']] }, // [10, 10] is closed
    { in: ['b', 'v7', 22], out: [], late: [['b', 22, 22, 'v7']] }, // 22 + 7 < 30
    { in: ['b', 'v8', 23], out: [['b', 23, 23, 1]] }, // 23 + 7 = 30: the last moment
  ]);
});

test('session: emit close forwards each session once, after end + gap + grace', async () => {
  await expectWindowTable(countsIn(windows, 'close'), [
    { in: ['a', 'v1', 10], out: [] },
    { in: ['a', 'v2', 13], out: [] },
    { in: ['b', 'v3', 15], out: [] },
    { in: ['a', 'v4', 19], out: [] }, // 6 after 13: a second session of a
    { in: ['b', 'v5', 20], out: [] }, // b: [15, 20]
    { in: ['c', 'v6', 21], out: [['a', 10, 13, 2]], at: [21] }, // 13 + 7 < 21
    // Within the gap of [10, 13], which is closed and forwarded already: 16 joins [19, 19]
    // only (Kafka Streams merges it into the closed session and later forwards [10, 19] too).
    { in: ['a', 'v7', 16], out: [] },
    {
      in: ['a', 'v8', 30], // closes the sessions that end before 23, oldest end first
      out: [
        ['a', 16, 19, 2],
        ['b', 15, 20, 2],
        ['c', 21, 21, 1],
      ],
      at: [30, 30, 30], // the time they closed (Kafka Streams: each session's end)
    },
    { in: ['a', 'v9', 9], out: [], late: [['a', 9, 9, 'v9']] },
  ]);
});

test('session: reduce combines merged sessions with the reducer, oldest first', async () => {
  const joined = {
    build: (grouped: Grouped) =>
      grouped
        .windowedBy(sessionWindows({ inactivityGapMs: 5, graceMs: 10 }))
        .reduce((left, right) => left + right, { name: 'joined' }),
    valueSerde: stringSerde,
  };
  await expectWindowTable(joined, [
    { in: ['a', 'x', 10], out: [['a', 10, 10, 'x']] },
    { in: ['a', 'y', 20], out: [['a', 20, 20, 'y']] },
    {
      in: ['a', 'z', 15],
      out: [
        ['a', 10, 10, null],
        ['a', 20, 20, null],
        ['a', 10, 20, 'xyz'], // merge('x', 'y'), then add 'z'
      ],
    },
    { in: ['a', 'w', 12], out: [['a', 10, 20, 'xyzw']] },
  ]);
});

test('session: aggregate combines merged sessions with the merger', async () => {
  const tagged = {
    build: (grouped: Grouped) =>
      grouped.windowedBy(sessionWindows({ inactivityGapMs: 5, graceMs: 10 })).aggregate({
        name: 'tagged',
        initializer: () => '',
        adder: (aggregate, value) => aggregate + value,
        merger: (left, right) => `${left}+${right}`,
        serde: stringSerde,
      }),
    valueSerde: stringSerde,
  };
  await expectWindowTable(tagged, [
    { in: ['a', 'p', 1], out: [['a', 1, 1, 'p']] },
    { in: ['a', 'q', 10], out: [['a', 10, 10, 'q']] },
    { in: ['b', 's', 6], out: [['b', 6, 6, 's']] },
    {
      in: ['a', 'r', 6],
      out: [
        ['a', 1, 1, null],
        ['a', 10, 10, null],
        // merger('p', 'q'), then the adder. Kafka Streams starts from the initializer:
        // merger(merger('', 'p'), 'q') = '+p+q', then 'r'.
        ['a', 1, 10, 'p+qr'],
      ],
    },
    { in: ['a', 't', 30], out: [['a', 30, 30, 't']] },
  ]);
});

test('session: aggregate without a merger is refused when the pipeline is built', () => {
  const grouped = new Pipeline()
    .source('in', { key: stringSerde, value: stringSerde })
    .groupByKey({ name: 'g', serdes: { key: stringSerde, value: stringSerde } });
  assert.throws(
    () =>
      grouped.windowedBy(sessionWindows({ inactivityGapMs: 5 })).aggregate({
        name: 'no-merger',
        initializer: () => '',
        adder: (aggregate, value) => aggregate + value,
        serde: stringSerde,
      }),
    /need a merger/,
  );
});
