import { connectionConfigFromEnv, type ConnectionConfig } from '../config/connectionConfig.js';
import { createKafkaJs } from '../connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../connectors/kafka/kafkajsStreamClient.js';
import type { RecordProducer, StreamClient } from '../connectors/kafka/streamClient.js';
import type { Headers } from '../api/record.js';
import type { TopicSerdes } from '../dsl/stream.js';
import type { RawRecord } from '../runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../serdes/registryClient.js';
import type { SchemaCatalog, SerdeContext } from '../serdes/serde.js';

/**
 * A record to write with {@link TopicClient.send}.
 * @category Topics
 */
export interface TopicRecordInput<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
  /** Event time, epoch milliseconds. Default: now. */
  readonly timestamp?: number;
  readonly headers?: Headers;
}

/**
 * A record read with {@link TopicClient.readAll}: typed by the serdes, with where it was.
 * @category Topics
 */
export interface TopicRecordRead<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Typed records in and out of Kafka topics outside a job: for integration tests, scripts that
 * seed a topic, and checks of what a job wrote. Records are (de)serialized by the same serdes
 * a pipeline uses (Avro through the schema registry), sent with acks from all in-sync replicas,
 * and read committed only, so a test sees exactly what an exactly-once job committed.
 *
 * @example
 * ```ts
 * import { stringSerde, TopicClient } from 'reelstream';
 *
 * const topics = await TopicClient.connect(); // REELSTREAM_BROKERS, REELSTREAM_REGISTRY_URL
 * const serdes = { key: stringSerde, value: stringSerde };
 * await topics.createTopics([{ name: 'greetings', partitions: 3 }]);
 * await topics.send('greetings', serdes, [{ key: 'ada', value: 'hello' }]);
 * const records = await topics.readAll('greetings', serdes);
 * await topics.close();
 * ```
 * @category Topics
 */
export class TopicClient {
  private readonly client: StreamClient;
  private readonly schemas: SchemaCatalog;
  private producer: Promise<RecordProducer> | undefined;
  private readonly configured = new WeakSet<object>();

  private constructor(client: StreamClient, schemas: SchemaCatalog) {
    this.client = client;
    this.schemas = schemas;
  }

  /** A client of the cluster and registry of `connection` (default: from the environment). */
  static connect(connection: ConnectionConfig = connectionConfigFromEnv()): Promise<TopicClient> {
    const client = new KafkajsStreamClient(
      createKafkaJs(connection, { clientId: 'reelstream-topics' }),
    );
    const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
    return Promise.resolve(new TopicClient(client, schemas));
  }

  /** Creates the topics that do not exist yet (existing ones are left as they are). */
  createTopics(
    topics: readonly { readonly name: string; readonly partitions: number }[],
  ): Promise<void> {
    return this.client.ensureTopics(topics);
  }

  /** Writes `records` to `topic`, partitioned by key; resolves once all are acknowledged. */
  async send<TKey, TValue>(
    topic: string,
    serdes: TopicSerdes<TKey, TValue>,
    records: readonly TopicRecordInput<TKey, TValue>[],
  ): Promise<void> {
    const keyContext: SerdeContext = { topic, isKey: true };
    const valueContext: SerdeContext = { topic, isKey: false };
    this.configure(serdes);
    await serdes.key.prepareSerialize?.(keyContext);
    await serdes.value.prepareSerialize?.(valueContext);
    const now = Date.now();
    const outgoing = records.map((record) => ({
      topic,
      key: serdes.key.serialize(record.key, keyContext),
      value: serdes.value.serialize(record.value, valueContext),
      timestamp: record.timestamp ?? now,
      headers: record.headers ?? {},
    }));
    this.producer ??= this.client.producer();
    await (await this.producer).send(outgoing);
  }

  /**
   * Every committed record of `topic` from its beginning to its end as it is now, in offset
   * order per partition (partitions one after the other).
   */
  async readAll<TKey, TValue>(
    topic: string,
    serdes: TopicSerdes<TKey, TValue>,
  ): Promise<TopicRecordRead<TKey, TValue>[]> {
    const partitions = (await this.client.partitionCounts([topic])).get(topic);
    if (partitions === undefined) {
      throw new Error(`topic ${topic} does not exist`);
    }
    const raw: RawRecord[] = [];
    await this.client.readToEnd(
      Array.from({ length: partitions }, (_, partition) => ({
        topic,
        partition,
        fromOffset: '0',
      })),
      (records) => {
        raw.push(...records);
        return Promise.resolve();
      },
    );
    raw.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    const keyContext: SerdeContext = { topic, isKey: true };
    const valueContext: SerdeContext = { topic, isKey: false };
    this.configure(serdes);
    await serdes.key.prepareDeserialize?.(
      raw.map((r) => r.key),
      keyContext,
    );
    await serdes.value.prepareDeserialize?.(
      raw.map((r) => r.value),
      valueContext,
    );
    return raw.map((record) => ({
      key: serdes.key.deserialize(record.key, keyContext),
      value: serdes.value.deserialize(record.value, valueContext),
      timestamp: record.timestamp,
      headers: record.headers,
      partition: record.partition,
      offset: record.offset,
    }));
  }

  /** The end offset (the next offset to be written) of each partition of `topic`. */
  async endOffsets(topic: string): Promise<Map<number, string>> {
    const offsets = await this.client.partitionOffsets(topic);
    return new Map(offsets.map(({ partition, high }) => [partition, high]));
  }

  /** The group's committed offset of each partition of `topic` (undefined: none yet). */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string | undefined>> {
    const partitions = (await this.client.partitionCounts([topic])).get(topic) ?? 0;
    const offsets = new Map<number, string | undefined>();
    for (let partition = 0; partition < partitions; partition++) {
      offsets.set(partition, await this.client.committedOffset(groupId, { topic, partition }));
    }
    return offsets;
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.then((p) => p.close()).catch(() => undefined);
  }

  private configure<TKey, TValue>(serdes: TopicSerdes<TKey, TValue>): void {
    for (const serde of [serdes.key, serdes.value] as const) {
      if (!this.configured.has(serde)) {
        serde.configure?.({ schemas: this.schemas });
        this.configured.add(serde);
      }
    }
  }
}
