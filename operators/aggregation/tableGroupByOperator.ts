import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde } from '../serdes/serde.js';
import type { Change } from './change.js';

/** A table row re-keyed for grouping: its new key and the value to aggregate. @category DSL */
export interface KeyValue<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
}

/**
 * The first half of a table re-aggregation (Kafka Streams' `KTableRepartitionMap`): maps each
 * change of the table (`old` → `new` of one table key) to the changes of the groups it leaves
 * and joins. When old and new select the same group, one change carries both, so the
 * aggregation subtracts and adds in one step and forwards one result (as Kafka Streams does
 * since KIP-904); otherwise the old group gets `{ old, new: null }` first and the new group
 * `{ old: null, new }`, each through the repartition topic to its group's task. A selected
 * null key is counted in `skippedRecords` and that half dropped: no group has a null key.
 */
export class TableGroupByOperator<TKey, TValue, TNewKey, TNewValue> implements Operator<
  TKey,
  Change<TValue>,
  TNewKey,
  Change<TNewValue>
> {
  private readonly selector: (key: TKey, value: TValue) => KeyValue<TNewKey, TNewValue>;
  private readonly keySerde: Serde<TNewKey>;
  private readonly name: string;

  constructor(options: {
    name: string;
    selector: (key: TKey, value: TValue) => KeyValue<TNewKey, TNewValue>;
    keySerde: Serde<TNewKey>;
  }) {
    this.name = options.name;
    this.selector = options.selector;
    this.keySerde = options.keySerde;
  }

  process(
    record: StreamRecord<TKey, Change<TValue>>,
    ctx: OperatorContext<TNewKey, Change<TNewValue>>,
  ): void {
    const { oldValue, newValue } = record.value;
    const left = this.select(record.key, oldValue, ctx);
    const joined = this.select(record.key, newValue, ctx);
    if (left !== undefined && joined !== undefined && this.sameKey(left.key, joined.key)) {
      ctx.forward(
        record.withKey(joined.key).withValue({ oldValue: left.value, newValue: joined.value }),
      );
      return;
    }
    if (left !== undefined) {
      ctx.forward(record.withKey(left.key).withValue({ oldValue: left.value, newValue: null }));
    }
    if (joined !== undefined) {
      ctx.forward(record.withKey(joined.key).withValue({ oldValue: null, newValue: joined.value }));
    }
  }

  private select(
    key: TKey,
    value: TValue | null,
    ctx: OperatorContext<TNewKey, Change<TNewValue>>,
  ): KeyValue<TNewKey, TNewValue> | undefined {
    if (value === null) {
      return undefined;
    }
    const selected = this.selector(key, value);
    if (selected.key === null || selected.key === undefined) {
      ctx.count('skippedRecords');
      return undefined;
    }
    return selected;
  }

  /** Equal keys are equal bytes: what decides the group, and the partition, downstream. */
  private sameKey(left: TNewKey, right: TNewKey): boolean {
    const context = { topic: this.name, isKey: true };
    const a = this.keySerde.serialize(left, context);
    const b = this.keySerde.serialize(right, context);
    return a !== null && b !== null && Buffer.from(a).equals(Buffer.from(b));
  }
}
