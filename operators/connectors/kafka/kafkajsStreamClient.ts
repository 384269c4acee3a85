import { randomUUID } from 'node:crypto';

import kafkajs from 'kafkajs';
import type {
  Admin,
  Consumer,
  IHeaders,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
  RecordMetadata,
  Transaction,
} from 'kafkajs';

import type { Headers } from '../../api/record.js';
import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';
import type {
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerSession,
  GroupMember,
  PartitionOffsets,
  ProducerOptions,
  RecordProducer,
  RoundMark,
  SendReceipt,
  StreamClient,
  TopicPartition,
  TopicSpec,
  TransactionalProducer,
} from './streamClient.js';
import { partitionId } from './streamClient.js';
import { CallsInFlight } from './callsInFlight.js';
import { SocketOwner } from './trackedSockets.js';
import { endpointAdvertisingAssigner, groupMembersOf } from './groupMembership.js';

// kafkajs is CommonJS and Node's ESM loader does not detect these enums as named exports.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** Bytes one fetch asks for per partition; see the consumer's options. */
const fetchBytesPerPartition = 512 * 1024;
/**
 * {@link StreamClient} on kafkajs 2.2.4.
 *
 * @category Connectors
 */
export class KafkajsStreamClient implements StreamClient {
  private readonly kafka: Kafka;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) {
      return;
    }
    // A broker that has just started may answer the leader wait of createTopics with
    // UNKNOWN_TOPIC_OR_PARTITION (its metadata lags the controller); kafkajs hands that up.
    // Try again: the topics already created are no longer missing.
    await retryRetriable(() => this.createMissing(topics));
  }

  private async createMissing(topics: readonly TopicSpec[]): Promise<void> {
    await this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) {
        await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
        return;
      }
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: -1, // the broker's default.replication.factor
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    });
  }

  async ensureRetention(topics: readonly string[], atLeastMs: number): Promise<string[]> {
    return this.withAdmin(async (admin) => {
      const raised: string[] = [];
      for (const name of topics) {
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name }],
        });
        const entries = described.resources[0]?.configEntries ?? [];
        const retention = Number(entries.find((e) => e.configName === 'retention.ms')?.configValue);
        if (!Number.isFinite(retention) || retention < 0 || retention >= atLeastMs) {
          continue; // unknown, infinite (-1) or long enough
        }
        // AlterConfigs (kafkajs has no incremental form) replaces every topic-level override,
        // so the overrides the topic has are sent again beside the new retention.
        const overrides = entries
          .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && !e.isSensitive)
          .filter((e) => e.configName !== 'retention.ms')
          .map((e) => ({ name: e.configName, value: e.configValue }));
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name,
              configEntries: [...overrides, { name: 'retention.ms', value: String(atLeastMs) }],
            },
          ],
        });
        raised.push(name);
      }
      return raised;
    });
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    return this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      const counts = new Map<string, number>();
      if (present.length > 0) {
        const metadata = await admin.fetchTopicMetadata({ topics: present });
        for (const topic of metadata.topics) {
          counts.set(topic.name, topic.partitions.length);
        }
      }
      return counts;
    });
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.withAdmin(async (admin) => {
      if (!(await admin.listTopics()).includes(topic)) {
        return [];
      }
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets
        .map(({ partition, low, high }) => ({ partition, low, high }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    await this.withAdmin((admin) => admin.deleteTopics({ topics: [...topics] }));
  }

  async producer(options: ProducerOptions = {}): Promise<RecordProducer> {
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      ...(options.idempotent === true ? { idempotent: true, maxInFlightRequests: 1 } : {}),
      ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
    });
    const owner = new SocketOwner(options.idempotent === true ? 'idempotent producer' : 'producer');
    await connectOrDisconnect(producer, owner);
    const records = new KafkajsRecordProducer(producer, owner);
    return options.idempotent === true ? new OneSendAtATime(records) : records;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
    });
    // connect() sends InitProducerId: the broker fences older producers with this id and
    // finishes their open transaction before it answers.
    const owner = new SocketOwner(`transactional producer ${transactionalId}`);
    await connectOrDisconnect(producer, owner);
    return new KafkajsTransactionalProducer(producer, owner);
  }

  consumer(options: ConsumerOptions): ConsumerSession {
    const lifetime = { stopped: false };
    return new KafkajsConsumerSession(
      this.kafka.consumer({
        groupId: options.groupId,
        // kafkajs restarts a consumer that crashed on a retriable error, even when the crash
        // came from (or after) its own disconnect: the stopped consumer then joined its group
        // again, a member that took partitions and processed nothing (seen after a broker
        // outage: half the feature job's tasks idle). A stopped session is never restarted.
        retry: { retries: 5, restartOnFailure: () => Promise.resolve(!lifetime.stopped) },
        allowAutoTopicCreation: false,
        // Every partition with a backlog gets data in every fetch. The broker fills a fetch
        // response in request order until maxBytes, and kafkajs asks in a fixed order, so with
        // kafkajs' defaults (1 MB per partition, 10 MB in all) a job catching up on 24 partitions
        // read the first ten and starved the rest: one source partition ran an hour of event
        // time ahead of another, and windows downstream of a repartition closed on half their
        // records (test/chaos measured it). 512 KB (about 2,500 records of 200 bytes) times 128
        // partitions fits in one 64 MB response.
        maxBytesPerPartition: fetchBytesPerPartition,
        maxBytes: fetchBytesPerPartition * 128,
        maxWaitTimeInMs: 100,
        minBytes: options.fetchMinBytes ?? 1,
        readUncommitted: false,
        ...(options.queryEndpoint === undefined
          ? {}
          : { partitionAssigners: [endpointAdvertisingAssigner(options.queryEndpoint)] }),
        ...(options.sessionTimeoutMs === undefined
          ? {}
          : {
              sessionTimeout: options.sessionTimeoutMs,
              heartbeatInterval: options.sessionTimeoutMs / 5,
            }),
      }),
      options,
      { owner: new SocketOwner(`consumer of group ${options.groupId}`), lifetime },
    );
  }

  async committedOffset(groupId: string, partition: TopicPartition): Promise<string | undefined> {
    return this.withAdmin(async (admin) => {
      const topics = await admin.fetchOffsets({ groupId, topics: [partition.topic] });
      const offset = topics[0]?.partitions.find((p) => p.partition === partition.partition)?.offset;
      return offset === undefined || offset === '-1' ? undefined : offset;
    });
  }

  async groupMembers(groupId: string): Promise<GroupMember[]> {
    return this.withAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups.find((g) => g.groupId === groupId);
      return group === undefined ? [] : groupMembersOf(group);
    });
  }

  async readToEnd(
    partitions: readonly (TopicPartition & { readonly fromOffset: string })[],
    onRecords: (records: readonly RawRecord[]) => Promise<void>,
  ): Promise<void> {
    const ends = await this.endOffsets(partitions);
    const remaining = new Map(
      partitions
        .filter((p) => BigInt(p.fromOffset) < (ends.get(partitionId(p.topic, p.partition)) ?? 0n))
        .map((p) => [partitionId(p.topic, p.partition), p]),
    );
    if (remaining.size === 0) {
      return;
    }
    const owner = new SocketOwner('partition reader');
    try {
      await owner.run(() => new PartitionReader(this.kafka, remaining, ends).read(onRecords));
    } finally {
      owner.close();
    }
  }

  private async endOffsets(partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    return this.withAdmin(async (admin) => {
      const ends = new Map<string, bigint>();
      for (const topic of new Set(partitions.map((p) => p.topic))) {
        for (const offsets of await retryRetriable(() => admin.fetchTopicOffsets(topic))) {
          ends.set(partitionId(topic, offsets.partition), BigInt(offsets.high));
        }
      }
      return ends;
    });
  }

  private async withAdmin<TResult>(work: (admin: Admin) => Promise<TResult>): Promise<TResult> {
    const admin = this.kafka.admin();
    const owner = new SocketOwner('admin');
    try {
      return await owner.run(async () => {
        try {
          await admin.connect();
          return await work(admin);
        } finally {
          // Also after a failed connect: kafkajs keeps the connections it did open until told.
          await admin.disconnect().catch(() => undefined);
        }
      });
    } finally {
      owner.close();
    }
  }
}

