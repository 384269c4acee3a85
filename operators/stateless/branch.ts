import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/**
 * One arm of a branch: keeps the records whose first matching predicate is this arm's.
 * Kafka Streams' `split()` semantics: a record goes to the first branch that matches, or nowhere.
 */
export function branchArmOperator<TKey, TValue>(
  predicates: readonly ((value: TValue, record: StreamRecord<TKey, TValue>) => boolean)[],
  arm: number,
): Operator<TKey, TValue, TKey, TValue> {
  return {
    process(record, ctx) {
      const first = predicates.findIndex((predicate) => predicate(record.value, record));
      if (first === arm) {
        ctx.forward(record);
      }
    },
  };
}
