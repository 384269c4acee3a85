import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { KeyValueState } from '../state/keyValueState.js';
import type { StoreDefinition } from '../state/storeDefinition.js';
import { changesOutput, type Change, type ChangeFeed } from '../aggregation/change.js';
import { prepareStateSerdes } from './stateSerdes.js';

/**
 * Materializes a topic as a table: each record's value becomes its key's value in the store,
 * and a tombstone (null value) deletes the key. Updates are forwarded (what `toStream()`
 * carries); deletions are not, because the stream's value type has no null. A table that is
 * grouped again (`Table.groupBy`) also forwards every update and deletion with the key's old
 * value on the `changes` output, which costs a read of the old value per record.
 *
 * Kafka Streams can use a source table's own topic as its changelog and skip writing one. Here
 * the store has its own changelog like every other store: one more topic and a second copy of
 * the data, but one restore path for every store, and no assumption that the input topic is
 * compacted or that its serdes write the bytes they read.
 */
export class TableSourceOperator<TKey, TValue> implements Operator<
  TKey,
  TValue | null,
  TKey,
  TValue
> {
  private readonly definition: StoreDefinition<TKey, TValue>;
  /** Set when the table is grouped again: then each update is also sent as a change. */
  private readonly changes: ChangeFeed | undefined;
  private table: KeyValueState<TKey, TValue> | undefined;

  constructor(definition: StoreDefinition<TKey, TValue>, changes?: ChangeFeed) {
    this.definition = definition;
    this.changes = changes;
  }

  async init(ctx: OperatorContext<TKey, TValue>): Promise<void> {
    this.table = ctx.keyValueStore(this.definition);
    const { name, key, value } = this.definition;
    await prepareStateSerdes([
      [key, { topic: name, isKey: true }],
      [value, { topic: name, isKey: false }],
    ]);
  }

  process(
    record: StreamRecord<TKey, TValue | null>,
    ctx: OperatorContext<TKey, TValue>,
  ): void | Promise<void> {
    if (record.key === null || record.key === undefined) {
      ctx.count('skippedRecords'); // a table has no row for a null key (Kafka Streams drops it too)
      return;
    }
    const table = this.requireTable();
    if (this.changes?.wanted !== true) {
      this.apply(record, ctx);
      return;
    }
    // A grouped table needs the old value too: read it before it is overwritten.
    const cached = table.peek(record.key);
    if (cached !== undefined) {
      this.apply(record, ctx, cached.value ?? null);
      return;
    }
    return table.get(record.key).then((old) => this.apply(record, ctx, old ?? null));
  }

  /** Writes the update, forwards it, and (with `old` known) forwards the change. */
  private apply(
    record: StreamRecord<TKey, TValue | null>,
    ctx: OperatorContext<TKey, TValue>,
    old?: TValue | null,
  ): void {
    const table = this.requireTable();
    const { key, value } = record;
    if (value === null) {
      table.delete(key);
    } else {
      table.put(key, value);
      ctx.forward(record.withValue(value));
    }
    if (old !== undefined && (old !== null || value !== null)) {
      const change: Change<TValue> = { oldValue: old, newValue: value };
      // The changes output carries Change values; its children are typed for them.
      ctx.forward(record.withValue(change) as unknown as StreamRecord<TKey, TValue>, changesOutput);
    }
  }

  private requireTable(): KeyValueState<TKey, TValue> {
    if (this.table === undefined) {
      throw new Error(`table ${this.definition.name} used before init`);
    }
    return this.table;
  }
}