/**
 * Connects; when that fails, disconnects before rethrowing. A producer's connect opens the
 * broker connections first and then (idempotent or transactional) asks for its producer id:
 * when the second step failed in an outage, the connections stayed open and nothing held the
 * producer to close them (a stopped feature job's process lived on with three of them).
 */
async function connectOrDisconnect(producer: Producer, owner: SocketOwner): Promise<void> {
  try {
    await owner.run(() => producer.connect());
  } catch (error) {
    await owner.run(() => producer.disconnect()).catch(() => undefined);
    owner.close();
    throw error;
  }
}

/**
 * Closes a client: disconnects it, waits for its calls under way and disconnects again (see
 * {@link CallsInFlight}), then ends whatever connection it still has and refuses new ones.
 */
async function closeClient(
  owner: SocketOwner,
  inFlight: CallsInFlight,
  disconnect: () => Promise<void>,
): Promise<void> {
  try {
    await inFlight.closeWith(() => owner.run(disconnect));
  } finally {
    owner.close();
  }
}

/** Upper bound of one produce call's payload: well below the broker's 1 MB batch limit. */
const maxRequestBytes = 128 * 1024;

class KafkajsRecordProducer implements RecordProducer {
  private readonly producer: Producer;
  private readonly owner: SocketOwner;
  private readonly inFlight = new CallsInFlight();

