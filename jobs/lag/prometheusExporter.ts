import { createServer, type Server } from 'node:http';

import { Gauge, Registry } from 'prom-client';

import type { LagStatus } from './burrowEvaluator.js';
import type { GroupReport, LagReport, PartitionReport } from './lagReport.js';

const statusValue: Record<LagStatus, number> = { OK: 0, WARN: 1, ERR: 2 };

const partitionLabels = [
  'cluster_name',
  'group',
  'topic',
  'partition',
  'member_host',
  'consumer_id',
  'client_id',
] as const;
type PartitionLabel = (typeof partitionLabels)[number];

/**
 * The `--prometheus` exporter's metrics. Lag series carry kafka-lag-exporter's names and labels
 * (its README's `kafka_consumergroup_*` and `kafka_partition_*`), so its dashboards and alert
 * rules work unchanged; what it has no metric for is `reelstream_lag_*`. Every update replaces all
 * series, so a partition or group that disappears stops being exported instead of freezing at its
 * last value; while the cluster cannot be read there are no lag series at all, only
 * `reelstream_lag_up 0` (a frozen lag would look healthy).
 */
export class LagMetrics {
  readonly registry = new Registry();
  private readonly groupOffset = this.partitionGauge(
    'kafka_consumergroup_group_offset',
    'Committed offset of the group on this partition',
  );
  private readonly groupLag = this.partitionGauge(
    'kafka_consumergroup_group_lag',
    'Log-end offset minus committed offset, as kafka-consumer-groups prints it (negative: committed beyond the log end)',
  );
  private readonly groupLagSeconds = this.partitionGauge(
    'kafka_consumergroup_group_lag_seconds',
    'Age in seconds of the oldest record the group has not consumed',
  );
  private readonly maxLag = this.gauge(
    'kafka_consumergroup_group_max_lag',
    'Highest offset lag of any partition of the group',
    ['cluster_name', 'group', 'is_simple_consumer'],
  );
  private readonly maxLagSeconds = this.gauge(
    'kafka_consumergroup_group_max_lag_seconds',
    'Highest time lag of any partition of the group, in seconds',
    ['cluster_name', 'group', 'is_simple_consumer'],
  );
  private readonly sumLag = this.gauge(
    'kafka_consumergroup_group_sum_lag',
    'Sum of the offset lags of the group (partitions with a positive lag)',
    ['cluster_name', 'group'],
  );
  private readonly latestOffset = this.gauge(
    'kafka_partition_latest_offset',
    'Log-end offset (high watermark) of the partition',
    ['cluster_name', 'topic', 'partition'],
  );
  private readonly earliestOffset = this.gauge(
    'kafka_partition_earliest_offset',
    'Log-start offset of the partition (moved by retention)',
    ['cluster_name', 'topic', 'partition'],
  );
  private readonly partitionStatus = this.gauge(
    'reelstream_lag_partition_status',
    'Burrow status of the partition: 0 OK, 1 WARN, 2 ERR',
    ['cluster_name', 'group', 'topic', 'partition', 'reason'],
  );
  private readonly groupStatus = this.gauge(
    'reelstream_lag_group_status',
    'Burrow status of the group (its worst partition): 0 OK, 1 WARN, 2 ERR',
    ['cluster_name', 'group', 'reason'],
  );
  private readonly lostRecords = this.gauge(
    'reelstream_lag_lost_records',
    'Records deleted (retention) below the committed offset before the group read them',
    ['cluster_name', 'group', 'topic', 'partition'],
  );
  private readonly pollSeconds = this.gauge(
    'reelstream_lag_poll_duration_seconds',
    'How long the last successful look at the cluster took',
    ['cluster_name'],
  );
  private readonly up = this.gauge(
    'reelstream_lag_up',
    '1 when the last look at the cluster succeeded, 0 while it cannot be read (unreachable, not authorized)',
    ['cluster_name'],
  );

  constructor(private readonly clusterName: string) {
    this.up.set({ cluster_name: clusterName }, 0);
  }

  update(report: LagReport, pollSeconds: number): void {
    this.dropSeries();
    const cluster = { cluster_name: this.clusterName };
    for (const group of report.groups) {
      this.updateGroup(group);
      for (const p of group.partitions) {
        this.updatePartition(group.group, p);
      }
    }
    this.pollSeconds.set(cluster, pollSeconds);
    this.up.set(cluster, 1);
  }

  /** The cluster could not be read: no lag series (none would be current), and up 0. */
  unreachable(): void {
    this.dropSeries();
    this.up.set({ cluster_name: this.clusterName }, 0);
  }

  private updateGroup(group: GroupReport): void {
    const labels = { cluster_name: this.clusterName, group: group.group };
    const simple = { ...labels, is_simple_consumer: String(group.simple) };
    const lags = group.partitions.map((p) => p.lag ?? 0);
    this.maxLag.set(simple, Math.max(0, ...lags));
    this.maxLagSeconds.set(simple, group.maxTimeLagSeconds);
    this.sumLag.set(labels, group.totalLag);
    this.groupStatus.set({ ...labels, reason: group.reason }, statusValue[group.status]);
  }

  private updatePartition(group: string, p: PartitionReport): void {
    const where = {
      cluster_name: this.clusterName,
      topic: p.topic,
      partition: String(p.partition),
    };
    // kafka-lag-exporter leaves the member labels empty for a partition no member owns.
    const labels: Record<PartitionLabel, string> = {
      cluster_name: this.clusterName,
      group,
      topic: p.topic,
      partition: String(p.partition),
      member_host: p.host ?? '',
      consumer_id: p.consumerId ?? '',
      client_id: p.clientId ?? '',
    };
    setIfKnown(this.groupOffset, labels, p.committedOffset);
    setIfKnown(this.groupLag, labels, p.lag);
    setIfKnown(this.groupLagSeconds, labels, p.timeLagSeconds);
    setIfKnown(this.latestOffset, where, p.logEndOffset);
    setIfKnown(this.earliestOffset, where, p.logStartOffset);
    const inGroup = {
      cluster_name: this.clusterName,
      group,
      topic: p.topic,
      partition: where.partition,
    };
    setIfKnown(this.lostRecords, inGroup, p.lostRecords);
    this.partitionStatus.set({ ...inGroup, reason: p.reason }, statusValue[p.status]);
  }

  private dropSeries(): void {
    for (const gauge of [
      this.groupOffset,
      this.groupLag,
      this.groupLagSeconds,
      this.maxLag,
      this.maxLagSeconds,
      this.sumLag,
      this.latestOffset,
      this.earliestOffset,
      this.partitionStatus,
      this.groupStatus,
      this.lostRecords,
      this.pollSeconds,
    ] as Gauge<string>[]) {
      gauge.reset();
    }
  }

  private partitionGauge(name: string, help: string): Gauge<PartitionLabel> {
    return this.gauge(name, help, partitionLabels);
  }

  private gauge<TLabel extends string>(
    name: string,
    help: string,
    labelNames: readonly TLabel[],
  ): Gauge<TLabel> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}

function setIfKnown<TLabel extends string>(
  gauge: Gauge<TLabel>,
  labels: Record<TLabel, string>,
  value: number | null,
): void {
  if (value !== null) {
    gauge.set(labels, value);
  }
}

/**
 * Serves `/metrics` on `port` (all interfaces); anything else is a 404. Rejects when the port
 * cannot be bound (in use, not permitted) with the listen error.
 */
export function serveMetrics(metrics: LagMetrics, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end('see /metrics\n');
      return;
    }
    metrics.registry
      .metrics()
      .then((body) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      })
      .catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
