import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Keeps the records for which `predicate` holds. */
export function filterOperator<TKey, TValue>(
  predicate: (value: TValue, record: StreamRecord<TKey, TValue>) => boolean,
): Operator<TKey, TValue, TKey, TValue> {
  return {
    process(record, ctx) {
      if (predicate(record.value, record)) {
        ctx.forward(record);
      }
    },
  };
}
