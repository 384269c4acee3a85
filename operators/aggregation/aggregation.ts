import type { StreamRecord } from '../api/record.js';
import { float64Serde } from '../serdes/basicSerdes.js';
import type { Serde } from '../serdes/serde.js';

/**
 * How an aggregation folds values into an aggregate: the one shape count, reduce and aggregate
 * all compile to. `undefined` is "no aggregate yet" (a new key or window).
 */
export interface Aggregation<TKey, TValue, TAggregate> {
  readonly add: (
    aggregate: TAggregate | undefined,
    value: TValue,
    record: StreamRecord<TKey, TValue>,
  ) => TAggregate;
  /** Combines two sessions' aggregates when a record bridges them (session windows only). */
  readonly merge: ((left: TAggregate, right: TAggregate) => TAggregate) | undefined;
  readonly serde: Serde<TAggregate>;
  /** For `describe()`: count, reduce or aggregate. */
  readonly description: string;
}

export function countAggregation<TKey, TValue>(): Aggregation<TKey, TValue, number> {
  return {
    add: (count) => (count ?? 0) + 1,
    merge: (left, right) => left + right,
    serde: float64Serde,
    description: 'count',
  };
}

export function reduceAggregation<TKey, TValue>(
  reducer: (aggregate: TValue, value: TValue) => TValue,
  serde: Serde<TValue>,
): Aggregation<TKey, TValue, TValue> {
  return {
    add: (aggregate, value) => (aggregate === undefined ? value : reducer(aggregate, value)),
    merge: reducer,
    serde,
    description: 'reduce',
  };
}

export function aggregateAggregation<TKey, TValue, TAggregate>(options: {
  readonly initializer: () => TAggregate;
  readonly adder: (
    aggregate: TAggregate,
    value: TValue,
    record: StreamRecord<TKey, TValue>,
  ) => TAggregate;
  readonly merger?: (left: TAggregate, right: TAggregate) => TAggregate;
  readonly serde: Serde<TAggregate>;
}): Aggregation<TKey, TValue, TAggregate> {
  return {
    add: (aggregate, value, record) =>
      options.adder(aggregate ?? options.initializer(), value, record),
    merge: options.merger,
    serde: options.serde,
    description: 'aggregate',
  };
}
