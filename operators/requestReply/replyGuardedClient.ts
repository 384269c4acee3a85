import type { Logger } from 'pino';

import type {
  ConsumerOptions,
  ConsumerSession,
  GroupMember,
  PartitionOffsets,
  ProducerOptions,
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
  return new ReplyGuard({
    ...rest,
    existing: async (topics) => new Set((await client.partitionCounts(topics)).keys()),
  });
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
    return new GuardedProducer(await this.client.producer(options), this.guard);
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
    onRecords: (records: readonly RawRecord[]) => Promise<void>,
  ): Promise<void> {
    return this.client.readToEnd(partitions, onRecords);
  }
}

/**
 * At-least-once: a send that fails because a reply topic was deleted after the check is sent
 * again without those replies. Records of the failed send may have been written already (kafkajs
 * does not say which), so the others may be written twice, which at-least-once allows.
 */
class GuardedProducer implements RecordProducer {
  private readonly producer: RecordProducer;
  private readonly guard: ReplyGuard;

  constructor(producer: RecordProducer, guard: ReplyGuard) {
    this.producer = producer;
    this.guard = guard;
  }

  async send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    const screened = await this.guard.screen(records);
    let sent = screened;
    let receipt: SendReceipt;
    try {
      receipt = await this.producer.send(screened);
    } catch (error) {
      const instead = await this.guard.withoutDeleted(screened).catch(() => undefined);
      if (instead === undefined) {
        throw error;
      }
      sent = instead;
      receipt = await this.producer.send(instead);
    }
    this.guard.acknowledged(sent);
    return receipt;
  }

  close(): Promise<void> {
    return this.producer.close();
  }
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
