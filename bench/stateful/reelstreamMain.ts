/**
 * The reelstream side of bench/stateful, run as its own process by reelstreamSide.ts: per-video
 * hopping window counts on the reelstream runtime with RocksDB state, stopped once every input
 * record is processed and committed; prints one `BENCH_RESULT {json}` line.
 */
import { cpuUsage } from 'node:process';

import pino from 'pino';

import {
  Pipeline,
  StreamJob,
  avroSerde,
  hoppingWindows,
  stringSerde,
} from '../../operators/index.js';
import { resultMarker } from '../support/measuredProcess.js';
import { PeakMemorySampler } from '../support/peakMemory.js';
import { benchCacheBytes } from '../support/reelstreamNodeArgs.js';
import { benchWatchEventSchema } from '../stateless/generated/benchEvent.js';
import type { StatefulBenchJob } from './engine.js';
import { outputKeyOf } from './topology.js';

const job = JSON.parse(process.env['REELSTREAM_BENCH_JOB'] ?? '{}') as StatefulBenchJob;
const launched = performance.now();
const memory = new PeakMemorySampler();
const cacheMaxBytes = benchCacheBytes();
let first: number | undefined;
let cpuAtFirst: NodeJS.CpuUsage | undefined;

const events = avroSerde(benchWatchEventSchema);
const pipeline = new Pipeline();
pipeline
  .source(job.inputTopic, { key: stringSerde, value: events })
  .peek(() => {
    if (first === undefined) {
      first = performance.now();
      cpuAtFirst = cpuUsage();
    }
  })
  .groupByKey({ name: 'by-video', serdes: { key: stringSerde, value: events } })
  .windowedBy(hoppingWindows(job.windows))
  .count({ name: 'views' })
  .toStream()
  .map((r) => r.withKey(outputKeyOf(r.key.key, r.key.start)).withValue(String(r.value)))
  .to(job.outputTopic, { key: stringSerde, value: stringSerde });

const streamJob = new StreamJob({
  pipeline,
  applicationId: `bench-reelstream-${job.runId}`,
  connection: job.connection,
  guarantee:
    job.settings.processingGuarantee === 'exactly_once_v2' ? 'exactly-once' : 'at-least-once',
  commitIntervalMs: job.settings.commitIntervalMs,
  kafkaClient: job.engine.startsWith('reelstream-rdkafka') ? 'rdkafka' : 'kafkajs',
  stateDir: job.stateDir,
  // One processing loop, as the other engines run with one stream thread.
  concurrency: 1,
  ...(cacheMaxBytes === undefined ? {} : { cacheMaxBytes }),
  logger: pino({ level: 'warn' }),
});
await streamJob.start();
const deadline = Date.now() + job.timeoutSeconds * 1000;
while (streamJob.stats().processed < job.records) {
  if (Date.now() > deadline || streamJob.state === 'failed' || streamJob.state === 'stopped') {
    console.error(
      `reelstream: gave up at ${streamJob.stats().processed}/${job.records} (${streamJob.state})`,
    );
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
// A batch counts as processed once its commit (transaction, or acknowledged sends) is done.
const last = performance.now();
const cpu = cpuUsage(cpuAtFirst);
await streamJob.stop();
const stats = streamJob.stats();
console.log(
  resultMarker +
    JSON.stringify({
      records: stats.processed,
      produced: stats.produced,
      firstToLastS: (last - (first ?? last)) / 1000,
      launchToFirstS: ((first ?? last) - launched) / 1000,
      cpuSecondsFirstToLast: (cpu.user + cpu.system) / 1e6,
      peakMemory: memory.stop(),
    }),
);
