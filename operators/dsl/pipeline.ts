import { Topology } from '../runtime/topology.js';
import type { AnySerde } from './graph.js';
import { PipelineGraph } from './graph.js';
import { Stream, type TopicSerdes } from './stream.js';

/**
 * A pipeline under construction: start streams from topics, chain operators, write to topics.
 * Built once, then run by a job on Kafka or by the test driver in-process.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', { key: stringSerde, value: stringSerde })
 *   .mapValues((word) => word.toUpperCase())
 *   .to('shouted', { key: stringSerde, value: stringSerde });
 * console.log(pipeline.describe('shouter'));
 * ```
 * @category DSL
 */
export class Pipeline {
  /** @internal */ readonly graph = new PipelineGraph();

  /** A stream of the records of `topic` (or several co-partitioned topics), typed by `serdes`. */
  source<TKey, TValue>(
    topic: string | readonly string[],
    serdes: TopicSerdes<TKey, TValue>,
    options: { readonly name?: string } = {},
  ): Stream<TKey, TValue> {
    const topics = typeof topic === 'string' ? [topic] : topic;
    const name = options.name ?? this.graph.generatedName('source');
    this.graph.add({
      kind: 'source',
      name,
      topics: topics.map((t) => ({ kind: 'external' as const, name: t })),
      keySerde: serdes.key as AnySerde,
      valueSerde: serdes.value as AnySerde,
    });
    return new Stream<TKey, TValue>(this.graph, name, false);
  }

  /** The DAG as text: sub-topologies, operators, sinks and internal topics (names resolved for `applicationId`). */
  describe(applicationId = '<applicationId>'): string {
    return new Topology(this.graph, applicationId).describe();
  }
}
