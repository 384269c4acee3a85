import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ClientSettings, EngineResult } from './engine.js';
import type { BenchReport } from './measuredProcess.js';
import { benchReportOf, roundSeconds, runMeasured } from './measuredProcess.js';

/**
 * The Maven project bench/kafkaStreams, shared by every bench with a Kafka Streams side
 * (StatelessBench, StatefulBench): build it, run one of its main classes, map the shared client
 * settings onto Streams properties.
 */

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'kafkaStreams');
const pom = join(projectDir, 'pom.xml');
const sourceDir = join(projectDir, 'src');
const classesDir = join(projectDir, 'target', 'classes');
const libDir = join(projectDir, 'target', 'lib');

/** JVM options of the Kafka Streams run: a modest heap; the broker shares the machine. */
export const kafkaStreamsJvmOptions = [
  '-Xmx1g',
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
  // Kafka 4.4 warns on every start that the (unused) global thread has no processing handler.
  '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.StreamsConfig=error',
  // The benches put state stores in a fresh directory under the OS temp dir, on purpose.
  '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.processor.internals.StateDirectory=error',
] as const;

/**
 * Builds bench/kafkaStreams with Maven (compile + copy the runtime classpath into target/lib),
 * unless `mainClass` is compiled and newer than the pom and every source file. Returns whether
 * it built.
 */
export function buildKafkaStreamsApp(log: (line: string) => void, mainClass: string): boolean {
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
export function kafkaStreamsConfig(settings: ClientSettings): Record<string, string> {
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

/** Properties as the `--config key=value` pairs the bench main classes take. */
export function configArgs(config: Readonly<Record<string, string>>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['--config', `${key}=${value}`]);
}

/** The figures StatelessBench and StatefulBench both print in their `BENCH_RESULT` line. */
export interface JvmBenchReport extends BenchReport {
  readonly firstToClosedS: number;
  readonly jvmStartToFirstS: number;
  readonly cpuSecondsTotal: number;
  readonly peakRssKb: number;
  readonly gcCount: number;
  readonly gcTimeMs: number;
}

/**
 * Runs `mainClass` of bench/kafkaStreams in its own JVM (measured by {@link runMeasured}) and
 * resolves with its report and the engine result built from it; fails unless the JVM exits 0
 * with a `BENCH_RESULT` line.
 */
export async function runKafkaStreamsMain<TReport extends JvmBenchReport>(
  mainClass: string,
  args: readonly string[],
  timeoutSeconds: number,
): Promise<{ report: TReport; result: EngineResult }> {
  const run = await runMeasured(
    'java',
    [...kafkaStreamsJvmOptions, '-cp', `${classesDir}:${libDir}/*`, mainClass, ...args],
    { timeoutSeconds },
  );
  const report = benchReportOf<TReport>(run, 'kafka-streams: the JVM');
  const result: EngineResult = {
    engine: `Kafka Streams ${kafkaStreamsVersion()}`,
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    // num.stream.threads=1: the main classes set it.
    threads: 1,
    cpuSeconds: report.cpuSecondsFirstToLast,
    peakRssKb: report.peakRssKb > 0 ? report.peakRssKb : (run.peakRssKb ?? 0),
    details: {
      'JVM start → first record (s)': roundSeconds(report.jvmStartToFirstS),
      'first record → closed (s)': roundSeconds(report.firstToClosedS),
      'process CPU total (s)': roundSeconds(report.cpuSecondsTotal),
      'GC collections': report.gcCount,
      'GC time (ms)': report.gcTimeMs,
    },
  };
  return { report, result };
}

/** kafka.version from bench/kafkaStreams/pom.xml. */
export function kafkaStreamsVersion(): string {
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'))?.[1] ?? '?';
}
