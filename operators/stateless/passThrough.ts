import type { Operator } from '../api/operator.js';

/** Forwards every record unchanged: the node where merged streams meet. */
export function passThroughOperator<TKey, TValue>(): Operator<TKey, TValue, TKey, TValue> {
  return {
    process(record, ctx) {
      ctx.forward(record);
    },
  };
}
