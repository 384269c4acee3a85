import type { ConnectionConfig } from '../../config/connectionConfig.js';
import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import {
  kafkaErrorOf,
  loadRdkafka,
  promised,
  rdkafkaCodes,
  rdkafkaConnection,
  type RdkafkaConfig,
  type RdkafkaConsumer,
  type RdkafkaDeliveryReport,
  type RdkafkaError,
  type RdkafkaGroupDescription,
  type RdkafkaModule,
  type RdkafkaProducer,
} from './rdkafkaBinding.js';
import {
  endpointOfClientId,
  RdkafkaConsumerSession,
  readPartitionsToEnd,
} from './rdkafkaConsumerSession.js';
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
} from './streamClient.js';
import { partitionId } from './streamClient.js';

/**
 * {@link StreamClient} on librdkafka, through `@confluentinc/kafka-javascript`'s native
 * (node-rdkafka) API: the optional second client, chosen with `REELSTREAM_KAFKA_CLIENT=rdkafka`
 * (docs/kafkaClient.md has the measurements and the decision).
 *
 * The data path is librdkafka's: producers (plain, idempotent, transactional with
 * `sendOffsetsToTransaction`), the group consumer (read_committed) and the restore reader.
 * The administrative calls (topics, retention, offsets) go through kafkajs: the binding has no
 * DescribeConfigs/AlterConfigs, and none of them is on the data path.
 *
 * @category Connectors
 */
export class RdkafkaStreamClient implements StreamClient {
  private readonly rdkafka: RdkafkaModule;
  private readonly connection: RdkafkaConfig;
  private readonly admin: KafkajsStreamClient;
  /** Per group id, the consumer whose group metadata transactions commit offsets with. */
  private readonly groupHandles = new Map<string, GroupHandle>();

  constructor(config: ConnectionConfig, options: { clientId?: string } = {}) {
    this.rdkafka = loadRdkafka();
    const clientId = options.clientId ?? config.clientId;
    this.connection = rdkafkaConnection(config, clientId);
    this.admin = new KafkajsStreamClient(createKafkaJs(config, { clientId }));
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.admin.ensureTopics(topics);
  }

  ensureRetention(topics: readonly string[], atLeastMs: number): Promise<string[]> {
    return this.admin.ensureRetention(topics, atLeastMs);
  }

  partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    return this.admin.partitionCounts(topics);
  }

  partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.admin.partitionOffsets(topic);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.admin.deleteTopics(topics);
  }

  committedOffset(groupId: string, partition: TopicPartition): Promise<string | undefined> {
    return this.admin.committedOffset(groupId, partition);
  }

  async producer(options: ProducerOptions = {}): Promise<RecordProducer> {
    const idempotent = options.idempotent === true;
    const producer = new this.rdkafka.Producer({
      ...this.producerSettings(),
      'enable.idempotence': idempotent,
      ...(options.retries === undefined
        ? {}
        : // Retries 0: fail at the first error (idempotence needs retries, so it wins).
          { 'message.send.max.retries': idempotent ? 2_147_483_647 : options.retries }),
    });
    await connect(producer);
    return new RdkafkaRecordProducer(producer);
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = new this.rdkafka.Producer({
      ...this.producerSettings(),
      'transactional.id': transactionalId,
      'transaction.timeout.ms': 60_000,
    });
    await connect(producer);
    try {
      // InitProducerId: the coordinator fences older producers with this id and finishes (or
      // aborts) their open transaction before it answers.
      await promised((done) => producer.initTransactions(30_000, done));
    } catch (error) {
      await disconnect(producer);
      throw error;
    }
    return new RdkafkaTransactionalProducer(producer, (groupId) => this.groupHandle(groupId));
  }

  consumer(options: ConsumerOptions): ConsumerSession {
    return new RdkafkaConsumerSession(this.rdkafka, this.connection, options);
  }

  async groupMembers(groupId: string): Promise<GroupMember[]> {
    const admin = this.rdkafka.AdminClient.create({ ...this.connection });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        admin.describeGroups([groupId], { timeout: 10_000 }, (error, described) =>
          error === null ? resolve(described) : reject(kafkaErrorOf(error)),
        );
      });
      // The binding answers `{ groups }` (kafkajs's shape); older versions a bare list.
      const groups: readonly RdkafkaGroupDescription[] = Array.isArray(result)
        ? (result as RdkafkaGroupDescription[])
        : (result as { groups: readonly RdkafkaGroupDescription[] }).groups;
      const group = groups.find((g) => g.groupId === groupId);
      if (group === undefined) {
        return [];
      }
      return group.members.map((member) => {
        const assignment = new Map<string, number[]>();
        for (const { topic, partition } of member.assignment?.topicPartitions ?? []) {
          const partitions = assignment.get(topic) ?? [];
          partitions.push(partition);
          assignment.set(topic, partitions);
        }
        for (const partitions of assignment.values()) {
          partitions.sort((a, b) => a - b);
        }
        return {
          memberId: member.memberId,
          clientId: member.clientId,
          clientHost: member.clientHost,
          queryEndpoint: endpointOfClientId(member.clientId),
          assignment,
        };
      });
    } finally {
      admin.disconnect();
    }
  }

  /**
   * Hands over every record (`latestPerKey` is not taken up: librdkafka makes each an object);
   * waits for `after` before anything (its ends and its consumer's connect come together).
   */
  async readToEnd(
    partitions: readonly (TopicPartition & { readonly fromOffset: string })[],
    onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
    options: ReadToEndOptions = {},
  ): Promise<void> {
    await options.after;
    return readPartitionsToEnd(
      { rdkafka: this.rdkafka, connection: this.connection, offsets: this.admin },
      partitions,
      onRecords,
    );
  }

  private producerSettings(): RdkafkaConfig {
    return {
      ...this.connection,
      dr_cb: true,
      acks: -1,
      // The Java client's partitioner (murmur2 of the key), as kafkajs's default: the same key
      // goes to the same partition whichever client wrote it.
      partitioner: 'murmur2_random',
      'linger.ms': 2,
      'batch.size': 512 * 1024,
      'queue.buffering.max.messages': 1_000_000,
      'queue.buffering.max.kbytes': 256 * 1024,
      'allow.auto.create.topics': false,
      // A record that cannot be delivered fails after this (kafkajs's 5 retries: about 9 s);
      // at most the transaction timeout.
      'message.timeout.ms': 30_000,
    };
  }

  /**
   * The consumer whose group metadata a transaction's offsets are committed with: one per group
   * id, never subscribed, so it carries the group id alone (generation -1, as kafkajs sends it)
   * and never joins the group. Shared by the group's transactional producers; closed with the
   * last of them.
   */
  private async groupHandle(groupId: string): Promise<GroupHandleLease> {
    let handle = this.groupHandles.get(groupId);
    if (handle === undefined) {
      const consumer = new this.rdkafka.KafkaConsumer({
        ...this.connection,
        'group.id': groupId,
        'enable.auto.commit': false,
      });
      handle = { consumer, users: 0, connected: connect(consumer) };
      this.groupHandles.set(groupId, handle);
    }
    const lease = handle;
    lease.users += 1;
    try {
      await lease.connected;
    } catch (error) {
      this.release(groupId, lease);
      throw error;
    }
    return { consumer: lease.consumer, release: () => this.release(groupId, lease) };
  }

  private release(groupId: string, handle: GroupHandle): void {
    handle.users -= 1;
    if (handle.users === 0 && this.groupHandles.get(groupId) === handle) {
      this.groupHandles.delete(groupId);
      void handle.connected.then(
        () => disconnect(handle.consumer),
        () => undefined,
      );
    }
  }
}

interface GroupHandle {
  readonly consumer: RdkafkaConsumer;
  users: number;
  readonly connected: Promise<void>;
}

