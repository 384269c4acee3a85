import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  float64Serde,
  nullable,
  Pipeline,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';
import { expectJoinTable, text } from './joinTable.js';

// Stream–table joins. Rows: in [topic, key, value, timestamp] (null value: tombstone);
// out [key, value, timestamp] written to `out` because of that input.

function profilesPipeline(kind: 'join' | 'leftJoin'): Pipeline {
  const pipeline = new Pipeline();
  const profiles = pipeline.table('profiles', text, { name: 'profiles' });
  const clicks = pipeline.source('clicks', text);
  const joined =
    kind === 'join'
      ? clicks.join(profiles, (click, profile) => `${click}/${profile}`, { name: 'enrich' })
      : clicks.leftJoin(profiles, (click, profile) => `${click}/${profile ?? 'none'}`, {
          name: 'enrich',
        });
  joined.to('out', text);
  return pipeline;
}

test('join: a stream record gets its key’s current table value; missing keys and tombstones give nothing', async () => {
  await expectJoinTable({
    pipeline: profilesPipeline('join'),
    steps: [
      { in: ['clicks', 'u1', 'c1', 10], out: [] }, // no profile yet
      { in: ['profiles', 'u1', 'p1', 5], out: [] }, // table updates never emit
      { in: ['clicks', 'u1', 'c2', 11], out: [['u1', 'c2/p1', 11]] },
      { in: ['clicks', 'u2', 'c3', 12], out: [] }, // another key
      { in: ['profiles', 'u1', 'p1b', 20], out: [] },
      { in: ['clicks', 'u1', 'c4', 13], out: [['u1', 'c4/p1b', 13]] }, // latest value, stream time
      { in: ['profiles', 'u1', null, 30], out: [] }, // tombstone deletes
      { in: ['clicks', 'u1', 'c5', 31], out: [] },
      { in: ['profiles', 'u1', 'p1c', 40], out: [] },
      { in: ['clicks', 'u1', 'c6', 41], out: [['u1', 'c6/p1c', 41]] },
    ],
  });
});

test('leftJoin: a key the table lacks joins with undefined', async () => {
  await expectJoinTable({
    pipeline: profilesPipeline('leftJoin'),
    steps: [
      { in: ['clicks', 'u1', 'c1', 10], out: [['u1', 'c1/none', 10]] },
      { in: ['profiles', 'u1', 'p1', 5], out: [] },
      { in: ['clicks', 'u1', 'c2', 11], out: [['u1', 'c2/p1', 11]] },
      { in: ['profiles', 'u1', null, 12], out: [] },
      { in: ['clicks', 'u1', 'c3', 13], out: [['u1', 'c3/none', 13]] },
      { in: ['clicks', 'u2', 'c4', 14], out: [['u2', 'c4/none', 14]] },
    ],
  });
});

test('a table built by an aggregation joins like a source table', async () => {
  const pipeline = new Pipeline();
  const views = pipeline.source('views', text).groupByKey({ name: 'g', serdes: text }).count({
    name: 'view-counts',
  });
  pipeline
    .source('clicks', text)
    .leftJoin(views, (click, count) => `${click} after ${count ?? 0} views`, { name: 'ctr' })
    .to('out', text);
  await expectJoinTable({
    pipeline,
    steps: [
      { in: ['clicks', 'v1', 'c1', 1], out: [['v1', 'c1 after 0 views', 1]] },
      { in: ['views', 'v1', 'x', 2], out: [] },
      { in: ['views', 'v1', 'y', 3], out: [] },
      { in: ['views', 'v2', 'z', 4], out: [] },
      { in: ['clicks', 'v1', 'c2', 5], out: [['v1', 'c2 after 2 views', 5]] },
      { in: ['clicks', 'v2', 'c3', 6], out: [['v2', 'c3 after 1 views', 6]] },
    ],
  });
});

test('a source table’s stream carries updates, not deletions', async () => {
  const pipeline = new Pipeline();
  pipeline.table('profiles', text, { name: 'profiles' }).toStream().to('out', text);
  await expectJoinTable({
    pipeline,
    steps: [
      { in: ['profiles', 'u1', 'p1', 1], out: [['u1', 'p1', 1]] },
      { in: ['profiles', 'u1', null, 2], out: [] },
      { in: ['profiles', 'u1', 'p2', 3], out: [['u1', 'p2', 3]] },
    ],
  });
});

test('the join runs in the table’s sub-topology, and the table keeps its own changelog', () => {
  const described = profilesPipeline('join').describe('app');
  assert.match(described, /^Sub-topology 0$/m);
  assert.doesNotMatch(described, /Sub-topology 1/, 'stream and table share one sub-topology');
  assert.match(described, /Processor: profiles \(table profiles; stores: \[profiles\]\)/);
  assert.match(described, /Processor: enrich \(join table profiles; stores: \[profiles\]\)/);
  assert.match(
    described,
    /Source: profiles-source \(topics: \[profiles\]; key: string, value: nullable\(string\)\)/,
  );
});

test('a source table’s store has its own changelog, deletes included', async () => {
  // Kafka Streams may reuse the source topic as the changelog; here every store has its own.
  const driver = await TestDriver.start(profilesPipeline('join'));
  try {
    const profiles = driver.input('profiles', { key: stringSerde, value: nullable(stringSerde) });
    await profiles.pipe('u1', 'p1');
    await profiles.pipe('u1', null);
    const changelog = await driver
      .output('test-profiles-changelog', { key: stringSerde, value: nullable(stringSerde) })
      .readKeyValues();
    assert.deepEqual(changelog, [
      ['u1', 'p1'],
      ['u1', null],
    ]);
  } finally {
    await driver.close();
  }
});

test('joining after a key change is refused: equal keys would not meet in one task', () => {
  const pipeline = new Pipeline();
  const profiles = pipeline.table('profiles', text, { name: 'profiles' });
  const rekeyed = pipeline.source('clicks', text).selectKey((r) => r.value);
  assert.throws(
    () => rekeyed.join(profiles, (c, p) => c + p, { name: 'enrich' }),
    /key changed since it was read.*repartition it first/,
  );
  // After a repartition it is fine.
  rekeyed
    .repartition({ name: 'by-user', serdes: text })
    .join(profiles, (c, p) => c + p, { name: 'enrich' });
  const tables = new Pipeline();
  const other = new Pipeline().table('t', { key: stringSerde, value: float64Serde }, { name: 't' });
  assert.throws(
    () =>
      tables
        .source('s', { key: stringSerde, value: float64Serde })
        .join(other, (a, b) => a + b, { name: 'j' }),
    /another pipeline/,
  );
});
