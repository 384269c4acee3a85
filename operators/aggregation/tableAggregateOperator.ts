import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import { changesOutput, type Change, type ChangeFeed } from './change.js';
import type { TableAggregation } from './tableAggregation.js';

/**
 * The second half of a table re-aggregation (Kafka Streams' `KTableAggregate` and
 * `KTableReduce`): one aggregate per group in a changelogged key-value store. A change first
 * subtracts its old value (when the group has an aggregate), then adds its new value, then
 * writes and forwards the group's aggregate once. A group whose rows all left keeps its
 * aggregate (a count of 0), as in Kafka Streams. Under at-least-once a replayed change the
 * group already includes is skipped (state/appliedPositions.ts), so the aggregate converges.
 */
export class TableAggregateOperator<TKey, TValue, TAggregate> implements Operator<
  TKey,
  Change<TValue>,
  TKey,
  TAggregate
> {
  private readonly storeName: string;
  private readonly keySerde: Serde<TKey>;
  private readonly aggregation: TableAggregation<TKey, TValue, TAggregate>;
  private readonly changes: ChangeFeed;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;
  private store: TaskStore | undefined;

  constructor(options: {
    storeName: string;
    keySerde: Serde<TKey>;
    aggregation: TableAggregation<TKey, TValue, TAggregate>;
    /** Set when this table is grouped again. */
    changes: ChangeFeed;
  }) {
    this.storeName = options.storeName;
    this.keySerde = options.keySerde;
    this.aggregation = options.aggregation;
    this.changes = options.changes;
    this.keyContext = { topic: options.storeName, isKey: true };
    this.valueContext = { topic: options.storeName, isKey: false };
  }

  init(ctx: OperatorContext<TKey, TAggregate>): void {
    this.store = ctx.stateStore(this.storeName);
  }

  process(
    record: StreamRecord<TKey, Change<TValue>>,
    ctx: OperatorContext<TKey, TAggregate>,
  ): void | Promise<void> {
    if (record.key === null || record.key === undefined) {
      ctx.count('skippedRecords');
      return;
    }
    const key = this.keySerde.serialize(record.key, this.keyContext);
    if (key === null || key.length === 0) {
      throw new Error(`aggregation ${this.storeName}: the key serialized to no bytes`);
    }
    const store = this.requireStore();
    const cached = store.peek(key);
    if (cached !== undefined) {
      this.update({ record, key, stored: cached }, ctx);
      return;
    }
    return store
      .get(key)
      .then((stored) => this.update({ record, key, stored: stored ?? null }, ctx));
  }

  private update(
    change: {
      readonly record: StreamRecord<TKey, Change<TValue>>;
      readonly key: Uint8Array;
      /** The group's stored aggregate, null when it has none. */
      readonly stored: Buffer | null;
    },
    ctx: OperatorContext<TKey, TAggregate>,
  ): void {
    const { record, key, stored } = change;
    const store = this.requireStore();
    if (store.applied(key)) {
      return; // a replay (at-least-once) this group already includes; its output was sent
    }
    const { add, subtract, serde } = this.aggregation;
    const previous = stored === null ? undefined : serde.deserialize(stored, this.valueContext);
    const { oldValue, newValue } = record.value;
    let next = previous;
    if (oldValue !== null && next !== undefined) {
      next = subtract(next, oldValue, record.key);
    }
    if (newValue !== null) {
      next = add(next, newValue, record.key);
    }
    if (next === undefined) {
      return; // a row left a group that has no aggregate (nothing was ever added to it)
    }
    const bytes = serde.serialize(next, this.valueContext);
    if (bytes === null) {
      store.delete(key);
    } else {
      store.put(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    ctx.forward(record.withValue(next));
    if (this.changes.wanted) {
      const change: Change<TAggregate> = { oldValue: previous ?? null, newValue: next };
      // The changes output carries Change values; its children are typed for them.
      ctx.forward(
        record.withValue(change) as unknown as StreamRecord<TKey, TAggregate>,
        changesOutput,
      );
    }
  }

  private requireStore(): TaskStore {
    if (this.store === undefined) {
      throw new Error(`aggregation ${this.storeName} used before init`);
    }
    return this.store;
  }
}
