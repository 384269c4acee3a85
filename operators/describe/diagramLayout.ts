import type { DiagramEdge, DiagramGroup, DiagramNode, JobDiagram } from './jobDiagram.js';
import {
  layeredLayout,
  type LayeredLayout,
  type LayeredLayoutOptions,
  type LayoutBox,
  type LayoutLink,
  type Point,
  type RoutedLink,
} from './layeredLayout.js';

/** @category Runtime */
export interface PlacedNode {
  readonly node: DiagramNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** @category Runtime */
export interface PlacedGroup {
  readonly group: DiagramGroup;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** @category Runtime */
export interface PlacedEdge {
  readonly edge: DiagramEdge;
  /** From the edge's start to its end (where the arrowhead goes), at least two points. */
  readonly points: readonly Point[];
}

/**
 * Where everything of a {@link JobDiagram} is drawn, in pixels from the top left.
 * @category Runtime
 */
export interface DiagramLayout {
  readonly nodes: readonly PlacedNode[];
  readonly groups: readonly PlacedGroup[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

/** @category Runtime */
export interface DiagramLayoutOptions {
  /** The size of a node's box, from what it shows (its label's length, its shape). */
  readonly sizeOf: (node: DiagramNode) => { readonly width: number; readonly height: number };
  /** Height of a sub-topology box's title line. */
  readonly titleHeight: number;
  /** The width of a sub-topology box's title, so the box is at least that wide. */
  readonly titleWidth: (group: DiagramGroup) => number;
  /**
   * `LR`: records flow left to right, a long, low picture; `TB`: top to bottom, closer to
   * square for a job of many sub-topologies. Default `LR`.
   */
  readonly direction?: LayoutDirection;
}

/** @category Runtime */
export type LayoutDirection = 'LR' | 'TB';

const padding = 16;
const spacing = { layerGap: 56, boxGap: 14 };

/**
 * Lays a diagram out in two levels, so each sub-topology is one box that no other node enters:
 * each sub-topology is laid out on its own (sources in its first layer, sinks in its last, so
 * links to topics leave and enter at its sides), then the boxes and the topics between them
 * are laid out as one graph.
 * @category Runtime
 */
export function layoutDiagram(diagram: JobDiagram, options: DiagramLayoutOptions): DiagramLayout {
  const direction = options.direction ?? 'LR';
  const nodes = new Map(diagram.nodes.map((n) => [n.id, n]));
  const groupOf = new Map<string, string>();
  const drawnIn = new Map<string, string[]>();
  for (const group of diagram.groups) {
    drawnIn.set(groupId(group), [...group.nodes]);
    for (const id of group.nodes) {
      groupOf.set(id, groupId(group));
    }
  }
  // A global table that only one sub-topology reads is drawn inside that sub-topology's box,
  // next to its joins: its lookups then run between the box's rows, not across the box.
  for (const node of diagram.nodes) {
    const readers = new Set(
      diagram.edges.filter((e) => e.from === node.id).map((e) => groupOf.get(e.to)),
    );
    const [only] = readers;
    if (node.kind === 'globalTable' && readers.size === 1 && only !== undefined) {
      groupOf.set(node.id, only);
      drawnIn.get(only)?.push(node.id);
    }
  }
  const inner = diagram.groups.map((group) => {
    const ids = drawnIn.get(groupId(group)) ?? [];
    const members = new Set(ids);
    const boxes = ids.flatMap((id) => {
      const node = nodes.get(id);
      return node === undefined ? [] : [{ id, ...options.sizeOf(node) }];
    });
    const links = diagram.edges.filter((e) => members.has(e.from) && members.has(e.to));
    const sinks = new Set(ids.filter((id) => nodes.get(id)?.kind === 'sink'));
    const layout = layered(boxes, links, { ...spacing, lastColumn: sinks, direction });
    const width = Math.max(layout.width, options.titleWidth(group)) + 2 * padding;
    const height = layout.height + options.titleHeight + 2 * padding;
    return { group, layout, width, height };
  });
  const outerBoxes = [
    ...inner.map((g) => ({ id: groupId(g.group), width: g.width, height: g.height })),
    ...diagram.nodes
      .filter((n) => !groupOf.has(n.id))
      .map((n) => ({ id: n.id, ...options.sizeOf(n) })),
  ];
  const outerOf = (id: string): string => groupOf.get(id) ?? id;
  const outerLinks: LayoutLink[] = diagram.edges
    .map((e) => ({ from: outerOf(e.from), to: outerOf(e.to) }))
    .filter((l) => l.from !== l.to);
  const outer = layered(outerBoxes, outerLinks, {
    layerGap: spacing.layerGap * 2,
    boxGap: spacing.boxGap * 2,
    rootsNearSuccessors: true,
    direction,
  });
  const placedNodes = new Map<string, PlacedNode>();
  const placedGroups: PlacedGroup[] = [];
  const innerRoutes = new Map<string, RoutedLink>();
  for (const { group, layout, width, height } of inner) {
    const box = outer.boxes.get(groupId(group));
    const x = box?.x ?? 0;
    const y = box?.y ?? 0;
    placedGroups.push({ group, x, y, width, height });
    const dx = x + padding;
    const dy = y + padding + options.titleHeight;
    for (const [id, placed] of layout.boxes) {
      const node = nodes.get(id);
      if (node !== undefined) {
        placedNodes.set(id, { node, ...size(placed), x: placed.x + dx, y: placed.y + dy });
      }
    }
    for (const link of layout.links) {
      innerRoutes.set(linkKey(link), {
        ...link,
        via: link.via.map((p) => ({ x: p.x + dx, y: p.y + dy })),
      });
    }
  }
  for (const node of diagram.nodes) {
    const placed = outer.boxes.get(node.id);
    if (placed !== undefined && !groupOf.has(node.id)) {
      placedNodes.set(node.id, { node, ...size(placed), x: placed.x, y: placed.y });
    }
  }
  const outerRoutes = new Map(outer.links.map((l) => [linkKey(l), l]));
  const edges = diagram.edges.flatMap((edge): PlacedEdge[] => {
    const from = placedNodes.get(edge.from);
    const to = placedNodes.get(edge.to);
    if (from === undefined || to === undefined) {
      return [];
    }
    const route =
      innerRoutes.get(linkKey(edge)) ??
      outerRoutes.get(linkKey({ from: outerOf(edge.from), to: outerOf(edge.to) }));
    return [{ edge, points: connect({ from, to, via: route?.via ?? [] }, direction) }];
  });
  return {
    nodes: diagram.nodes.flatMap((n) => placedNodes.get(n.id) ?? []),
    groups: placedGroups,
    edges,
    width: outer.width,
    height: outer.height,
  };
}

/**
 * The edge's points: out of the side of `from` that faces the way it goes, through the
 * waypoints, into the facing side of `to` (left and right sides for `LR`, top and bottom for
 * `TB`).
 */
function connect(
  edge: { from: PlacedNode; to: PlacedNode; via: readonly Point[] },
  direction: LayoutDirection,
): Point[] {
  const { from, to, via } = edge;
  const axis = direction === 'LR' ? 'x' : 'y';
  const first = via[0] ?? centreOf(to);
  const last = via[via.length - 1] ?? centreOf(from);
  const start = side(from, first[axis] >= centreOf(from)[axis] ? 'end' : 'start', direction);
  const end = side(to, last[axis] <= centreOf(to)[axis] ? 'start' : 'end', direction);
  return [start, ...via, end];
}

/** The middle of a box's side across the flow: its left or right, or its top or bottom. */
function side(box: PlacedNode, which: 'start' | 'end', direction: LayoutDirection): Point {
  const centre = centreOf(box);
  if (direction === 'LR') {
    return { x: which === 'start' ? box.x : box.x + box.width, y: centre.y };
  }
  return { x: centre.x, y: which === 'start' ? box.y : box.y + box.height };
}

/**
 * {@link layeredLayout} (left to right) in either direction: top to bottom is the left-to-right
 * layout of the boxes turned on their side, turned back.
 */
function layered(
  boxes: readonly LayoutBox[],
  links: readonly LayoutLink[],
  options: LayeredLayoutOptions & { readonly direction: LayoutDirection },
): LayeredLayout {
  const { direction } = options;
  if (direction === 'LR') {
    return layeredLayout(boxes, links, options);
  }
  const turned = layeredLayout(
    boxes.map((b) => ({ id: b.id, width: b.height, height: b.width })),
    links,
    options,
  );
  const flip = (p: Point): Point => ({ x: p.y, y: p.x });
  return {
    boxes: new Map(
      [...turned.boxes].map(([id, b]) => [
        id,
        { ...b, x: b.y, y: b.x, width: b.height, height: b.width },
      ]),
    ),
    links: turned.links.map((l) => ({ ...l, via: l.via.map(flip) })),
    width: turned.height,
    height: turned.width,
  };
}

function centreOf(box: PlacedNode): Point {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

function size(box: { width: number; height: number }): { width: number; height: number } {
  return { width: box.width, height: box.height };
}

function groupId(group: DiagramGroup): string {
  // Diagram node ids all have a kind prefix with a colon, so this cannot equal one.
  return `sub-topology ${group.subTopology}`;
}

function linkKey(link: LayoutLink): string {
  return `${link.from}\u0000${link.to}`;
}
