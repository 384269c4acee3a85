import { createRequire } from 'node:module';

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
  ReadCount,
  ReadToEndOptions,
  RoundMark,
  SendReceipt,
  StreamClient,
  TopicPartition,
  TopicSpec,
  TransactionalProducer,
} from './streamClient.js';
import { partitionId, readCountOf } from './streamClient.js';
import {
  decodeFetchResponse,
  FetchError,
  fetchKey,
  UnsupportedFetchFormat,
  type FetchedRecords,
} from './fetchDecoder.js';
import { CallsInFlight } from './callsInFlight.js';
import { kafkaOf } from './kafkajsClient.js';
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
  private readonly readers: ReaderClusters;

  constructor(kafka: Kafka) {
    this.kafka = kafka;
    this.readers = new ReaderClusters(kafka);
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
    const owner = new SocketOwner(options.idempotent === true ? 'idempotent producer' : 'producer');
    const producer = kafkaOf(this.kafka, owner).producer({
      allowAutoTopicCreation: false,
      ...(options.idempotent === true ? { idempotent: true, maxInFlightRequests: 1 } : {}),
      ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
    });
    await connectOrDisconnect(producer, owner);
    const records = new KafkajsRecordProducer(producer, owner);
    return options.idempotent === true ? new OneSendAtATime(records) : records;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const owner = new SocketOwner(`transactional producer ${transactionalId}`);
    const producer = kafkaOf(this.kafka, owner).producer({
      allowAutoTopicCreation: false,
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
    });
    // connect() sends InitProducerId: the broker fences older producers with this id and
    // finishes their open transaction before it answers.
    await connectOrDisconnect(producer, owner);
    return new KafkajsTransactionalProducer(producer, owner);
  }

  consumer(options: ConsumerOptions): ConsumerSession {
    const lifetime = { stopped: false };
    const owner = new SocketOwner(`consumer of group ${options.groupId}`);
    return new KafkajsConsumerSession(
      kafkaOf(this.kafka, owner).consumer({
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
      { owner, lifetime },
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
    onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
    options: ReadToEndOptions = {},
  ): Promise<void> {
    // Awaited once connected: not an unhandled rejection should it fail before that.
    options.after?.catch(() => undefined);
    if (partitions.length === 0) {
      await options.after;
      return;
    }
    // The tasks of a job restore at the same time, each with a read of its own: they share a
    // few cluster connections (ReaderClusters) while any of them reads.
    const lease = this.readers.lease();
    try {
      await lease.owner.run(() =>
        new PartitionReader(lease.cluster, partitions, options).read(onRecords),
      );
    } finally {
      await this.readers.release(lease);
    }
  }

  private async withAdmin<TResult>(work: (admin: Admin) => Promise<TResult>): Promise<TResult> {
    const owner = new SocketOwner('admin');
    const admin = kafkaOf(this.kafka, owner).admin();
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
 * Reads partitions to their end with plain Fetch requests on a cluster connection of its own,
 * the way Kafka Streams' restore consumer reads changelogs (assign, seek, poll), not through a
 * consumer group: kafkajs has no manual assignment, and the throwaway group each read used to
 * join cost about a second per call before the first record (FindCoordinator, JoinGroup,
 * SyncGroup, OffsetFetch, then LeaveGroup), which made the chaos job's restores of a few
 * hundred kilobytes per task run at 0.04–0.1 MB/s. Now a read is one ListOffsets, then fetches
 * of up to {@link restoreFetchBytesPerPartition} per partition, each sent before the records of
 * the previous one are handed over, so the network and the caller's writes overlap.
 *
 * The end of each partition is its last stable offset when the read starts (ListOffsets with
 * isolation read_committed): the records of transactions committed by then. Fetches are
 * read_committed too: the broker returns records up to the last stable offset with the list of
 * aborted transactions, and kafkajs' `Batch` (with our patched `filterAbortedMessages`) drops
 * aborted records and transaction markers, as its consumer does.
 */
class PartitionReader {
  private readonly cluster: KafkajsCluster;
  private readonly wanted: readonly (TopicPartition & { readonly fromOffset: string })[];
  private readonly latestPerKey: boolean;
  private readonly after: Promise<unknown> | undefined;

  constructor(
    cluster: KafkajsCluster,
    wanted: readonly (TopicPartition & { readonly fromOffset: string })[],
    options: ReadToEndOptions,
  ) {
    this.cluster = cluster;
    this.wanted = wanted;
    this.latestPerKey = options.latestPerKey === true;
    this.after = options.after;
  }

  async read(
    onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
  ): Promise<void> {
    const cluster = this.cluster;
    let pending: Promise<FetchedPartition[]> | undefined;
    try {
      await withRetries(cluster, () => cluster.connect());
      const topics = [...new Set(this.wanted.map((p) => p.topic))];
      await withRetries(cluster, () => cluster.addMultipleTargetTopics(topics));
      // Connected and the topics known while the caller's producer fenced: the ends now.
      await this.after;
      const ends = await withRetries(cluster, () => endOffsetsOf(cluster, this.wanted));
      const positions = new Map<string, ReadPosition>();
      for (const p of this.wanted) {
        const end = ends.get(partitionId(p.topic, p.partition)) ?? 0n;
        const next = BigInt(p.fromOffset);
        if (next < end) {
          positions.set(partitionId(p.topic, p.partition), { ...p, next, end });
        }
      }
      const fetch = (): Promise<FetchedPartition[]> =>
        fetchOnce(cluster, positions, this.latestPerKey);
      pending = positions.size > 0 ? fetch() : undefined;
      while (pending !== undefined) {
        const fetched = await pending;
        pending = undefined;
        for (const f of fetched) {
          const position = positions.get(partitionId(f.topic, f.partition));
          if (position === undefined) {
            continue;
          }
          position.next = f.next;
          if (f.next >= position.end) {
            positions.delete(partitionId(f.topic, f.partition));
          }
        }
        // The next fetch goes out before this one's records are written: the positions are
        // known from the fetch alone.
        if (positions.size > 0) {
          pending = fetch();
          // Handled here so a failing onRecords below does not leave it unhandled.
          pending.catch(() => undefined);
        }
        for (const f of fetched) {
          if (f.records.length > 0) {
            await onRecords(f.records, f.read);
          }
        }
      }
    } finally {
      await pending?.catch(() => undefined);
    }
  }
}

/** A cluster connection shared by reads under way; closed when the last of them ends. */
interface ReaderLease {
  readonly cluster: KafkajsCluster;
  readonly owner: SocketOwner;
}

/**
 * Up to {@link maxReaderClusters} cluster connections for the reads under way, each lent to
 * the reads in turn. One connection each cost a connect and a metadata round per task (tens of
 * tasks restore at once after a restart); one for all put their fetches in a row, since a
 * broker answers the requests of one connection one after the other.
 */
class ReaderClusters {
  private readonly kafka: Kafka;
  private readonly open: (ReaderLease & { users: number })[] = [];

  constructor(kafka: Kafka) {
    this.kafka = kafka;
  }

  lease(): ReaderLease {
    let least = this.open.reduce<(ReaderLease & { users: number }) | undefined>(
      (best, c) => (best === undefined || c.users < best.users ? c : best),
      undefined,
    );
    if (least === undefined || (least.users > 0 && this.open.length < maxReaderClusters)) {
      const owner = new SocketOwner('partition reader');
      // The owner's kafkajs first: built with the owner's own sockets, it runs the cluster's
      // work without async context (asked inside `run`, the context was turned on for good).
      const kafka = kafkaOf(this.kafka, owner);
      least = {
        cluster: owner.run(() => createCluster(kafka)),
        owner,
        users: 0,
      };
      this.open.push(least);
    }
    least.users++;
    return least;
  }

  async release(lease: ReaderLease): Promise<void> {
    const at = this.open.findIndex((c) => c === lease);
    const entry = this.open[at];
    if (entry === undefined || --entry.users > 0) {
      return;
    }
    this.open.splice(at, 1);
    try {
      await lease.owner.run(() => lease.cluster.disconnect()).catch(() => undefined);
    } finally {
      lease.owner.close();
    }
  }
}

const maxReaderClusters = 4;

/** Bytes one restore fetch asks for per partition: large, since restores read in bulk. */
const restoreFetchBytesPerPartition = 8 * 1024 * 1024;
/** Bytes one restore fetch asks for in all (the broker returns at least one batch anyway). */
const restoreFetchBytes = 32 * 1024 * 1024;
/** How long the broker may hold a fetch whose partitions have nothing committed yet to return. */
const restoreFetchWaitMs = 100;

interface ReadPosition extends TopicPartition {
  next: bigint;
  readonly end: bigint;
}

interface FetchedPartition extends TopicPartition {
  readonly records: RawRecord[];
  /** What the records stand for (more than they are when only the latest of a key was kept). */
  readonly read: ReadCount;
  /** The offset to fetch next: after every record the fetch returned, markers included. */
  readonly next: bigint;
}

/** The parts of kafkajs' internal cluster (src/cluster) and broker (src/broker) used here. */
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: readonly string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: readonly number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<KafkajsBroker>;
  fetchTopicsOffset(
    topics: readonly {
      topic: string;
      fromBeginning: boolean;
      partitions: readonly { partition: number }[];
    }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

interface KafkajsBroker {
  lookupRequest(
    apiKey: number,
    definition: unknown,
  ): (request: object) => { request: { apiVersion: number } };
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchPartitionData[] }[] }>;
}

interface FetchPartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset: string;
  readonly messages: (KafkaMessage & { readonly isControlRecord?: boolean })[];
}

/** kafkajs' `Batch` (src/consumer/batch.js): one partition's fetched records, filtered. */
interface KafkajsBatch {
  /** Without aborted records, transaction markers and records before the fetched offset. */
  readonly messages: KafkaMessage[];
  /** Everything the broker returned, markers and aborted records included. */
  readonly rawMessages: KafkaMessage[];
}

const requireKafkajs = createRequire(import.meta.url);
const KafkajsBatchClass = requireKafkajs('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: FetchPartitionData,
) => KafkajsBatch;
const kafkajsRequests = (
  requireKafkajs('kafkajs/src/protocol/requests/index.js') as { requests: { Fetch: unknown } }
).requests;
const fetchApiKey = (
  requireKafkajs('kafkajs/src/protocol/requests/apiKeys.js') as { Fetch: number }
).Fetch;
const kafkajsErrors = requireKafkajs('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error;
};
/** `ISOLATION_LEVEL.READ_COMMITTED` in kafkajs/src/protocol/isolationLevel.js. */
const readCommitted = 1;

/**
 * A kafkajs cluster (connections and metadata, no group) built by the client's private factory,
 * the one its consumer, producer and admin use, so it has the client's brokers, TLS, SASL,
 * timeouts and socket factory. kafkajs 2.2.4 is pinned and patched (patches/), so its internals
 * do not move under us; should they, this fails loudly here.
 */
function createCluster(kafka: Kafka): KafkajsCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  const create: unknown =
    factory === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[factory];
  if (typeof create !== 'function') {
    throw new Error('kafkajs has no private cluster factory: was kafkajs upgraded from 2.2.4?');
  }
  return (create as (options: object) => KafkajsCluster).call(kafka, {
    allowAutoTopicCreation: false,
    isolationLevel: readCommitted,
  });
}

/** Per partition, its last stable offset (ListOffsets latest, read_committed). */
async function endOffsetsOf(
  cluster: KafkajsCluster,
  partitions: readonly TopicPartition[],
): Promise<Map<string, bigint>> {
  const byTopic = new Map<string, { partition: number }[]>();
  for (const p of partitions) {
    byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition }]);
  }
  const offsets = await cluster.fetchTopicsOffset(
    [...byTopic].map(([topic, ps]) => ({ topic, fromBeginning: false, partitions: ps })),
  );
  const ends = new Map<string, bigint>();
  for (const { topic, partitions: ps } of offsets) {
    for (const { partition, offset } of ps) {
      ends.set(partitionId(topic, partition), BigInt(offset));
    }
  }
  return ends;
}

