import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import type { RecordProducer } from '../../operators/connectors/kafka/streamClient.js';
import { avroSerde, type ConnectionConfig, type Serde } from '../../operators/index.js';
import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { untilReachable } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import type { SchemaCatalog } from '../../operators/serdes/serde.js';
import type { TopicSpec } from '../../schemas/topics.js';
import {
  replayEventKinds,
  replayKey,
  replayTopics,
  type ReplayEvent,
  type ReplayEventKind,
} from './replayEvent.js';
import type { ReplaySink } from './replaySink.js';

const dayMs = 86_400_000;

/** Serializes one topic's values with its Avro schema, registered under `<topic>-value`. */
class TopicWriter<TValue> {
  readonly topic: string;
  private readonly serde: Serde<TValue>;

  constructor(spec: TopicSpec<TValue>, context: { schemas: SchemaCatalog; topicPrefix: string }) {
    const { schemas } = context;
    this.topic = `${context.topicPrefix}${spec.name}`;
    this.serde = avroSerde(spec.value);
    this.serde.configure?.({ schemas });
  }

  prepare(): Promise<void> {
    return this.serde.prepareSerialize?.({ topic: this.topic, isKey: false }) ?? Promise.resolve();
  }

  record(key: string, value: TValue & { readonly eventTime: number }): OutgoingRecord {
    return {
      topic: this.topic,
      key: Buffer.from(key),
      value: this.serde.serialize(value, { topic: this.topic, isKey: false }),
      // The record timestamp is the event time, so time lag and retention see data-set time.
      timestamp: value.eventTime,
      headers: {},
    };
  }
}

/**
 * Writes replayed records to the event topics of schemas/topics.ts: creates the topics that are
 * missing (with the catalogue's partitions and cleanup policy), registers each value schema,
 * and produces idempotently, in order: a replay is a data load, and the feature pipelines'
 * checks compare against the data set itself, so a retried produce request must not write
 * its records twice.
 */
export class KafkaReplaySink implements ReplaySink {
  private readonly producer: RecordProducer;
  private readonly log: ((line: string) => void) | undefined;
  private readonly writers: {
    readonly [TKind in ReplayEventKind]: TopicWriter<
      Extract<ReplayEvent, { kind: TKind }>['value']
    >;
  };

  private constructor(
    producer: RecordProducer,
    context: { schemas: SchemaCatalog; topicPrefix: string; log?: (line: string) => void },
  ) {
    this.producer = producer;
    this.log = context.log;
    this.writers = {
      videoUpload: new TopicWriter(replayTopics.videoUpload, context),
      impression: new TopicWriter(replayTopics.impression, context),
      click: new TopicWriter(replayTopics.click, context),
      watchHeartbeat: new TopicWriter(replayTopics.watchHeartbeat, context),
      watchEnd: new TopicWriter(replayTopics.watchEnd, context),
      engagement: new TopicWriter(replayTopics.engagement, context),
    };
  }

  /**
   * Connects, creates the missing topics (with the catalogue's partitions and configuration)
   * and registers the schemas. `topicPrefix` (default none) is put before every topic name,
   * so a replay can be kept apart from the live topics (tests, side-by-side runs).
   *
   * `oldestRecordMs` is the earliest timestamp the replay will write. Kafka deletes by record
   * timestamp, and a data set spans months while event topics keep a week, so a topic whose
   * retention would not reach back that far (plus a day to read it) has it raised, and `log`
   * says so.
   */
  static async open(
    connection: ConnectionConfig,
    options: { topicPrefix?: string; oldestRecordMs?: number; log?: (line: string) => void } = {},
  ): Promise<KafkaReplaySink> {
    const topicPrefix = options.topicPrefix ?? '';
    const kafka = createKafkaJs(connection, { clientId: 'reelstream-replay' });
    const client = new KafkajsStreamClient(kafka);
    await client.ensureTopics(
      replayEventKinds.map((kind) => {
        const spec = replayTopics[kind];
        return {
          name: `${topicPrefix}${spec.name}`,
          partitions: spec.partitions,
          config: spec.config,
        };
      }),
    );
    if (options.oldestRecordMs !== undefined) {
      const neededMs = Date.now() - options.oldestRecordMs + dayMs;
      const raised = await client.ensureRetention(
        replayEventKinds.map((kind) => `${topicPrefix}${replayTopics[kind].name}`),
        neededMs,
      );
      if (raised.length > 0) {
        options.log?.(
          `raised retention.ms of ${raised.join(', ')} to ${Math.ceil(neededMs / dayMs)} days, so the replayed records are not deleted`,
        );
      }
    }
    const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
    const sink = new KafkaReplaySink(await client.producer({ idempotent: true }), {
      schemas,
      topicPrefix,
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    for (const kind of replayEventKinds) {
      await sink.writers[kind].prepare();
    }
    return sink;
  }

  /**
   * Sends the events; while the broker is down or restarting the same records are sent again
   * until taken (the idempotent producer keeps their sequence numbers, so none is written
   * twice), with one log line per attempt: a replay pauses through an outage, never ends.
   */
  async send(events: readonly ReplayEvent[]): Promise<void> {
    if (events.length > 0) {
      const records = events.map((event) => this.record(event));
      await untilReachable(() => this.producer.send(records), {
        maxBackoffMs: 5_000,
        onRetry: ({ outageMs, retryInMs, cause }) =>
          this.log?.(
            `broker unreachable for ${Math.round(outageMs / 1000)} s (${cause}): retrying in ${retryInMs} ms`,
          ),
      });
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private record(event: ReplayEvent): OutgoingRecord {
    const key = replayKey(event);
    switch (event.kind) {
      case 'videoUpload':
        return this.writers.videoUpload.record(key, event.value);
      case 'impression':
        return this.writers.impression.record(key, event.value);
      case 'click':
        return this.writers.click.record(key, event.value);
      case 'watchHeartbeat':
        return this.writers.watchHeartbeat.record(key, event.value);
      case 'watchEnd':
        return this.writers.watchEnd.record(key, event.value);
      case 'engagement':
        return this.writers.engagement.record(key, event.value);
    }
  }
}
