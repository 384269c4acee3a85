import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { defaultEvaluatorSettings } from './burrowEvaluator.js';
import type { LagSnapshot, PartitionOffsets } from './lagModel.js';
import { buildReport, recordSnapshot } from './lagReport.js';
import { LagMetrics } from './prometheusExporter.js';
import { SampleHistory } from './sampleHistory.js';

function partition(overrides: Partial<PartitionOffsets>): PartitionOffsets {
  return {
    topic: 'orders',
    partition: 0,
    committedOffset: 10,
    logEndOffset: 10,
    lastStableOffset: 10,
    logStartOffset: 0,
    nextRecord: undefined,
    owner: { consumerId: 'c-1', clientId: 'app', host: '/127.0.0.1' },
    ...overrides,
  };
}

/** Two groups: `billing` 30 and 5 behind (one partition unowned), `audit` caught up. */
function report(): ReturnType<typeof buildReport> {
  const snapshot: LagSnapshot = {
    takenAtMs: 100_000,
    groups: [
      {
        groupId: 'billing',
        type: 'consumer',
        simple: false,
        state: 'Stable',
        memberCount: 1,
        partitions: [
          partition({ committedOffset: 70, logEndOffset: 100, lastStableOffset: 100 }),
          partition({
            partition: 1,
            committedOffset: 15,
            logEndOffset: 20,
            lastStableOffset: 20,
            logStartOffset: 3,
            nextRecord: { offset: 15, timestampMs: 58_000 },
            owner: null,
          }),
        ],
      },
      {
        groupId: 'audit',
        type: 'classic',
        simple: true,
        state: 'Empty',
        memberCount: 0,
        partitions: [partition({ owner: null })],
      },
    ],
  };
  const history = new SampleHistory();
  recordSnapshot(history, snapshot);
  return buildReport(snapshot, history, defaultEvaluatorSettings);
}

async function scrape(metrics: LagMetrics): Promise<string> {
  return metrics.registry.metrics();
}

/** The value of the one series whose name and labels match, or undefined. */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test("kafka-lag-exporter's metric names and labels, with per-group max and sum lag", async () => {
  const metrics = new LagMetrics('local');
  metrics.update(report(), 0.25);
  const text = await scrape(metrics);
  const partition0 = {
    cluster_name: 'local',
    group: 'billing',
    topic: 'orders',
    partition: '0',
    member_host: '/127.0.0.1',
    consumer_id: 'c-1',
    client_id: 'app',
  };
  assert.equal(value(text, 'kafka_consumergroup_group_lag', partition0), 30);
  assert.equal(value(text, 'kafka_consumergroup_group_offset', partition0), 70);
  assert.equal(
    value(text, 'kafka_consumergroup_group_lag_seconds', { group: 'billing', partition: '1' }),
    42,
  );
  // An unowned partition has empty owner labels, as kafka-lag-exporter leaves them.
  assert.match(
    text,
    /kafka_consumergroup_group_lag\{[^}]*partition="1",member_host="",consumer_id="",client_id=""\} 5/,
  );
  const billing = { cluster_name: 'local', group: 'billing' };
  assert.equal(
    value(text, 'kafka_consumergroup_group_max_lag', { ...billing, is_simple_consumer: 'false' }),
    30,
  );
  assert.equal(value(text, 'kafka_consumergroup_group_max_lag_seconds', billing), 42);
  assert.equal(value(text, 'kafka_consumergroup_group_sum_lag', billing), 35);
  assert.equal(
    value(text, 'kafka_consumergroup_group_max_lag', {
      group: 'audit',
      is_simple_consumer: 'true',
    }),
    0,
  );
  assert.equal(
    value(text, 'kafka_partition_latest_offset', { topic: 'orders', partition: '1' }),
    20,
  );
  assert.equal(
    value(text, 'kafka_partition_earliest_offset', { topic: 'orders', partition: '1' }),
    3,
  );
  assert.equal(value(text, 'reelstream_lag_up', { cluster_name: 'local' }), 1);
  assert.doesNotMatch(text, /reelstream_lag_offset/, 'the old name that held a lag');
  // Every per-partition series names cluster, group, topic, partition in that order.
  assert.match(
    text,
    /^reelstream_lag_lost_records\{cluster_name="local",group="billing",topic="orders",partition="0"\} 0$/m,
  );
});

test('while the cluster is unreachable no lag series is exported, and up says so', async () => {
  const metrics = new LagMetrics('local');
  metrics.update(report(), 0.25);
  metrics.unreachable();
  const text = await scrape(metrics);
  const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(
    series.filter((l) => !l.startsWith('reelstream_lag_up')),
    [],
    'stale series left while unreachable',
  );
  assert.equal(value(text, 'reelstream_lag_up', { cluster_name: 'local' }), 0);
  metrics.update(report(), 0.2);
  assert.equal(value(await scrape(metrics), 'reelstream_lag_up', { cluster_name: 'local' }), 1);
});

test('promtool check metrics accepts a scrape', async (t) => {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (version.error !== undefined) {
    t.skip(
      'promtool not installed (Debian: apt-get install prometheus); the scrape was not linted',
    );
    return;
  }
  const metrics = new LagMetrics('local');
  metrics.update(report(), 0.25);
  const check = spawnSync('promtool', ['check', 'metrics'], {
    input: await scrape(metrics),
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
});
