import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  float64Serde,
  jsonSerde,
  nullable,
  Pipeline,
  stringSerde,
  TestDriver,
  type Table,
} from '../../operators/index.js';

// Table re-aggregation (Table.groupBy + count / reduce / aggregate): videos whose category
// changes and that are deleted, counted and summed per category. Each step pipes one table
// update (null: delete) and lists exactly what each aggregation emitted because of it, in
// Kafka Streams' KTable.groupBy semantics: the old value leaves its old group first, then the
// new value joins its new group; a change within one group is one subtract-then-add and one
// output; a group whose rows all left stays, at 0.

interface Video {
  readonly category: string;
  readonly durationMs: number;
}

const videos = { key: stringSerde, value: nullable(jsonSerde<Video>()) };
const counts = { key: stringSerde, value: float64Serde };

interface Built {
  readonly pipeline: Pipeline;
}

function build(): Built {
  const pipeline = new Pipeline();
  const table: Table<string, Video | null> = pipeline.table('videos', videos, { name: 'videos' });
  const byCategory = table.groupBy(
    (_id, video) => ({ key: video?.category ?? 'none', value: video?.durationMs ?? 0 }),
    { name: 'by-category', serdes: { key: stringSerde, value: float64Serde } },
  );
  byCategory.count({ name: 'videos-per-category' }).toStream().to('count', counts);
  byCategory
    .reduce(
      (sum, ms) => sum + ms,
      (sum, ms) => sum - ms,
      { name: 'ms-per-category' },
    )
    .toStream()
    .to('reduce', counts);
  byCategory
    .aggregate({
      name: 'longest-per-category',
      initializer: () => '',
      adder: (list, ms) => `${list}+${ms}`,
      subtractor: (list, ms) => `${list}-${ms}`,
      serde: stringSerde,
    })
    .toStream()
    .to('aggregate', { key: stringSerde, value: stringSerde });
  return { pipeline };
}

type Row = readonly [string, number | string];
interface Step {
  readonly id: string;
  readonly video: Video | null;
  readonly count: readonly Row[];
  readonly reduce: readonly Row[];
  readonly aggregate: readonly Row[];
}

const steps: readonly Step[] = [
  {
    id: 'v1',
    video: { category: 'music', durationMs: 10 },
    count: [['music', 1]],
    reduce: [['music', 10]],
    aggregate: [['music', '+10']],
  },
  {
    id: 'v2',
    video: { category: 'music', durationMs: 20 },
    count: [['music', 2]],
    reduce: [['music', 30]],
    aggregate: [['music', '+10+20']],
  },
  {
    id: 'v3',
    video: { category: 'news', durationMs: 5 },
    count: [['news', 1]],
    reduce: [['news', 5]],
    aggregate: [['news', '+5']],
  },
  // v1 moves from music to news: it leaves music first, then joins news.
  {
    id: 'v1',
    video: { category: 'news', durationMs: 11 },
    count: [
      ['music', 1],
      ['news', 2],
    ],
    reduce: [
      ['music', 20],
      ['news', 16],
    ],
    aggregate: [
      ['music', '+10+20-10'],
      ['news', '+5+11'],
    ],
  },
  // Within one group: one change, subtract then add, one output.
  {
    id: 'v1',
    video: { category: 'news', durationMs: 12 },
    count: [['news', 2]],
    reduce: [['news', 17]],
    aggregate: [['news', '+5+11-11+12']],
  },
  // A delete: v2 leaves music, which stays at 0.
  {
    id: 'v2',
    video: null,
    count: [['music', 0]],
    reduce: [['music', 0]],
    aggregate: [['music', '+10+20-10-20']],
  },
  // Deleting a row the table does not have changes nothing.
  { id: 'v9', video: null, count: [], reduce: [], aggregate: [] },
  // v2 comes back in another category.
  {
    id: 'v2',
    video: { category: 'sports', durationMs: 7 },
    count: [['sports', 1]],
    reduce: [['sports', 7]],
    aggregate: [['sports', '+7']],
  },
  // music again: its group kept its aggregate (0), so the adder continues from it.
  {
    id: 'v3',
    video: { category: 'music', durationMs: 5 },
    count: [
      ['news', 1],
      ['music', 1],
    ],
    reduce: [
      ['news', 12],
      ['music', 5],
    ],
    aggregate: [
      ['news', '+5+11-11+12-5'],
      ['music', '+10+20-10-20+5'],
    ],
  },
];

