import {
  layoutDiagram,
  type DiagramLayout,
  type LayoutDirection,
  type PlacedNode,
} from './diagramLayout.js';
import type { DiagramEdgeKind, DiagramNode, DiagramNodeKind, JobDiagram } from './jobDiagram.js';
import type { Point } from './layeredLayout.js';

/**
 * A job's diagram as a standalone SVG document: sub-topologies as boxes, nodes shaped by kind,
 * arrows for records, dashed links to stores, changelogs and global tables, and a legend. It
 * needs no renderer (Graphviz, a browser's Mermaid) to be looked at or committed next to docs.
 * Text is in a monospace font so that box widths, computed here from label lengths, fit it.
 *
 * @example
 * ```ts
 * import { mkdtempSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 *
 * import { Pipeline, pipelineDiagram, renderSvg, stringSerde } from 'reelstream';
 *
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', { key: stringSerde, value: stringSerde })
 *   .groupByKey({ name: 'by-word', serdes: { key: stringSerde, value: stringSerde } })
 *   .count({ name: 'word-counts' });
 * const file = join(mkdtempSync(join(tmpdir(), 'describe-')), 'job.svg');
 * writeFileSync(file, renderSvg(pipelineDiagram(pipeline, 'word-counter')));
 * ```
 * @category Runtime
 */
export function renderSvg(
  diagram: JobDiagram,
  options: { readonly direction?: LayoutDirection } = {},
): string {
  const direction = options.direction ?? 'TB';
  const layout = layoutDiagram(diagram, {
    sizeOf: nodeSize,
    titleHeight: lineHeight + 4,
    titleWidth: (group) => textWidth(group.label),
    direction,
  });
  const legend = legendEntries();
  const legendWidth = legend.reduce((sum, entry) => sum + entry.width + legendGap, 0);
  const width = Math.ceil(Math.max(layout.width, legendWidth) + 2 * margin);
  const height = Math.ceil(layout.height + headerHeight + 2 * margin);
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${fontFamily}" font-size="${fontSize}">`,
    `<title>${escapeXml(`${diagram.applicationId}: job topology`)}</title>`,
    style,
    defs,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}"/>`,
    `<text class="heading" x="${margin}" y="${margin + fontSize + 2}">${escapeXml(`Job ${diagram.applicationId}`)}</text>`,
    drawLegend(legend, { x: margin, y: margin + lineHeight + 12 }),
    `<g transform="translate(${margin} ${margin + headerHeight})">`,
    drawLayout(layout, direction),
    '</g>',
    '</svg>',
    '',
  ];
  return parts.join('\n');
}

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => xmlEntities[c] ?? c);
}

const xmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

const fontFamily = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
const fontSize = 12;
/** A monospace glyph's advance at `fontSize`, a little generous so labels never overflow. */
const charWidth = 7.4;
const lineHeight = 16;
const margin = 20;
const headerHeight = 72;
const legendGap = 14;
/** How far a topic's pointed ends stick out; a store's cylinder lid height. */
const topicPoint = 10;
const lid = 6;

function textWidth(text: string): number {
  return text.length * charWidth;
}

function linesOf(node: DiagramNode): string[] {
  return node.detail === undefined ? [node.label] : [node.label, node.detail];
}

function isTopic(kind: DiagramNodeKind): boolean {
  return (
    kind === 'topic' ||
    kind === 'internalTopic' ||
    kind === 'changelogTopic' ||
    kind === 'replyTopic'
  );
}

function isCylinder(kind: DiagramNodeKind): boolean {
  return kind === 'store' || kind === 'globalTable';
}

function nodeSize(node: DiagramNode): { width: number; height: number } {
  const lines = linesOf(node);
  const text = Math.max(...lines.map(textWidth));
  const extraWidth = isTopic(node.kind) ? 2 * topicPoint : 0;
  const extraHeight = isCylinder(node.kind) ? 2 * lid : 0;
  return {
    width: Math.ceil(text + 20 + extraWidth),
    height: lines.length * lineHeight + 12 + extraHeight,
  };
}

function drawLayout(layout: DiagramLayout, direction: LayoutDirection): string {
  const groups = layout.groups.map(
    (g) =>
      `<g class="group"><rect x="${n(g.x)}" y="${n(g.y)}" width="${n(g.width)}" height="${n(g.height)}" rx="8"/>` +
      `<text x="${n(g.x + 12)}" y="${n(g.y + lineHeight + 4)}">${escapeXml(g.group.label)}</text></g>`,
  );
  const edges = layout.edges.map(
    (e) =>
      `<path class="edge edge-${e.edge.kind}" d="${pathOf(e.points, direction)}"${markerOf(e.edge.kind)}/>`,
  );
  const nodes = layout.nodes.map(drawNode);
  return [...groups, ...edges, ...nodes].join('\n');
}

function markerOf(kind: DiagramEdgeKind): string {
  switch (kind) {
    case 'records':
      return ' marker-end="url(#arrow)"';
    case 'changelog':
    case 'lookup':
      return ' marker-end="url(#arrow-light)"';
    case 'store':
      return '';
  }
}