interface GroupHandleLease {
  readonly consumer: RdkafkaConsumer;
  release(): void;
}

function connect(client: RdkafkaProducer | RdkafkaConsumer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: 10_000 }, (error) =>
      error ? reject(kafkaErrorOf(error)) : resolve(),
    );
  });
}

function disconnect(client: RdkafkaProducer | RdkafkaConsumer): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isConnected()) {
      resolve();
      return;
    }
    client.disconnect(() => resolve());
  });
}

/**
 * The delivery reports of one send: resolves once every record is acknowledged, with the
 * lowest offset per partition; rejects at the first failed record.
 */
class Delivery {
  private outstanding = 0;
  private sealed = false;
  private failure: RdkafkaError | undefined;
  private readonly first = new Map<string, number>();
  private settle: (() => void) | undefined;
  readonly done: Promise<SendReceipt>;

  constructor() {
    this.done = new Promise<SendReceipt>((resolve, reject) => {
      this.settle = () => {
        if (this.failure !== undefined) {
          reject(kafkaErrorOf(this.failure));
          return;
        }
        const receipt = new Map<string, string>();
        for (const [id, offset] of this.first) {
          receipt.set(id, String(offset));
        }
        resolve(receipt);
      };
    });
  }

  expect(): void {
    this.outstanding += 1;
  }

  /** No more records: resolves once the outstanding ones are reported. */
  seal(): void {
    this.sealed = true;
    this.maybeDone();
  }

  fail(error: RdkafkaError): void {
    this.failure ??= error;
  }

  report(error: RdkafkaError | null, report: RdkafkaDeliveryReport): void {
    this.outstanding -= 1;
    if (error !== null && error !== undefined) {
      this.failure ??= error;
    } else {
      const id = partitionId(report.topic, report.partition);
      const known = this.first.get(id);
      if (known === undefined || report.offset < known) {
        this.first.set(id, report.offset);
      }
    }
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.sealed && this.outstanding === 0) {
      this.settle?.();
      this.settle = undefined;
    }
  }
}

/**
 * Hands each record to librdkafka's queue, the send's {@link Delivery} as its opaque. A full
 * queue (QUEUE_FULL) waits for deliveries to make room and tries again.
 */
