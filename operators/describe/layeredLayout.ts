/** A box to place: its size is fixed by what it shows. */
export interface LayoutBox {
  readonly id: string;
  readonly width: number;
  readonly height: number;
}

export interface LayoutLink {
  readonly from: string;
  readonly to: string;
}

export interface LayeredLayoutOptions {
  /** Horizontal space between columns (layers), room for the edges' curves. */
  readonly layerGap: number;
  /** Vertical space between boxes of one column. */
  readonly boxGap: number;
  /** Boxes placed in the last column whatever their depth (a sub-topology's sinks). */
  readonly lastColumn?: ReadonlySet<string>;
  /**
   * Moves a box without predecessors to the column just before its first successor, instead
   * of the first column: a topic is drawn next to the sub-topology that reads it.
   */
  readonly rootsNearSuccessors?: boolean;
}

export interface PlacedBox extends LayoutBox {
  readonly x: number;
  readonly y: number;
  readonly column: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A link with the points it passes between its ends, in order from `from` to `to`. */
export interface RoutedLink extends LayoutLink {
  readonly via: readonly Point[];
}

export interface LayeredLayout {
  readonly boxes: ReadonlyMap<string, PlacedBox>;
  readonly links: readonly RoutedLink[];
  readonly width: number;
  readonly height: number;
}

/**
 * A simple Sugiyama-style layout, left to right: cycles broken by reversing back links, boxes
 * put in columns by longest path, long links split by invisible waypoints (so they run between
 * boxes instead of through them), columns ordered by barycentres to cut crossings, and rows
 * settled near the boxes' neighbours. Boxes of one column never overlap (their gaps are kept)
 * and columns are as wide as their widest box, so no two boxes overlap.
 */
export function layeredLayout(
  boxes: readonly LayoutBox[],
  links: readonly LayoutLink[],
  options: LayeredLayoutOptions,
): LayeredLayout {
  const ids = boxes.map((b) => b.id);
  const known = new Set(ids);
  const unique = new Map<string, LayoutLink>();
  for (const link of links) {
    if (link.from !== link.to && known.has(link.from) && known.has(link.to)) {
      unique.set(`${link.from}\u0000${link.to}`, link);
    }
  }
  const forward = acyclicLinks(ids, [...unique.values()]);
  const columnOf = assignColumns(ids, forward, options);
  const chains = splitLongLinks(forward, columnOf);
  const columns = orderColumns(ids, columnOf, chains);
  const sizes = new Map<string, LayoutBox>(boxes.map((b) => [b.id, b]));
  const waypointHeight = 6;
  const sizeOf = (id: string): { width: number; height: number } =>
    sizes.get(id) ?? { width: 0, height: waypointHeight };
  const columnX: number[] = [];
  const columnWidth: number[] = [];
  let x = 0;
  for (const column of columns) {
    columnX.push(x);
    const width = Math.max(0, ...column.map((id) => sizeOf(id).width));
    columnWidth.push(width);
    x += width + options.layerGap;
  }
  const top = settleRows(columns, chains, { sizeOf, gap: options.boxGap });
  const placed = new Map<string, PlacedBox>();
  for (const box of boxes) {
    const column = columnOf.get(box.id) ?? 0;
    const left = (columnX[column] ?? 0) + ((columnWidth[column] ?? 0) - box.width) / 2;
    placed.set(box.id, { ...box, x: left, y: top.get(box.id) ?? 0, column });
  }
  const routed = chains.map((chain) => {
    const via = chain.waypoints.flatMap((id) => {
      const column = columnOf.get(id) ?? 0;
      const y = (top.get(id) ?? 0) + waypointHeight / 2;
      const left = columnX[column] ?? 0;
      return [
        { x: left, y },
        { x: left + (columnWidth[column] ?? 0), y },
      ];
    });
    const link = chain.original;
    return { ...link, via: chain.reversed ? via.reverse() : via };
  });
  const height = Math.max(0, ...[...top.entries()].map(([id, y]) => y + sizeOf(id).height));
  return { boxes: placed, links: routed, width: Math.max(0, x - options.layerGap), height };
}

/** A link as laid out: pointing forward, through waypoints (one per column it crosses). */
interface Chain {
  readonly original: LayoutLink;
  readonly reversed: boolean;
  readonly from: string;
  readonly to: string;
  readonly waypoints: readonly string[];
}

/** The links with back links (found by depth-first search) reversed: a DAG to put in columns. */
function acyclicLinks(
  ids: readonly string[],
  links: readonly LayoutLink[],
): { link: LayoutLink; reversed: boolean }[] {
  const outgoing = new Map<string, LayoutLink[]>(ids.map((id) => [id, []]));
  for (const link of links) {
    outgoing.get(link.from)?.push(link);
  }
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<LayoutLink>();
  for (const start of ids) {
    if (state.has(start)) {
      continue;
    }
    // Iterative, so a long pipeline cannot overflow the stack.
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) {
        break;
      }
      const out = outgoing.get(frame.id) ?? [];
      const link = out[frame.next];
      if (link === undefined) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      frame.next += 1;
      const seen = state.get(link.to);
      if (seen === 'open') {
        back.add(link);
      } else if (seen === undefined) {
        state.set(link.to, 'open');
        stack.push({ id: link.to, next: 0 });
      }
    }
  }
  return links.map((link) => ({ link, reversed: back.has(link) }));
}

