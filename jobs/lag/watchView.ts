import { formatOffset, formatSeconds, paintStatus, sparkline, trendArrow } from './formatting.js';
import type { GroupReport, LagReport, PartitionReport } from './lagReport.js';
import { formatLag } from './tableView.js';
import { formatTable, hasColour, visibleWidth } from './textTable.js';

/** Moves the cursor home and clears the screen, so each refresh replaces the last. */
export const clearScreen = '\u001b[H\u001b[2J';

/** The terminal a frame must fit; a missing side is not limited (stdout piped). */
export interface TerminalSize {
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

interface Row {
  readonly group: GroupReport;
  readonly partition: PartitionReport;
}

interface Column {
  readonly header: string;
  readonly cell: (row: Row, colour: boolean) => string;
  /** Dropped first to fit a narrow terminal: 1 before 2; never dropped when absent. */
  readonly dropOrder?: number;
  /** Cut with an ellipsis, down to this width, when dropping columns was not enough. */
  readonly minWidth?: number;
}

const columns: readonly Column[] = [
  {
    header: 'GROUP-STATUS',
    cell: ({ group }, colour) => paintStatus(group.status, group.status, colour),
    dropOrder: 4,
  },
  { header: 'GROUP', cell: ({ group }) => group.group, minWidth: 8 },
  {
    header: 'PARTITION',
    cell: ({ partition: p }) => `${p.topic}-${p.partition}`,
    minWidth: 9, // its header's width
  },
  { header: 'CURRENT', cell: ({ partition: p }) => formatOffset(p.committedOffset), dropOrder: 2 },
  { header: 'LOG-END', cell: ({ partition: p }) => formatOffset(p.logEndOffset), dropOrder: 3 },
  { header: 'LAG', cell: ({ partition: p }) => formatLag(p) },
  { header: 'TIME-LAG', cell: ({ partition: p }) => formatSeconds(p.timeLagSeconds) },
  {
    header: 'STATUS',
    cell: ({ partition: p }, colour) =>
      paintStatus(p.status === 'OK' ? 'OK' : `${p.status} ${p.reason}`, p.status, colour),
  },
  {
    header: 'TREND',
    cell: ({ partition: p }) => `${sparkline(p.lagWindow)} ${trendArrow(p.trend)}`,
    dropOrder: 5,
  },
  {
    header: 'OWNER',
    cell: ({ partition: p }) =>
      p.consumerId === null ? '-' : `${p.clientId ?? ''}@${p.host ?? ''}`,
    dropOrder: 1,
  },
];

const rank = { ERR: 0, WARN: 1, OK: 2 } as const;

/**
 * One frame of `--watch`: a title line with the overall status, then per partition its lag, time
 * lag, status and trend (sparkline of lag over the window, arrow for the direction), worst groups
 * and, within a group, worst partitions first. Cut to the terminal: columns are dropped (OWNER,
 * CURRENT, LOG-END, GROUP-STATUS, TREND, in that order) and group and partition names shortened
 * until a row fits the width; rows beyond the height are replaced by a "… N more" line, so the
 * title and overall status never scroll away.
 */
export function renderWatchFrame(
  report: LagReport,
  options: { colour: boolean; intervalMs: number; windowMs: number } & TerminalSize,
): string {
  const { colour } = options;
  const at = new Date(report.generatedAtMs).toISOString().slice(11, 19);
  const overall = `overall ${paintStatus(report.status, report.status, colour)}`;
  const title = fitTitle(
    [
      `reelstream lag — ${at} UTC — every ${options.intervalMs / 1000}s, window ` +
        `${formatSeconds(options.windowMs / 1000)} — ${overall}`,
      `reelstream lag ${at} — ${overall}`,
      `${at} ${overall}`,
    ],
    options.columns,
  );
  const rows = [...report.groups]
    .map((group, g) => ({ group, g }))
    .sort((a, b) => rank[a.group.status] - rank[b.group.status] || a.g - b.g)
    .flatMap(({ group }) =>
      group.partitions
        .map((partition, i) => ({ partition, i }))
        .sort((a, b) => rank[a.partition.status] - rank[b.partition.status] || a.i - b.i)
        .map(({ partition }) => ({ group, partition })),
    );
  // Title, blank line, header and footer always show; a "… N more" line when rows are cut.
  const footer = 'Ctrl-C to quit.';
  const room = options.rows === undefined ? rows.length : Math.max(0, options.rows - 4);
  const shown = rows.length <= room ? rows : rows.slice(0, Math.max(0, room - 1));
  const table = fitTable(shown, { colour, columns: options.columns });
  const more =
    shown.length < rows.length
      ? [
          `… ${rows.length - shown.length} more partitions (worst first; narrow with -g or --problems)`,
        ]
      : [];
  const lines = [title, '', ...table, ...more.map((m) => cut(m, options.columns)), footer];
  // No newline after the last line: on a full screen it would scroll the title away.
  return options.rows === undefined ? `${lines.join('\n')}\n` : lines.join('\n');
}

/** The frame shown while the cluster cannot be read: the outage line, cut to the terminal. */
export function renderOutageFrame(line: string, size: TerminalSize): string {
  const lines = [
    cut('reelstream lag — overall UNREACHABLE', size.columns),
    '',
    line,
    '',
    'Ctrl-C to quit.',
  ];
  // Wrapped rather than cut: the reason is the point of this frame.
  return lines.map((l) => wrap(l, size.columns)).join('\n') + (size.rows === undefined ? '\n' : '');
}

/** The first title that fits. */
function fitTitle(candidates: readonly string[], width: number | undefined): string {
  const fitting = candidates.find((c) => width === undefined || visibleWidth(c) <= width);
  return fitting ?? cut(candidates[candidates.length - 1] ?? '', width);
}

/** The table as lines no wider than `width`: columns dropped, then names shortened. */
function fitTable(
  rows: readonly Row[],
  options: { colour: boolean; columns: number | undefined },
): string[] {
  const { colour, columns: width } = options;
  let kept = [...columns];
  const render = (limits: ReadonlyMap<string, number>): string[] =>
    formatTable(
      kept.map((c) => c.header),
      rows.map((row) => kept.map((c) => cutMiddle(c.cell(row, colour), limits.get(c.header)))),
    ).split('\n');
  const widest = (lines: readonly string[]): number => Math.max(0, ...lines.map(visibleWidth));
  let lines = render(new Map());
  if (width === undefined) {
    return lines;
  }
  const droppable = kept
    .filter((c) => c.dropOrder !== undefined)
    .sort((a, b) => (a.dropOrder ?? 0) - (b.dropOrder ?? 0));
  for (const column of droppable) {
    if (widest(lines) <= width) {
      return lines;
    }
    kept = kept.filter((c) => c !== column);
    lines = render(new Map());
  }
  // Still too wide: shorten the name columns to a common cap, the longest first (never below
  // their minimum), so neither loses everything while the other keeps its full width.
  const excess = widest(lines) - width;
  const shrinkable = kept
    .filter((c) => c.minWidth !== undefined)
    .map((c) => ({ c, w: columnWidth(lines, kept, c), min: c.minWidth ?? 0 }));
  const capped = (cap: number): number[] =>
    shrinkable.map(({ w, min }) => Math.min(w, Math.max(min, cap)));
  let cap = Math.max(0, ...shrinkable.map(({ w }) => w));
  const saved = (): number =>
    shrinkable.reduce((sum, { w }, i) => sum + w - (capped(cap)[i] ?? w), 0);
  while (cap > 0 && saved() < excess) {
    cap -= 1;
  }
  const limits = new Map(shrinkable.map(({ c }, i) => [c.header, capped(cap)[i] ?? 0]));
  return render(limits).map((line) => cut(line, width));
}

/** Width of a column as laid out: the longest of its header and cells. */
function columnWidth(lines: readonly string[], kept: readonly Column[], column: Column): number {
  const header = lines[0] ?? '';
  const start = header.indexOf(column.header);
  const next = kept[kept.indexOf(column) + 1];
  const end = next === undefined ? header.length : header.indexOf(next.header) - 2;
  return end - start;
}

/** Cut to `width` visible characters with an ellipsis; text with colour is never cut mid-code. */
function cut(text: string, width: number | undefined): string {
  if (width === undefined || visibleWidth(text) <= width) {
    return text;
  }
  if (hasColour(text)) {
    return text; // coloured cells (statuses) are short and never the ones shortened
  }
  return `${[...text].slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * A name cut in the middle: group and topic names share prefixes (`orders.`, a team's namespace)
 * and differ at the end, where the partition number is too.
 */
function cutMiddle(text: string, width: number | undefined): string {
  const chars = [...text];
  if (width === undefined || chars.length <= width) {
    return text;
  }
  const tail = Math.floor((width - 1) / 2);
  return `${chars.slice(0, width - 1 - tail).join('')}…${tail > 0 ? chars.slice(-tail).join('') : ''}`;
}

function wrap(text: string, width: number | undefined): string {
  if (width === undefined || width < 1) {
    return text;
  }
  const chars = [...text];
  const lines: string[] = [];
  for (let i = 0; i < chars.length; i += width) {
    lines.push(chars.slice(i, i + width).join(''));
  }
  return lines.join('\n');
}
