import { join } from 'node:path';

import { rdkafkaAvailable } from '../../operators/connectors/kafka/rdkafkaBinding.js';
import type { EngineResult } from '../support/engine.js';
import { EngineUnavailableError } from '../support/engine.js';
import {
  benchReportOf,
  roundSeconds,
  runMeasured,
  type BenchReport,
} from '../support/measuredProcess.js';
import { formatPeakMemory, type PeakMemory } from '../support/peakMemory.js';
import { reelstreamNodeArgs } from '../support/reelstreamNodeArgs.js';
import type { StatefulBenchJob } from './engine.js';

interface ReelstreamReport extends BenchReport {
  readonly produced: number;
  readonly launchToFirstS: number;
  readonly peakMemory: PeakMemory;
}

/**
 * Runs the bench computation on the reelstream runtime (bench/stateful/reelstreamMain.ts) in its
 * own Node process, measured like the other engines: one processing loop, RocksDB state under
 * `job.stateDir`, exactly-once or at-least-once as the engine's name says, on kafkajs or (engines
 * `reelstream-rdkafka-*`) on librdkafka.
 * Node's flags and profiler: bench/support/reelstreamNodeArgs.ts.
 */
export async function runReelstream(job: StatefulBenchJob): Promise<EngineResult> {
  if (job.engine.startsWith('reelstream-rdkafka') && !rdkafkaAvailable()) {
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
  const report = benchReportOf<ReelstreamReport>(run, 'reelstream: the process');
  return {
    engine: job.engine,
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    threads: 1,
    cpuSeconds: report.cpuSecondsFirstToLast,
    ...(run.peakRssKb === undefined ? {} : { peakRssKb: run.peakRssKb }),
    details: {
      'output records': report.produced,
      'launch → first record (s)': roundSeconds(report.launchToFirstS),
      'at peak RSS': formatPeakMemory(report.peakMemory),
    },
  };
}
