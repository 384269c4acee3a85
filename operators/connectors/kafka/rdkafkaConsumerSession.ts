import { randomUUID } from 'node:crypto';

import type { Headers } from '../../api/record.js';
import type { RawRecord } from '../../runtime/rawRecord.js';
import {
  kafkaErrorOf,
  promised,
  rdkafkaCodes,
  type RdkafkaConfig,
  type RdkafkaConsumer,
  type RdkafkaError,
  type RdkafkaMessage,
  type RdkafkaModule,
  type RdkafkaTopicPartitionOffset,
} from './rdkafkaBinding.js';
import type {
  ConsumerHandlers,
  ConsumerOptions,
  ConsumerSession,
  IncomingBatch,
  PartitionOffsets,
  ReadCount,
  RoundMark,
  TopicPartition,
} from './streamClient.js';
import { partitionId, readCountOf } from './streamClient.js';

/** Records one consume call takes at most: one round's worth. */
const recordsPerRound = 10_000;
/** How long a round waits for its first record; librdkafka's own fetch wait is 100 ms. */
const roundWaitMs = 100;
/** Bytes one fetch asks for per partition, as the kafkajs client does (see its comment). */
const fetchBytesPerPartition = 512 * 1024;

/**
 * Where a member's query endpoint travels: librdkafka does not let an application put user
 * data into its group subscription (kafkajs's `endpointAdvertisingAssigner` does), so the
 * endpoint rides at the end of the member's client id, which DescribeGroups returns.
 */
const endpointMarker = ';query=';

/** The query endpoint a member's client id carries, if any. */
export function endpointOfClientId(clientId: string): string | undefined {
  const at = clientId.lastIndexOf(endpointMarker);
  return at < 0 ? undefined : clientId.slice(at + endpointMarker.length);
}

/**
 * A consumer group member on librdkafka's KafkaConsumer. One loop takes what librdkafka has
 * fetched (a *round*: up to {@link recordsPerRound} records, waiting at most
 * {@link roundWaitMs} for the first), hands each partition's records to `onBatch`
 * (`concurrency` partitions at a time), then calls `onFetchDelivered` and takes the next round.
 * librdkafka fetches in the background meanwhile, and serves transaction markers and aborted
 * records inside its queue: the position a partition reached (`position()`) is past them,
 * which is each batch's `nextOffset`, and a round that moved a partition without records
 * is reported by `onSkipped`.
 *
 * The rebalance callback is librdkafka's, with the eager protocol (round-robin, as kafkajs):
 * a revocation calls `onRebalancing`, commits the acknowledged offsets (auto-commit) and
 * unassigns; an assignment assigns and calls `onAssigned`.
 */
export class RdkafkaConsumerSession implements ConsumerSession {
  private readonly rdkafka: RdkafkaModule;
  private readonly connection: RdkafkaConfig;
  private readonly options: ConsumerOptions;
  private consumer: RdkafkaConsumer | undefined;
  private handlers: ConsumerHandlers | undefined;
  private stopped = false;
  private crashed = false;
  private loop: Promise<void> = Promise.resolve();
  private roundsStarted = 0;
  private roundsDelivered = 0;
  /** Assigned partitions by id. */
  private assigned = new Map<string, TopicPartition>();
  /** Per partition, the last position seen (what `onSkipped` compares with). */
  private readonly positions = new Map<string, bigint>();
  /** Per partition, the round in flight when it was last seeked: that round's records are stale. */
  private readonly seekedInRound = new Map<string, number>();
  /** Seeks asked for, applied between rounds (never while a consume call is under way). */
  private readonly pendingSeeks = new Map<string, RdkafkaTopicPartitionOffset>();
  /** Auto-commit: the offsets acknowledged and not yet committed. */
  private readonly acknowledged = new Map<string, RdkafkaTopicPartitionOffset>();
  private commitTimer: NodeJS.Timeout | undefined;