/** One fetch of every unfinished partition, from each partition's leader, with retries. */
function fetchOnce(
  cluster: KafkajsCluster,
  positions: ReadonlyMap<string, ReadPosition>,
  latestPerKey: boolean,
): Promise<FetchedPartition[]> {
  return withRetries(cluster, async () => {
    const byLeader = new Map<string, ReadPosition[]>();
    for (const position of positions.values()) {
      const leaders = Object.keys(
        cluster.findLeaderForPartitions(position.topic, [position.partition]),
      );
      if (leaders.length === 0) {
        // Not in the metadata (yet): retried after a refresh, rather than left out of every
        // fetch while the read waits for it.
        throw Object.assign(
          new Error(`no leader known for ${position.topic}[${position.partition}]`),
          { retriable: true },
        );
      }
      for (const nodeId of leaders) {
        byLeader.set(nodeId, [...(byLeader.get(nodeId) ?? []), position]);
      }
    }
    const perLeader = await Promise.all(
      [...byLeader].map(async ([nodeId, wanted]) => {
        const broker = await cluster.findBroker({ nodeId });
        const topics = new Map<
          string,
          { partition: number; fetchOffset: string; maxBytes: number }[]
        >();
        for (const p of wanted) {
          topics.set(p.topic, [
            ...(topics.get(p.topic) ?? []),
            {
              partition: p.partition,
              fetchOffset: p.next.toString(),
              maxBytes: restoreFetchBytesPerPartition,
            },
          ]);
        }
        // Rotated per fetch, so that when the response fills up, a different partition is cut.
        const request = [...topics].map(([topic, ps]) => ({ topic, partitions: ps }));
        request.push(...request.splice(0, fetchRound++ % Math.max(1, request.length)));
        const fast = await fetchDecoded(broker, request, { wanted, latestPerKey });
        if (fast !== undefined) {
          return fast;
        }
        const { responses } = await broker.fetch({
          isolationLevel: readCommitted,
          maxWaitTime: restoreFetchWaitMs,
          minBytes: 1,
          maxBytes: restoreFetchBytes,
          topics: request,
        });
        return responses.flatMap(({ topicName, partitions }) =>
          partitions.map((data) => {
            const position = positions.get(partitionId(topicName, data.partition));
            return position === undefined ? undefined : fetchedOf(position, data);
          }),
        );
      }),
    );
    return perLeader.flat().filter((f): f is FetchedPartition => f !== undefined);
  });
}

