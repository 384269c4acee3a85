import type { StoreDefinition } from '../state/storeDefinition.js';
import type { PipelineGraph } from './graph.js';
import type { Stream } from './stream.js';

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

  /** @internal */
  constructor(graph: PipelineGraph, node: string, store: StoreDefinition<TKey, TValue>) {
    this.graph = graph;
    this.node = node;
    this.storeName = store.name;
    this.store = store;
  }

  /** Every update of the table, as a stream keyed like the table. */
  toStream(): Stream<TKey, TValue> {
    return this.graph.streamAt(this.node);
  }
}
