import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  buildKafkaStreamsApp as buildApp,
  configArgs,
  kafkaStreamsConfig,
  runKafkaStreamsMain,
} from '../support/kafkaStreamsApp.js';
import type { JvmBenchReport } from '../support/kafkaStreamsApp.js';
import type { EngineResult, StatelessBenchJob } from './engine.js';

const mainClass = 'dev.reelstream.bench.StatelessBench';

/** Builds bench/kafkaStreams unless StatelessBench is up to date; returns whether it built. */
export function buildKafkaStreamsApp(log: (line: string) => void): boolean {
  return buildApp(log, mainClass);
}

/** The line StatelessBench.java prints when done. */
interface StatelessBenchReport extends JvmBenchReport {
  readonly kept: number;
  readonly startToFirstS: number;
}

/** Runs the Kafka Streams topology over the job's input in its own JVM and reports its figures. */
export async function runKafkaStreams(job: StatelessBenchJob): Promise<EngineResult> {
  const stateDir = join(tmpdir(), 'reelstream-bench-kafka-streams', job.runId);
  const args = [
    '--bootstrap',
    job.connection.brokers.join(','),
    '--application-id',
    `bench-kafka-streams-${job.runId}`,
    '--state-dir',
    stateDir,
    '--input-topic',
    job.inputTopic,
    '--output-topic',
    job.outputTopic,
    '--input-schema',
    job.inputSchemaFile,
    '--output-schema',
    job.outputSchemaFile,
    '--input-schema-id',
    String(job.inputSchemaId),
    '--output-schema-id',
    String(job.outputSchemaId),
    '--records',
    String(job.records),
    '--timeout-s',
    String(job.timeoutSeconds),
    ...configArgs(kafkaStreamsConfig(job.settings)),
  ];
  const { report, result } = await runKafkaStreamsMain<StatelessBenchReport>(
    mainClass,
    args,
    job.timeoutSeconds + 90,
  ).finally(() => rmSync(stateDir, { recursive: true, force: true }));
  return { ...result, details: { kept: report.kept, ...result.details } };
}
