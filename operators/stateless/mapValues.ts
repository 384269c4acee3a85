import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Replaces each record's value; key, timestamp and headers stay. */
export function mapValuesOperator<TKey, TValue, TNewValue>(
  mapper: (value: TValue, record: StreamRecord<TKey, TValue>) => TNewValue,
): Operator<TKey, TValue, TKey, TNewValue> {
  return {
    process(record, ctx) {
      ctx.forward(record.withValue(mapper(record.value, record)));
    },
  };
}
