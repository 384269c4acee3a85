import type { ChangeFeed } from '../aggregation/change.js';
import {
  tableAggregate,
  tableCount,
  tableReduce,
  type TableAggregation,
} from '../aggregation/tableAggregation.js';
import { addTableAggregate, addTableGroupBy } from '../aggregation/tableAggregationNodes.js';
import type { KeyValue } from '../aggregation/tableGroupByOperator.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreBackend, StoreDefinition } from '../state/storeDefinition.js';
import type { PipelineGraph } from './graph.js';
import type { RepartitionOptions, Stream } from './stream.js';

/**
 * A changelog stream seen as its latest value per key, kept in a state store: the result of
 * an aggregation, or a compacted topic read with `pipeline.table()`. Joins look keys up in it.
 *
 * @category DSL
 */
export class Table<TKey, TValue> {
  /** @internal */ readonly graph: PipelineGraph;
  /** @internal */ readonly node: string;
  /** The state store that holds the table (queryable by this name). */
  readonly storeName: string;
  /** @internal The store and its serdes: a join declares the same store and reads it with them. */
  readonly store: StoreDefinition<TKey, TValue>;
  /** @internal Whether the table's operator sends its changes; absent: it cannot. */
  readonly changes: ChangeFeed | undefined;

  /**
   * @internal `changes`: the table's operator can send its changes (absent: it cannot).
   */
  constructor(
    graph: PipelineGraph,
    node: string,
    state: { readonly store: StoreDefinition<TKey, TValue>; readonly changes?: ChangeFeed },
  ) {
    this.graph = graph;
    this.node = node;
    this.storeName = state.store.name;
    this.store = state.store;
    this.changes = state.changes;
  }

  /** Every update of the table, as a stream keyed like the table. */
  toStream(): Stream<TKey, TValue> {
    return this.graph.streamAt(this.node);
  }

  /**
   * Re-groups the table's rows by what `selector` picks from each (Kafka Streams'
   * `KTable.groupBy`), for an aggregation with an adder and a subtractor: when a row changes,
   * its old value leaves its old group and its new value joins its new group; a deleted row
   * leaves its group. The changes go through the internal topic
   * `<applicationId>-<name>-repartition` with old and new values.
   *
   * @example
   * ```ts
   * import { jsonSerde, Pipeline, stringSerde } from 'reelstream';
   *
   * interface Video { readonly category: string }
   * const pipeline = new Pipeline();
   * pipeline
   *   .table('videos', { key: stringSerde, value: jsonSerde<Video>() }, { name: 'videos' })
   *   .groupBy((id, video) => ({ key: video.category, value: id }), {
   *     name: 'videos-by-category',
   *     serdes: { key: stringSerde, value: stringSerde },
   *   })
   *   .count({ name: 'videos-per-category' }); // Table<string, number>
   * ```
   */
  groupBy<TNewKey, TNewValue>(
    selector: (key: TKey, value: TValue) => KeyValue<TNewKey, TNewValue>,
    options: Omit<RepartitionOptions<TNewKey, TNewValue>, 'partitions'>,
  ): GroupedTable<TNewKey, TNewValue> {
    if (this.changes === undefined) {
      throw new Error(
        `groupBy ${options.name}: table ${this.storeName} forwards its updates once per commit (emit: 'onCommit'), so it cannot send every change; aggregate it with emit: 'everyUpdate'`,
      );
    }
    const node = addTableGroupBy(
      this.graph,
      { node: this.node, changes: this.changes },
      { name: options.name, selector, serdes: options.serdes },
    );
    return new GroupedTable(this.graph, node, options.serdes);
  }
}

/** Options of a grouped table's aggregation. @category DSL */
export interface TableAggregateOptions {
  /** Names the operator and its store (`<applicationId>-<name>-changelog`). */
  readonly name: string;
  readonly backend?: StoreBackend;
}

/**
 * A table's rows regrouped by `Table.groupBy`: aggregations that subtract a row from the group
 * it leaves and add it to the group it joins (Kafka Streams' `KGroupedTable`).
 *
 * @category DSL
 */
export class GroupedTable<TKey, TValue> {
  private readonly graph: PipelineGraph;
  private readonly node: string;
  private readonly serdes: { readonly key: Serde<TKey>; readonly value: Serde<TValue> };

  /** @internal */
  constructor(
    graph: PipelineGraph,
    node: string,
    serdes: { readonly key: Serde<TKey>; readonly value: Serde<TValue> },
  ) {
    this.graph = graph;
    this.node = node;
    this.serdes = serdes;
  }

  /** Rows per group (a group whose rows all left counts 0). */
  count(options: TableAggregateOptions): Table<TKey, number> {
    return this.add(tableCount<TKey, TValue>(), options);
  }

  /** Combines each group's values: `adder` for a row that joins, `subtractor` for one that leaves. */
  reduce(
    adder: (aggregate: TValue, value: TValue) => TValue,
    subtractor: (aggregate: TValue, value: TValue) => TValue,
    options: TableAggregateOptions,
  ): Table<TKey, TValue> {
    return this.add(tableReduce<TKey, TValue>(adder, subtractor, this.serdes.value), options);
  }

  /** Folds each group's values into an aggregate of another type, starting from `initializer`. */
  aggregate<TAggregate>(
    options: TableAggregateOptions & {
      readonly initializer: () => TAggregate;
      readonly adder: (aggregate: TAggregate, value: TValue, key: TKey) => TAggregate;
      readonly subtractor: (aggregate: TAggregate, value: TValue, key: TKey) => TAggregate;
      readonly serde: Serde<TAggregate>;
    },
  ): Table<TKey, TAggregate> {
    return this.add(tableAggregate(options), options);
  }

  private add<TAggregate>(
    aggregation: TableAggregation<TKey, TValue, TAggregate>,
    options: TableAggregateOptions,
  ): Table<TKey, TAggregate> {
    const { store, changes } = addTableAggregate(this.graph, this.node, {
      name: options.name,
      keySerde: this.serdes.key,
      aggregation,
      ...(options.backend === undefined ? {} : { backend: options.backend }),
    });
    return new Table(this.graph, options.name, { store, changes });
  }
}