test('Table.groupBy: count, reduce and aggregate follow category changes and deletes, step by step', async () => {
  const driver = await TestDriver.start(build().pipeline, { partitions: 1 });
  try {
    const input = driver.input('videos', videos);
    const count = driver.output('count', counts);
    const reduce = driver.output('reduce', counts);
    const aggregate = driver.output('aggregate', { key: stringSerde, value: stringSerde });
    let time = 0;
    for (const step of steps) {
      await input.pipe(step.id, step.video, { timestamp: (time += 10) });
      const what = `${step.id} -> ${JSON.stringify(step.video)}`;
      assert.deepEqual(await count.readKeyValues(), step.count, `count after ${what}`);
      assert.deepEqual(await reduce.readKeyValues(), step.reduce, `reduce after ${what}`);
      assert.deepEqual(await aggregate.readKeyValues(), step.aggregate, `aggregate after ${what}`);
    }
  } finally {
    await driver.close();
  }
});

test('Table.groupBy across partitions: the groups end with the same values, in the store', async () => {
  const driver = await TestDriver.start(build().pipeline, { partitions: 3 });
  try {
    const input = driver.input('videos', videos);
    let time = 0;
    for (const step of steps) {
      await input.pipe(step.id, step.video, { timestamp: (time += 10) });
    }
    const latest = new Map<string, number>();
    for (const [category, n] of await driver.output('count', counts).readKeyValues()) {
      latest.set(category, n);
    }
    assert.deepEqual([...latest].sort(), [
      ['music', 1],
      ['news', 1],
      ['sports', 1],
    ]);
    const store = driver.query({
      name: 'videos-per-category',
      key: stringSerde,
      value: float64Serde,
    });
    assert.equal(await store.get('news'), 1);
    assert.equal(await store.get('music'), 1);
  } finally {
    await driver.close();
  }
});

test('Table.groupBy of an aggregated table re-aggregates its updates', async () => {
  // Plays per video (a key-value aggregation), then videos per play count.
  const text = { key: stringSerde, value: stringSerde };
  const pipeline = new Pipeline();
  pipeline
    .source('plays', text)
    .groupByKey({ name: 'g', serdes: text })
    .count({ name: 'plays-per-video' })
    .groupBy((_video, plays) => ({ key: String(plays), value: 1 }), {
      name: 'by-plays',
      serdes: { key: stringSerde, value: float64Serde },
    })
    .count({ name: 'videos-per-play-count' })
    .toStream()
    .to('out', counts);
  const driver = await TestDriver.start(pipeline, { partitions: 1 });
  try {
    const plays = driver.input('plays', text);
    const out = driver.output('out', counts);
    await plays.pipe('a', 'x');
    assert.deepEqual(await out.readKeyValues(), [['1', 1]]);
    await plays.pipe('b', 'x');
    assert.deepEqual(await out.readKeyValues(), [['1', 2]]);
    await plays.pipe('a', 'x');
    assert.deepEqual(await out.readKeyValues(), [
      ['1', 1],
      ['2', 1],
    ]);
  } finally {
    await driver.close();
  }
});

test('Table.groupBy refuses a table that emits once per commit', () => {
  const text = { key: stringSerde, value: stringSerde };
  const pipeline = new Pipeline();
  const table = pipeline
    .source('plays', text)
    .groupByKey({ name: 'g', serdes: text })
    .count({ name: 'c', emit: 'onCommit' });
  assert.throws(
    () =>
      table.groupBy((k) => ({ key: k, value: 1 }), {
        name: 'again',
        serdes: { key: stringSerde, value: float64Serde },
      }),
    /emit: 'onCommit'/,
  );
});