  constructor(rdkafka: RdkafkaModule, connection: RdkafkaConfig, options: ConsumerOptions) {
    this.rdkafka = rdkafka;
    this.connection = connection;
    this.options = options;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    const { options } = this;
    const clientId = String(this.connection['client.id']);
    const consumer = new this.rdkafka.KafkaConsumer({
      ...this.connection,
      'client.id':
        options.queryEndpoint === undefined
          ? clientId
          : `${clientId}${endpointMarker}${options.queryEndpoint}`,
      'group.id': options.groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'partition.assignment.strategy': 'roundrobin',
      'auto.offset.reset': options.fromBeginning ? 'earliest' : 'latest',
      'allow.auto.create.topics': false,
      'fetch.wait.max.ms': 100,
      'fetch.min.bytes': options.fetchMinBytes ?? 1,
      'max.partition.fetch.bytes': fetchBytesPerPartition,
      // What librdkafka prefetches for the whole consumer; a paused partition's is dropped.
      'queued.max.messages.kbytes': 16 * 1024,
      'queued.min.messages': 10_000,
      // A round can wait on a task's restore (onBatch); the session timeout still catches a
      // process that died.
      'max.poll.interval.ms': 30 * 60_000,
      ...(options.sessionTimeoutMs === undefined
        ? {}
        : {
            'session.timeout.ms': options.sessionTimeoutMs,
            'heartbeat.interval.ms': Math.max(100, Math.floor(options.sessionTimeoutMs / 5)),
          }),
      rebalance_cb: (error: RdkafkaError | undefined, assignment: RdkafkaTopicPartitionOffset[]) =>
        this.onRebalance(error, assignment),
    });
    this.consumer = consumer;
    consumer.on('event.error', (error) => this.onClientError(error));
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 10_000 }, (error) =>
        error ? reject(kafkaErrorOf(error)) : resolve(),
      );
    });
    consumer.setDefaultConsumeTimeout(roundWaitMs);
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    consumer.subscribe([...options.topics]);
    if (options.autoCommit !== false) {
      this.commitTimer = setInterval(
        () => void this.commitAcknowledged(),
        options.commitIntervalMs,
      );
    }
    this.loop = this.run(consumer);
  }

  private onClientError(error: RdkafkaError): void {
    if (this.stopped || this.crashed) {
      return;
    }
    if (error.isFatal === true) {
      this.crash(kafkaErrorOf(error));
    } else if (error.code === rdkafkaCodes.allBrokersDown) {
      // librdkafka reconnects and rejoins by itself; the session carries on.
      this.handlers?.onRestarting?.(kafkaErrorOf(error));
    }
  }

  private crash(error: unknown): void {
    if (this.crashed || this.stopped) {
      return;
    }
    this.crashed = true;
    this.handlers?.onCrash(error);
  }

  private onRebalance(
    error: RdkafkaError | undefined,
    assignment: RdkafkaTopicPartitionOffset[],
  ): void {
    const consumer = this.consumer;
    if (consumer === undefined) {
      return;
    }
    const code = error?.code;
    if (code === rdkafkaCodes.assignPartitions && !this.stopped) {
      try {
        consumer.assign(assignment);
      } catch (assignError) {
        this.crash(assignError);
        return;
      }
      this.assigned = new Map(assignment.map((p) => [partitionId(p.topic, p.partition), p]));
      this.positions.clear();
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of assignment) {
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      }
      this.handlers?.onAssigned(byTopic).catch((handlerError: unknown) => this.crash(handlerError));
      return;
    }
    // A revocation (or an error, or the stop): give the partitions back.
    if (!this.stopped) {
      this.handlers?.onRebalancing();
    }
    this.assigned = new Map();
    this.positions.clear();
    const revoke = (): void => {
      try {
        consumer.unassign();
      } catch {
        // Not connected any more: nothing to give back.
      }
    };
    if (this.options.autoCommit !== false && this.acknowledged.size > 0) {
      void this.commitAcknowledged().finally(revoke);
    } else {
      revoke();
    }
  }

  private async run(consumer: RdkafkaConsumer): Promise<void> {
    while (!this.stopped && !this.crashed) {
      await this.applySeeks(consumer);
      const round = ++this.roundsStarted;
      let messages: RdkafkaMessage[];
      try {
        messages = await new Promise<RdkafkaMessage[]>((resolve, reject) => {
          consumer.consume(recordsPerRound, (error, taken) =>
            error ? reject(kafkaErrorOf(error)) : resolve(taken),
          );
        });
      } catch (error) {
        if (this.stopped) {
          break;
        }
        const cause =
          error instanceof Error ? (error.cause as RdkafkaError | undefined) : undefined;
        if (cause?.isFatal === true) {
          this.crash(error);
          break;
        }
        this.handlers?.onRestarting?.(error);
        await new Promise((resolve) => setTimeout(resolve, roundWaitMs));
        continue;
      }
      if (this.stopped) {
        break;
      }
      try {
        await this.deliver(consumer, messages, round);
      } catch (error) {
        this.crash(error);
        break;
      }
      this.roundsDelivered = round;
      this.handlers?.onFetchDelivered?.();
    }
  }

  /** Hands a round's records to `onBatch`, partition by partition. */
  private async deliver(
    consumer: RdkafkaConsumer,
    messages: readonly RdkafkaMessage[],
    round: number,
  ): Promise<void> {
    const handlers = this.handlers;
    if (handlers === undefined) {
      return;
    }
    const byPartition = new Map<string, RdkafkaMessage[]>();
    for (const message of messages) {
      const id = partitionId(message.topic, message.partition);
      let list = byPartition.get(id);
      if (list === undefined) {
        list = [];
        byPartition.set(id, list);
      }
      list.push(message);
    }
    // Where each partition stands after this round: past the markers and aborted records
    // librdkafka served with its records.
    const current = this.currentPositions(consumer, round);
    const batches: IncomingBatch[] = [];
    for (const [id, tp] of this.assigned) {
      const position = current.get(id);
      const list = byPartition.get(id);
      const fresh = (this.seekedInRound.get(id) ?? 0) < round;
      if (list === undefined || !fresh) {
        const known = this.positions.get(id);
        if (fresh && position !== undefined && (known === undefined || position > known)) {
          this.positions.set(id, position);
          handlers.onSkipped?.({
            topic: tp.topic,
            partition: tp.partition,
            nextOffset: String(position),
            highWatermark: String(this.highWatermark(consumer, tp, position)),
          });
        }
        continue;
      }
      const last = list[list.length - 1] as RdkafkaMessage;
      const afterLast = BigInt(last.offset) + 1n;
      const next = position !== undefined && position > afterLast ? position : afterLast;
      this.positions.set(id, next);
      const records = list.map(toRawRecord);
      batches.push({
        topic: tp.topic,
        partition: tp.partition,
        records,
        nextOffset: String(next),
        highWatermark: String(this.highWatermark(consumer, tp, next)),
        // librdkafka heartbeats on its own thread.
        heartbeat: () => Promise.resolve(),
      });
    }
    await forEachLimited(batches, Math.max(1, this.options.concurrency), async (batch) => {
      const acknowledged = await handlers.onBatch(batch);
      if (acknowledged !== false && this.options.autoCommit !== false) {
        const id = partitionId(batch.topic, batch.partition);
        this.acknowledged.set(id, {
          topic: batch.topic,
          partition: batch.partition,
          offset: Number(batch.nextOffset),
        });
      }
    });
  }

  private currentPositions(consumer: RdkafkaConsumer, round: number): Map<string, bigint> {
    const positions = new Map<string, bigint>();
    const asked = [...this.assigned.values()]
      .filter((tp) => (this.seekedInRound.get(partitionId(tp.topic, tp.partition)) ?? 0) < round)
      .map(({ topic, partition }) => ({ topic, partition }));
    if (asked.length === 0) {
      return positions;
    }
    try {
      for (const { topic, partition, offset } of consumer.position(asked)) {
        if (offset !== undefined && offset >= 0) {
          positions.set(partitionId(topic, partition), BigInt(offset));
        }
      }
    } catch {
      // Not assigned any more (a rebalance under way): no positions this round.
    }
    return positions;
  }

  /** The partition's high watermark as librdkafka's last fetch saw it. */
  private highWatermark(consumer: RdkafkaConsumer, tp: TopicPartition, fallback: bigint): bigint {
    try {
      const { highOffset } = consumer.getWatermarkOffsets(tp.topic, tp.partition);
      return highOffset >= 0 ? BigInt(highOffset) : fallback;
    } catch {
      return fallback;
    }
  }

  seek(partition: TopicPartition & { readonly offset: string }): void {
    const consumer = this.consumer;
    if (consumer === undefined || this.stopped) {
      return;
    }
    const id = partitionId(partition.topic, partition.partition);
    // The round under way may hold records from before the seek: they are dropped, and the
    // seek is applied once that round is back (a seek under way would race the consume call:
    // records it fetched from the new position would then be dropped as old, and lost).
    this.seekedInRound.set(id, this.roundsStarted);
    this.positions.set(id, BigInt(partition.offset));
    this.pendingSeeks.set(id, {
      topic: partition.topic,
      partition: partition.partition,
      offset: Number(partition.offset),
    });
  }

  private async applySeeks(consumer: RdkafkaConsumer): Promise<void> {
    for (const [id, target] of this.pendingSeeks) {
      this.pendingSeeks.delete(id);
      if (!this.assigned.has(id)) {
        continue; // revoked meanwhile: its next owner starts from the committed offset
      }
      try {
        await seekWithRetries(consumer, target, () => this.stopped);
      } catch (error) {
        this.crash(error);
      }
    }
  }

  // librdkafka's pause drops what it prefetched for the partition; resume fetches from the
  // position the application reached, so nothing is lost or repeated.
  pause(partition: TopicPartition): void {
    this.pauseOrResume('pause', partition);
  }

  resume(partition: TopicPartition): void {
    this.pauseOrResume('resume', partition);
  }

  private pauseOrResume(action: 'pause' | 'resume', partition: TopicPartition): void {
    const consumer = this.consumer;
    if (consumer === undefined || this.stopped) {
      return;
    }
    try {
      consumer[action]([{ topic: partition.topic, partition: partition.partition }]);
    } catch {
      // Not assigned any more: a new assignment starts unpaused.
    }
  }

  async commitOffsets(
    offsets: readonly (TopicPartition & { readonly offset: string })[],
  ): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || offsets.length === 0) {
      return;
    }
    await promised((done) =>
      consumer.commitCb(
        offsets.map(({ topic, partition, offset }) => ({
          topic,
          partition,
          offset: Number(offset),
        })),
        done,
      ),
    );
  }

  private async commitAcknowledged(): Promise<void> {
    if (this.acknowledged.size === 0) {
      return;
    }
    const offsets = [...this.acknowledged.values()];
    this.acknowledged.clear();
    try {
      await this.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })),
      );
    } catch {
      // A rebalance refused it: the partition's next owner reads those records again.
    }
  }

  roundMark(): RoundMark {
    const started = this.roundsStarted;
    const madeAt = Date.now();
    return {
      // A round under way when the mark was made may hold only what librdkafka had fetched
      // before it; the next two were taken after a fetch that started after the mark (one
      // fetch wait, 100 ms, later).
      passed: () => this.roundsDelivered >= started + 2 && Date.now() - madeAt >= roundWaitMs,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) {
      return this.loop;
    }
    this.stopped = true;
    clearInterval(this.commitTimer);
    await this.loop;
    if (this.options.autoCommit !== false && !this.crashed) {
      await this.commitAcknowledged();
    }
    const consumer = this.consumer;
    if (consumer !== undefined && consumer.isConnected()) {
      // Closing leaves the group (the revocation comes to onRebalance, which unassigns).
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    }
  }
}

