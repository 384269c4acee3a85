import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { KeyValueState } from '../state/keyValueState.js';
import type { StoreDefinition } from '../state/storeDefinition.js';
import { prepareStateSerdes } from './stateSerdes.js';

/** Combines a stream record's value with what a join found for it. @category DSL */
export type ValueJoiner<TKey, TValue, TOther, TResult> = (
  value: TValue,
  other: TOther,
  key: TKey,
) => TResult;

/** How a stream–table join treats a key the table does not have. */
export type TableJoinKind = 'inner' | 'left';

/**
 * Joins each stream record with its key's current value in a table. The table's store belongs
 * to the same task (the join declares it, so the topology puts both in one sub-topology), so
 * the lookup is local: synchronous when the store's cache knows the key, one RocksDB read when
 * it does not. Only stream records trigger output; a table update changes what later records
 * see, never what earlier ones got. Inner: a key the table lacks produces nothing. Left: it
 * produces the joiner's result with `undefined`. A record with a null value is dropped and a
 * null key joins nothing (left: the joiner gets `undefined`), as in Kafka Streams 4.4; both
 * drops are counted in `skippedRecords`.
 */
export class StreamTableJoinOperator<TKey, TValue, TTableValue, TResult> implements Operator<
  TKey,
  TValue,
  TKey,
  TResult
> {
  private readonly definition: StoreDefinition<TKey, TTableValue>;
  private readonly joiner: ValueJoiner<TKey, TValue, TTableValue | undefined, TResult>;
  private readonly kind: TableJoinKind;
  private table: KeyValueState<TKey, TTableValue> | undefined;

  constructor(options: {
    table: StoreDefinition<TKey, TTableValue>;
    /** For an inner join, never called with `undefined`. */
    joiner: ValueJoiner<TKey, TValue, TTableValue | undefined, TResult>;
    kind: TableJoinKind;
  }) {
    this.definition = options.table;
    this.joiner = options.joiner;
    this.kind = options.kind;
  }

  async init(ctx: OperatorContext<TKey, TResult>): Promise<void> {
    this.table = ctx.keyValueStore(this.definition);
    const { name, key, value } = this.definition;
    // The table's operator prepared them too; a join must also read values it never wrote.
    await prepareStateSerdes([
      [key, { topic: name, isKey: true }],
      [value, { topic: name, isKey: false }],
    ]);
  }

  process(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<TKey, TResult>,
  ): void | Promise<void> {
    if (record.value === null || record.value === undefined) {
      // As Kafka Streams 4.4: a stream record without a value cannot be joined (its joiner
      // would be called with null), so it is dropped, and counted.
      ctx.count('skippedRecords');
      return;
    }
    if (record.key === null || record.key === undefined) {
      if (this.kind === 'left') {
        // As Kafka Streams 4.4 (KIP-962): no table row has a null key, so a left join joins
        // the record with no table value rather than dropping it.
        ctx.forward(record.withValue(this.joiner(record.value, undefined, record.key)));
        return;
      }
      ctx.count('skippedRecords'); // an inner join can never match a null key
      return;
    }
    const table = this.requireTable();
    const cached = table.peek(record.key);
    if (cached !== undefined) {
      this.emit(record, cached.value, ctx);
      return;
    }
    return table.get(record.key).then((found) => this.emit(record, found, ctx));
  }

  private emit(
    record: StreamRecord<TKey, TValue>,
    found: TTableValue | undefined,
    ctx: OperatorContext<TKey, TResult>,
  ): void {
    if (found === undefined && this.kind === 'inner') {
      return;
    }
    ctx.forward(record.withValue(this.joiner(record.value, found, record.key)));
  }

  private requireTable(): KeyValueState<TKey, TTableValue> {
    if (this.table === undefined) {
      throw new Error(`join with table ${this.definition.name} used before init`);
    }
    return this.table;
  }
}