/** Smooth curves between the points, leaving and entering each one along the flow. */
function pathOf(points: readonly Point[], direction: LayoutDirection): string {
  const [first, ...rest] = points;
  if (first === undefined) {
    return '';
  }
  let d = `M${n(first.x)} ${n(first.y)}`;
  let previous = first;
  for (const point of rest) {
    const [c1, c2] =
      direction === 'LR'
        ? [
            { x: (previous.x + point.x) / 2, y: previous.y },
            { x: (previous.x + point.x) / 2, y: point.y },
          ]
        : [
            { x: previous.x, y: (previous.y + point.y) / 2 },
            { x: point.x, y: (previous.y + point.y) / 2 },
          ];
    d += ` C${n(c1.x)} ${n(c1.y)} ${n(c2.x)} ${n(c2.y)} ${n(point.x)} ${n(point.y)}`;
    previous = point;
  }
  return d;
}

function drawNode(placed: PlacedNode): string {
  const { node } = placed;
  const lines = linesOf(node);
  const centreX = placed.x + placed.width / 2;
  const textTop =
    placed.y +
    (placed.height - lines.length * lineHeight) / 2 +
    lineHeight -
    4 +
    (isCylinder(node.kind) ? lid / 2 : 0);
  const text = lines
    .map(
      (line, i) =>
        `<text class="${i === 0 ? 'label' : 'detail'}" x="${n(centreX)}" y="${n(textTop + i * lineHeight)}">${escapeXml(line)}</text>`,
    )
    .join('');
  return `<g class="node ${node.kind}">${shapeOf(placed)}${text}</g>`;
}

function shapeOf(box: PlacedNode): string {
  const { x, y, width, height } = box;
  const kind = box.node.kind;
  if (isTopic(kind)) {
    const mid = y + height / 2;
    const points = [
      [x, mid],
      [x + topicPoint, y],
      [x + width - topicPoint, y],
      [x + width, mid],
      [x + width - topicPoint, y + height],
      [x + topicPoint, y + height],
    ]
      .map(([px, py]) => `${n(px ?? 0)},${n(py ?? 0)}`)
      .join(' ');
    return `<polygon points="${points}"/>`;
  }
  if (isCylinder(kind)) {
    const rx = width / 2;
    const body =
      `M${n(x)} ${n(y + lid)} A${n(rx)} ${lid} 0 0 1 ${n(x + width)} ${n(y + lid)}` +
      ` V${n(y + height - lid)} A${n(rx)} ${lid} 0 0 1 ${n(x)} ${n(y + height - lid)} Z`;
    const rim = `M${n(x)} ${n(y + lid)} A${n(rx)} ${lid} 0 0 0 ${n(x + width)} ${n(y + lid)}`;
    return `<path d="${body}"/><path class="rim" d="${rim}"/>`;
  }
  const radius = kind === 'processor' ? 4 : height / 2;
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(width)}" height="${n(height)}" rx="${n(radius)}"/>`;
}

interface LegendEntry {
  readonly node: DiagramNode;
  readonly width: number;
  readonly height: number;
}

function legendEntries(): LegendEntry[] {
  const samples: [DiagramNodeKind, string][] = [
    ['topic', 'topic'],
    ['internalTopic', 'repartition topic'],
    ['changelogTopic', 'changelog topic'],
    ['source', 'source'],
    ['processor', 'processor'],
    ['sink', 'sink'],
    ['store', 'state store'],
    ['globalTable', 'global table'],
  ];
  return samples.map(([kind, label]) => {
    const node = { id: `legend:${kind}`, kind, label };
    return { node, ...nodeSize(node) };
  });
}

function drawLegend(entries: readonly LegendEntry[], at: Point): string {
  let x = at.x;
  const items = entries.map((entry) => {
    const drawn = drawNode({ ...entry, x, y: at.y });
    x += entry.width + legendGap;
    return drawn;
  });
  return `<g class="legend">${items.join('')}</g>`;
}

/** Coordinates to one decimal: enough for a picture, short in the file. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

const style = `<style>
.background { fill: #ffffff; }
.heading { font-size: 15px; font-weight: bold; fill: #1a1a1a; }
.group rect { fill: #f6f8fa; stroke: #8c959f; stroke-width: 1.2; }
.group text { font-weight: bold; fill: #57606a; }
.node text { text-anchor: middle; fill: #1f2328; }
.node .detail { fill: #57606a; font-size: 11px; }
.node > rect, .node > polygon, .node > path { stroke-width: 1.3; }
.source > rect { fill: #ddf4ff; stroke: #0969da; }
.processor > rect { fill: #ffffff; stroke: #57606a; }
.sink > rect { fill: #fbefff; stroke: #8250df; }
.store > path { fill: #dafbe1; stroke: #1a7f37; }
.globalTable > path { fill: #d8f3f0; stroke: #0b7a75; }
.rim { fill: none; }
.topic > polygon { fill: #fff1e5; stroke: #bc4c00; }
.internalTopic > polygon { fill: #fff8c5; stroke: #9a6700; stroke-dasharray: 5 3; }
.changelogTopic > polygon { fill: #f6f8fa; stroke: #6e7781; stroke-dasharray: 2 2; }
.replyTopic > polygon { fill: #ffffff; stroke: #bc4c00; stroke-dasharray: 5 3; }
.edge { fill: none; stroke-width: 1.3; }
.edge-records { stroke: #424a53; }
.edge-store { stroke: #1a7f37; stroke-dasharray: 4 3; }
.edge-changelog { stroke: #6e7781; stroke-dasharray: 2 2; }
.edge-lookup { stroke: #0b7a75; stroke-dasharray: 6 3; }
</style>`;

const defs = `<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#424a53"/></marker>
<marker id="arrow-light" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#6e7781"/></marker>
</defs>`;
