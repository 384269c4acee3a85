import type { Logger } from 'pino';

import type {
  ConsumerOptions,
  ConsumerSession,
  GroupMember,
  PartitionOffsets,
  ProducerOptions,
  ReadCount,
  ReadToEndOptions,
  RecordProducer,
  SendReceipt,
  StreamClient,
  TopicPartition,
  TopicSpec,
  TransactionalProducer,
} from '../connectors/kafka/streamClient.js';
import type { PipelineGraph } from '../dsl/graph.js';
import type { OutgoingRecord, RawRecord } from '../runtime/rawRecord.js';
import { ReplyGuard } from './replyGuard.js';

/**
 * The reply guard of a job running `graph`, checking topics through `client`; undefined when
 * the pipeline serves no requests (it writes only to topics named when it was built).
 */
export function replyGuardFor(
  graph: PipelineGraph,
  options: {
    readonly client: StreamClient;
    readonly deadLetterTopic: string;
    readonly logger: Logger;
    readonly onDeadLettered: (count: number) => void;
  },
): ReplyGuard | undefined {
  const serves = graph.all().some((node) => node.kind === 'sink' && node.replyTopics !== undefined);
  if (!serves) {
    return undefined;
  }
  const { client, ...rest } = options;
  return new ReplyGuard({ ...rest, existing: (topics) => existingTopics(client, topics) });
}

/**
 * Of `topics`, those that exist. `partitionCounts` lists the topics and then describes those
 * listed, so a topic deleted in between (a client closing) fails the description; listed
 * again, it is no longer there.
 */
async function existingTopics(
  client: StreamClient,
  topics: readonly string[],
): Promise<Set<string>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return new Set((await client.partitionCounts(topics)).keys());
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
    }
  }
}

/**
 * `client` with every record its producers send passing `guard` first: the one place all of a
 * job's writes go through (the at-least-once producer the job shares and the transactional
 * producers of its tasks), so no path of the runtime writes a reply around the guard.
 */
export function guardReplies(client: StreamClient, guard: ReplyGuard): StreamClient {
  return new ReplyGuardedClient(client, guard);
}

class ReplyGuardedClient implements StreamClient {
  private readonly client: StreamClient;
  private readonly guard: ReplyGuard;

  constructor(client: StreamClient, guard: ReplyGuard) {
    this.client = client;
    this.guard = guard;
  }

  async producer(options?: ProducerOptions): Promise<RecordProducer> {
    return new GuardedProducer(await this.client.producer(options), this.client, this.guard);
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = await this.client.transactionalProducer(transactionalId);
    return new GuardedTransactionalProducer(producer, this.guard);
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.client.ensureTopics(topics);
  }

  ensureRetention(topics: readonly string[], atLeastMs: number): Promise<string[]> {
    return this.client.ensureRetention(topics, atLeastMs);
  }

  partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    return this.client.partitionCounts(topics);
  }

  partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.client.partitionOffsets(topic);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.client.deleteTopics(topics);
  }

  consumer(options: ConsumerOptions): ConsumerSession {
    return this.client.consumer(options);
  }

  committedOffset(groupId: string, partition: TopicPartition): Promise<string | undefined> {
    return this.client.committedOffset(groupId, partition);
  }

  groupMembers(groupId: string): Promise<GroupMember[]> {
    return this.client.groupMembers(groupId);
  }

  readToEnd(
    partitions: readonly (TopicPartition & { readonly fromOffset: string })[],
    onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
    options?: ReadToEndOptions,
  ): Promise<void> {
    return this.client.readToEnd(partitions, onRecords, options);
  }
}

/**
 * At-least-once: replies go out through a producer of their own that fails at the first error,
 * beside the other records (through the job's producer), and the send resolves once both are
 * acknowledged. A reply topic deleted after the check then costs milliseconds instead of the
 * seconds kafkajs retries a send for (a stalled partition, and every request behind it timing
 * out), and never fails the other records. After a failed send of replies, those whose topic
 * is gone are replaced by their dead letters and the rest sent again through the job's
 * producer, which retries as long as any send does (the failure may have been a leader moving).
 * kafkajs does not say which records of a failed send were written, so a reply may be written
 * twice, which at-least-once allows (the client ignores the second).
 */
