import type { HeldUpdate, Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import type { Aggregation } from './aggregation.js';
import { changesOutput, type Change, type ChangeFeed } from './change.js';
import { keyId } from '../state/keyId.js';

/**
 * Decoded aggregates kept per operator instance (one task's share of the keys): enough for the
 * keys hot enough to be updated again soon. Aggregates can be large (a hundred scored
 * neighbours is tens of KB as objects): 4,096 per task grew the feature job by gigabytes and
 * its garbage collection with it.
 */
const decodedLimit = 256;

/**
 * When an aggregation forwards its updates: `everyUpdate`, each one as it happens; `onCommit`,
 * each key's latest aggregate once per commit of the task.
 *
 * @category DSL
 */
export type AggregateEmit = 'everyUpdate' | 'onCommit';

/** An aggregate updated since the last commit and not yet written nor forwarded (`onCommit`). */
interface Held<TKey, TAggregate> {
  readonly key: Uint8Array;
  readonly value: TAggregate;
  readonly record: StreamRecord<TKey, TAggregate>;
  /** The key as a string, when it is one: the key of {@link KeyValueAggregateOperator.decoded}. */
  readonly recent: string | undefined;
}

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
 *
 * With `emit: 'onCommit'` an updated aggregate is held, decoded, until the task commits: a key
 * updated a hundred times between two commits is encoded, written and forwarded once, as Kafka
 * Streams' record cache coalesces a KTable's updates. That is for tables whose readers want the
 * latest value (a compacted feature topic), not every step. Under exactly-once nothing is lost
 * by the wait (downstream consumers see the outputs at the commit anyway), but interactive
 * queries of the store see an update only from the commit on. Under at-least-once the state is
 * still written on each update (the store records which inputs it includes); only the forward
 * waits.
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
  private readonly emit: AggregateEmit;
  private readonly changes: ChangeFeed | undefined;
  private store: TaskStore | undefined;
  /** `onCommit`: the aggregates updated since the last commit, by key bytes (latin1). */
  private held = new Map<string, Held<TKey, TAggregate>>();
  /** `onCommit` under at-least-once: state is written at once, only forwards are held. */
  private writesAtOnce = true;
  /** By string key: recently written aggregates, in recency order (oldest first). */
  private readonly decoded = new Map<
    string,
    { readonly bytes: Buffer; readonly value: TAggregate }
  >();

  constructor(options: {
    storeName: string;
    keySerde: Serde<TKey>;
    aggregation: Aggregation<TKey, TValue, TAggregate>;
    emit?: AggregateEmit;
    /** Set when the table is grouped again (`everyUpdate` only): changes go to `changes`. */
    changes?: ChangeFeed;
  }) {
    this.changes = options.changes;
    this.storeName = options.storeName;
    this.keySerde = options.keySerde;
    this.aggregation = options.aggregation;
    this.emit = options.emit ?? 'everyUpdate';
  }

  init(ctx: OperatorContext<TKey, TAggregate>): void {
    this.store = ctx.stateStore(this.storeName);
    this.writesAtOnce = this.emit === 'everyUpdate' || this.store.carriesPositions;
  }

  process(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<TKey, TAggregate>,
  ): void | Promise<void> {
    if (record.key === null || record.value === null) {
      // Kafka Streams skips null keys and values in aggregations too (and counts them).
      ctx.count('skippedRecords');
      return;
    }
    const store = this.requireStore();
    const key = this.keySerde.serialize(record.key, { topic: this.storeName, isKey: true });
    if (key === null || key.length === 0) {
      throw new Error(`aggregation ${this.storeName}: the key serialized to no bytes`);
    }
    if (!this.writesAtOnce && this.held.size > 0) {
      const held = this.held.get(keyId(key));
      if (held !== undefined) {
        this.holdNext({ record, key, recent: held.recent, previous: held.value });
        return;
      }
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

  /** Reads the slice's keys that are neither held nor cached, at once (see Operator.prefetch). */
  async prefetch(records: readonly StreamRecord<TKey, TValue>[]): Promise<void> {
    const keys: Uint8Array[] = [];
    for (const record of records) {
      if (record.key === null || record.value === null) {
        continue;
      }
      const key = this.keySerde.serialize(record.key, { topic: this.storeName, isKey: true });
      if (key !== null && key.length > 0 && !this.held.has(keyId(key))) {
        keys.push(key);
      }
    }
    await this.requireStore().prefetch(keys);
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
          : serde.deserialize(change.previous, { topic: this.storeName, isKey: false });
    if (!this.writesAtOnce) {
      this.holdNext({ record: change.record, key: change.key, recent, previous });
      return;
    }
    const next = this.aggregation.add(previous, change.record.value, change.record);
    this.write(change.key, { value: next, recent });
    if (this.emit === 'everyUpdate') {
      ctx.forward(change.record.withValue(next));
      if (this.changes?.wanted === true) {
        const update: Change<TAggregate> = { oldValue: previous ?? null, newValue: next };
        // The changes output carries Change values; its children are typed for them.
        ctx.forward(
          change.record.withValue(update) as unknown as StreamRecord<TKey, TAggregate>,
          changesOutput,
        );
      }
    } else {
      const id = keyId(change.key);
      this.held.delete(id);
      this.held.set(id, {
        key: change.key,
        value: next,
        record: change.record.withValue(next),
        recent,
      });
    }
  }

  /** `onCommit` under exactly-once: the next aggregate, held decoded until the commit. */
  private holdNext(change: {
    record: StreamRecord<TKey, TValue>;
    key: Uint8Array;
    recent: string | undefined;
    previous: TAggregate | undefined;
  }): void {
    const next = this.aggregation.add(change.previous, change.record.value, change.record);
    const id = keyId(change.key);
    this.held.delete(id); // re-inserted last: updates are forwarded in the order of their last
    this.held.set(id, {
      key: change.key,
      value: next,
      record: change.record.withValue(next),
      recent: change.recent,
    });
  }

  /** `onCommit`: each key's latest aggregate, written (unless it already was) and forwarded. */
  takeHeld(): readonly HeldUpdate<TKey, TAggregate>[] {
    if (this.held.size === 0) {
      return [];
    }
    const held = [...this.held.values()];
    this.held = new Map();
    return held.map((update) => ({
      record: update.record,
      keyBytes: update.key,
      apply: () => {
        if (!this.writesAtOnce) {
          this.write(update.key, update);
        }
      },
    }));
  }

  /** Encodes and stores the aggregate, and keeps it decoded for the key's next update. */
  private write(
    key: Uint8Array,
    update: { readonly value: TAggregate; readonly recent: string | undefined },
  ): void {
    const context = { topic: this.storeName, isKey: false };
    const bytes = this.aggregation.serde.serialize(update.value, context);
    if (bytes === null) {
      this.requireStore().delete(key);
      return;
    }
    const stored = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.requireStore().put(key, stored);
    if (update.recent !== undefined) {
      this.keepDecoded(update.recent, stored, update.value);
    }
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
