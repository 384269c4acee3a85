import assert from 'node:assert/strict';
import { test } from 'node:test';

import { float64Serde, Pipeline, stringSerde } from '../index.js';
import { layoutDiagram, type DiagramLayout, type LayoutDirection } from './diagramLayout.js';
import { pipelineDiagram, type JobDiagram } from './jobDiagram.js';
import { layeredLayout } from './layeredLayout.js';

const text = { key: stringSerde, value: stringSerde };

/** Three sub-topologies, branches, a merge, a shared output topic and a global table. */
function branchingDiagram(): JobDiagram {
  const pipeline = new Pipeline();
  const titles = pipeline.globalTable('video-titles', text, { name: 'titles' });
  const plays = pipeline.source('plays', text, { name: 'plays-in' });
  const likes = pipeline.source('likes', text, { name: 'likes-in' });
  const both = plays
    .filter((v) => v !== '', { name: 'non-empty' })
    .merge(
      likes.mapValues((v) => v, { name: 'like-events' }),
      { name: 'events' },
    );
  both
    .leftJoinGlobal(titles, (v, t) => `${v}${t ?? ''}`, { name: 'titled', key: (r) => r.value })
    .to('titled-events', text, { name: 'titled-out' });
  const perVideo = both
    .selectKey((r) => r.value, { name: 'video-key' })
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'plays-per-video' })
    .toStream();
  perVideo.to('video-counts', { key: stringSerde, value: float64Serde }, { name: 'counts-out' });
  perVideo
    .mapValues((n) => String(n), { name: 'as-text' })
    .selectKey((r) => r.key.slice(0, 2), { name: 'prefix-key' })
    .groupByKey({ name: 'by-prefix', serdes: text })
    .reduce((a, b) => a + b, { name: 'prefixes' })
    .toStream()
    .to('titled-events', text, { name: 'prefixes-out' });
  return pipelineDiagram(pipeline, 'app');
}

interface Box {
  readonly what: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function layout(diagram: JobDiagram, direction: LayoutDirection): DiagramLayout {
  return layoutDiagram(diagram, {
    sizeOf: (node) => ({
      width: 20 + 7 * node.label.length,
      height: node.detail === undefined ? 28 : 44,
    }),
    titleHeight: 20,
    titleWidth: (group) => 7 * group.label.length,
    direction,
  });
}

for (const direction of ['LR', 'TB'] as const) {
  test(`${direction}: no two boxes overlap, and each sub-topology's nodes are inside its box`, () => {
    const diagram = branchingDiagram();
    assert.equal(diagram.groups.length, 3);
    const placed = layout(diagram, direction);
    assert.equal(placed.nodes.length, diagram.nodes.length);
    const nodes: Box[] = placed.nodes.map((p) => ({ ...p, what: p.node.id }));
    const groups: Box[] = placed.groups.map((g) => ({ ...g, what: g.group.label }));
    for (const [i, a] of nodes.entries()) {
      for (const b of nodes.slice(i + 1)) {
        assert.ok(!overlap(a, b), `${a.what} overlaps ${b.what}`);
      }
      assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= placed.width + 0.01, a.what);
      assert.ok(a.y + a.height <= placed.height + 0.01, a.what);
    }
    for (const [i, a] of groups.entries()) {
      for (const b of groups.slice(i + 1)) {
        assert.ok(!overlap(a, b), `${a.what} overlaps ${b.what}`);
      }
    }
    for (const node of placed.nodes) {
      const box = placed.groups.find((g) => g.group.nodes.includes(node.node.id));
      const mine: Box = { ...node, what: node.node.id };
      if (box !== undefined) {
        assert.ok(inside(mine, { ...box, what: '' }), `${node.node.id} outside ${box.group.label}`);
      } else if (node.node.kind !== 'globalTable') {
        // Topics between sub-topologies are outside every box.
        for (const g of groups) {
          assert.ok(!overlap(mine, g), `${node.node.id} is in ${g.what}`);
        }
      }
    }
  });

  test(`${direction}: every edge starts on its source's border and ends on its target's`, () => {
    const diagram = branchingDiagram();
    const placed = layout(diagram, direction);
    assert.equal(placed.edges.length, diagram.edges.length);
    const byId = new Map(placed.nodes.map((p) => [p.node.id, p]));
    const onBorder = (p: { x: number; y: number }, id: string): boolean => {
      const b = byId.get(id);
      assert.ok(b !== undefined);
      const withinX = p.x >= b.x - 0.01 && p.x <= b.x + b.width + 0.01;
      const withinY = p.y >= b.y - 0.01 && p.y <= b.y + b.height + 0.01;
      const onX = Math.abs(p.x - b.x) < 0.01 || Math.abs(p.x - b.x - b.width) < 0.01;
      const onY = Math.abs(p.y - b.y) < 0.01 || Math.abs(p.y - b.y - b.height) < 0.01;
      return withinX && withinY && (onX || onY);
    };
    for (const { edge, points } of placed.edges) {
      assert.ok(points.length >= 2);
      assert.ok(onBorder(points[0] ?? { x: -1, y: -1 }, edge.from), `${edge.from} -> ${edge.to}`);
      assert.ok(onBorder(points[points.length - 1] ?? { x: -1, y: -1 }, edge.to));
    }
  });
}

test('a cycle is laid out (one link reversed), long links pass through waypoints', () => {
  const boxes = ['a', 'b', 'c', 'd'].map((id) => ({ id, width: 40, height: 20 }));
  const result = layeredLayout(
    boxes,
    [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'a', to: 'd' },
      { from: 'c', to: 'd' },
    ],
    { layerGap: 30, boxGap: 10 },
  );
  const columns = Object.fromEntries([...result.boxes].map(([id, b]) => [id, b.column]));
  assert.deepEqual(columns, { a: 0, b: 1, c: 2, d: 3 });
  const back = result.links.find((l) => l.from === 'c' && l.to === 'a');
  // Across column 1 (b): two waypoints, from c's side towards a's.
  assert.equal(back?.via.length, 2);
  assert.ok((back?.via[0]?.x ?? 0) > (back?.via[1]?.x ?? 0));
  const long = result.links.find((l) => l.from === 'a' && l.to === 'd');
  assert.equal(long?.via.length, 4);
  const placed = [...result.boxes.values()];
  for (const [i, a] of placed.entries()) {
    for (const b of placed.slice(i + 1)) {
      assert.ok(!overlap({ ...a, what: a.id }, { ...b, what: b.id }), `${a.id} overlaps ${b.id}`);
    }
  }
});
