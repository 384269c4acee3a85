import { randomUUID } from 'node:crypto';

import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface ReadTopicOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  /** Called for every committed record, in offset order within a partition. */
  readonly onMessage: (message: KafkaMessage, partition: number) => void;
  /** Fail after this long (default 600 s). */
  readonly timeoutSeconds?: number;
}

/**
 * Reads a whole topic, committed records only (read_committed), from the beginning to its end
 * as it is when the call starts; returns how many records it read. Nothing may be writing to the
 * topic (an open transaction would hold the reader up until it times out).
 */
export async function readCommittedTopic(options: ReadTopicOptions): Promise<number> {
  const { admin, topic } = options;
  const ends = new Map<number, bigint>();
  for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
    if (BigInt(high) > BigInt(low)) {
      ends.set(partition, BigInt(high));
    }
  }
  if (ends.size === 0) {
    return 0;
  }
  const groupId = `bench-reader-${randomUUID()}`;
  const consumer = options.kafka.consumer({
    groupId,
    readUncommitted: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxWaitTimeInMs: 50,
  });
  let read = 0;
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error?: Error) => (error === undefined ? resolve() : reject(error));
  });
  const reached = (partition: number, lastOffset: string): void => {
    const end = ends.get(partition);
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) {
      ends.delete(partition);
      consumer.pause([{ topic, partitions: [partition] }]);
      if (ends.size === 0) {
        finish();
      }
    }
  };
  // A fetch of nothing but transaction markers never reaches eachBatch; this event does.
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize === 0) {
      reached(payload.partition, payload.lastOffset);
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => finish(payload.error));
  const timer = setTimeout(
    () => finish(new Error(`${topic}: not read to its end in time (${read} records read)`)),
    (options.timeoutSeconds ?? 600) * 1000,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (!ends.has(batch.partition)) {
          return Promise.resolve();
        }
        for (const message of batch.messages) {
          options.onMessage(message, batch.partition);
        }
        read += batch.messages.length;
        reached(batch.partition, batch.lastOffset());
        return Promise.resolve();
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}
