import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  deadLetterHeaders,
  nullable,
  Pipeline,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';

// What a join does with records it can never take part in (docs/framework.md, "Null keys and
// values in joins"): as Kafka Streams 4.4 for nulls, and never a silent drop.

/** Keys and values may be null on the wire (an absent key, a tombstone). */
const maybe = { key: nullable(stringSerde), value: nullable(stringSerde) };
const text = { key: stringSerde, value: stringSerde };
const joinedOut = { key: nullable(stringSerde), value: stringSerde };

async function tableJoin(
  kind: 'join' | 'leftJoin',
  steps: (pipe: {
    table: (key: string, value: string) => Promise<void>;
    stream: (key: string | null, value: string | null) => Promise<void>;
  }) => Promise<void>,
): Promise<{ out: [string | null, string][]; skipped: number }> {
  const pipeline = new Pipeline();
  const table = pipeline.table('t', maybe, { name: 't' });
  const stream = pipeline.source('s', maybe);
  const joiner = (v: string | null, t: string | null | undefined): string =>
    `${String(v)}|${t === undefined ? 'undefined' : String(t)}`;
  (kind === 'join'
    ? stream.join(table, joiner, { name: 'j' })
    : stream.leftJoin(table, joiner, { name: 'j' })
  ).to('out', joinedOut);
  const driver = await TestDriver.start(pipeline);
  try {
    const t = driver.input('t', maybe);
    const s = driver.input('s', maybe);
    let time = 0;
    await steps({
      table: (key, value) => t.pipe(key, value, { timestamp: (time += 1) }),
      stream: (key, value) => s.pipe(key, value, { timestamp: (time += 1) }),
    });
    return {
      out: await driver.output('out', joinedOut).readKeyValues(),
      skipped: driver.counter('skippedRecords'),
    };
  } finally {
    await driver.close();
  }
}

test('stream-table join: a stream record with a null value is dropped and counted, as in Kafka Streams', async () => {
  for (const kind of ['join', 'leftJoin'] as const) {
    const result = await tableJoin(kind, async ({ table, stream }) => {
      await table('a', 't6');
      await stream('a', null);
      await stream('a', 'v');
    });
    // Before: the joiner was called with null ("null|t6").
    assert.deepEqual(result.out, [['a', 'v|t6']], kind);
    assert.equal(result.skipped, 1, kind);
  }
});

test('stream-table left join: a null key joins with no table value (Kafka Streams 4.4, KIP-962)', async () => {
  const result = await tableJoin('leftJoin', async ({ table, stream }) => {
    await table('a', 't6');
    await stream(null, 'v');
  });
  // Before: skipped.
  assert.deepEqual(result.out, [[null, 'v|undefined']]);
  assert.equal(result.skipped, 0);
});

test('stream-table inner join: a null key joins nothing and is counted', async () => {
  const result = await tableJoin('join', async ({ table, stream }) => {
    await table('a', 't6');
    await stream(null, 'v');
  });
  assert.deepEqual(result.out, []);
  assert.equal(result.skipped, 1);
});

function windowedJoin(): Pipeline {
  const pipeline = new Pipeline();
  const right = pipeline.source('right', text);
  const joined = pipeline.source('left', text).joinWindowed(right, (l, r) => `${l}+${r}`, {
    name: 'pairs',
    beforeMs: 5,
    afterMs: 5,
    graceMs: 10,
    serdes: { key: stringSerde, value: stringSerde, otherValue: stringSerde },
  });
  joined.to('out', text);
  joined.lateRecords().to('late-left', text);
  joined.lateOtherRecords().to('late-right', text);
  return pipeline;
}

test('windowed join: a record too late to join anything goes to its side’s late output, counted', async () => {
  const driver = await TestDriver.start(windowedJoin());
  try {
    const left = driver.input('left', text);
    const right = driver.input('right', text);
    await left.pipe('k', 'a', { timestamp: 100 });
    await right.pipe('k', 'x', { timestamp: 84 }); // window [79, 89] ended 11 ms ago: late
    await left.pipe('k', 'b', { timestamp: 85 }); // window [80, 90] ended 10 ms ago: on time
    await left.pipe('k', 'c', { timestamp: 84 }); // late
    assert.deepEqual(await driver.output('out', text).readKeyValues(), []);
    assert.deepEqual(await driver.output('late-left', text).readKeyValues(), [['k', 'c']]);
    assert.deepEqual(await driver.output('late-right', text).readKeyValues(), [['k', 'x']]);
    assert.equal(driver.counter('lateRecords'), 2);
  } finally {
    await driver.close();
  }
});

test('windowed join: a record with a negative timestamp is dead-lettered with the reason, counted', async () => {
  const pipeline = new Pipeline();
  const right = pipeline.source('right', text);
  pipeline
    .source('left', text)
    .map((r) => r.withTimestamp(-5))
    .repartition({ name: 'left-again', serdes: text })
    .joinWindowed(right, (l, r) => `${l}+${r}`, {
      name: 'pairs',
      beforeMs: 5,
      afterMs: 5,
      serdes: { key: stringSerde, value: stringSerde, otherValue: stringSerde },
    })
    .to('out', text);
  const driver = await TestDriver.start(pipeline);
  try {
    await driver.input('right', text).pipe('k', 'x', { timestamp: 0 });
    await driver.input('left', text).pipe('k', 'a', { timestamp: 1 });
    assert.deepEqual(await driver.output('out', text).readKeyValues(), []);
    const letters = driver.drain(driver.deadLetterTopic);
    assert.equal(letters.length, 1);
    assert.match(
      String(letters[0]?.headers[deadLetterHeaders.errorMessage]),
      /join pairs: record timestamp -5 is not a whole number/,
    );
    assert.equal(driver.counter('invalidTimestampRecords'), 1);
  } finally {
    await driver.close();
  }
});

test('global-table join: a null value is dropped and a null lookup key skipped, both counted; a left join still joins a null lookup key', async () => {
  for (const kind of ['joinGlobal', 'leftJoinGlobal'] as const) {
    const pipeline = new Pipeline();
    const titles = pipeline.globalTable('titles', text, { name: 'titles' });
    const stream = pipeline.source('s', maybe);
    const options = {
      name: 'g',
      key: (r: { key: string | null; value: string | null }) => (r.key === 'c' ? null : r.value),
    };
    const joiner = (v: string | null, t: string | undefined): string =>
      `${String(v)}|${t ?? 'undefined'}`;
    (kind === 'joinGlobal'
      ? stream.joinGlobal(titles, joiner, options)
      : stream.leftJoinGlobal(titles, joiner, options)
    ).to('out', joinedOut);
    const driver = await TestDriver.start(pipeline);
    try {
      await driver.input('titles', text).pipe('v', 'title');
      const s = driver.input('s', maybe);
      await s.pipe('a', null); // null value: before, the joiner was called with null
      await s.pipe('c', 'x'); // no lookup key: an inner join skips it, a left join joins it
      await s.pipe('b', 'v');
      const inner = kind === 'joinGlobal';
      assert.deepEqual(
        await driver.output('out', joinedOut).readKeyValues(),
        inner
          ? [['b', 'v|title']]
          : [
              ['c', 'x|undefined'],
              ['b', 'v|title'],
            ],
        kind,
      );
      assert.equal(driver.counter('skippedRecords'), inner ? 2 : 1, kind);
    } finally {
      await driver.close();
    }
  }
});
