import assert from 'node:assert/strict';
import { test } from 'node:test';

import { float64Serde, Pipeline, stringSerde } from '../index.js';
import { pipelineDiagram } from './jobDiagram.js';
import { escapeMermaid, renderMermaid } from './mermaid.js';

const text = { key: stringSerde, value: stringSerde };

function repartitionPipeline(input = 'plays'): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source(input, text, { name: 'plays-in' })
    .selectKey((r) => r.value, { name: 'video-key' })
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'plays-per-video' })
    .toStream()
    .to('video-counts', { key: stringSerde, value: float64Serde }, { name: 'counts-out' });
  return pipeline;
}

test('the flowchart declares every node, in its sub-topology, and every edge', () => {
  const diagram = pipelineDiagram(repartitionPipeline(), 'app');
  const mermaid = renderMermaid(diagram);
  const lines = mermaid.split('\n');
  assert.equal(lines[0], 'flowchart TB');
  const idOf = new Map<string, string>();
  for (const node of diagram.nodes) {
    const line = lines.find(
      (l) =>
        (l.includes(`"${node.label}<br/>`) || l.includes(`"${node.label}"`)) &&
        l.endsWith(`:::${node.kind}`),
    );
    assert.ok(line !== undefined, `no line declares ${node.id}:\n${mermaid}`);
    const id = /^\s*(n\d+)/.exec(line)?.[1];
    assert.ok(id !== undefined, line);
    idOf.set(node.id, id);
  }
  assert.equal(new Set(idOf.values()).size, diagram.nodes.length, 'ids are unique');
  const arrows = { records: '-->', store: '-.-', changelog: '-.->', lookup: '-.->' };
  for (const edge of diagram.edges) {
    const line = `  ${idOf.get(edge.from)} ${arrows[edge.kind]} ${idOf.get(edge.to)}`;
    assert.ok(lines.includes(line), `missing ${line} for ${edge.from} -> ${edge.to}`);
  }
  // Each sub-topology is a subgraph holding its own nodes and nothing else.
  for (const group of diagram.groups) {
    const start = lines.indexOf(`  subgraph st${group.subTopology}["${group.label}"]`);
    assert.ok(start >= 0, `no subgraph for ${group.label}`);
    const end = lines.indexOf('  end', start);
    const inside = lines.slice(start + 1, end).map((l) => /^\s*(n\d+)/.exec(l)?.[1]);
    assert.deepEqual(
      inside,
      group.nodes.map((id) => idOf.get(id)),
    );
  }
  assert.match(
    mermaid,
    /n\d+\{\{"app-by-video-repartition<br\/>repartition, partitions: as upstream"\}\}:::internalTopic/,
  );
  assert.match(mermaid, /n\d+\[\("plays-per-video<br\/>rocksdb"\)\]:::store/);
});

test('names with characters Mermaid reserves are escaped in labels', () => {
  assert.equal(escapeMermaid('a<b>&"c"#1'), 'a#60;b#62;#38;#34;c#34;#35;1');
  const mermaid = renderMermaid(pipelineDiagram(repartitionPipeline('odd<&>"topic"'), 'app'));
  assert.ok(mermaid.includes('{{"odd#60;#38;#62;#34;topic#34;"}}:::topic'), mermaid);
  assert.ok(!mermaid.includes('odd<'), 'the raw name leaks');
});
