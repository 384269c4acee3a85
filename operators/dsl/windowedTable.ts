import { passThroughOperator } from '../stateless/passThrough.js';
import type { Windowed } from '../windowing/windowed.js';
import { lateOutput } from '../windowing/windowedAggregateOperator.js';
import type { AnyOperator, PipelineGraph } from './graph.js';
import type { Stream } from './stream.js';

/**
 * The result of a windowed aggregation: one aggregate per key and window.
 *
 * @category DSL
 */
export class WindowedTable<TKey, TValue, TAggregate> {
  /** @internal */ readonly graph: PipelineGraph;
  /** @internal */ readonly node: string;
  readonly storeName: string;
  private late: Stream<Windowed<TKey>, TValue> | undefined;

  /** @internal */
  constructor(graph: PipelineGraph, node: string) {
    this.graph = graph;
    this.node = node;
    this.storeName = node;
  }

  /**
   * The aggregates as they are emitted (every update, or once per window at close). Session
   * windows also emit `null` for a session that a merge replaced.
   */
  toStream(): Stream<Windowed<TKey>, TAggregate> {
    return this.graph.streamAt(this.node);
  }

  /**
   * The records that arrived after their window closed (end + grace), keyed by the window they
   * missed: the named side output `<name>-late`. Never dropped silently: they are also counted
   * (`lateRecords` in the job's stats).
   */
  lateRecords(): Stream<Windowed<TKey>, TValue> {
    if (this.late === undefined) {
      const name = `${this.node}-late`;
      const createOperator = (): AnyOperator => passThroughOperator<unknown, unknown>();
      this.graph.add({
        kind: 'processor',
        name,
        parents: [this.node],
        createOperator,
        description: 'late records',
        fromOutput: lateOutput,
      });
      this.late = this.graph.streamAt(name);
    }
    return this.late;
  }
}
