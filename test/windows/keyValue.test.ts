import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  bytesSerde,
  deadLetterHeaders,
  float64Serde,
  nullable,
  Pipeline,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';
import { heldHeader } from '../../operators/runtime/task.js';
import { expectKeyValueTable, type Grouped } from './windowTable.js';

// Aggregations without windows: one running aggregate per key, emitted on every update (or,
// with emit 'onCommit', once per commit).
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

test("emit 'onCommit': one update per key and commit, the latest, written and forwarded together", async () => {
  const pipeline = new Pipeline();
  const text = { key: stringSerde, value: stringSerde };
  const counts = pipeline
    .source('in', text)
    .groupByKey({ name: 'g', serdes: text })
    .count({ name: 'counts', emit: 'onCommit' });
  counts.toStream().to('out', { key: stringSerde, value: float64Serde });
  const driver = await TestDriver.start(pipeline);
  try {
    const input = driver.input('in', text);
    const out = driver.output('out', { key: stringSerde, value: float64Serde });
    // One batch is one commit of the test driver: a, b, a, a → a 3, b 1, in the order of each
    // key's last update, stamped with that update's time.
    await input.pipeMany([
      { key: 'a', value: 'x', timestamp: 1 },
      { key: 'b', value: 'x', timestamp: 2 },
      { key: 'a', value: 'x', timestamp: 3 },
      { key: 'a', value: 'x', timestamp: 4 },
    ]);
    const first = await out.readRecords();
    assert.deepEqual(
      first.map((r) => [r.key, r.value, r.timestamp]),
      [
        ['b', 1, 2],
        ['a', 3, 4],
      ],
    );
    const stored = driver.query({ name: 'counts', key: stringSerde, value: float64Serde });
    assert.equal(await stored.get('a'), 3);
    // The next commit goes on from the written state.
    await input.pipeMany([{ key: 'a', value: 'x', timestamp: 5 }]);
    assert.deepEqual(await out.readKeyValues(), [['a', 4]]);
  } finally {
    await driver.close();
  }
});

test("emit 'onCommit': an update whose downstream fails is dead-lettered; the others go through", async () => {
  const pipeline = new Pipeline();
  const text = { key: stringSerde, value: stringSerde };
  pipeline
    .source('in', text)
    .groupByKey({ name: 'g', serdes: text })
    .count({ name: 'counts', emit: 'onCommit' })
    .toStream()
    .mapValues((count, record) => {
      if (record.key === 'bad') {
        throw new RangeError(`no count for ${record.key}`);
      }
      return count;
    })
    .to('out', { key: stringSerde, value: float64Serde });
  const driver = await TestDriver.start(pipeline, { applicationId: 'job' });
  try {
    await driver.input('in', text).pipeMany([
      { key: 'a', value: 'x', timestamp: 1 },
      { key: 'bad', value: 'x', timestamp: 2 },
      { key: 'c', value: 'x', timestamp: 3 },
    ]);
    assert.deepEqual(
      await driver.output('out', { key: stringSerde, value: float64Serde }).readKeyValues(),
      [
        ['a', 1],
        ['c', 1],
      ],
    );
    const letters = await driver
      .output(driver.deadLetterTopic, { key: stringSerde, value: nullable(bytesSerde) })
      .readRecords();
    assert.deepEqual(
      letters.map((r) => [r.key, r.headers[deadLetterHeaders.errorClass], r.headers[heldHeader]]),
      [['bad', 'RangeError', 'counts (last input in-0@1)']],
    );
  } finally {
    await driver.close();
  }
});
