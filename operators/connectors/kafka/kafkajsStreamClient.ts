import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';

import type { Headers } from '../../api/record.js';
import type { OutgoingRecord, RawRecord } from '../../runtime/rawRecord.js';
import type {
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerSession,
  RecordProducer,
  StreamClient,
  TopicSpec,
} from './streamClient.js';

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
    await this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) {
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

  async deleteTopics(topics: readonly string[]): Promise<void> {
    await this.withAdmin((admin) => admin.deleteTopics({ topics: [...topics] }));
  }

  async producer(): Promise<RecordProducer> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return new KafkajsRecordProducer(producer);
  }

  consumer(options: ConsumerOptions): ConsumerSession {
    return new KafkajsConsumerSession(
      this.kafka.consumer({
        groupId: options.groupId,
        allowAutoTopicCreation: false,
        // About 5,000 records of 200 bytes per partition and fetch: big batches, bounded memory.
        maxBytesPerPartition: 1024 * 1024,
        maxWaitTimeInMs: 100,
      }),
      options,
    );
  }

  private async withAdmin<TResult>(work: (admin: Admin) => Promise<TResult>): Promise<TResult> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }
}

/** Upper bound of one produce call's payload: well below the broker's 1 MB batch limit. */
const maxRequestBytes = 128 * 1024;

class KafkajsRecordProducer implements RecordProducer {
  private readonly producer: Producer;

  constructor(producer: Producer) {
    this.producer = producer;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    // The broker refuses a record batch over message.max.bytes (1 MB by default), and kafkajs
    // puts all of one partition's messages of a request into one batch; kafkajs also groups a
    // request's messages by partition in time quadratic in their number. So: small slices, sent
    // concurrently (order within a partition holds: one connection per broker, no retries of
    // one slice overtaking the next unless the send fails, when the job fails anyway).
    const slices: Promise<void>[] = [];
    let start = 0;
    while (start < records.length) {
      let end = start;
      let bytes = 0;
      while (end < records.length && (end === start || bytes < maxRequestBytes)) {
        const record = records[end];
        bytes += (record?.key?.length ?? 0) + (record?.value?.length ?? 0) + 64;
        end += 1;
      }
      slices.push(this.sendSlice(records.slice(start, end)));
      start = end;
    }
    await Promise.all(slices);
  }

  private async sendSlice(records: readonly OutgoingRecord[]): Promise<void> {
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
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KafkajsConsumerSession implements ConsumerSession {
  private readonly consumer: Consumer;
  private readonly options: ConsumerOptions;

  constructor(consumer: Consumer, options: ConsumerOptions) {
    this.consumer = consumer;
    this.options = options;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.REBALANCING, () => handlers.onRebalancing());
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = new Map(Object.entries(event.payload.memberAssignment));
      handlers.onAssigned(assignment).catch((error: unknown) => handlers.onCrash(error));
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        handlers.onCrash(event.payload.error);
      }
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning,
    });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: this.options.commitIntervalMs,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) {
          return;
        }
        const records = batch.messages.map((m) => toRawRecord(batch.topic, batch.partition, m));
        await handlers.onBatch({ topic: batch.topic, partition: batch.partition, records });
        payload.resolveOffset(batch.lastOffset());
        await payload.heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    // disconnect() stops the runner (waiting for the batch in flight), commits resolved offsets
    // and sends LeaveGroup, so the partitions move to another member at once.
    await this.consumer.disconnect();
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
