import { float64Serde } from '../serdes/basicSerdes.js';
import type { Serde } from '../serdes/serde.js';

/**
 * How a grouped table folds its rows: `add` a row that joined the group, `subtract` one that
 * left it (an update subtracts the old value, then adds the new). `undefined` is "no aggregate
 * yet". Kafka Streams' `KGroupedTable` aggregations.
 */
export interface TableAggregation<TKey, TValue, TAggregate> {
  readonly add: (aggregate: TAggregate | undefined, value: TValue, key: TKey) => TAggregate;
  readonly subtract: (aggregate: TAggregate, value: TValue, key: TKey) => TAggregate;
  readonly serde: Serde<TAggregate>;
  /** For `describe()`. */
  readonly description: string;
}

/** Rows per group: +1 on add, -1 on subtract (a group that empties counts 0, as in Kafka Streams). */
export function tableCount<TKey, TValue>(): TableAggregation<TKey, TValue, number> {
  return {
    add: (count) => (count ?? 0) + 1,
    subtract: (count) => count - 1,
    serde: float64Serde,
    description: 'table count',
  };
}

/** The group's first value is the start; `adder` and `subtractor` fold the later changes. */
export function tableReduce<TKey, TValue>(
  adder: (aggregate: TValue, value: TValue) => TValue,
  subtractor: (aggregate: TValue, value: TValue) => TValue,
  serde: Serde<TValue>,
): TableAggregation<TKey, TValue, TValue> {
  return {
    add: (aggregate, value) => (aggregate === undefined ? value : adder(aggregate, value)),
    subtract: (aggregate, value) => subtractor(aggregate, value),
    serde,
    description: 'table reduce',
  };
}

/** Starts each group from `initializer()`. */
export function tableAggregate<TKey, TValue, TAggregate>(options: {
  readonly initializer: () => TAggregate;
  readonly adder: (aggregate: TAggregate, value: TValue, key: TKey) => TAggregate;
  readonly subtractor: (aggregate: TAggregate, value: TValue, key: TKey) => TAggregate;
  readonly serde: Serde<TAggregate>;
}): TableAggregation<TKey, TValue, TAggregate> {
  return {
    add: (aggregate, value, key) => options.adder(aggregate ?? options.initializer(), value, key),
    subtract: options.subtractor,
    serde: options.serde,
    description: 'table aggregate',
  };
}