async function seekWithRetries(
  consumer: RdkafkaConsumer,
  target: RdkafkaTopicPartitionOffset,
  stopped: () => boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await promised((done) => consumer.seek(target, 5_000, done));
      return;
    } catch (error) {
      // A partition whose fetcher has not started yet (just assigned) refuses for a moment.
      if (stopped() || attempt >= 20) {
        if (stopped()) {
          return;
        }
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Runs `work` on every item, at most `limit` at once; rejects with the first failure. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  if (items.length === 0) {
    return;
  }
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

const noHeaders: Headers = Object.freeze({});

function toRawRecord(message: RdkafkaMessage): RawRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    key: toBytes(message.key),
    value: message.value,
    timestamp: message.timestamp ?? 0,
    headers: toHeaders(message.headers),
  };
}

function toBytes(key: Buffer | string | null | undefined): Uint8Array | null {
  if (key === null || key === undefined) {
    return null;
  }
  return typeof key === 'string' ? Buffer.from(key) : key;
}

function toHeaders(headers: RdkafkaMessage['headers']): Headers {
  if (headers === undefined || headers.length === 0) {
    return noHeaders;
  }
  const result: Record<string, string | Uint8Array> = {};
  for (const header of headers) {
    for (const [name, value] of Object.entries(header)) {
      result[name] = value; // the last of a repeated name wins, as with kafkajs
    }
  }
  return result;
}

