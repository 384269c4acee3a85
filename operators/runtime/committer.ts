import type {
  RecordProducer,
  SendReceipt,
  TopicPartition,
  TransactionalProducer,
} from '../connectors/kafka/streamClient.js';
import type { OutgoingRecord } from './rawRecord.js';

/** @category Runtime */
export type ProcessingGuarantee = 'at-least-once' | 'exactly-once';

/** What one task's commit makes durable. */
export interface CommitWork {
  /** Outputs and dead letters of the work since the last commit. */
  readonly records: readonly OutgoingRecord[];
  /** The changelog records of the state changes since the last commit. */
  readonly changelog: readonly OutgoingRecord[];
  /** The input positions after that work (next offset to read, per source partition). */
  readonly offsets: readonly (TopicPartition & { readonly offset: string })[];
}

/**
 * How a task makes its work durable. The two guarantees differ only here.
 */
export interface Committer {
  readonly guarantee: ProcessingGuarantee;
  commit(work: CommitWork): Promise<SendReceipt>;
  close(): Promise<void>;
}

/**
 * At-least-once: outputs are sent and acknowledged, then the changelog records, then the
 * positions are committed for the group (by the job, every `commitIntervalMs`). A crash anywhere
 * reprocesses the input after the committed offset: duplicate outputs. State does not count a
 * replayed record twice: each stored value carries the input positions applied to it
 * (state/appliedPositions.ts), and aggregations skip a record their key already has. Skipping
 * emits nothing, which loses nothing because of the order: a changelog record that reached the
 * broker proves the outputs of every record it includes were acknowledged before it.
 */
export class AtLeastOnceCommitter implements Committer {
  readonly guarantee = 'at-least-once';
  private readonly producer: RecordProducer;

  constructor(producer: RecordProducer) {
    this.producer = producer;
  }

  async commit(work: CommitWork): Promise<SendReceipt> {
    // A commit of positions alone (a request taken, its reply not made yet) sends nothing: an
    // empty send still queued behind the producer's other sends, once per request served.
    const outputs = work.records.length === 0 ? new Map() : await this.producer.send(work.records);
    if (work.changelog.length === 0) {
      return outputs;
    }
    const changelog = await this.producer.send(work.changelog);
    return new Map([...outputs, ...changelog]);
  }

  close(): Promise<void> {
    return Promise.resolve(); // the producer is shared by the job's tasks
  }
}

/**
 * Exactly-once: one transactional producer per task, with the transactional id
 * `<applicationId>-<taskId>`. The commit protocol, step by step, with what a crash between two
 * steps leaves and how recovery gets back to exactly the committed state:
 *
 * 1. The task processes a batch. Outputs wait in memory; state writes wait in the stores' write
 *    caches. Crash: nothing left the process; the input is read again from the committed offset
 *    and the state is the committed one (local RocksDB + changelog).
 * 2. Begin a transaction; send outputs, changelog records (the dirty cache entries) and dead
 *    letters; add the input offsets (`sendOffsets`). Crash: the transaction stays open until the
 *    next owner of the task connects a producer with the same transactional id
 *    (InitProducerId), which aborts it; read_committed consumers and the restore never see its
 *    records; offsets stay as they were.
 * 3. Commit (EndTxn). Crash after the broker accepted it: the transaction completes (the
 *    coordinator writes the markers); the next owner's InitProducerId waits for that, so the
 *    committed offsets and the changelog it then reads include this batch. Its local RocksDB
 *    may lack the batch (step 4 did not run): the changelog after the local checkpoint
 *    supplies it.
 * 4. Write the committed changes to local RocksDB in one batch, then the checkpoint file (the
 *    changelog offset where this commit's records start). Crash between the two: the old
 *    checkpoint makes the restore replay a little more of the changelog; replaying values is
 *    idempotent.
 *
 * A commit that fails is indefinite (a timed-out EndTxn may still commit): the task is dropped
 * with its uncommitted state, its producer closed, and the task re-created from what is
 * committed: a new producer (InitProducerId settles the old transaction), the committed offset,
 * and the stores restored from the changelog. That is the Jepsen analysis's advice: after an
 * indefinite error, re-initialize the producer rather than retry the commit.
 *
 * kafkajs cannot send the consumer group metadata with the offsets (KIP-447), so a zombie (an
 * old owner still processing after a rebalance) is fenced by the transactional id alone, which
 * is why the id is per task (per input partition) and not per process.
 */
export class ExactlyOnceCommitter implements Committer {
  readonly guarantee = 'exactly-once';
  private readonly producer: TransactionalProducer;
  private readonly groupId: string;

  constructor(producer: TransactionalProducer, groupId: string) {
    this.producer = producer;
    this.groupId = groupId;
  }

  commit(work: CommitWork): Promise<SendReceipt> {
    return this.producer.commit({
      records: [...work.records, ...work.changelog],
      offsets: work.offsets,
      groupId: this.groupId,
    });
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