function assignColumns(
  ids: readonly string[],
  links: readonly { link: LayoutLink; reversed: boolean }[],
  options: LayeredLayoutOptions,
): Map<string, number> {
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  const succs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const { link, reversed } of links) {
    const [from, to] = reversed ? [link.to, link.from] : [link.from, link.to];
    preds.get(to)?.push(from);
    succs.get(from)?.push(to);
  }
  const column = new Map<string, number>();
  const remaining = new Map(ids.map((id) => [id, preds.get(id)?.length ?? 0]));
  const ready = ids.filter((id) => remaining.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() ?? '';
    order.push(id);
    const mine = Math.max(-1, ...(preds.get(id) ?? []).map((p) => column.get(p) ?? 0)) + 1;
    column.set(id, mine);
    for (const next of succs.get(id) ?? []) {
      const left = (remaining.get(next) ?? 0) - 1;
      remaining.set(next, left);
      if (left === 0) {
        ready.push(next);
      }
    }
  }
  if (options.rootsNearSuccessors === true) {
    for (const id of [...order].reverse()) {
      const next = succs.get(id) ?? [];
      if ((preds.get(id) ?? []).length === 0 && next.length > 0) {
        column.set(id, Math.min(...next.map((s) => column.get(s) ?? 0)) - 1);
      }
    }
  }
  const last = Math.max(0, ...column.values());
  for (const id of options.lastColumn ?? []) {
    if (column.has(id) && (succs.get(id) ?? []).length === 0) {
      column.set(id, last);
    }
  }
  // Moving roots and sinks may have emptied columns: number the used ones from 0.
  const used = [...new Set(column.values())].sort((a, b) => a - b);
  const renumbered = new Map(used.map((c, i) => [c, i]));
  for (const [id, c] of column) {
    column.set(id, renumbered.get(c) ?? 0);
  }
  return column;
}

function splitLongLinks(
  links: readonly { link: LayoutLink; reversed: boolean }[],
  columnOf: Map<string, number>,
): Chain[] {
  return links.map(({ link, reversed }, index) => {
    const [from, to] = reversed ? [link.to, link.from] : [link.from, link.to];
    const start = columnOf.get(from) ?? 0;
    const end = columnOf.get(to) ?? 0;
    const waypoints: string[] = [];
    for (let column = start + 1; column < end; column += 1) {
      // Not a valid box id (those come from the caller), so it cannot collide with one.
      const id = `\u0000waypoint:${index}:${column}`;
      columnOf.set(id, column);
      waypoints.push(id);
    }
    return { original: link, reversed, from, to, waypoints };
  });
}

/** Each column's boxes and waypoints, top to bottom, with few crossings. */
function orderColumns(
  ids: readonly string[],
  columnOf: ReadonlyMap<string, number>,
  chains: readonly Chain[],
): string[][] {
  const count = Math.max(-1, ...columnOf.values()) + 1;
  const columns: string[][] = Array.from({ length: count }, () => []);
  const neighbours = { left: new Map<string, string[]>(), right: new Map<string, string[]>() };
  const connect = (a: string, b: string): void => {
    neighbours.right.set(a, [...(neighbours.right.get(a) ?? []), b]);
    neighbours.left.set(b, [...(neighbours.left.get(b) ?? []), a]);
  };
  for (const chain of chains) {
    const path = [chain.from, ...chain.waypoints, chain.to];
    for (let i = 1; i < path.length; i += 1) {
      connect(path[i - 1] ?? '', path[i] ?? '');
    }
  }
  // The callers' order first (a pipeline's order of construction reads well), waypoints after.
  for (const id of [...ids, ...chains.flatMap((c) => c.waypoints)]) {
    columns[columnOf.get(id) ?? 0]?.push(id);
  }
  let best = columns.map((c) => [...c]);
  let bestCrossings = crossings(best, neighbours.right);
  for (let sweep = 0; sweep < 8; sweep += 1) {
    const leftToRight = sweep % 2 === 0;
    const side = leftToRight ? neighbours.left : neighbours.right;
    const range = leftToRight
      ? columns.map((_, i) => i).slice(1)
      : columns
          .map((_, i) => i)
          .reverse()
          .slice(1);
    for (const index of range) {
      const fixed = columns[leftToRight ? index - 1 : index + 1] ?? [];
      const position = new Map(fixed.map((id, i) => [id, i]));
      const column = columns[index] ?? [];
      const centre = new Map(
        column.map((id, i) => {
          const around = (side.get(id) ?? []).map((n) => position.get(n) ?? 0);
          return [id, around.length === 0 ? i : around.reduce((a, b) => a + b, 0) / around.length];
        }),
      );
      column.sort((a, b) => (centre.get(a) ?? 0) - (centre.get(b) ?? 0));
    }
    const now = crossings(columns, neighbours.right);
    if (now < bestCrossings) {
      best = columns.map((c) => [...c]);
      bestCrossings = now;
    }
  }
  return best;
}