  constructor(producer: Producer, owner: SocketOwner) {
    this.producer = producer;
    this.owner = owner;
  }

  send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    return this.inFlight.track(() => this.owner.run(() => this.sendSlices(records)));
  }

  private async sendSlices(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    // The broker refuses a record batch over message.max.bytes (1 MB by default), and kafkajs
    // puts all of one partition's messages of a request into one batch; kafkajs also groups a
    // request's messages by partition in time quadratic in their number. So: small slices,
    // sent one after the other. Concurrent slices can land out of order within a partition
    // (seen in the chaos runs), and at-least-once deduplication needs each partition's records
    // in the order the task produced them (state/appliedPositions.ts).
    const results = [];
    for (const slice of slicesOf(records)) {
      results.push(
        ...(await this.producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(slice) })),
      );
    }
    return receiptOf(results);
  }

  close(): Promise<void> {
    return closeClient(this.owner, this.inFlight, () => this.producer.disconnect());
  }
}

/**
 * Sends one after another. kafkajs advances an idempotent producer's sequence number per
 * partition when it builds a request and steps it back when the request fails; a send built
 * while another was in flight would then carry numbers the broker refuses as out of order.
 */
class OneSendAtATime implements RecordProducer {
  private readonly producer: RecordProducer;
  private last: Promise<unknown> = Promise.resolve();

  constructor(producer: RecordProducer) {
    this.producer = producer;
  }

  send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    const sent = this.last.then(() => this.producer.send(records));
    this.last = sent.catch(() => undefined);
    return sent;
  }

  close(): Promise<void> {
    return this.last.then(() => this.producer.close());
  }
}

/** Slices of at most ~{@link maxRequestBytes} (one record at least), in order. */
function slicesOf(records: readonly OutgoingRecord[]): (readonly OutgoingRecord[])[] {
  const slices: (readonly OutgoingRecord[])[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && (end === start || bytes < maxRequestBytes)) {
      const record = records[end];
      bytes += (record?.key?.length ?? 0) + (record?.value?.length ?? 0) + 64;
      end += 1;
    }
    slices.push(records.slice(start, end));
    start = end;
  }
  return slices;
}

function topicMessagesOf(
  records: readonly OutgoingRecord[],
): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (messages === undefined) {
      messages = [];
      byTopic.set(record.topic, messages);
    }
    messages.push({
      key: toBuffer(record.key),
      value: toBuffer(record.value),
      timestamp: String(record.timestamp),
      headers: record.headers as IHeaders,
      ...(record.partition === undefined ? {} : { partition: record.partition }),
    });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** The lowest base offset per partition over the responses of one or more produce requests. */
