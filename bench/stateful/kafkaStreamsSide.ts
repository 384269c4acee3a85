import type { EngineResult } from '../support/engine.js';
import {
  buildKafkaStreamsApp as buildApp,
  configArgs,
  kafkaStreamsConfig,
  runKafkaStreamsMain,
} from '../support/kafkaStreamsApp.js';
import type { JvmBenchReport } from '../support/kafkaStreamsApp.js';
import type { StatefulBenchJob } from './engine.js';
import { jobArgs } from './engine.js';

const mainClass = 'dev.reelstream.bench.StatefulBench';

/** Builds bench/kafkaStreams unless StatefulBench is up to date; returns whether it built. */
export function buildKafkaStreamsApp(log: (line: string) => void): boolean {
  return buildApp(log, mainClass);
}

/** The line StatefulBench.java prints when done. */
interface StatefulBenchReport extends JvmBenchReport {
  /** Records it sent to the output topic. */
  readonly outputs: number;
}

/**
 * Runs the windowed count on Kafka Streams in its own JVM (StatefulBench.java), RocksDB state
 * under job.stateDir, under job.settings.processingGuarantee, and reports its figures.
 */
export async function runKafkaStreams(job: StatefulBenchJob): Promise<EngineResult> {
  const args = [
    ...jobArgs(job),
    '--application-id',
    `bench-${job.engine}-${job.runId}`,
    '--processing-guarantee',
    job.settings.processingGuarantee,
    ...configArgs(kafkaStreamsConfig(job.settings)),
  ];
  const { report, result } = await runKafkaStreamsMain<StatefulBenchReport>(
    mainClass,
    args,
    job.timeoutSeconds + 90,
  );
  return {
    ...result,
    details: { 'output records (its count)': report.outputs, ...result.details },
  };
}
