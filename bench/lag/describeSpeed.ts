/**
 * Speed (docs/lag.md): 50 consumer groups, each with committed offsets (and some lag) on its own
 * 100-partition topic — 5,000 group partitions — then `reelstream lag --json` is timed, the whole
 * process from start to exit, several times. The target is under 2 s against the local broker.
 *
 *   node --import tsx bench/lag/describeSpeed.ts [--groups 50] [--partitions 100] [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { connection, createTopics, testKafka, uniqueName } from '../../test/support/integration.js';

const { values: options } = parseArgs({
  options: {
    groups: { type: 'string', default: '50' },
    partitions: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
  },
});
const groupCount = Number(options.groups);
const partitions = Number(options.partitions);
const runs = Number(options.runs);

const cli = join(import.meta.dirname, '..', '..', 'dist', 'jobs', 'cli', 'main.js');
const prefix = uniqueName('lagbench-speed');
const names = Array.from(
  { length: groupCount },
  (_, i) => `${prefix}.${String(i).padStart(2, '0')}`,
);
const kafka = testKafka('lag-bench-speed');

let t = performance.now();
await createTopics(names, { partitions });
console.log(
  `created ${groupCount} topics × ${partitions} partitions in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

t = performance.now();
const producer = kafka.producer();
await producer.connect();
const admin = kafka.admin();
await admin.connect();
await Promise.all(
  names.map(async (name) => {
    const messages = Array.from({ length: partitions * 4 }, (_, i) => ({
      partition: i % partitions,
      value: `r${i}`,
    }));
    // 5,000 new partitions take the broker a few seconds to lead; retry until they do.
    await retrying(() => producer.send({ topic: name, messages }));
    // Each group is its topic's name; committed 1 behind for half the partitions.
    await admin.setOffsets({
      groupId: name,
      topic: name,
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partition: p,
        offset: String(p % 2 === 0 ? 4 : 3),
      })),
    });
  }),
);
await producer.disconnect();
await admin.disconnect();
console.log(`produced and committed in ${((performance.now() - t) / 1000).toFixed(1)} s`);

async function retrying<TResult>(work: () => Promise<TResult>): Promise<TResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 20) {
        throw error;
      }
      await sleep(1_000);
    }
  }
}

const pattern = `${prefix.replace(/[.]/g, '\\.')}\\..*`;
const timings: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [cli, 'lag', '--json', '--no-state', '--group', pattern],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, REELSTREAM_BROKERS: connection.brokers.join(',') },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`reelstream lag exited ${result.status}: ${result.stderr}`);
  }
  const report = JSON.parse(result.stdout) as { groups: { partitions: { lag: number }[] }[] };
  const rows = report.groups.reduce((n, g) => n + g.partitions.length, 0);
  const lag = report.groups.reduce((n, g) => n + g.partitions.reduce((s, p) => s + p.lag, 0), 0);
  timings.push(seconds);
  console.log(
    `run ${i + 1}: reelstream lag --json: ${report.groups.length} groups, ${rows} partitions, total lag ${lag}, ${seconds.toFixed(2)} s`,
  );
}
const sorted = [...timings].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
console.log(
  `median ${median.toFixed(2)} s, max ${(sorted[sorted.length - 1] ?? 0).toFixed(2)} s: ${median < 2 ? 'PASS' : 'FAIL'} (target < 2 s)`,
);
