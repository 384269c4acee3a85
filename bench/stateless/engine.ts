import type { ConnectionConfig } from '../../operators/config/connectionConfig.js';

/**
 * The client settings both engines run with. Kafka Streams gets them as Streams properties
 * (bench/stateless/kafkaStreamsSide.ts); the reelstream side should map them onto its own
 * consumer and producer so the comparison is like for like.
 */
export interface EngineSettings {
  /** Stream threads (Kafka Streams) / processing loops (reelstream): we compare per core. */
  readonly threads: 1;
  readonly processingGuarantee: 'at_least_once';
  /** Start from the beginning of the input: every run reads the same N records. */
  readonly autoOffsetReset: 'earliest';
  /** Kafka Streams' default for at_least_once (30 s); left at the default on both sides. */
  readonly commitIntervalMs: number;
  readonly producer: {
    readonly lingerMs: number;
    readonly batchSizeBytes: number;
    readonly acks: 'all';
    readonly compression: 'none';
  };
  readonly consumer: {
    /** Kafka Streams' default max.poll.records. */
    readonly maxPollRecords: number;
    readonly fetchMinBytes: number;
    readonly fetchMaxWaitMs: number;
    /** kafkajs maxBytesPerPartition default and the Java client's default alike: 1 MiB. */
    readonly maxPartitionFetchBytes: number;
    readonly fetchMaxBytes: number;
  };
}

export const engineSettings: EngineSettings = {
  threads: 1,
  processingGuarantee: 'at_least_once',
  autoOffsetReset: 'earliest',
  commitIntervalMs: 30_000,
  producer: { lingerMs: 5, batchSizeBytes: 65_536, acks: 'all', compression: 'none' },
  consumer: {
    maxPollRecords: 1_000,
    fetchMinBytes: 1,
    fetchMaxWaitMs: 500,
    maxPartitionFetchBytes: 1_048_576,
    fetchMaxBytes: 52_428_800,
  },
};

/** Everything an engine needs to run the bench topology once. */
export interface StatelessBenchJob {
  /** Unique per run: use it in the consumer group / application id. */
  readonly runId: string;
  /** Consume exactly this many input records (the whole input topic), then stop. */
  readonly records: number;
  /** 6 partitions, key userId (string), value BenchWatchEvent in Confluent wire format. */
  readonly inputTopic: string;
  /** Exists already; key videoId (string), value BenchWatchEventEnriched in Confluent wire format. */
  readonly outputTopic: string;
  readonly inputSchemaId: number;
  readonly outputSchemaId: number;
  /** Absolute paths of bench/stateless/benchEvent.avsc and benchEventEnriched.avsc. */
  readonly inputSchemaFile: string;
  readonly outputSchemaFile: string;
  readonly connection: ConnectionConfig;
  readonly settings: EngineSettings;
  /** Give up (and fail) after this long. */
  readonly timeoutSeconds: number;
}

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
