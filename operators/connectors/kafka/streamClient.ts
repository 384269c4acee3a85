import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';

/** How {@link StreamClient.producer} writes. */
export interface ProducerOptions {
  /** Retried produce requests are not written twice; sends go one after another. */
  readonly idempotent?: boolean;
  /**
   * How often a failed send is retried (with backoff) before it fails. Default kafkajs's 5,
   * about 9 s: what rides through a leader moving. 0 fails at the first error, for writes that
   * are worth less than the wait (replies, whose client may be gone).
   */
  readonly retries?: number;
}

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
  /**
   * Raises `retention.ms` of those topics that keep records for less than `atLeastMs` (infinite
   * retention is left alone); returns the names it raised. Kafka deletes by record timestamp,
   * so data written with old timestamps (a replay) needs this to survive.
   */
  ensureRetention(topics: readonly string[], atLeastMs: number): Promise<string[]>;
  /** Partition count per topic; a topic that does not exist is absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /**
   * Per partition of `topic`, its first and next offsets (low and high watermarks); empty when
   * the topic does not exist. How a global table finds every partition and where each starts.
   */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /**
   * A producer of plain (non-transactional) writes. With `idempotent`, a produce request that is
   * retried after a timeout or a leader change is not written twice (acks=all, one request in
   * flight, sends one after another): what loads input that a check counts exactly wants it.
   */
  producer(options?: ProducerOptions): Promise<RecordProducer>;
  /**
   * A producer whose writes are transactions under `transactionalId`. Connecting fences every
   * older producer with the same id and aborts (or finishes) its open transaction.
   */
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  consumer(options: ConsumerOptions): ConsumerSession;
  /** The offset the group committed for a partition, or undefined when it has none. */
  committedOffset(groupId: string, partition: TopicPartition): Promise<string | undefined>;
  /**
   * The members of a consumer group with the partitions each is assigned (none while the group
   * rebalances) and the query endpoint each advertised: how interactive queries find the
   * instance that owns a key.
   */
  groupMembers(groupId: string): Promise<GroupMember[]>;
  /**
   * Reads partitions (committed records only) from an offset up to their end as it was when
   * the call started, in batches: how state stores restore from their changelogs. Each batch
   * holds records of one partition, in offset order; `read` counts what the batch stood for
   * (more than it holds when `latestPerKey` dropped some).
   */
  readToEnd(
    partitions: readonly (TopicPartition & { readonly fromOffset: string })[],
    onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
    options?: ReadToEndOptions,
  ): Promise<void>;
}

/** @category Connectors */
export interface ReadToEndOptions {
  /**
   * A client may hand over only the last record of each key of a batch, as compaction would
   * have left it (a restore writes only a key's latest value anyway); it may also hand over
   * every record. Records without a key are all handed over. Default false: every record.
   */
  readonly latestPerKey?: boolean;
  /**
   * Resolves when the partitions' ends are final: a restoring task's producer has fenced the
   * previous owner, whose open transaction no read may stop before. The read connects and
   * loads the topics' metadata meanwhile and asks for the ends after; a rejection ends the read
   * with its error.
   */
  readonly after?: Promise<unknown>;
}

/**
 * Records and their key and value bytes.
 *
 * @category Connectors
 */
export interface ReadCount {
  readonly records: number;
  readonly bytes: number;
}

/** What a batch of records counts: every record, its key and value bytes. */
export function readCountOf(records: readonly RawRecord[]): ReadCount {
  let bytes = 0;
  for (const record of records) {
    bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
  }
  return { records: records.length, bytes };
}

/** @category Connectors */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/** One member of a consumer group, as {@link StreamClient.groupMembers} describes it. @category Connectors */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** The `host:port` it serves interactive queries on (`ConsumerOptions.queryEndpoint`), if any. */
  readonly queryEndpoint: string | undefined;
  /** Partitions per topic; empty while the group rebalances. */
  readonly assignment: ReadonlyMap<string, readonly number[]>;
}

/** @category Connectors */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Where the records of one send landed: per `topic` and partition, the offset of the first
 * record written there (what a changelog checkpoint needs).
 *
 * @category Connectors
 */
export type SendReceipt = ReadonlyMap<string, string>;