class GuardedProducer implements RecordProducer {
  private readonly producer: RecordProducer;
  private readonly client: StreamClient;
  private readonly guard: ReplyGuard;
  private replyProducer: Promise<RecordProducer> | undefined;
  /**
   * Set by close(): a send still in flight (an abandoned run's, retrying through an outage)
   * must not open a reply producer after it, which nothing would close: its connection and
   * timers kept the serving process alive after its job had stopped.
   */
  private closed = false;

  constructor(producer: RecordProducer, client: StreamClient, guard: ReplyGuard) {
    this.producer = producer;
    this.client = client;
    this.guard = guard;
  }

  async send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    const screened = await this.guard.screen(records);
    const replies = screened.filter((record) => record.reply !== undefined);
    if (replies.length === 0) {
      return this.sendOthers(screened);
    }
    const others = screened.filter((record) => record.reply === undefined);
    const receipts = await Promise.all([
      others.length === 0 ? Promise.resolve(new Map()) : this.sendOthers(others),
      this.sendReplies(replies),
    ]);
    return new Map(receipts.flatMap((receipt) => [...receipt]));
  }

  async close(): Promise<void> {
    this.closed = true;
    const replyProducer = this.replyProducer;
    this.replyProducer = undefined;
    await Promise.all([
      this.producer.close(),
      replyProducer?.then((producer) => producer.close()).catch(() => undefined),
    ]);
  }

  private async sendOthers(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    const receipt = await this.producer.send(records);
    this.guard.acknowledged(records);
    return receipt;
  }

  /**
   * Sends replies through the reply producer; after each failure, the replies whose topic is
   * gone now are dead-lettered (through the job's producer) and the others tried again. A
   * failure with every topic there is not the replies' (a leader moving, say): after
   * {@link fastAttempts} of those the job's producer takes them, retrying as any send does.
   */
  private async sendReplies(replies: readonly OutgoingRecord[]): Promise<SendReceipt> {
    let pending = replies;
    for (let attempt = 0; attempt < fastAttempts; attempt++) {
      if (this.closed) {
        throw new Error('the producer was closed while replies were being sent');
      }
      const replyProducer = (this.replyProducer ??= this.client.producer({ retries: 0 }));
      try {
        return await (await replyProducer).send(pending);
      } catch {
        if (this.replyProducer === replyProducer && (await isBroken(replyProducer))) {
          this.replyProducer = undefined; // it never connected: the next attempt makes another
        }
        const instead =
          (await this.guard.withoutDeleted(pending).catch(() => undefined)) ?? pending;
        const letters = instead.filter((record) => record.reply === undefined);
        if (letters.length > 0) {
          await this.sendOthers(letters);
        }
        pending = instead.filter((record) => record.reply !== undefined);
        if (pending.length === 0) {
          return new Map();
        }
      }
    }
    return this.sendOthers(pending);
  }
}

/** Fast (unretried) sends of replies before the job's producer takes the rest. */
const fastAttempts = 3;

/** Whether a producer promise failed (its connect), rather than one of its sends. */
async function isBroken(producer: Promise<RecordProducer>): Promise<boolean> {
  return producer.then(
    () => false,
    () => true,
  );
}

/**
 * Exactly-once: a failed transaction's outcome is unknown, so it is not sent again here; the
 * runtime re-creates the task from its commit, and the replies' topics are looked up afresh
 * when it processes those requests again (a deleted one is then dead-lettered).
 */
class GuardedTransactionalProducer implements TransactionalProducer {
  private readonly producer: TransactionalProducer;
  private readonly guard: ReplyGuard;

  constructor(producer: TransactionalProducer, guard: ReplyGuard) {
    this.producer = producer;
    this.guard = guard;
  }

  async commit(transaction: Parameters<TransactionalProducer['commit']>[0]): Promise<SendReceipt> {
    const records = await this.guard.screen(transaction.records);
    try {
      const receipt = await this.producer.commit({ ...transaction, records });
      this.guard.acknowledged(records);
      return receipt;
    } catch (error) {
      this.guard.forgetReplyTopics(records);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
