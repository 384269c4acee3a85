import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Replaces each record by zero or more records. */
export function flatMapOperator<TKey, TValue, TNewKey, TNewValue>(
  mapper: (record: StreamRecord<TKey, TValue>) => Iterable<StreamRecord<TNewKey, TNewValue>>,
): Operator<TKey, TValue, TNewKey, TNewValue> {
  return {
    process(record, ctx) {
      for (const output of mapper(record)) {
        ctx.forward(output);
      }
    },
  };
}