/**
 * Reads partitions (committed records only) from an offset up to their end as it was when the
 * call started: librdkafka's consumer, assigned the partitions (no group; its random group id
 * is never joined nor committed to), until each one's position reaches its end.
 */
export async function readPartitionsToEnd(
  parts: {
    readonly rdkafka: RdkafkaModule;
    readonly connection: RdkafkaConfig;
    readonly offsets: { partitionOffsets(topic: string): Promise<PartitionOffsets[]> };
  },
  partitions: readonly (TopicPartition & { readonly fromOffset: string })[],
  onRecords: (records: readonly RawRecord[], read: ReadCount) => Promise<void>,
): Promise<void> {
  const ends = new Map<string, bigint>();
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    for (const { partition, high } of await parts.offsets.partitionOffsets(topic)) {
      ends.set(partitionId(topic, partition), BigInt(high));
    }
  }
  const remaining = new Map(
    partitions
      .filter((p) => BigInt(p.fromOffset) < (ends.get(partitionId(p.topic, p.partition)) ?? 0n))
      .map((p) => [partitionId(p.topic, p.partition), p]),
  );
  if (remaining.size === 0) {
    return;
  }
  const consumer = new parts.rdkafka.KafkaConsumer({
    ...parts.connection,
    'group.id': `reelstream-reader-${randomUUID()}`,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'isolation.level': 'read_committed',
    'fetch.wait.max.ms': 50,
    'max.partition.fetch.bytes': 4 * 1024 * 1024,
    'queued.max.messages.kbytes': 32 * 1024,
  });
  await new Promise<void>((resolve, reject) => {
    consumer.connect({ timeout: 10_000 }, (error) =>
      error ? reject(kafkaErrorOf(error)) : resolve(),
    );
  });
  try {
    consumer.setDefaultConsumeTimeout(roundWaitMs);
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    consumer.assign(
      [...remaining.values()].map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: Number(p.fromOffset),
      })),
    );
    while (remaining.size > 0) {
      const messages = await new Promise<RdkafkaMessage[]>((resolve, reject) => {
        consumer.consume(recordsPerRound, (error, taken) =>
          error ? reject(kafkaErrorOf(error)) : resolve(taken),
        );
      });
      const byPartition = new Map<string, RawRecord[]>();
      for (const message of messages) {
        const id = partitionId(message.topic, message.partition);
        const end = ends.get(id);
        if (!remaining.has(id) || end === undefined || BigInt(message.offset) >= end) {
          continue;
        }
        let list = byPartition.get(id);
        if (list === undefined) {
          list = [];
          byPartition.set(id, list);
        }
        list.push(toRawRecord(message));
      }
      for (const records of byPartition.values()) {
        await onRecords(records, readCountOf(records));
      }
      const asked = [...remaining.values()].map(({ topic, partition }) => ({ topic, partition }));
      for (const { topic, partition, offset } of consumer.position(asked)) {
        const id = partitionId(topic, partition);
        const end = ends.get(id);
        if (offset !== undefined && end !== undefined && offset >= 0 && BigInt(offset) >= end) {
          remaining.delete(id);
          consumer.pause([{ topic, partition }]);
        }
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
