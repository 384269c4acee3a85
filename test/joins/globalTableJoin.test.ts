import assert from 'node:assert/strict';
import { test } from 'node:test';

import { jsonSerde, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';
import { expectJoinTable, text } from './joinTable.js';

// Stream–global-table joins. Rows: in [topic, key, value, timestamp] (null value: tombstone);
// out [key, value, timestamp]. Heartbeats are keyed by user and carry the video id as their
// value; the global table maps video ids to titles. Every topic has 3 partitions, so the
// looked-up key is usually in a partition other than the heartbeat's: a global table holds all.

function titlesPipeline(kind: 'join' | 'leftJoin'): Pipeline {
  const pipeline = new Pipeline();
  const titles = pipeline.globalTable('videos', text, { name: 'titles' });
  const heartbeats = pipeline.source('heartbeats', text);
  const options = {
    name: 'with-title',
    // An empty value names no video: nothing to look up.
    key: (r: { value: string }) => (r.value === '' ? null : r.value),
  };
  const joined =
    kind === 'join'
      ? heartbeats.joinGlobal(titles, (video, title) => `${video}:${title}`, options)
      : heartbeats.leftJoinGlobal(titles, (video, title) => `${video}:${title ?? '?'}`, options);
  joined.to('out', text);
  return pipeline;
}

test('joinGlobal: looks up a key computed from the record in the whole table', async () => {
  await expectJoinTable({
    pipeline: titlesPipeline('join'),
    steps: [
      { in: ['heartbeats', 'u1', 'v1', 10], out: [] }, // v1 unknown yet
      { in: ['videos', 'v1', 'Cats', 1], out: [] }, // table updates never emit
      { in: ['videos', 'v2', 'Dogs', 2], out: [] },
      { in: ['heartbeats', 'u1', 'v1', 11], out: [['u1', 'v1:Cats', 11]] },
      { in: ['heartbeats', 'u2', 'v2', 12], out: [['u2', 'v2:Dogs', 12]] },
      { in: ['heartbeats', 'u3', 'v1', 13], out: [['u3', 'v1:Cats', 13]] },
      { in: ['videos', 'v1', 'Cats 2', 3], out: [] },
      { in: ['heartbeats', 'u1', 'v1', 14], out: [['u1', 'v1:Cats 2', 14]] },
      { in: ['videos', 'v2', null, 4], out: [] }, // tombstone
      { in: ['heartbeats', 'u2', 'v2', 15], out: [] },
      { in: ['heartbeats', 'u2', '', 16], out: [] }, // the selector found no key
    ],
  });
});

test('leftJoinGlobal: a missing value or key gives the joiner undefined', async () => {
  await expectJoinTable({
    pipeline: titlesPipeline('leftJoin'),
    steps: [
      { in: ['heartbeats', 'u1', 'v1', 10], out: [['u1', 'v1:?', 10]] },
      { in: ['videos', 'v1', 'Cats', 1], out: [] },
      { in: ['heartbeats', 'u1', 'v1', 11], out: [['u1', 'v1:Cats', 11]] },
      { in: ['videos', 'v1', null, 2], out: [] },
      { in: ['heartbeats', 'u1', 'v1', 12], out: [['u1', 'v1:?', 12]] },
      { in: ['heartbeats', 'u2', '', 13], out: [['u2', ':?', 13]] },
    ],
  });
});

test('a global table’s values are read with its serdes; the stream keeps its own key', async () => {
  interface Video {
    readonly title: string;
    readonly seconds: number;
  }
  const pipeline = new Pipeline();
  const videos = pipeline.globalTable(
    'videos',
    { key: stringSerde, value: jsonSerde<Video>() },
    { name: 'videos' },
  );
  pipeline
    .source('heartbeats', text)
    .joinGlobal(videos, (videoId, video) => `${videoId} is ${video.seconds}s`, {
      name: 'lengths',
      key: (r) => r.value,
    })
    .to('out', text);
  const driver = await TestDriver.start(pipeline, { partitions: 4 });
  try {
    await driver.input('videos', { key: stringSerde, value: jsonSerde<Video>() }).pipeMany([
      { key: 'v1', value: { title: 'Cats', seconds: 30 } },
      { key: 'v2', value: { title: 'Dogs', seconds: 45 } },
    ]);
    await driver.input('heartbeats', text).pipeMany([
      { key: 'u1', value: 'v2' },
      { key: 'u2', value: 'v1' },
      { key: 'u3', value: 'v3' },
    ]);
    const out = await driver.output('out', text).readKeyValues();
    assert.deepEqual(
      out.sort(([a], [b]) => a.localeCompare(b)),
      [
        ['u1', 'v2 is 45s'],
        ['u2', 'v1 is 30s'],
      ],
    );
  } finally {
    await driver.close();
  }
});

test('describe lists global tables apart from the sub-topologies', () => {
  const described = titlesPipeline('join').describe('app');
  assert.match(described, /Processor: with-title \(join global table titles\)/);
  assert.match(
    described,
    /Global tables\n {2}titles \(topic: videos; key: string, value: string\)$/,
  );
  assert.doesNotMatch(described, /Source: .*videos/, 'no task reads the global topic');
});

test('global table names are unique and name a directory', () => {
  const pipeline = new Pipeline();
  pipeline.globalTable('videos', text, { name: 'titles' });
  assert.throws(() => pipeline.globalTable('other', text, { name: 'titles' }), /already has/);
  assert.throws(() => pipeline.globalTable('other', text, { name: '../x' }), /may hold only/);
  const other = new Pipeline().globalTable('videos', text, { name: 'titles' });
  assert.throws(
    () =>
      pipeline
        .source('s', text)
        .joinGlobal(other, (a, b) => a + b, { name: 'j', key: (r) => r.value }),
    /another pipeline/,
  );
});