let fetchRound = 0;

/**
 * One Fetch (v11) whose response {@link decodeFetchResponse} decodes in place of kafkajs;
 * undefined when the broker negotiated another version or the response holds a format that
 * decoder does not read (the caller then fetches through kafkajs).
 */
async function fetchDecoded(
  broker: KafkajsBroker,
  topics: {
    topic: string;
    partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
  }[],
  { wanted, latestPerKey }: { wanted: readonly ReadPosition[]; latestPerKey: boolean },
): Promise<FetchedPartition[] | undefined> {
  const send = sendRequestOf(broker);
  const protocolRequest = broker.lookupRequest(
    fetchApiKey,
    kafkajsRequests.Fetch,
  )({
    replicaId: -1,
    isolationLevel: readCommitted,
    maxWaitTime: restoreFetchWaitMs,
    minBytes: 1,
    maxBytes: restoreFetchBytes,
    topics,
    rackId: '',
  });
  if (send === undefined || protocolRequest.request.apiVersion !== 11) {
    return undefined;
  }
  const ranges = new Map(
    wanted.map((p) => [
      fetchKey(p.topic, p.partition),
      { fetchOffset: p.next, endOffset: p.end, latestPerKey },
    ]),
  );
  let decoded: FetchedRecords[];
  try {
    decoded = await send({
      ...protocolRequest,
      response: {
        decode: (body: Buffer) => decodeFetchResponse(body, ranges),
        parse: (data: FetchedRecords[]) => Promise.resolve(data),
      },
    });
  } catch (error) {
    if (error instanceof UnsupportedFetchFormat) {
      return undefined;
    }
    if (error instanceof FetchError) {
      throw kafkajsErrors.createErrorFromCode(error.code);
    }
    throw error;
  }
  const byId = new Map(wanted.map((p) => [partitionId(p.topic, p.partition), p]));
  return decoded.flatMap((data) => {
    const position = byId.get(partitionId(data.topic, data.partition));
    if (position === undefined) {
      return [];
    }
    if (data.errorCode !== 0) {
      // kafkajs' error for the code: retriable ones (a moved leader) are retried.
      throw kafkajsErrors.createErrorFromCode(data.errorCode);
    }
    let next = position.next;
    if (data.nextOffset !== undefined && data.nextOffset > next) {
      next = data.nextOffset;
    } else if (data.nextOffset === undefined) {
      const stable = data.lastStableOffset < 0n ? data.highWatermark : data.lastStableOffset;
      if (stable >= position.end) {
        next = position.end; // nothing left before the end (see fetchedOf)
      }
    }
    // Records at or after the end were left out by the decoder (before keeping the latest of
    // a key: a key's value before the end must not give way to one after it).
    return [
      {
        topic: position.topic,
        partition: position.partition,
        next,
        records: data.records,
        read: data.read,
      },
    ];
  });
}