/** The key of a partition in a {@link SendReceipt}. */
export function partitionId(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** @category Connectors */
export interface TransactionalProducer {
  /**
   * Writes `records` and commits the consumer `offsets` for `groupId` in one transaction; resolves
   * once it is committed. On any error the transaction's outcome is unknown to the caller (a
   * timed-out commit may still complete): close this producer and recover from what is committed.
   */
  commit(transaction: {
    readonly records: readonly OutgoingRecord[];
    readonly groupId: string;
    readonly offsets: readonly (TopicPartition & { readonly offset: string })[];
  }): Promise<SendReceipt>;
  close(): Promise<void>;
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
  send(records: readonly OutgoingRecord[]): Promise<SendReceipt>;
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
  /**
   * Commit acknowledged offsets every `commitIntervalMs` (at-least-once). Off under
   * exactly-once, where offsets are committed inside each task's transaction. Default on.
   */
  readonly autoCommit?: boolean;
  /** How long the group waits for a silent member (a killed process) before moving its work. */
  readonly sessionTimeoutMs?: number;
  /** `host:port` where this member answers interactive queries, advertised to the group. */
  readonly queryEndpoint?: string;
  /**
   * The bytes a fetch waits for, up to 100 ms (Kafka's `fetch.min.bytes`; default 1, answer as
   * soon as anything is there). A consumer that follows a busy topic with no hurry (a global
   * table) sets it high: it then fetches ten times a second instead of in a loop of tiny
   * fetches, each one a request the broker and this process pay for.
   */
  readonly fetchMinBytes?: number;
}

/** One fetch's worth of records of one partition, in offset order. @category Connectors */
export interface IncomingBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RawRecord[];
  /** The offset after the batch, control records (transaction markers) included. */
  readonly nextOffset: string;
  /** The partition's high watermark when it was fetched: whether the batch reached its end. */
  readonly highWatermark: string;
  /** Tells the group this member is alive (during a long restore). */
  heartbeat(): Promise<void>;
}

/** @category Connectors */
export interface ConsumerHandlers {
  /**
   * Processes a batch. Resolving acknowledges it: its offsets may then be committed. A batch
   * whose promise rejects is not acknowledged and the session crashes; one that resolves
   * `false` is not acknowledged either (the handler moved the position with `seek`).
   */
  onBatch(batch: IncomingBatch): Promise<void | boolean>;
  /** The group is rebalancing: no batch is delivered until `onAssigned`. */
  onRebalancing(): void;
  /** The partitions this member owns after a rebalance. */
  onAssigned(assignment: ReadonlyMap<string, readonly number[]>): Promise<void>;
  /** The session stopped on an error it cannot recover from. */
  onCrash(error: unknown): void;
  /**
   * The session lost its broker (or group) on a retriable error and restarts by itself: it
   * rejoins the group and resumes from the committed offsets. For the log and metrics: without
   * it a job that had no records in flight lived through an outage without a word.
   */
  onRestarting?(error: unknown): void;
  /**
   * A fetch held only transaction markers or aborted records: nothing to process, but the
   * position moved to `nextOffset` (exactly-once commits it, or the group lags forever).
   */
  onSkipped?(
    partition: TopicPartition & { readonly nextOffset: string; readonly highWatermark: string },
  ): void;
  /**
   * Every batch of a fetch has been handed to `onBatch` (the next fetch is about to start): a
   * handler that only buffers processes here, with everything that fetch brought.
   */
  onFetchDelivered?(): void;
}

/** Passes once every fetch that started after it was made has been delivered. @category Connectors */
export interface RoundMark {
  passed(): boolean;
}

/** A consumer group membership: fetches, hands out batches, commits acknowledged offsets. @category Connectors */
export interface ConsumerSession {
  start(handlers: ConsumerHandlers): Promise<void>;
  /** Stops fetching, waits for batches in flight, commits acknowledged offsets, leaves the group. */
  stop(): Promise<void>;
  /** Fetches `partition` from `offset` next; a batch in flight is not acknowledged. */
  seek(partition: TopicPartition & { readonly offset: string }): void;
  /** Leaves `partition` out of the next fetches (its records wait in a buffer); see `resume`. */
  pause(partition: TopicPartition): void;
  resume(partition: TopicPartition): void;
  /** Commits these positions for the group now (a handler that commits on its own terms). */
  commitOffsets(offsets: readonly (TopicPartition & { readonly offset: string })[]): Promise<void>;
  /** A mark that passes once every fetch started after this call has been delivered. */
  roundMark(): RoundMark;
}
