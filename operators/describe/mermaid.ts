import type { DiagramEdgeKind, DiagramNode, DiagramNodeKind, JobDiagram } from './jobDiagram.js';

/**
 * A job's diagram as a Mermaid flowchart, for places that draw Mermaid themselves (GitHub and
 * most Markdown viewers): one subgraph per sub-topology, sources and sinks as stadiums,
 * processors as boxes, stores and global tables as cylinders, topics as hexagons (repartition
 * and changelog topics dashed), dotted links to stores, changelogs and global tables.
 *
 * Mermaid ids are generated (`n0`, `n1`, …) since node names may hold characters its syntax
 * reserves; names appear only in quoted labels, escaped.
 * @category Runtime
 */
export function renderMermaid(diagram: JobDiagram): string {
  const ids = new Map(diagram.nodes.map((node, i) => [node.id, `n${i}`]));
  const grouped = new Set(diagram.groups.flatMap((g) => g.nodes));
  const nodes = new Map(diagram.nodes.map((node) => [node.id, node]));
  const lines = ['flowchart TB'];
  const declare = (node: DiagramNode, indent: string): void => {
    lines.push(
      `${indent}${ids.get(node.id) ?? ''}${shapeOf(node.kind, labelOf(node))}:::${node.kind}`,
    );
  };
  for (const group of diagram.groups) {
    lines.push(`  subgraph st${group.subTopology}["${escapeMermaid(group.label)}"]`);
    for (const id of group.nodes) {
      const node = nodes.get(id);
      if (node !== undefined) {
        declare(node, '    ');
      }
    }
    lines.push('  end');
  }
  for (const node of diagram.nodes) {
    if (!grouped.has(node.id)) {
      declare(node, '  ');
    }
  }
  for (const edge of diagram.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from !== undefined && to !== undefined) {
      lines.push(`  ${from} ${arrowOf(edge.kind)} ${to}`);
    }
  }
  lines.push(...classDefs);
  return lines.join('\n');
}

/**
 * Makes text safe inside a quoted Mermaid label: Mermaid reads `#…;` as an entity code and
 * takes labels as HTML, so quotes, angle brackets, ampersands and hashes become numeric codes.
 */
export function escapeMermaid(text: string): string {
  return text.replace(/["<>&#]/g, (c) => `#${c.charCodeAt(0)};`);
}

function labelOf(node: DiagramNode): string {
  const label = escapeMermaid(node.label);
  return node.detail === undefined ? label : `${label}<br/>${escapeMermaid(node.detail)}`;
}

function shapeOf(kind: DiagramNodeKind, label: string): string {
  switch (kind) {
    case 'source':
    case 'sink':
      return `(["${label}"])`;
    case 'processor':
      return `["${label}"]`;
    case 'store':
    case 'globalTable':
      return `[("${label}")]`;
    case 'topic':
    case 'internalTopic':
    case 'changelogTopic':
    case 'replyTopic':
      return `{{"${label}"}}`;
  }
}

function arrowOf(kind: DiagramEdgeKind): string {
  switch (kind) {
    case 'records':
      return '-->';
    case 'store':
      return '-.-';
    case 'changelog':
    case 'lookup':
      return '-.->';
  }
}

const classDefs = [
  '  classDef source fill:#ddf4ff,stroke:#0969da',
  '  classDef processor fill:#ffffff,stroke:#57606a',
  '  classDef sink fill:#fbefff,stroke:#8250df',
  '  classDef store fill:#dafbe1,stroke:#1a7f37',
  '  classDef globalTable fill:#d8f3f0,stroke:#0b7a75',
  '  classDef topic fill:#fff1e5,stroke:#bc4c00',
  '  classDef internalTopic fill:#fff8c5,stroke:#9a6700,stroke-dasharray:5 3',
  '  classDef changelogTopic fill:#f6f8fa,stroke:#6e7781,stroke-dasharray:2 2',
  '  classDef replyTopic fill:#ffffff,stroke:#bc4c00,stroke-dasharray:5 3',
];
