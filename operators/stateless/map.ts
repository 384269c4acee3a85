import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Replaces each record by another, possibly with a new key (which marks the stream for repartitioning). */
export function mapOperator<TKey, TValue, TNewKey, TNewValue>(
  mapper: (record: StreamRecord<TKey, TValue>) => StreamRecord<TNewKey, TNewValue>,
): Operator<TKey, TValue, TNewKey, TNewValue> {
  return {
    process(record, ctx) {
      ctx.forward(mapper(record));
    },
  };
}
