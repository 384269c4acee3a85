import { formatOffset, formatSeconds, paintStatus } from './formatting.js';
import type { LagReport, PartitionReport } from './lagReport.js';
import { formatTable } from './textTable.js';

/**
 * The one-shot table: a summary line per group, worst first, then the partition rows in
 * kafka-consumer-groups' column order with TIME-LAG and STATUS added. An LSO column appears only
 * when some partition's last stable offset differs from its log-end offset.
 */
export function renderTable(report: LagReport, options: { colour: boolean }): string {
  const { colour } = options;
  const rank = { ERR: 0, WARN: 1, OK: 2 } as const;
  const groups = [...report.groups].sort(
    (a, b) => rank[a.status] - rank[b.status] || b.maxTimeLagSeconds - a.maxTimeLagSeconds,
  );
  if (groups.length === 0) {
    return 'no matching partitions\n';
  }
  const summary = formatTable(
    ['STATUS', 'GROUP', 'STATE', 'MEMBERS', 'LAG', 'MAX-TIME-LAG', 'REASON'],
    groups.map((g) => [
      paintStatus(g.status, g.status, colour),
      g.group,
      g.state,
      String(g.members),
      String(g.totalLag),
      formatSeconds(g.maxTimeLagSeconds),
      g.reason,
    ]),
  );
  const showLso = groups.some((g) => g.partitions.some(lsoDiffers));
  const header = [
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    ...(showLso ? ['LSO'] : []),
    'LAG',
    'TIME-LAG',
    'STATUS',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ];
  const rows = groups.flatMap((g) =>
    g.partitions.map((p) => [
      g.group,
      p.topic,
      String(p.partition),
      formatOffset(p.committedOffset),
      formatOffset(p.logEndOffset),
      ...(showLso ? [lsoDiffers(p) ? formatOffset(p.lastStableOffset) : ''] : []),
      formatLag(p),
      formatSeconds(p.timeLagSeconds),
      paintStatus(p.status === 'OK' ? 'OK' : `${p.status} ${p.reason}`, p.status, colour),
      p.consumerId ?? '-',
      p.host ?? '-',
      p.clientId ?? '-',
    ]),
  );
  const partitions = rows.length === 0 ? '' : `\n${formatTable(header, rows)}\n`;
  return `${summary}\n${partitions}`;
}

function lsoDiffers(p: PartitionReport): boolean {
  return p.lastStableOffset !== null && p.lastStableOffset !== p.logEndOffset;
}

/** kafka-consumer-groups' LAG; a lag a read_committed consumer cannot read (transaction markers, aborted records, an open transaction) is marked (txn). */
export function formatLag(p: PartitionReport): string {
  if (p.lag === null) {
    return '-';
  }
  return p.lag > 0 && p.effectiveLag === 0 ? `${p.lag} (txn)` : String(p.lag);
}
