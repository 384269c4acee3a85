import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';

/**
 * The small Kafka client interface the runtime is written against. kafkajs implements it today
 * (`kafkajsStreamClient.ts`); another client (node-rdkafka, confluent-kafka-javascript) can be
 * plugged in by implementing these few methods.
 *
 * @category Connectors
 */
export interface StreamClient {
  /** Creates the topics that are missing; existing ones are left as they are. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Partition count per topic; a topic that does not exist is absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  producer(): Promise<RecordProducer>;
  consumer(options: ConsumerOptions): ConsumerSession;
}

/** @category Connectors */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly config?: Readonly<Record<string, string>>;
}

/** @category Connectors */
export interface RecordProducer {
  /** Sends all records and resolves once every one is acknowledged by all in-sync replicas. */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** @category Connectors */
export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a partition without a committed offset starts. */
  readonly fromBeginning: boolean;
  readonly commitIntervalMs: number;
  /** How many partitions' batches are processed at once. */
  readonly concurrency: number;
}

/** One fetch's worth of records of one partition, in offset order. @category Connectors */
export interface IncomingBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RawRecord[];
}

/** @category Connectors */
export interface ConsumerHandlers {
  /**
   * Processes a batch. Resolving acknowledges it: its offsets may then be committed. A batch
   * whose promise rejects is not acknowledged and the session crashes.
   */
  onBatch(batch: IncomingBatch): Promise<void>;
  /** The group is rebalancing: no batch is delivered until `onAssigned`. */
  onRebalancing(): void;
  /** The partitions this member owns after a rebalance. */
  onAssigned(assignment: ReadonlyMap<string, readonly number[]>): Promise<void>;
  /** The session stopped on an error it cannot recover from. */
  onCrash(error: unknown): void;
}

/** A consumer group membership: fetches, hands out batches, commits acknowledged offsets. @category Connectors */
export interface ConsumerSession {
  start(handlers: ConsumerHandlers): Promise<void>;
  /** Stops fetching, waits for batches in flight, commits acknowledged offsets, leaves the group. */
  stop(): Promise<void>;
}
