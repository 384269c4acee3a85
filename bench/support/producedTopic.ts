import type { Admin, Kafka, Message } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';

import { deleteTopic, ensureTopic, topicExists, topicRecordCount } from './topics.js';

/** A bench input topic: records 0..N-1 of a deterministic generator. */
export interface ProducedTopicOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly partitions: number;
  readonly configs?: Readonly<Record<string, string>>;
  readonly records: number;
  /** Record `index` of the topic (the same every call). */
  readonly message: (index: number) => Message;
  /** Records per produce call (default 4,000). */
  readonly batchRecords?: number;
  /** Produce calls in flight at once (default 4). */
  readonly concurrency?: number;
  /** Produce again even when the topic already holds N records. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export type ProducedTopicReport =
  | { readonly produced: false }
  | {
      readonly produced: true;
      readonly produceSeconds: number;
      /** Average value size, in bytes. */
      readonly avgValueBytes: number;
    };

/**
 * Makes sure the topic holds exactly records 0..N-1: reuses it when it holds N records, recreates
 * and produces it otherwise (acks all, no compression, a few produce calls in flight).
 */
export async function ensureProducedTopic(
  options: ProducedTopicOptions,
): Promise<ProducedTopicReport> {
  const { admin, records, topic } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.force !== true && (await topicExists(admin, topic))) {
    const held = await topicRecordCount(admin, topic);
    if (held === records) {
      log(`input: reusing ${topic} (${records} records)`);
      return { produced: false };
    }
    log(`input: ${topic} holds ${held} records, not ${records}: recreating it`);
  }
  await deleteTopic(admin, topic);
  await ensureTopic(admin, {
    topic,
    partitions: options.partitions,
    ...(options.configs === undefined ? {} : { configs: options.configs }),
  });
  return produce(options, log);
}

async function produce(
  options: ProducedTopicOptions,
  log: (line: string) => void,
): Promise<ProducedTopicReport> {
  const { records, topic } = options;
  const batchRecords = options.batchRecords ?? 4_000;
  const concurrency = options.concurrency ?? 4;
  const producer = options.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let valueBytes = 0;
  let acked = 0;
  let nextReport = Math.max(1, Math.floor(records / 10));
  const inFlight = new Set<Promise<void>>();
  try {
    for (let from = 0; from < records; from += batchRecords) {
      const to = Math.min(records, from + batchRecords);
      const messages: Message[] = [];
      for (let index = from; index < to; index++) {
        const message = options.message(index);
        valueBytes += message.value?.length ?? 0;
        messages.push(message);
      }
      const send = producer
        .send({ topic, messages, acks: -1, compression: CompressionTypes.None })
        .then(() => {
          acked += messages.length;
          if (acked >= nextReport || acked === records) {
            const seconds = (performance.now() - started) / 1000;
            log(`input: produced ${acked}/${records} (${Math.round(acked / seconds)} records/s)`);
            nextReport += Math.max(1, Math.floor(records / 10));
          }
        });
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send)).catch(() => undefined);
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const produceSeconds = (performance.now() - started) / 1000;
  const held = await topicRecordCount(options.admin, topic);
  if (held !== records) {
    throw new Error(`input: ${topic} holds ${held} records after producing ${records}`);
  }
  return { produced: true, produceSeconds, avgValueBytes: valueBytes / records };
}
