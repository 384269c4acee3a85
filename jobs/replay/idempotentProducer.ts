import type { Kafka, Message, Producer } from 'kafkajs';

import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';

/**
 * Records per produce request: ~100 bytes each, so ~400 KB spread over the partitions (the
 * broker refuses one partition's batch over 1 MB).
 */
const maxRecordsPerRequest = 4_000;

/**
 * A kafkajs producer with idempotence on (acks=all, one request in flight), so a produce that
 * kafkajs retries after a timeout or a leader change is not written twice: a replay is a data
 * load, and the feature pipelines' golden tests compare against the data set itself. Records go
 * out in order, one request at a time.
 */
export class IdempotentProducer {
  private readonly producer: Producer;

  private constructor(producer: Producer) {
    this.producer = producer;
  }

  static async connect(kafka: Kafka): Promise<IdempotentProducer> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    return new IdempotentProducer(producer);
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += maxRecordsPerRequest) {
      const byTopic = new Map<string, Message[]>();
      for (const record of records.slice(start, start + maxRecordsPerRequest)) {
        let messages = byTopic.get(record.topic);
        if (messages === undefined) {
          messages = [];
          byTopic.set(record.topic, messages);
        }
        messages.push({
          key: record.key === null ? null : Buffer.from(record.key),
          value: record.value === null ? null : Buffer.from(record.value),
          timestamp: String(record.timestamp),
        });
      }
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    }
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
