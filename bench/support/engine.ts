/**
 * What every end-to-end bench (bench/stateless, bench/stateful) shares about its engines: the
 * client settings they all run with, what an engine reports, and how it says it cannot run.
 */

/** Producer settings of every engine. */
export interface ProducerSettings {
  readonly lingerMs: number;
  readonly batchSizeBytes: number;
  readonly acks: 'all';
  readonly compression: 'none';
}

/** Consumer settings of every engine. */
export interface ConsumerSettings {
  /** Kafka Streams' default max.poll.records. */
  readonly maxPollRecords: number;
  readonly fetchMinBytes: number;
  readonly fetchMaxWaitMs: number;
  /** kafkajs maxBytesPerPartition default and the Java client's default alike: 1 MiB. */
  readonly maxPartitionFetchBytes: number;
  readonly fetchMaxBytes: number;
}

/**
 * The client settings every engine of a bench runs with; each bench adds its guarantee and
 * commit interval. Kafka Streams gets them as Streams properties
 * (bench/support/kafkaStreamsApp.ts); the other engines map them onto their own clients.
 */
export interface ClientSettings {
  /** Stream threads (Kafka Streams) / processing loops (reelstream): we compare per core. */
  readonly threads: 1;
  /** Start from the beginning of the input: every run reads the same N records. */
  readonly autoOffsetReset: 'earliest';
  readonly commitIntervalMs: number;
  readonly producer: ProducerSettings;
  readonly consumer: ConsumerSettings;
}

/** The producer and consumer values of every bench (Java client defaults where they differ). */
export const benchProducerSettings: ProducerSettings = {
  lingerMs: 5,
  batchSizeBytes: 65_536,
  acks: 'all',
  compression: 'none',
};

export const benchConsumerSettings: ConsumerSettings = {
  maxPollRecords: 1_000,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1_048_576,
  fetchMaxBytes: 52_428_800,
};

/** What an engine reports about one run. */
export interface EngineResult {
  readonly engine: string;
  /** Input records processed (must equal job.records). */
  readonly records: number;
  /** From the first input record processed to the last one, in seconds: the throughput window. */
  readonly processingSeconds: number;
  /** From launch (process or runtime start, group join, ...) to done (output flushed), in seconds. */
  readonly endToEndSeconds: number;
  /** Threads / cores the engine processed on (records/s per core = records/s / threads). */
  readonly threads: number;
  /** CPU seconds the engine's process used during the throughput window, when known. */
  readonly cpuSeconds?: number;
  /** Peak resident set size of the engine's process, in KiB, when known. */
  readonly peakRssKb?: number;
  /** Free-form extra figures for the report (GC time, startup, ...). */
  readonly details?: Readonly<Record<string, number | string>>;
}

/** An engine that cannot run yet: the harness prints "n/a" for it instead of failing. */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}
