/**
 * How fast the in-process test driver runs a three-operator pipeline (mapValues → filter →
 * selectKey) on Avro records: records in through the source serdes, out through the sink serdes.
 *
 *   node --import tsx bench/testDriver/throughput.ts [--records 1000000] [--batch 10000]
 */
import { Command } from 'commander';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import { avroSerde, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';

const options = new Command()
  .option('--records <n>', 'records to pipe', (v) => Number(v), 1_000_000)
  .option('--batch <n>', 'records per pipeMany call', (v) => Number(v), 10_000)
  .parse()
  .opts<{ records: number; batch: number }>();

const serdes = { key: stringSerde, value: avroSerde(watchHeartbeatSchema) };
const pipeline = new Pipeline();
pipeline
  .source('heartbeats', serdes)
  .mapValues((hb) => ({ ...hb, watchedMs: hb.watchedMs + 10_000 }))
  .filter((hb) => hb.watchedMs % 10 !== 0)
  .selectKey((r) => r.value.videoId)
  .to('by-video', serdes);

const driver = await TestDriver.start(pipeline);
const input = driver.input('heartbeats', serdes);
const output = driver.output('by-video', serdes);
const batch = (start: number): { key: string; value: WatchHeartbeat }[] =>
  Array.from({ length: options.batch }, (_, j) => {
    const i = start + j;
    return {
      key: `user-${i % 10_007}`,
      value: {
        userId: `user-${i % 10_007}`,
        videoId: `video-${i % 4_001}`,
        sessionId: `s-${i}`,
        watchedMs: i,
        eventTime: i,
      },
    };
  });

// Warm up the JIT, then measure.
await input.pipeMany(batch(0));
await output.readRecords();
let out = 0;
const started = performance.now();
for (let start = 0; start < options.records; start += options.batch) {
  await input.pipeMany(batch(start));
  out += (await output.readRecords()).length;
}
const seconds = (performance.now() - started) / 1000;
const rate = Math.round(options.records / seconds);
console.log(
  `test driver: ${options.records} records through mapValues → filter → selectKey (Avro in and out) in ${seconds.toFixed(2)} s: ${rate} records/s (${out} out); target ≥ 100000 records/s: ${rate >= 100_000 ? 'met' : 'NOT met'}`,
);
