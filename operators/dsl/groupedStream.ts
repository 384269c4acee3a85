import type { StreamRecord } from '../api/record.js';
import {
  aggregateAggregation,
  countAggregation,
  reduceAggregation,
  type Aggregation,
} from '../aggregation/aggregation.js';
import {
  KeyValueAggregateOperator,
  type AggregateEmit,
} from '../aggregation/keyValueAggregateOperator.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreBackend } from '../state/storeDefinition.js';
import type { Windows } from '../windowing/windows.js';
import type { RepartitionOptions, Stream } from './stream.js';
import { Table } from './table.js';
import { WindowedGroupedStream } from './windowedGroupedStream.js';

/** Options of a key-value aggregation. @category DSL */
export interface AggregateStepOptions {
  /** Names the operator and its store (`<applicationId>-<name>-changelog`). */
  readonly name: string;
  readonly backend?: StoreBackend;
  /**
   * `everyUpdate` (default): each update is forwarded as it happens. `onCommit`: each key's
   * latest aggregate is written and forwarded once per commit, as Kafka Streams' record cache
   * coalesces a KTable's updates; for tables read for their latest value, whose keys update
   * many times between commits. Interactive queries of the store then see an update from the
   * commit on.
   */
  readonly emit?: AggregateEmit;
}

/**
 * A stream whose records are partitioned by their key, so every record of one key is processed
 * by the same task: what aggregations, windows and tables are built on.
 *
 * @category DSL
 */
export class GroupedStream<TKey, TValue> {
  private readonly grouped: Stream<TKey, TValue>;
  /** @internal */ readonly options: RepartitionOptions<TKey, TValue>;

  /** @internal */
  constructor(grouped: Stream<TKey, TValue>, options: RepartitionOptions<TKey, TValue>) {
    this.grouped = grouped;
    this.options = options;
  }

  /** The key-partitioned records as a stream. */
  stream(): Stream<TKey, TValue> {
    return this.grouped;
  }

  /** Records per key, updated on each record. */
  count(options: AggregateStepOptions): Table<TKey, number> {
    return this.add(countAggregation<TKey, TValue>(), options);
  }

  /** Combines each key's values with `reducer` (the first value is the start). */
  reduce(
    reducer: (aggregate: TValue, value: TValue) => TValue,
    options: AggregateStepOptions,
  ): Table<TKey, TValue> {
    return this.add(reduceAggregation<TKey, TValue>(reducer, this.options.serdes.value), options);
  }

  /** Folds each key's values into an aggregate of another type. */
  aggregate<TAggregate>(
    options: AggregateStepOptions & {
      readonly initializer: () => TAggregate;
      readonly adder: (
        aggregate: TAggregate,
        value: TValue,
        record: StreamRecord<TKey, TValue>,
      ) => TAggregate;
      readonly serde: Serde<TAggregate>;
    },
  ): Table<TKey, TAggregate> {
    return this.add(aggregateAggregation(options), options);
  }

  /** Cuts the groups into event-time windows. */
  windowedBy<TWindows extends Windows>(
    windows: TWindows,
  ): WindowedGroupedStream<TKey, TValue, TWindows> {
    return new WindowedGroupedStream(this.grouped, this.options.serdes, windows);
  }

  private add<TAggregate>(
    aggregation: Aggregation<TKey, TValue, TAggregate>,
    options: AggregateStepOptions,
  ): Table<TKey, TAggregate> {
    const keySerde = this.options.serdes.key;
    // Only a table that forwards every update can be grouped again (Table.groupBy).
    const changes = options.emit === 'onCommit' ? undefined : { wanted: false };
    const store = {
      name: options.name,
      key: keySerde,
      value: aggregation.serde,
      backend: options.backend ?? 'rocksdb',
      changelog: true,
    };
    this.grouped.graph.add({
      kind: 'processor',
      name: options.name,
      parents: [this.grouped.node],
      createOperator: () =>
        new KeyValueAggregateOperator({
          storeName: options.name,
          keySerde,
          aggregation,
          ...(options.emit === undefined ? {} : { emit: options.emit }),
          ...(changes === undefined ? {} : { changes }),
        }),
      description: aggregation.description,
      stores: [{ name: store.name, backend: store.backend, changelog: store.changelog }],
    });
    return new Table(
      this.grouped.graph,
      options.name,
      changes === undefined ? { store } : { store, changes },
    );
  }
}