function crossings(columns: readonly string[][], right: ReadonlyMap<string, string[]>): number {
  let total = 0;
  for (let index = 0; index + 1 < columns.length; index += 1) {
    const next = new Map((columns[index + 1] ?? []).map((id, i) => [id, i]));
    const pairs = (columns[index] ?? []).flatMap((id, i) =>
      (right.get(id) ?? []).map((to) => [i, next.get(to) ?? 0] as const),
    );
    for (let a = 0; a < pairs.length; a += 1) {
      for (let b = a + 1; b < pairs.length; b += 1) {
        const [a0, a1] = pairs[a] ?? [0, 0];
        const [b0, b1] = pairs[b] ?? [0, 0];
        if ((a0 - b0) * (a1 - b1) < 0) {
          total += 1;
        }
      }
    }
  }
  return total;
}

/**
 * Vertical positions: each box is pulled towards the mean of its neighbours' centres, one
 * column at a time, in alternate directions; a column's boxes keep their order and gaps, a
 * run of boxes that would overlap moving as one block to the mean of what each wants.
 */
function settleRows(
  columns: readonly string[][],
  chains: readonly Chain[],
  layout: {
    readonly sizeOf: (id: string) => { width: number; height: number };
    readonly gap: number;
  },
): Map<string, number> {
  const { sizeOf, gap } = layout;
  const left = new Map<string, string[]>();
  const right = new Map<string, string[]>();
  for (const chain of chains) {
    const path = [chain.from, ...chain.waypoints, chain.to];
    for (let i = 1; i < path.length; i += 1) {
      const a = path[i - 1] ?? '';
      const b = path[i] ?? '';
      right.set(a, [...(right.get(a) ?? []), b]);
      left.set(b, [...(left.get(b) ?? []), a]);
    }
  }
  const top = new Map<string, number>();
  for (const column of columns) {
    let y = 0;
    for (const id of column) {
      top.set(id, y);
      y += sizeOf(id).height + gap;
    }
  }
  const centre = (id: string): number => (top.get(id) ?? 0) + sizeOf(id).height / 2;
  for (let round = 0; round < 6; round += 1) {
    const leftToRight = round % 2 === 0;
    const order = leftToRight ? columns : [...columns].reverse();
    for (const column of order) {
      const wanted = column.map((id) => {
        const around = (leftToRight ? left : right).get(id) ?? [];
        const mid =
          around.length === 0
            ? centre(id)
            : around.reduce((sum, n) => sum + centre(n), 0) / around.length;
        return mid - sizeOf(id).height / 2;
      });
      const settled = packInOrder(
        column.map((id) => sizeOf(id).height),
        wanted,
        gap,
      );
      column.forEach((id, i) => top.set(id, settled[i] ?? 0));
    }
  }
  const lowest = Math.min(0, ...top.values());
  for (const [id, y] of top) {
    top.set(id, y - lowest);
  }
  return top;
}

/**
 * Tops as close to `wanted` as order and gaps allow (least squares): boxes that would overlap
 * are merged into a block placed at the mean of what its boxes want.
 */
function packInOrder(heights: readonly number[], wanted: readonly number[], gap: number): number[] {
  interface Block {
    first: number;
    /** Offsets of its boxes from its top, and the sum of (wanted - offset). */
    offsets: number[];
    sum: number;
    height: number;
    top: number;
  }
  const blocks: Block[] = [];
  heights.forEach((height, i) => {
    let block: Block = {
      first: i,
      offsets: [0],
      sum: wanted[i] ?? 0,
      height,
      top: wanted[i] ?? 0,
    };
    for (;;) {
      const previous = blocks[blocks.length - 1];
      if (previous === undefined || previous.top + previous.height + gap <= block.top) {
        break;
      }
      blocks.pop();
      const shift = previous.height + gap;
      const offsets = [...previous.offsets, ...block.offsets.map((o) => o + shift)];
      const sum = previous.sum + block.sum - shift * block.offsets.length;
      block = {
        first: previous.first,
        offsets,
        sum,
        height: shift + block.height,
        top: sum / offsets.length,
      };
    }
    blocks.push(block);
  });
  const tops: number[] = [];
  for (const block of blocks) {
    block.offsets.forEach((offset, k) => {
      tops[block.first + k] = block.top + offset;
    });
  }
  return tops;
}
