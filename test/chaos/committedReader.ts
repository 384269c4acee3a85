import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Kafka } from 'kafkajs';

import { reachable } from './reachable.js';

/** One record as the reader hands it over. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A partition that read_committed could not read to its end. */
export interface BlockedPartition {
  readonly partition: number;
  /** The next offset the reader would have read. */
  readonly reachedOffset: number;
  /** The high watermark the broker reported with the partition's last fetch. */
  readonly highWatermark: number;
}

export interface CommittedReadResult {
  readonly records: number;
  readonly seconds: number;
  /**
   * Partitions whose records stop below the high watermark for a read_committed reader: their
   * last stable offset is held back by an open transaction.
   */
  readonly blocked: readonly BlockedPartition[];
}

export interface CommittedReadOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /**
   * Called with the committed records of each fetched batch (one partition, offset order); the
   * next batch waits for the returned promise.
   */
  readonly onBatch: (records: readonly ReadRecord[]) => void | Promise<void>;
  /** Give up on partitions that make no progress for this long (default 20 s). */
  readonly idleTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * Reads a whole topic with isolation level read_committed, up to the last stable offset each
 * partition had when the read started, and says which partitions an open transaction holds.
 *
 * Offsets: kafkajs's `admin.fetchTopicOffsets` sends ListOffsets with its default isolation
 * level, read_committed, so its `high` is the last stable offset (LSO), not the high watermark
 * — the end a read_committed reader can reach. Transaction markers and aborted records are
 * skipped by kafkajs, but its END_BATCH_PROCESS event still reports the last raw offset of every
 * fetched batch (how the reader knows it got past them) and the fetch response's real high
 * watermark. A partition whose high watermark stays above the offset the reader reached has
 * records beyond the LSO: an open transaction.
 */
export async function readCommitted(options: CommittedReadOptions): Promise<CommittedReadResult> {
  const { kafka, topic } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 20_000;
  const started = performance.now();
  // Its admin calls and the consumer's start ride through a broker that is away.
  const reach = reachable(options.log);
  const admin = kafka.admin();
  await reach('connect the reader', () => admin.connect());
  const groupId = `chaos-verifier-${randomBytes(6).toString('hex')}`;
  try {
    const lastStable = new Map<number, number>();
    const reached = new Map<number, number>();
    const highWatermarks = new Map<number, number>();
    for (const { partition, high, low } of await reach(`end offsets of ${topic}`, () =>
      admin.fetchTopicOffsets(topic),
    )) {
      if (Number(high) > Number(low)) {
        lastStable.set(partition, Number(high));
        reached.set(partition, Number(low));
      }
    }
    if (lastStable.size === 0) {
      return { records: 0, seconds: 0, blocked: [] };
    }
    let records = 0;
    let lastProgress = performance.now();
    let failure: unknown = undefined;
    const unfinished = (): number[] =>
      [...lastStable].filter(([p, end]) => (reached.get(p) ?? 0) < end).map(([p]) => p);
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      // A fetch in flight holds up disconnect() for up to this long (kafkajs' default is 5 s).
      maxWaitTimeInMs: 250,
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { partition, lastOffset, highWatermark } = event.payload;
      const next = Number(lastOffset) + 1;
      highWatermarks.set(
        partition,
        Math.max(highWatermarks.get(partition) ?? 0, Number(highWatermark)),
      );
      if (next > (reached.get(partition) ?? 0)) {
        reached.set(partition, next);
        lastProgress = performance.now();
      }
    });
    await reach('connect the reader', () => consumer.connect());
    try {
      await reach(`subscribe to ${topic}`, () =>
        consumer.subscribe({ topic, fromBeginning: true }),
      );
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (failure !== undefined) {
            return;
          }
          try {
            await options.onBatch(
              batch.messages.map((message) => ({
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
              })),
            );
          } catch (error) {
            // Not retried: a record the verifier cannot decode is a finding, not a hiccup.
            failure = error;
            return;
          }
          records += batch.messages.length;
          lastProgress = performance.now();
        },
      });
      let lastLog = performance.now();
      while (
        failure === undefined &&
        unfinished().length > 0 &&
        performance.now() - lastProgress < idleTimeoutMs
      ) {
        await sleep(100);
        if (options.log !== undefined && performance.now() - lastLog > 5_000) {
          lastLog = performance.now();
          options.log(`verifier: ${topic}: ${records} records read so far`);
        }
      }
    } finally {
      await consumer.disconnect();
    }
    if (failure !== undefined) {
      throw failure instanceof Error
        ? failure
        : new Error('the batch handler failed', { cause: failure });
    }
    const blocked = [...lastStable.keys()]
      .map((partition) => ({
        partition,
        reachedOffset: reached.get(partition) ?? 0,
        highWatermark: Math.max(highWatermarks.get(partition) ?? 0, lastStable.get(partition) ?? 0),
      }))
      .filter((p) => p.reachedOffset < p.highWatermark);
    return { records, seconds: (performance.now() - started) / 1000, blocked };
  } finally {
    // The reader's group is throwaway; leave no trace of it on the cluster.
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