async function produceAll(
  producer: RdkafkaProducer,
  records: readonly OutgoingRecord[],
  delivery: Delivery,
): Promise<void> {
  for (const record of records) {
    const value = toBuffer(record.value);
    const key = toBuffer(record.key);
    const headers = toHeaders(record.headers);
    for (;;) {
      try {
        producer.produce(
          record.topic,
          record.partition ?? null,
          value,
          key,
          record.timestamp,
          delivery,
          headers,
        );
        // Its report reaches the event loop later, never inside produce().
        delivery.expect();
        break;
      } catch (error) {
        if ((error as RdkafkaError).code !== rdkafkaCodes.queueFull) {
          delivery.fail(error as RdkafkaError);
          delivery.seal();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }
  delivery.seal();
}

function listenForDeliveries(producer: RdkafkaProducer): void {
  producer.on('delivery-report', (error, report) => {
    if (report.opaque instanceof Delivery) {
      report.opaque.report(error, report);
    }
  });
  // librdkafka polls for delivery reports on its own thread and hands them to the event loop.
  producer.setPollInBackground(true);
}

class RdkafkaRecordProducer implements RecordProducer {
  private readonly producer: RdkafkaProducer;
  private readonly inFlight = new Pending();

  constructor(producer: RdkafkaProducer) {
    this.producer = producer;
    listenForDeliveries(producer);
  }

  send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    return this.inFlight.track(async () => {
      // librdkafka keeps each partition's records in the order they were queued, retries
      // included (idempotence), so sends need not wait for one another.
      const delivery = new Delivery();
      await produceAll(this.producer, records, delivery);
      return delivery.done;
    });
  }

  close(): Promise<void> {
    return this.inFlight.closeWith(() => disconnect(this.producer));
  }
}

class RdkafkaTransactionalProducer implements TransactionalProducer {
  private readonly producer: RdkafkaProducer;
  private readonly groupHandle: (groupId: string) => Promise<GroupHandleLease>;
  private readonly leases = new Map<string, GroupHandleLease>();
  private readonly inFlight = new Pending();

  constructor(
    producer: RdkafkaProducer,
    groupHandle: (groupId: string) => Promise<GroupHandleLease>,
  ) {
    this.producer = producer;
    this.groupHandle = groupHandle;
    listenForDeliveries(producer);
  }

  commit(transaction: {
    readonly records: readonly OutgoingRecord[];
    readonly groupId: string;
    readonly offsets: readonly (TopicPartition & { readonly offset: string })[];
  }): Promise<SendReceipt> {
    return this.inFlight.track(() => this.commitNow(transaction));
  }

  private async commitNow(transaction: {
    readonly records: readonly OutgoingRecord[];
    readonly groupId: string;
    readonly offsets: readonly (TopicPartition & { readonly offset: string })[];
  }): Promise<SendReceipt> {
    const { producer } = this;
    await promised((done) => producer.beginTransaction(done));
    try {
      const delivery = new Delivery();
      await produceAll(producer, transaction.records, delivery);
      const offsets =
        transaction.offsets.length === 0
          ? Promise.resolve()
          : this.lease(transaction.groupId).then((lease) =>
              promised((done) =>
                producer.sendOffsetsToTransaction(
                  transaction.offsets.map(({ topic, partition, offset }) => ({
                    topic,
                    partition,
                    offset: Number(offset),
                  })),
                  lease.consumer,
                  30_000,
                  done,
                ),
              ),
            );
      // librdkafka retries CONCURRENT_TRANSACTIONS itself (AddOffsetsToTxn included).
      const [receipt] = await Promise.all([delivery.done, offsets]);
      // Commit flushes what is still queued and writes the markers.
      await promised((done) => producer.commitTransaction(30_000, done));
      return receipt;
    } catch (error) {
      // Best effort: an abort that fails leaves the transaction to the next InitProducerId.
      await promised((done) => producer.abortTransaction(10_000, done)).catch(() => undefined);
      throw error;
    }
  }

  private async lease(groupId: string): Promise<GroupHandleLease> {
    const known = this.leases.get(groupId);
    if (known !== undefined) {
      return known;
    }
    const lease = await this.groupHandle(groupId);
    const raced = this.leases.get(groupId);
    if (raced !== undefined) {
      lease.release();
      return raced;
    }
    this.leases.set(groupId, lease);
    return lease;
  }

  close(): Promise<void> {
    return this.inFlight.closeWith(async () => {
      for (const lease of this.leases.values()) {
        lease.release();
      }
      this.leases.clear();
      await disconnect(this.producer);
    });
  }
}

/**
 * The calls a producer has under way: closing waits for them, then disconnects. (kafkajs's
 * `CallsInFlight` disconnects first; librdkafka would then never report the deliveries
 * those calls wait for. Its calls end by themselves: a record fails after `message.timeout.ms`.)
 */
class Pending {
  private readonly calls = new Set<Promise<unknown>>();

  track<TResult>(call: () => Promise<TResult>): Promise<TResult> {
    const running = call();
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.calls.add(settled);
    void settled.then(() => this.calls.delete(settled));
    return running;
  }

  async closeWith(disconnect: () => Promise<void>): Promise<void> {
    while (this.calls.size > 0) {
      await Promise.all([...this.calls]);
    }
    await disconnect();
  }
}

function toBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) {
    return null;
  }
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function toHeaders(
  headers: Readonly<Record<string, string | Uint8Array>>,
): Record<string, Buffer | string>[] | undefined {
  let result: Record<string, Buffer | string>[] | undefined;
  for (const [name, value] of Object.entries(headers)) {
    result ??= [];
    result.push({ [name]: typeof value === 'string' ? value : (toBuffer(value) as Buffer) });
  }
  return result;
}
