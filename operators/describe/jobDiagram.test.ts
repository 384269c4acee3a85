import assert from 'node:assert/strict';
import { test } from 'node:test';

import { float64Serde, keyValueStore, Pipeline, stringSerde } from '../index.js';
import { pipelineDiagram, type JobDiagram } from './jobDiagram.js';

const text = { key: stringSerde, value: stringSerde };
const counts = { key: stringSerde, value: float64Serde };

/** plays → mapValues → groupByKey (no key change: no repartition) → count → play-counts. */
function countingPipeline(): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source('plays', text, { name: 'plays-in' })
    .mapValues((v) => v.trim(), { name: 'trim' })
    .groupByKey({ name: 'by-user', serdes: text })
    .count({ name: 'plays-per-user' })
    .toStream()
    .to('play-counts', counts, { name: 'counts-out' });
  return pipeline;
}

/** The same with a key change first, so grouping goes through a repartition topic. */
function repartitionPipeline(): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source('plays', text, { name: 'plays-in' })
    .selectKey((r) => r.value, { name: 'video-key' })
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'plays-per-video' })
    .toStream()
    .to('video-counts', counts, { name: 'counts-out' });
  return pipeline;
}

function nodesOf(diagram: JobDiagram): string[] {
  return diagram.nodes
    .map((n) => `${n.kind} ${n.label}${n.subTopology === undefined ? '' : ` @${n.subTopology}`}`)
    .sort();
}

function edgesOf(diagram: JobDiagram): string[] {
  return diagram.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort();
}

test('a counting job: its topics, source, processors, sink, store and changelog, all linked', () => {
  const diagram = pipelineDiagram(countingPipeline(), 'app');
  assert.equal(diagram.applicationId, 'app');
  assert.deepEqual(nodesOf(diagram), [
    'changelogTopic app-plays-per-user-changelog @0',
    'processor plays-per-user @0',
    'processor trim @0',
    'sink counts-out @0',
    'source plays-in @0',
    'store plays-per-user @0',
    'topic play-counts',
    'topic plays',
  ]);
  assert.deepEqual(edgesOf(diagram), [
    'node:counts-out -records-> topic:play-counts',
    'node:plays-in -records-> node:trim',
    'node:plays-per-user -records-> node:counts-out',
    'node:plays-per-user -store-> store:plays-per-user',
    'node:trim -records-> node:plays-per-user',
    'store:plays-per-user -changelog-> topic:app-plays-per-user-changelog',
    'topic:plays -records-> node:plays-in',
  ]);
  assert.deepEqual(
    diagram.groups.map((g) => [g.label, g.nodes.length]),
    [['Sub-topology 0', 6]],
  );
});

test('a repartition splits the job in two sub-topologies joined by the internal topic', () => {
  const diagram = pipelineDiagram(repartitionPipeline(), 'app');
  const internal = diagram.nodes.find((n) => n.kind === 'internalTopic');
  assert.deepEqual(internal, {
    id: 'topic:app-by-video-repartition',
    kind: 'internalTopic',
    label: 'app-by-video-repartition',
    detail: 'repartition, partitions: as upstream',
  });
  assert.deepEqual(edgesOf(diagram), [
    'node:by-video-repartition-sink -records-> topic:app-by-video-repartition',
    'node:by-video-repartition-source -records-> node:plays-per-video',
    'node:counts-out -records-> topic:video-counts',
    'node:plays-in -records-> node:video-key',
    'node:plays-per-video -records-> node:counts-out',
    'node:plays-per-video -store-> store:plays-per-video',
    'node:video-key -records-> node:by-video-repartition-sink',
    'store:plays-per-video -changelog-> topic:app-plays-per-video-changelog',
    'topic:app-by-video-repartition -records-> node:by-video-repartition-source',
    'topic:plays -records-> node:plays-in',
  ]);
  assert.deepEqual(
    diagram.groups.map((g) => g.nodes),
    [
      ['node:plays-in', 'node:video-key', 'node:by-video-repartition-sink'],
      [
        'node:by-video-repartition-source',
        'node:plays-per-video',
        'node:counts-out',
        'store:plays-per-video',
        'topic:app-plays-per-video-changelog',
      ],
    ],
  );
});

test('a global table is read from its topic and looked up by its joins; a store without changelog has none', () => {
  const pipeline = new Pipeline();
  const titles = pipeline.globalTable('video-titles', text, { name: 'titles' });
  const seen = keyValueStore({
    name: 'seen',
    key: stringSerde,
    value: stringSerde,
    changelog: false,
  });
  pipeline
    .source('plays', text, { name: 'plays-in' })
    .joinGlobal(titles, (play, title) => `${play} ${title}`, {
      name: 'with-title',
      key: (r) => r.value,
    })
    .process<string, string>(() => ({ process: (record, ctx) => ctx.forward(record) }), {
      name: 'remember',
      stores: [seen],
      changesKey: false,
    })
    .to('titled-plays', text, { name: 'titled-out' });
  const diagram = pipelineDiagram(pipeline, 'app');
  assert.deepEqual(
    diagram.nodes.filter((n) => n.kind === 'globalTable' || n.kind === 'store'),
    [
      {
        id: 'store:seen',
        kind: 'store',
        label: 'seen',
        detail: 'rocksdb, no changelog',
        subTopology: 0,
      },
      { id: 'global:titles', kind: 'globalTable', label: 'titles', detail: 'global table' },
    ],
  );
  assert.ok(diagram.nodes.every((n) => n.kind !== 'changelogTopic'));
  const edges = edgesOf(diagram);
  assert.ok(edges.includes('topic:video-titles -records-> global:titles'), edges.join('\n'));
  assert.ok(edges.includes('global:titles -lookup-> node:with-title'), edges.join('\n'));
  assert.ok(edges.includes('node:remember -store-> store:seen'), edges.join('\n'));
});
