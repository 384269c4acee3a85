/**
 * What one look at the cluster returns: per consumer group, per topic-partition, the numbers
 * `kafka-consumer-groups.sh --describe` prints plus what time lag needs. Plain data, no kafkajs
 * types, so the evaluator, renderers and tests never depend on the client library.
 */

/**
 * Group states as Kafka names them: classic groups' from DescribeGroups (`Dead` means "does not
 * exist"), KIP-848 consumer groups' (Empty, Assigning, Reconciling, Stable, Dead) from
 * ConsumerGroupDescribe.
 */
export type GroupState =
  | 'Stable'
  | 'PreparingRebalance'
  | 'CompletingRebalance'
  | 'Empty'
  | 'Dead'
  | 'Assigning'
  | 'Reconciling'
  | 'Unknown';

/** Kafka's group types: the classic protocol, or KIP-848's `consumer` protocol. */
export type GroupType = 'classic' | 'consumer';

/** The record a consumer of the group will read next, when it could be fetched. */
export interface NextRecord {
  readonly offset: number;
  /** CreateTime (or LogAppendTime) of that record, epoch milliseconds. */
  readonly timestampMs: number;
}

export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** `null`: the group never committed an offset here (`-` in kafka-consumer-groups). */
  readonly committedOffset: number | null;
  /** High watermark; `null` when the partition no longer exists (deleted topic). */
  readonly logEndOffset: number | null;
  /** Last stable offset (read_committed end); below the high watermark while a transaction is open. */
  readonly lastStableOffset: number | null;
  /** First offset still in the log (retention and compaction move it). */
  readonly logStartOffset: number | null;
  /**
   * The first record a read_committed consumer would get at the committed offset: `undefined`
   * when not looked up or not readable; `'nothing-to-read'` when a read_committed consumer has
   * nothing to read there: everything from the committed offset up to the last stable offset is
   * transaction markers or aborted records (and beyond it only an open transaction).
   */
  readonly nextRecord: NextRecord | 'nothing-to-read' | undefined;
  /** The member that owns the partition now; `null` when no member has it assigned. */
  readonly owner: PartitionOwner | null;
}

export interface PartitionOwner {
  readonly consumerId: string;
  readonly clientId: string;
  readonly host: string;
}

export interface GroupOffsets {
  readonly groupId: string;
  readonly type: GroupType;
  /** A classic group without a protocol type: offsets committed by assign() consumers or tools. */
  readonly simple: boolean;
  readonly state: GroupState;
  readonly memberCount: number;
  readonly partitions: readonly PartitionOffsets[];
}

export interface LagSnapshot {
  /** When the offsets were read, epoch milliseconds (the clock every later computation uses). */
  readonly takenAtMs: number;
  readonly groups: readonly GroupOffsets[];
}
