import assert from 'node:assert/strict';
import { test } from 'node:test';

import { float64Serde, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';

const text = { key: stringSerde, value: stringSerde };

test('the test driver answers point lookups and range pages over every task, as a job does', async () => {
  const pipeline = new Pipeline();
  const counts = pipeline
    .source('views', text)
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'view-counts' });
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  await driver
    .input('views', text)
    .pipeMany(['b', 'a', 'c', 'a', 'd', 'a', 'b'].map((key) => ({ key, value: 'view' })));
  const query = driver.query({ name: counts.storeName, key: stringSerde, value: float64Serde });
  assert.equal(await query.get('a'), 3);
  assert.equal(await query.get('z'), undefined);
  assert.deepEqual(await query.range(), [
    ['a', 3],
    ['b', 2],
    ['c', 1],
    ['d', 1],
  ]);
  assert.deepEqual(await query.range({ from: 'b', limit: 2 }), [
    ['b', 2],
    ['c', 1],
  ]);
  // Pages of two, followed by their cursor, visit each key once.
  const first = await query.rangePage({ limit: 2 });
  assert.deepEqual(first.entries, [
    ['a', 3],
    ['b', 2],
  ]);
  const second = await query.rangePage({ limit: 2, after: first.next ?? '' });
  assert.deepEqual(second, {
    entries: [
      ['c', 1],
      ['d', 1],
    ],
    next: undefined,
  });
  const paged: string[] = [];
  for await (const [key] of query.entries({ pageSize: 1 })) {
    paged.push(key);
  }
  assert.deepEqual(paged, ['a', 'b', 'c', 'd']);
  const tasks = new Set(
    await Promise.all(['a', 'b', 'c', 'd'].map(async (k) => (await query.locate(k)).taskId)),
  );
  assert.ok(tasks.size > 1, 'the keys live in several tasks');
  await driver.close();
});