type SendRequest = (request: object) => Promise<FetchedRecords[]>;

/** The broker's private request sender (kafkajs' `Broker[PRIVATE.SEND_REQUEST]`). */
function sendRequestOf(broker: KafkajsBroker): SendRequest | undefined {
  const key = Object.getOwnPropertySymbols(Object.getPrototypeOf(broker) as object).find(
    (symbol) => symbol.description === 'private:Broker:sendRequest',
  );
  const send: unknown =
    key === undefined ? undefined : (broker as unknown as Record<symbol, unknown>)[key];
  return typeof send === 'function' ? (send as SendRequest).bind(broker) : undefined;
}

function fetchedOf(position: ReadPosition, data: FetchPartitionData): FetchedPartition {
  const batch = new KafkajsBatchClass(position.topic, position.next.toString(), data);
  let next = position.next;
  for (const message of batch.rawMessages) {
    const after = BigInt(message.offset) + 1n;
    if (after > next) {
      next = after;
    }
  }
  if (next === position.next && batch.rawMessages.length > 0) {
    // Only records before the position, from a batch that holds it: compaction removed the
    // rest of that batch, so the position's offset is gone too. kafkajs' consumer steps over
    // it the same way (Batch.lastOffset).
    next = position.next + 1n;
  }
  if (batch.rawMessages.length === 0) {
    // Nothing at or after the position up to the last stable offset (compacted away, say):
    // when that offset has reached the end, so has the read; otherwise fetch again (the broker
    // holds an empty fetch for restoreFetchWaitMs).
    const stable = BigInt(
      data.lastStableOffset === '-1' ? data.highWatermark : data.lastStableOffset,
    );
    if (stable >= position.end) {
      next = position.end;
    }
  }
  const records = batch.messages
    .filter((m) => BigInt(m.offset) < position.end)
    .map((m) => toRawRecord(position.topic, position.partition, m));
  // kafkajs' path (a response the decoder does not read) hands over every record.
  return {
    topic: position.topic,
    partition: position.partition,
    next,
    records,
    read: readCountOf(records),
  };
}

/**
 * Retries what fails because the cluster moved (a leader changed, a broker restarted, a topic
 * just created): refreshes the metadata and tries again with backoff, about 20 s in all.
 */
async function withRetries<TResult>(
  cluster: KafkajsCluster,
  call: () => Promise<TResult>,
): Promise<TResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetriableReadError(error) || attempt >= 8) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
      await cluster.refreshMetadata().catch(() => undefined);
    }
  }
}

function isRetriableReadError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { name, retriable } = error as { name?: unknown; retriable?: unknown };
  return (
    retriable === true ||
    name === 'KafkaJSConnectionError' ||
    name === 'KafkaJSConnectionClosedError' ||
    name === 'KafkaJSBrokerNotFound' ||
    name === 'KafkaJSRequestTimeoutError' ||
    name === 'KafkaJSMetadataNotLoaded' ||
    name === 'KafkaJSTopicMetadataNotLoaded'
  );
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
