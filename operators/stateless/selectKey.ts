import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** Gives each record a new key computed from it; the value stays. */
export function selectKeyOperator<TKey, TValue, TNewKey>(
  selector: (record: StreamRecord<TKey, TValue>) => TNewKey,
): Operator<TKey, TValue, TNewKey, TValue> {
  return {
    process(record, ctx) {
      ctx.forward(record.withKey(selector(record)));
    },
  };
}
