/**
 * The reelstream side of bench/stateless, run as its own process by reelstreamSide.ts so the
 * harness is not part of the measurement: the bench topology on the reelstream runtime, stopped
 * once every input record is processed; prints one `BENCH_RESULT {json}` line.
 */
import { cpuUsage } from 'node:process';

import pino from 'pino';

import { Pipeline, StreamJob, avroSerde, stringSerde } from '../../operators/index.js';
import { resultMarker } from '../support/measuredProcess.js';
import { PeakMemorySampler } from '../support/peakMemory.js';
import type { StatelessBenchJob } from './engine.js';
import { benchWatchEventSchema } from './generated/benchEvent.js';
import { benchWatchEventEnrichedSchema } from './generated/benchEventEnriched.js';
import { enrich, isKept, outputKey } from './topology.js';

const job = JSON.parse(process.env['REELSTREAM_BENCH_JOB'] ?? '{}') as StatelessBenchJob;
const launched = performance.now();
const memory = new PeakMemorySampler();
let first: number | undefined;
let cpuAtFirst: NodeJS.CpuUsage | undefined;

const pipeline = new Pipeline();
pipeline
  .source(job.inputTopic, { key: stringSerde, value: avroSerde(benchWatchEventSchema) })
  .peek(() => {
    if (first === undefined) {
      first = performance.now();
      cpuAtFirst = cpuUsage();
    }
  })
  .mapValues(enrich)
  .filter(isKept)
  .selectKey((r) => outputKey(r.value))
  .to(job.outputTopic, { key: stringSerde, value: avroSerde(benchWatchEventEnrichedSchema) });

const streamJob = new StreamJob({
  pipeline,
  applicationId: `bench-reelstream-${job.runId}`,
  connection: job.connection,
  commitIntervalMs: job.settings.commitIntervalMs,
  kafkaClient: job.kafkaClient ?? 'kafkajs',
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
// Outputs of a batch are acknowledged before it counts as processed: this is the last record.
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
