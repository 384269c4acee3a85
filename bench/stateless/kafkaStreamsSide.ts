import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runMeasured } from '../support/measuredProcess.js';
import type { EngineResult, EngineSettings, StatelessBenchJob } from './engine.js';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'kafkaStreams');
const pom = join(projectDir, 'pom.xml');
const sourceDir = join(projectDir, 'src');
const classesDir = join(projectDir, 'target', 'classes');
const libDir = join(projectDir, 'target', 'lib');
const mainClass = 'dev.reelstream.bench.StatelessBench';

/** JVM options of the Kafka Streams run: a modest heap; the broker shares the machine. */
export const kafkaStreamsJvmOptions = [
  '-Xmx1g',
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
  // Kafka 4.4 warns on every start that the (unused) global thread has no processing handler.
  '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.StreamsConfig=error',
] as const;

/**
 * Builds bench/kafkaStreams with Maven (compile + copy the runtime classpath into target/lib),
 * unless the classes are newer than the pom and every source file. Returns whether it built.
 */
export function buildKafkaStreamsApp(log: (line: string) => void): boolean {
  const classFile = join(classesDir, ...mainClass.split('.')) + '.class';
  if (existsSync(classFile) && existsSync(libDir)) {
    const builtAt = statSync(classFile).mtimeMs;
    const inputs = [pom, ...filesUnder(sourceDir)];
    if (inputs.every((file) => statSync(file).mtimeMs <= builtAt)) {
      return false;
    }
  }
  log('kafka-streams: building bench/kafkaStreams with Maven…');
  const started = performance.now();
  execFileSync('mvn', ['-q', '-B', '-f', pom, 'package', 'dependency:copy-dependencies'], {
    stdio: 'inherit',
  });
  log(`kafka-streams: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The shared settings as Kafka Streams properties (consumer./producer. prefixed). */
export function kafkaStreamsConfig(settings: EngineSettings): Record<string, string> {
  const { producer, consumer } = settings;
  return {
    'commit.interval.ms': String(settings.commitIntervalMs),
    'consumer.auto.offset.reset': settings.autoOffsetReset,
    'consumer.max.poll.records': String(consumer.maxPollRecords),
    'consumer.fetch.min.bytes': String(consumer.fetchMinBytes),
    'consumer.fetch.max.wait.ms': String(consumer.fetchMaxWaitMs),
    'consumer.max.partition.fetch.bytes': String(consumer.maxPartitionFetchBytes),
    'consumer.fetch.max.bytes': String(consumer.fetchMaxBytes),
    'producer.linger.ms': String(producer.lingerMs),
    'producer.batch.size': String(producer.batchSizeBytes),
    'producer.acks': producer.acks,
    'producer.compression.type': producer.compression,
  };
}

/** The line StatelessBench.java prints when done. */
interface StatelessBenchReport {
  readonly records: number;
  readonly kept: number;
  readonly firstToLastS: number;
  readonly firstToClosedS: number;
  readonly jvmStartToFirstS: number;
  readonly startToFirstS: number;
  readonly cpuSecondsFirstToLast: number;
  readonly cpuSecondsTotal: number;
  readonly peakRssKb: number;
  readonly gcCount: number;
  readonly gcTimeMs: number;
}

function isReport(value: unknown): value is StatelessBenchReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    'records' in value &&
    typeof value.records === 'number' &&
    'firstToLastS' in value &&
    typeof value.firstToLastS === 'number'
  );
}

/** Runs the Kafka Streams topology over the job's input in its own JVM and reports its figures. */
export async function runKafkaStreams(job: StatelessBenchJob): Promise<EngineResult> {
  const stateDir = join(tmpdir(), 'reelstream-bench-kafka-streams', job.runId);
  const args = [
    ...kafkaStreamsJvmOptions,
    '-cp',
    `${classesDir}:${libDir}/*`,
    mainClass,
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
    ...Object.entries(kafkaStreamsConfig(job.settings)).flatMap(([key, value]) => [
      '--config',
      `${key}=${value}`,
    ]),
  ];
  const run = await runMeasured('java', args, { timeoutSeconds: job.timeoutSeconds + 90 }).finally(
    () => rmSync(stateDir, { recursive: true, force: true }),
  );
  if (run.exitCode !== 0 || !isReport(run.result)) {
    throw new Error(
      `kafka-streams: the JVM exited with ${run.exitCode ?? run.signal ?? '?'} and no result\n` +
        run.stdoutTail.slice(-2_000),
    );
  }
  const report = run.result;
  return {
    engine: `Kafka Streams ${kafkaStreamsVersion()}`,
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    threads: job.settings.threads,
    cpuSeconds: report.cpuSecondsFirstToLast,
    peakRssKb: report.peakRssKb > 0 ? report.peakRssKb : (run.peakRssKb ?? 0),
    details: {
      kept: report.kept,
      'JVM start → first record (s)': round(report.jvmStartToFirstS),
      'first record → closed (s)': round(report.firstToClosedS),
      'process CPU total (s)': round(report.cpuSecondsTotal),
      'GC collections': report.gcCount,
      'GC time (ms)': report.gcTimeMs,
    },
  };
}

/** kafka.version from bench/kafkaStreams/pom.xml. */
export function kafkaStreamsVersion(): string {
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'))?.[1] ?? '?';
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
