import type { ConnectionConfig } from '../../operators/config/connectionConfig.js';
import type { ClientSettings } from '../support/engine.js';
import { benchConsumerSettings, benchProducerSettings } from '../support/engine.js';
import type { WindowSpec } from './topology.js';

/** Processing guarantees, named as Kafka Streams names them (processing.guarantee). */
export type Guarantee = 'exactly_once_v2' | 'at_least_once';

/** The engines of bench/stateful: three frameworks (reelstream on two Kafka clients), each under both guarantees. */
export const statefulEngines = [
  'kafka-streams-eos',
  'kafka-streams-alos',
  'quix-eos',
  'quix-alos',
  'reelstream-eos',
  'reelstream-alos',
  // reelstream on librdkafka instead of kafkajs (docs/kafkaClient.md)
  'reelstream-rdkafka-eos',
  'reelstream-rdkafka-alos',
] as const;
export type StatefulEngine = (typeof statefulEngines)[number];

/** The guarantee an engine runs under: its name ends in -eos or -alos. */
export function guaranteeOf(engine: StatefulEngine): Guarantee {
  return engine.endsWith('-eos') ? 'exactly_once_v2' : 'at_least_once';
}

/** The Kafka Streams engine of the same guarantee: the peer every ratio divides by. */
export function peerOf(engine: StatefulEngine): StatefulEngine {
  return guaranteeOf(engine) === 'exactly_once_v2' ? 'kafka-streams-eos' : 'kafka-streams-alos';
}

/** The settings every engine of bench/stateful runs with (client values as in bench/stateless). */
export interface StatefulEngineSettings extends ClientSettings {
  readonly processingGuarantee: Guarantee;
  /** --commit-interval-ms, the same for every engine and both guarantees (default 1000). */
  readonly commitIntervalMs: number;
  /** Window counts live in RocksDB in every engine. */
  readonly stateStore: 'rocksdb';
}

export function statefulEngineSettings(options: {
  guarantee: Guarantee;
  commitIntervalMs: number;
}): StatefulEngineSettings {
  return {
    threads: 1,
    processingGuarantee: options.guarantee,
    autoOffsetReset: 'earliest',
    commitIntervalMs: options.commitIntervalMs,
    stateStore: 'rocksdb',
    producer: benchProducerSettings,
    consumer: benchConsumerSettings,
  };
}

/**
 * Everything an engine needs to run the bench computation once. Each engine is a
 * `(job) => Promise<EngineResult>` (run.ts `runners`) that keeps this contract:
 *
 * - run bench/stateful/topology.ts's computation over `inputTopic` from the beginning, state in
 *   RocksDB under `stateDir` and nowhere else, output to `outputTopic` in the format below;
 * - guarantee `settings.processingGuarantee`, commit interval `settings.commitIntervalMs`, one
 *   processing thread, the client values of `settings.producer` / `.consumer`; group /
 *   application id and internal topic names contain `runId` (the harness deletes them after);
 * - stop after `records` input records, closed cleanly (last commit done, stores closed), within
 *   `timeoutSeconds`, and resolve with the figures (`records`, `processingSeconds` from the first
 *   input record to the last, `endToEndSeconds`, `threads`, `cpuSeconds` of the process over the
 *   processing window, `peakRssKb`, free-form `details`), best measured in a child process with
 *   bench/support/measuredProcess.ts (`runMeasured`, `benchReportOf`);
 * - throw EngineUnavailableError (bench/support/engine.ts) to be reported `n/a`, anything else
 *   to fail the run.
 */
export interface StatefulBenchJob {
  readonly engine: StatefulEngine;
  /** Unique per run: put it in the consumer group / application id and internal topic names. */
  readonly runId: string;
  /** Consume exactly this many input records (the whole input topic), then stop. */
  readonly records: number;
  /**
   * 6 partitions; key videoId (UTF-8), value BenchWatchEvent in Confluent wire format, record
   * timestamp = the event's eventTime.
   */
  readonly inputTopic: string;
  /**
   * Created empty for this run, 6 partitions. Write one record per window update (or per flush
   * of a cache): key `<videoId>@<windowStartMs>` (UTF-8), value the window's count so far as a
   * UTF-8 decimal string.
   */
  readonly outputTopic: string;
  readonly inputSchemaId: number;
  /** Absolute path of bench/stateless/benchEvent.avsc. */
  readonly inputSchemaFile: string;
  /**
   * Empty directory for all of the engine's local state (RocksDB): the harness measures its
   * size (du) once the engine has returned, then removes it.
   */
  readonly stateDir: string;
  readonly windows: WindowSpec;
  readonly connection: ConnectionConfig;
  readonly settings: StatefulEngineSettings;
  /** Give up (and fail) after this long. */
  readonly timeoutSeconds: number;
}

/**
 * The job as the command-line flags StatefulBench.java and statefulBench.py both take (each side
 * adds its group / application id, guarantee and client settings).
 */
export function jobArgs(job: StatefulBenchJob): string[] {
  return [
    '--bootstrap',
    job.connection.brokers.join(','),
    '--state-dir',
    job.stateDir,
    '--input-topic',
    job.inputTopic,
    '--output-topic',
    job.outputTopic,
    '--input-schema',
    job.inputSchemaFile,
    '--input-schema-id',
    String(job.inputSchemaId),
    '--window-size-ms',
    String(job.windows.sizeMs),
    '--window-advance-ms',
    String(job.windows.advanceMs),
    '--window-grace-ms',
    String(job.windows.graceMs),
    '--records',
    String(job.records),
    '--timeout-s',
    String(job.timeoutSeconds),
  ];
}
