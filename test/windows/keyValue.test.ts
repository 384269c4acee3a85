import { test } from 'node:test';

import { float64Serde, stringSerde } from '../../operators/index.js';
import { expectKeyValueTable, type Grouped } from './windowTable.js';

// Aggregations without windows: one running aggregate per key, emitted on every update.
// Rows: in [key, value, timestamp]; out [key, aggregate].

test('count: one running count per key; time order does not matter', async () => {
  const counts = {
    build: (grouped: Grouped) => grouped.count({ name: 'counts' }),
    valueSerde: float64Serde,
  };
  await expectKeyValueTable(counts, [
    { in: ['a', 'v1', 5], out: [['a', 1]], at: [5] },
    { in: ['b', 'v2', 3], out: [['b', 1]] },
    // Out of order: no window, nothing is late. The output has the record's timestamp
    // (Kafka Streams: 5, the highest timestamp the aggregate has seen).
    { in: ['a', 'v3', 1], out: [['a', 2]], at: [1] },
    { in: ['a', 'v4', 9], out: [['a', 3]], at: [9] },
  ]);
});

test('reduce: the first value starts the aggregate', async () => {
  const joined = {
    build: (grouped: Grouped) => grouped.reduce((left, right) => left + right, { name: 'joined' }),
    valueSerde: stringSerde,
  };
  await expectKeyValueTable(joined, [
    { in: ['a', 'x', 1], out: [['a', 'x']] },
    { in: ['a', 'y', 2], out: [['a', 'xy']] },
    { in: ['b', 'z', 3], out: [['b', 'z']] },
    { in: ['a', 'w', 0], out: [['a', 'xyw']] }, // arrival order, not timestamp order
  ]);
});

test('reduce: an update that leaves the aggregate unchanged is still emitted', async () => {
  const latest = {
    build: (grouped: Grouped) =>
      grouped.reduce((left, right) => (right > left ? right : left), { name: 'max' }),
    valueSerde: stringSerde,
  };
  // Kafka Streams' record cache would usually forward one of these per commit.
  await expectKeyValueTable(latest, [
    { in: ['a', 'm', 1], out: [['a', 'm']] },
    { in: ['a', 'c', 2], out: [['a', 'm']] },
    { in: ['a', 'q', 3], out: [['a', 'q']] },
  ]);
});

test('aggregate: the initializer starts each key, the adder folds values in', async () => {
  const lengths = {
    build: (grouped: Grouped) =>
      grouped.aggregate({
        name: 'lengths',
        initializer: () => 100,
        adder: (sum, value) => sum + value.length,
        serde: float64Serde,
      }),
    valueSerde: float64Serde,
  };
  await expectKeyValueTable(lengths, [
    { in: ['a', 'xx', 1], out: [['a', 102]] },
    { in: ['b', 'xyz', 2], out: [['b', 103]] },
    { in: ['a', 'x', 3], out: [['a', 103]] },
  ]);
});
