import { formatOffset, formatSeconds, paintStatus, sparkline, trendArrow } from './formatting.js';
import type { LagReport } from './lagReport.js';
import { formatLag } from './tableView.js';
import { formatTable } from './textTable.js';

/** Moves the cursor home and clears the screen, so each refresh replaces the last. */
export const clearScreen = '\u001b[H\u001b[2J';

/**
 * One frame of `--watch`: a header line, then per partition its lag, time lag, status and trend
 * (sparkline of lag over the window, arrow for the direction), worst groups first.
 */
export function renderWatchFrame(
  report: LagReport,
  options: { colour: boolean; intervalMs: number; windowMs: number },
): string {
  const { colour } = options;
  const at = new Date(report.generatedAtMs).toISOString().slice(11, 19);
  const title =
    `reelstream lag — ${at} UTC — every ${options.intervalMs / 1000}s, window ` +
    `${formatSeconds(options.windowMs / 1000)} — overall ${paintStatus(report.status, report.status, colour)}`;
  const rank = { ERR: 0, WARN: 1, OK: 2 } as const;
  const groups = [...report.groups].sort((a, b) => rank[a.status] - rank[b.status]);
  const rows = groups.flatMap((g) =>
    g.partitions.map((p) => [
      paintStatus(g.status, g.status, colour),
      g.group,
      `${p.topic}-${p.partition}`,
      formatOffset(p.committedOffset),
      formatOffset(p.logEndOffset),
      formatLag(p),
      formatSeconds(p.timeLagSeconds),
      paintStatus(p.status === 'OK' ? 'OK' : `${p.status} ${p.reason}`, p.status, colour),
      `${sparkline(p.lagWindow)} ${trendArrow(p.trend)}`,
      p.consumerId === null ? '-' : `${p.clientId ?? ''}@${p.host ?? ''}`,
    ]),
  );
  const table = formatTable(
    [
      'GROUP-STATUS',
      'GROUP',
      'PARTITION',
      'CURRENT',
      'LOG-END',
      'LAG',
      'TIME-LAG',
      'STATUS',
      'TREND',
      'OWNER',
    ],
    rows,
  );
  return `${title}\n\n${table}\n\nCtrl-C to quit.\n`;
}
