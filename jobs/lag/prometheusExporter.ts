import { createServer, type Server } from 'node:http';

import { Gauge, Registry } from 'prom-client';

import type { LagStatus } from './burrowEvaluator.js';
import type { LagReport } from './lagReport.js';

const statusValue: Record<LagStatus, number> = { OK: 0, WARN: 1, ERR: 2 };

/**
 * The `--prometheus` exporter's metrics. Gauges are reset before each update, so a partition that
 * disappears (group deleted, topic deleted) stops being exported instead of freezing at its last
 * value. Names follow kafka-lag-exporter's where one exists.
 */
export class LagMetrics {
  readonly registry = new Registry();
  private readonly partitionLabels = ['group', 'topic', 'partition'] as const;
  private readonly offsetLag = this.gauge(
    'reelstream_lag_offset',
    'Offset lag (log-end offset minus committed offset, >= 0), as kafka-consumer-groups shows it',
  );
  private readonly timeLag = this.gauge(
    'reelstream_lag_seconds',
    'Age in seconds of the oldest record the group has not consumed',
  );
  private readonly committed = this.gauge(
    'reelstream_lag_committed_offset',
    'Committed offset of the group',
  );
  private readonly logEnd = this.gauge('reelstream_lag_log_end_offset', 'High watermark');
  private readonly partitionStatus = this.gauge(
    'reelstream_lag_partition_status',
    'Burrow status of the partition: 0 OK, 1 WARN, 2 ERR',
  );
  private readonly groupStatus = new Gauge({
    name: 'reelstream_lag_group_status',
    help: 'Burrow status of the group (its worst partition): 0 OK, 1 WARN, 2 ERR',
    labelNames: ['group', 'reason'],
    registers: [this.registry],
  });
  private readonly pollSeconds = new Gauge({
    name: 'reelstream_lag_poll_duration_seconds',
    help: 'How long the last look at the cluster took',
    registers: [this.registry],
  });
  private readonly pollErrors = new Gauge({
    name: 'reelstream_lag_poll_up',
    help: '1 when the last look at the cluster succeeded, 0 when it failed',
    registers: [this.registry],
  });

  update(report: LagReport, pollSeconds: number): void {
    for (const g of [this.offsetLag, this.timeLag, this.committed, this.logEnd]) {
      g.reset();
    }
    this.partitionStatus.reset();
    this.groupStatus.reset();
    for (const group of report.groups) {
      this.groupStatus.set({ group: group.group, reason: group.reason }, statusValue[group.status]);
      for (const p of group.partitions) {
        const labels = { group: group.group, topic: p.topic, partition: String(p.partition) };
        this.partitionStatus.set(labels, statusValue[p.status]);
        setIfKnown(this.offsetLag, labels, p.lag);
        setIfKnown(this.timeLag, labels, p.timeLagSeconds);
        setIfKnown(this.committed, labels, p.committedOffset);
        setIfKnown(this.logEnd, labels, p.logEndOffset);
      }
    }
    this.pollSeconds.set(pollSeconds);
    this.pollErrors.set(1);
  }

  pollFailed(): void {
    this.pollErrors.set(0);
  }

  private gauge(name: string, help: string): Gauge<'group' | 'topic' | 'partition'> {
    return new Gauge({ name, help, labelNames: this.partitionLabels, registers: [this.registry] });
  }
}

function setIfKnown(
  gauge: Gauge<'group' | 'topic' | 'partition'>,
  labels: Record<'group' | 'topic' | 'partition', string>,
  value: number | null,
): void {
  if (value !== null) {
    gauge.set(labels, value);
  }
}

/** Serves `/metrics` on `port` (all interfaces); anything else is a 404. */
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
