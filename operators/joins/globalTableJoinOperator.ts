import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { GlobalTable } from '../dsl/globalTable.js';
import type { SerdeContext } from '../serdes/serde.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';
import { prepareStateSerdes } from './stateSerdes.js';
import type { TableJoinKind, ValueJoiner } from './streamTableJoinOperator.js';

/**
 * Joins each stream record with a global table's value for a key computed from the record.
 * The global store holds the topic's bytes as they were written, so the looked-up key is
 * serialized as a producer of that topic would serialize it, and values are read with the
 * topic's serde. Inner: no value, no output (a null key from the selector included). Left: the
 * joiner gets `undefined`.
 */
export class GlobalTableJoinOperator<
  TKey,
  TValue,
  TGlobalKey,
  TGlobalValue,
  TResult,
> implements Operator<TKey, TValue, TKey, TResult> {
  private readonly table: GlobalTable<TGlobalKey, TGlobalValue>;
  private readonly keySelector: (record: StreamRecord<TKey, TValue>) => TGlobalKey | null;
  private readonly joiner: ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>;
  private readonly kind: TableJoinKind;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;
  private store: ReadOnlyStore | undefined;

  constructor(options: {
    table: GlobalTable<TGlobalKey, TGlobalValue>;
    keySelector: (record: StreamRecord<TKey, TValue>) => TGlobalKey | null;
    joiner: ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>;
    kind: TableJoinKind;
  }) {
    this.table = options.table;
    this.keySelector = options.keySelector;
    this.joiner = options.joiner;
    this.kind = options.kind;
    this.keyContext = { topic: options.table.topic, isKey: true };
    this.valueContext = { topic: options.table.topic, isKey: false };
  }

  async init(ctx: OperatorContext<TKey, TResult>): Promise<void> {
    this.store = ctx.globalStore(this.table.name);
    await prepareStateSerdes([[this.table.serdes.key, this.keyContext]]);
  }

  process(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<TKey, TResult>,
  ): void | Promise<void> {
    if (record.value === null || record.value === undefined) {
      // As in stream-table joins (and Kafka Streams 4.4): no joiner call with a null value;
      // dropped, and counted.
      ctx.count('skippedRecords');
      return;
    }
    const key = this.keySelector(record);
    const keyBytes = key === null ? null : this.table.serdes.key.serialize(key, this.keyContext);
    if (keyBytes === null || keyBytes.length === 0) {
      if (this.kind === 'inner') {
        ctx.count('skippedRecords'); // no table row has a null key: counted, not silent
        return;
      }
      return this.emit(record, null, ctx);
    }
    const store = this.requireStore();
    const cached = store.peek(keyBytes);
    if (cached !== undefined) {
      return this.emit(record, cached, ctx);
    }
    return store.get(keyBytes).then((found) => this.emit(record, found ?? null, ctx));
  }

  private emit(
    record: StreamRecord<TKey, TValue>,
    found: Buffer | null,
    ctx: OperatorContext<TKey, TResult>,
  ): void | Promise<void> {
    if (found === null) {
      if (this.kind === 'left') {
        ctx.forward(record.withValue(this.joiner(record.value, undefined, record.key)));
      }
      return;
    }
    // Values loaded from local state before this process started may carry a writer schema
    // this serde has not seen yet: learn it first (a no-op for known schemas and plain serdes).
    const learning = this.table.serdes.value.prepareDeserialize?.([found], this.valueContext);
    const forward = (): void => {
      const value = this.table.serdes.value.deserialize(found, this.valueContext);
      ctx.forward(record.withValue(this.joiner(record.value, value, record.key)));
    };
    if (learning !== undefined) {
      return learning.then(forward);
    }
    forward();
  }

  private requireStore(): ReadOnlyStore {
    if (this.store === undefined) {
      throw new Error(`join with global table ${this.table.name} used before init`);
    }
    return this.store;
  }
}
