/**
 * Restore benchmark: writes changelog records (transactionally, as an exactly-once job does) to
 * the changelogs of `--tasks` tasks × `--stores` stores, then restores them and prints where the
 * time went: `readToEnd` alone (records dropped), then whole restores into RocksDB
 * (`TaskState.open`), one task alone and all tasks at once, as a job restores after a restart.
 *
 *   node --import tsx bench/restore/restoreBench.ts [--records 200000] [--value-bytes 100] \
 *     [--tasks 4] [--stores 2] [--keys 50000]
 *
 * `--records` is per changelog partition. The topics (`bench.restore.<id>-…-changelog`) are
 * deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { TaskState } from '../../operators/runtime/taskState.js';
import { CacheBudget } from '../../operators/state/caching/cacheBudget.js';
import { changelogTopic, type StoreSpec } from '../../operators/state/storeDefinition.js';

const { values: flags } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '100' },
    tasks: { type: 'string', default: '4' },
    stores: { type: 'string', default: '2' },
    keys: { type: 'string', default: '50000' },
    'skip-read': { type: 'boolean', default: false },
  },
});
const records = Number(flags.records);
const valueBytes = Number(flags['value-bytes']);
const tasks = Number(flags.tasks);
const storeCount = Number(flags.stores);
const keyCount = Number(flags.keys);

const applicationId = `bench.restore.${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const specs: StoreSpec[] = Array.from({ length: storeCount }, (_, i) => ({
  name: `store${i}`,
  backend: 'rocksdb',
  changelog: true,
}));
const topics = specs.map((s) => changelogTopic(applicationId, s.name));
const connection = connectionConfigFromEnv();
const kafka = createKafkaJs(connection, { clientId: 'restore-bench' });
const client = new KafkajsStreamClient(kafka);

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
const rate = (bytes: number, ms: number): string => ((bytes / 1e6 / ms) * 1000).toFixed(1);

async function produce(): Promise<number> {
  await client.ensureTopics(
    topics.map((name) => ({
      name,
      partitions: tasks,
      config: { 'cleanup.policy': 'compact' },
    })),
  );
  const started = performance.now();
  let bytes = 0;
  const value = Buffer.alloc(valueBytes, 'v');
  // One producer per partition, transactions of 2,000 records: the changelog an exactly-once
  // job leaves, markers included.
  await Promise.all(
    Array.from({ length: tasks }, async (_, partition) => {
      const producer = await client.transactionalProducer(`${applicationId}-p${partition}`);
      try {
        for (let offset = 0; offset < records; offset += 2_000) {
          const batch = [];
          for (let i = offset; i < Math.min(records, offset + 2_000); i++) {
            const key = Buffer.from(`key-${(i * 7919) % keyCount}`);
            for (const topic of topics) {
              batch.push({ topic, partition, key, value, timestamp: 0, headers: {} });
              bytes += key.length + value.length;
            }
          }
          await producer.commit({ records: batch, groupId: applicationId, offsets: [] });
        }
      } finally {
        await producer.close();
      }
    }),
  );
  console.log(
    `produced ${mb(bytes)} MB (${records} records × ${topics.length} stores × ${tasks} tasks) in ${Math.round(performance.now() - started)} ms`,
  );
  return bytes;
}

async function readOnly(partitions: number[]): Promise<void> {
  const started = performance.now();
  let bytes = 0;
  let count = 0;
  let batches = 0;
  await client.readToEnd(
    partitions.flatMap((partition) =>
      topics.map((topic) => ({ topic, partition, fromOffset: '0' })),
    ),
    (batch) => {
      batches += 1;
      count += batch.length;
      for (const r of batch) {
        bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      }
      return Promise.resolve();
    },
  );
  const ms = performance.now() - started;
  console.log(
    `readToEnd only, ${partitions.length} partition(s) × ${topics.length} topics: ${count} records, ${mb(bytes)} MB in ${Math.round(ms)} ms = ${rate(bytes, ms)} MB/s (${batches} batches)`,
  );
}

async function restoreTasks(partitions: number[]): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'restore-bench-'));
  const budget = new CacheBudget(64 * 1024 * 1024);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    const opened = await Promise.all(
      partitions.map((partition) =>
        TaskState.open({
          applicationId,
          taskId: `0_${partition}`,
          partition,
          specs,
          stateDir,
          budget,
          client,
        }),
      ),
    );
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const bytes = opened.reduce((sum, o) => sum + o.report.bytes, 0);
    const summedMs = opened.reduce((sum, o) => sum + o.report.ms, 0);
    console.log(
      `restore of ${partitions.length} task(s) × ${specs.length} stores into RocksDB: ${mb(bytes)} MB in ${Math.round(ms)} ms wall = ${rate(bytes, ms)} MB/s; per task ${opened.map((o) => Math.round(o.report.ms)).join(', ')} ms (summed ${Math.round(summedMs)} ms = ${rate(bytes, summedMs)} MB/s); this process's CPU ${Math.round(cpuMs)} ms = ${rate(bytes, cpuMs)} MB per CPU-second`,
    );
    await Promise.all(opened.map((o) => o.state.close()));
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

try {
  await produce();
  const all = Array.from({ length: tasks }, (_, i) => i);
  if (!flags['skip-read']) {
    await readOnly([0]);
    await readOnly(all);
  }
  await restoreTasks([0]);
  await restoreTasks(all);
} finally {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics });
  await admin.disconnect();
}
