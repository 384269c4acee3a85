import type { PipelineGraph } from './graph.js';
import { Stream } from './stream.js';

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

  /** @internal */
  constructor(graph: PipelineGraph, node: string, storeName: string) {
    this.graph = graph;
    this.node = node;
    this.storeName = storeName;
  }

  /** Every update of the table, as a stream keyed like the table. */
  toStream(): Stream<TKey, TValue> {
    return new Stream(this.graph, this.node, false);
  }
}
