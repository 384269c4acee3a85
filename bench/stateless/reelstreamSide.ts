import { join } from 'node:path';

import { rdkafkaAvailable } from '../../operators/connectors/kafka/rdkafkaBinding.js';
import { runMeasured } from '../support/measuredProcess.js';
import { formatPeakMemory, type PeakMemory } from '../support/peakMemory.js';
import { reelstreamNodeArgs } from '../support/reelstreamNodeArgs.js';
import type { EngineResult, StatelessBenchJob } from './engine.js';
import { EngineUnavailableError } from './engine.js';

interface ReelstreamReport {
  readonly records: number;
  readonly produced: number;
  readonly firstToLastS: number;
  readonly launchToFirstS: number;
  readonly cpuSecondsFirstToLast: number;
  readonly peakMemory: PeakMemory;
}

function isReport(value: unknown): value is ReelstreamReport {
  return (
    typeof value === 'object' && value !== null && 'records' in value && 'firstToLastS' in value
  );
}

/**
 * Runs the bench topology on the reelstream runtime (bench/stateless/reelstreamMain.ts) in its
 * own Node process, measured like the Kafka Streams JVM: one JavaScript thread, at-least-once,
 * its own consumer group, from the beginning of the input; on kafkajs, or on librdkafka for the
 * engine `reelstream-rdkafka` (`job.kafkaClient`).
 */
export async function runReelstream(job: StatelessBenchJob): Promise<EngineResult> {
  const rdkafka = job.kafkaClient === 'rdkafka';
  if (rdkafka && !rdkafkaAvailable()) {
    throw new EngineUnavailableError(
      '@confluentinc/kafka-javascript is not built here (bash deploy/local/setup/rdkafka.sh)',
    );
  }
  const main = join(import.meta.dirname, 'reelstreamMain.ts');
  const run = await runMeasured(
    process.execPath,
    [...reelstreamNodeArgs(), '--import', 'tsx', main],
    {
      env: { ...process.env, REELSTREAM_BENCH_JOB: JSON.stringify(job) },
      timeoutSeconds: job.timeoutSeconds + 60,
    },
  );
  if (run.exitCode !== 0 || !isReport(run.result)) {
    throw new Error(
      `reelstream: the process exited with ${run.exitCode ?? run.signal ?? '?'} and no result\n` +
        `${run.stdoutTail.slice(-1_500)}\n${run.stderrTail.slice(-1_500)}`,
    );
  }
  const report = run.result;
  return {
    engine: rdkafka ? 'reelstream-rdkafka' : 'reelstream',
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    threads: job.settings.threads,
    cpuSeconds: report.cpuSecondsFirstToLast,
    ...(run.peakRssKb === undefined ? {} : { peakRssKb: run.peakRssKb }),
    details: {
      kept: report.produced,
      'launch → first record (s)': Math.round(report.launchToFirstS * 1000) / 1000,
      'at peak RSS': formatPeakMemory(report.peakMemory),
    },
  };
}