function receiptOf(results: readonly RecordMetadata[]): SendReceipt {
  const first = new Map<string, string>();
  for (const result of results) {
    const offset = result.baseOffset ?? result.offset;
    if (offset === undefined) {
      continue;
    }
    const id = partitionId(result.topicName, result.partition);
    const known = first.get(id);
    if (known === undefined || BigInt(offset) < BigInt(known)) {
      first.set(id, offset);
    }
  }
  return first;
}

class KafkajsTransactionalProducer implements TransactionalProducer {
  private readonly producer: Producer;
  private readonly owner: SocketOwner;
  private readonly inFlight = new CallsInFlight();

  constructor(producer: Producer, owner: SocketOwner) {
    this.producer = producer;
    this.owner = owner;
  }

  commit(transaction: CommittedTransaction): Promise<SendReceipt> {
    return this.inFlight.track(() => this.owner.run(() => this.commitNow(transaction)));
  }

  private async commitNow(transaction: CommittedTransaction): Promise<SendReceipt> {
    const txn: Transaction = await this.producer.transaction();
    try {
      // Slices go one after another: an idempotent producer's sequence numbers must reach
      // each partition in order.
      const results: RecordMetadata[] = [];
      for (const slice of slicesOf(transaction.records)) {
        results.push(...(await txn.sendBatch({ acks: -1, topicMessages: topicMessagesOf(slice) })));
      }
      if (transaction.offsets.length > 0) {
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const { topic, partition, offset } of transaction.offsets) {
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
        }
        await retryConcurrentTransactions(() =>
          txn.sendOffsets({
            consumerGroupId: transaction.groupId,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          }),
        );
      }
      await txn.commit();
      return receiptOf(results);
    } catch (error) {
      // Best effort: an abort that fails leaves the transaction to the next InitProducerId.
      await txn.abort().catch(() => undefined);
      throw error;
    }
  }

  close(): Promise<void> {
    return closeClient(this.owner, this.inFlight, () => this.producer.disconnect());
  }
}

interface CommittedTransaction {
  readonly records: readonly OutgoingRecord[];
  readonly groupId: string;
  readonly offsets: readonly (TopicPartition & { readonly offset: string })[];
}

/**
 * Reads partitions to their end offsets with a throwaway consumer group: kafkajs has no manual
 * partition assignment, so a group of one member is assigned every partition of the topics, and
 * pauses the ones it does not need. It never commits, so the group leaves nothing behind.
 */
class PartitionReader {
  private readonly kafka: Kafka;
  private readonly remaining: Map<string, TopicPartition & { readonly fromOffset: string }>;
  private readonly ends: ReadonlyMap<string, bigint>;

  constructor(
    kafka: Kafka,
    remaining: Map<string, TopicPartition & { readonly fromOffset: string }>,
    ends: ReadonlyMap<string, bigint>,
  ) {
    this.kafka = kafka;
    this.remaining = remaining;
    this.ends = ends;
  }

  async read(onRecords: (records: readonly RawRecord[]) => Promise<void>): Promise<void> {
    const wanted = [...this.remaining.values()];
    const consumer = this.kafka.consumer({
      groupId: `reelstream-reader-${randomUUID()}`,
      readUncommitted: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 50,
    });
    let finish: (error?: unknown) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      finish = (error?: unknown) => (error === undefined ? resolve() : reject(toError(error)));
    });
    const reached = (topic: string, partition: number, lastOffset: string): void => {
      const id = partitionId(topic, partition);
      const end = this.ends.get(id);
      if (end !== undefined && BigInt(lastOffset) + 1n >= end && this.remaining.delete(id)) {
        consumer.pause([{ topic, partitions: [partition] }]);
        if (this.remaining.size === 0) {
          finish();
        }
      }
    };
    // Fetches of only transaction markers never reach eachBatch; the instrumentation event does.
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) {
        reached(payload.topic, payload.partition, payload.lastOffset);
      }
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        const idle = partitions.filter((p) => !this.remaining.has(partitionId(topic, p)));
        if (idle.length > 0) {
          consumer.pause([{ topic, partitions: idle }]);
        }
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => finish(payload.error));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...new Set(wanted.map((p) => p.topic))] });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const id = partitionId(batch.topic, batch.partition);
          if (!this.remaining.has(id)) {
            return;
          }
          const records = batch.messages.map((m) => toRawRecord(batch.topic, batch.partition, m));
          if (records.length > 0) {
            await onRecords(records);
          }
          reached(batch.topic, batch.partition, batch.lastOffset());
        },
      });
      for (const p of wanted) {
        consumer.seek({ topic: p.topic, partition: p.partition, offset: p.fromOffset });
      }
      await done;
    } finally {
      await consumer.disconnect();
    }
  }
}

