import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import type { Aggregation } from './aggregation.js';

/**
 * Decoded aggregates kept per operator instance (one task's share of the keys): enough for the
 * keys hot enough to be updated again soon. Aggregates can be large (a hundred scored
 * neighbours is tens of KB as objects): 4,096 per task grew the feature job by gigabytes and
 * its garbage collection with it.
 */
const decodedLimit = 256;

/**
 * A running aggregate per key (count, reduce, aggregate), in a key-value store, forwarded on
 * every update. Cached keys are updated synchronously; only a cache miss waits for RocksDB.
 * Under at-least-once a replayed record the key already includes is skipped, so the aggregate
 * converges (state/appliedPositions.ts).
 *
 * The aggregate last written for a recent key is kept decoded beside the bytes it was written
 * as, and reused while the store still holds those bytes: decoding a large aggregate (a user's
 * features, a video's co-visitation candidates) on every update was the largest single cost
 * of the feature job. A rolled-back commit or a restore leaves other bytes in the store, and
 * the aggregate is decoded again. So an aggregation's `add` must return a new aggregate rather
 * than change the one it is given (which is also what was forwarded last time).
 */
export class KeyValueAggregateOperator<TKey, TValue, TAggregate> implements Operator<
  TKey,
  TValue,
  TKey,
  TAggregate
> {
  private readonly storeName: string;
  private readonly keySerde: Serde<TKey>;
  private readonly aggregation: Aggregation<TKey, TValue, TAggregate>;
  private store: TaskStore | undefined;
  /** By string key: recently written aggregates, in recency order (oldest first). */
  private readonly decoded = new Map<
    string,
    { readonly bytes: Buffer; readonly value: TAggregate }
  >();

  constructor(options: {
    storeName: string;
    keySerde: Serde<TKey>;
    aggregation: Aggregation<TKey, TValue, TAggregate>;
  }) {
    this.storeName = options.storeName;
    this.keySerde = options.keySerde;
    this.aggregation = options.aggregation;
  }

  init(ctx: OperatorContext<TKey, TAggregate>): void {
    this.store = ctx.stateStore(this.storeName);
  }

  process(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<TKey, TAggregate>,
  ): void | Promise<void> {
    if (record.key === null || record.value === null) {
      return; // Kafka Streams skips null keys and values in aggregations too
    }
    const store = this.requireStore();
    const key = this.keySerde.serialize(record.key, { topic: this.storeName, isKey: true });
    if (key === null || key.length === 0) {
      throw new Error(`aggregation ${this.storeName}: the key serialized to no bytes`);
    }
    const cached = store.peek(key);
    if (cached !== undefined) {
      this.update({ record, key, previous: cached }, ctx);
      return;
    }
    return store.get(key).then((stored) => {
      this.update({ record, key, previous: stored ?? null }, ctx);
    });
  }

  private update(
    change: { record: StreamRecord<TKey, TValue>; key: Uint8Array; previous: Buffer | null },
    ctx: OperatorContext<TKey, TAggregate>,
  ): void {
    if (this.requireStore().applied(change.key)) {
      // A replay after a crash (at-least-once) of a record this key already counts; its output
      // was sent before the state that includes it, so there is nothing to re-send.
      return;
    }
    const { serde } = this.aggregation;
    const context = { topic: this.storeName, isKey: false };
    const recent = typeof change.record.key === 'string' ? change.record.key : undefined;
    const kept = recent === undefined ? undefined : this.decoded.get(recent);
    if (recent !== undefined) {
      this.decoded.delete(recent); // kept again below only once `add` has succeeded
    }
    const previous =
      change.previous === null
        ? undefined
        : kept !== undefined && kept.bytes.equals(change.previous)
          ? kept.value
          : serde.deserialize(change.previous, context);
    const next = this.aggregation.add(previous, change.record.value, change.record);
    const bytes = serde.serialize(next, context);
    if (bytes === null) {
      this.requireStore().delete(change.key);
    } else {
      const stored = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.requireStore().put(change.key, stored);
      if (recent !== undefined) {
        this.keepDecoded(recent, stored, next);
      }
    }
    ctx.forward(change.record.withValue(next));
  }

  private keepDecoded(key: string, bytes: Buffer, value: TAggregate): void {
    this.decoded.set(key, { bytes, value });
    if (this.decoded.size > decodedLimit) {
      const oldest = this.decoded.keys().next();
      if (oldest.done !== true) {
        this.decoded.delete(oldest.value);
      }
    }
  }

  private requireStore(): TaskStore {
    if (this.store === undefined) {
      throw new Error(`aggregation ${this.storeName} used before init`);
    }
    return this.store;
  }
}
