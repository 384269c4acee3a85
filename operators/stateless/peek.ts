import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Calls `action` for each record and forwards it unchanged (logging, metrics). */
export function peekOperator<TKey, TValue>(
  action: (record: StreamRecord<TKey, TValue>) => void,
): Operator<TKey, TValue, TKey, TValue> {
  return {
    process(record, ctx) {
      action(record);
      ctx.forward(record);
    },
  };
}