/**
 * kafkajs's admin gives up on the first error of a ListOffsets call (a leader that moved, a
 * broker busy electing: NOT_LEADER_OR_FOLLOWER) instead of refreshing its metadata and trying
 * again; retry those a few times with backoff.
 */
async function retryRetriable<TResult>(call: () => Promise<TResult>): Promise<TResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retriable =
        typeof error === 'object' &&
        error !== null &&
        'retriable' in error &&
        error.retriable === true;
      if (!retriable || attempt >= 6) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

/**
 * CONCURRENT_TRANSACTIONS (51): the coordinator is still completing this producer's previous
 * transaction (its markers are being written) and refused AddOffsetsToTxn without acting on it.
 * The Java producer retries it; kafkajs hands it up. Retrying is safe because nothing changed,
 * and cheaper than treating it as an indefinite error, which re-creates the task.
 */
async function retryConcurrentTransactions<TResult>(
  call: () => Promise<TResult>,
): Promise<TResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const concurrent =
        typeof error === 'object' &&
        error !== null &&
        'type' in error &&
        error.type === 'CONCURRENT_TRANSACTIONS';
      if (!concurrent || attempt >= 10) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class KafkajsConsumerSession implements ConsumerSession {
  private readonly owner: SocketOwner;
  private readonly consumer: Consumer;
  private readonly options: ConsumerOptions;
  /** Fetches started so far, per broker (kafkajs runs one fetch loop per broker). */
  private readonly fetchesStarted = new Map<number, number>();
  /** Shared with the consumer's restartOnFailure: once stopped, kafkajs may not restart it. */
  private readonly lifetime: { stopped: boolean };
  private readonly inFlight = new CallsInFlight();

  constructor(
    consumer: Consumer,
    options: ConsumerOptions,
    parts: { readonly owner: SocketOwner; readonly lifetime: { stopped: boolean } },
  ) {
    this.owner = parts.owner;
    this.consumer = consumer;
    this.options = options;
    this.lifetime = parts.lifetime;
  }

  private get stopped(): boolean {
    return this.lifetime.stopped;
  }

  start(handlers: ConsumerHandlers): Promise<void> {
    // The fetch loops, heartbeats and restarts kafkajs starts from here are the session's own.
    return this.owner.run(() => this.startAsOwner(handlers));
  }

  private async startAsOwner(handlers: ConsumerHandlers): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.REBALANCING, () => handlers.onRebalancing());
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (this.stopped) {
        // Joined after its stop (a restart kafkajs had already scheduled): leave at once.
        void consumer.disconnect().catch(() => undefined);
        return;
      }
      const assignment = new Map(Object.entries(event.payload.memberAssignment));
      handlers.onAssigned(assignment).catch((error: unknown) => handlers.onCrash(error));
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.stopped) {
        return; // a closed session's connections fail by design (SocketOwner)
      }
      if (!event.payload.restart) {
        handlers.onCrash(event.payload.error);
      } else {
        handlers.onRestarting?.(event.payload.error);
      }
    });
    // A broker's fetch loop fetches, hands every batch of the fetch to eachBatch, waits for
    // them all, and fetches again: the start of a fetch is the end of the previous one.
    consumer.on(consumer.events.FETCH_START, ({ payload }) => {
      this.fetchesStarted.set(payload.nodeId, (this.fetchesStarted.get(payload.nodeId) ?? 0) + 1);
      handlers.onFetchDelivered?.();
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning,
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) {
        handlers.onSkipped?.({
          topic: payload.topic,
          partition: payload.partition,
          nextOffset: String(BigInt(payload.lastOffset) + 1n),
          highWatermark: payload.highWatermark,
        });
      }
    });
    await consumer.run({
      autoCommit: this.options.autoCommit ?? true,
      autoCommitInterval: this.options.commitIntervalMs,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) {
          return;
        }
        const records = batch.messages.map((m) => toRawRecord(batch.topic, batch.partition, m));
        const acknowledged = await handlers.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          records,
          nextOffset: String(BigInt(batch.lastOffset()) + 1n),
          highWatermark: batch.highWatermark,
          heartbeat: () => payload.heartbeat(),
        });
        if (acknowledged !== false) {
          payload.resolveOffset(batch.lastOffset());
        }
        await payload.heartbeat();
      },
    });
  }

  seek(partition: TopicPartition & { readonly offset: string }): void {
    whileGrouped(() => this.consumer.seek(partition));
  }

  // Once stopped, kafkajs throws on pause and resume (it has no group any more); nothing is
  // fetched then anyway, and a task closing after the stop resumes what it had paused.
  pause(partition: TopicPartition): void {
    if (!this.stopped) {
      whileGrouped(() =>
        this.consumer.pause([{ topic: partition.topic, partitions: [partition.partition] }]),
      );
    }
  }

  resume(partition: TopicPartition): void {
    if (!this.stopped) {
      whileGrouped(() =>
        this.consumer.resume([{ topic: partition.topic, partitions: [partition.partition] }]),
      );
    }
  }

  async commitOffsets(
    offsets: readonly (TopicPartition & { readonly offset: string })[],
  ): Promise<void> {
    await this.inFlight.track(() =>
      this.owner.run(() =>
        this.consumer.commitOffsets(
          offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        ),
      ),
    );
  }

  roundMark(): RoundMark {
    const started = new Map(this.fetchesStarted);
    return {
      // The fetch under way when the mark was made may have been asked before the caller's
      // buffer emptied (or while its partition was paused); the one after it was not, and it
      // has been delivered once a third starts.
      passed: () => {
        for (const [node, count] of started) {
          if ((this.fetchesStarted.get(node) ?? 0) < count + 2) {
            return false;
          }
        }
        return started.size > 0;
      },
    };
  }

  async stop(): Promise<void> {
    this.lifetime.stopped = true;
    // disconnect() stops the runner (waiting for the batch in flight), commits resolved offsets
    // and sends LeaveGroup, so the partitions move to another member at once.
    // A consumer that crashed was disconnected by kafkajs without waiting for the batch in
    // flight; that batch's end still heartbeats (SocketOwner says more).
    await closeClient(this.owner, this.inFlight, () => this.consumer.disconnect());
  }
}

/**
 * Runs a seek, pause or resume, unless kafkajs is between a crash and its restart: it then has
 * no consumer group and throws "Consumer group was not initialized" (a failed commit's task
 * re-creation met it during a broker outage and failed the job). Nothing is lost by skipping:
 * the restarted consumer joins again, starts every partition at its committed offset (where a
 * seek after a failed commit points) and unpaused (a task's buffer pauses it again when full).
 */
function whileGrouped(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('Consumer group was not initialized'))) {
      throw error;
    }
  }
}

function toRawRecord(topic: string, partition: number, message: KafkaMessage): RawRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: fromKafkajsHeaders(message.headers),
  };
}

const noHeaders: Headers = Object.freeze({});

function fromKafkajsHeaders(headers: IHeaders | undefined): Headers {
  if (headers === undefined) {
    return noHeaders;
  }
  const result: Record<string, string | Uint8Array> = {};
  let any = false;
  for (const [name, value] of Object.entries(headers)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) {
      result[name] = last;
      any = true;
    }
  }
  return any ? result : noHeaders;
}

function toBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) {
    return null;
  }
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
