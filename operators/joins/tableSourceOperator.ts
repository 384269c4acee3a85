import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { KeyValueState } from '../state/keyValueState.js';
import type { StoreDefinition } from '../state/storeDefinition.js';
import { prepareStateSerdes } from './stateSerdes.js';

/**
 * Materializes a topic as a table: each record's value becomes its key's value in the store,
 * and a tombstone (null value) deletes the key. Updates are forwarded (what `toStream()`
 * carries); deletions are not, because the stream's value type has no null.
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
  private table: KeyValueState<TKey, TValue> | undefined;

  constructor(definition: StoreDefinition<TKey, TValue>) {
    this.definition = definition;
  }

  async init(ctx: OperatorContext<TKey, TValue>): Promise<void> {
    this.table = ctx.keyValueStore(this.definition);
    const { name, key, value } = this.definition;
    await prepareStateSerdes([
      [key, { topic: name, isKey: true }],
      [value, { topic: name, isKey: false }],
    ]);
  }

  process(record: StreamRecord<TKey, TValue | null>, ctx: OperatorContext<TKey, TValue>): void {
    if (record.key === null || record.key === undefined) {
      ctx.count('skippedRecords'); // a table has no row for a null key (Kafka Streams drops it too)
      return;
    }
    const table = this.requireTable();
    if (record.value === null) {
      table.delete(record.key);
      return;
    }
    table.put(record.key, record.value);
    ctx.forward(record.withValue(record.value));
  }

  private requireTable(): KeyValueState<TKey, TValue> {
    if (this.table === undefined) {
      throw new Error(`table ${this.definition.name} used before init`);
    }
    return this.table;
  }
}
