import type { ConnectionConfig } from '../../operators/config/connectionConfig.js';
import type { ClientSettings } from '../support/engine.js';
import { benchConsumerSettings, benchProducerSettings } from '../support/engine.js';

export type { EngineResult } from '../support/engine.js';
export { EngineUnavailableError } from '../support/engine.js';

/**
 * The client settings both engines run with. Kafka Streams gets them as Streams properties
 * (bench/stateless/kafkaStreamsSide.ts); the reelstream side should map them onto its own
 * consumer and producer so the comparison is like for like.
 */
export interface EngineSettings extends ClientSettings {
  readonly processingGuarantee: 'at_least_once';
  /** Kafka Streams' default for at_least_once (30 s); left at the default on both sides. */
  readonly commitIntervalMs: number;
}

export const engineSettings: EngineSettings = {
  threads: 1,
  processingGuarantee: 'at_least_once',
  autoOffsetReset: 'earliest',
  commitIntervalMs: 30_000,
  producer: benchProducerSettings,
  consumer: benchConsumerSettings,
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
  /** The reelstream side's Kafka client (engine `reelstream-rdkafka`); default kafkajs. */
  readonly kafkaClient?: 'kafkajs' | 'rdkafka';
}
